/**
 * @sixgate/probe — preflight validation of IPv4-only services through DNS64
 * and the translator, and the same probes run continuously. Takes what it
 * needs of the running system through {@link ProbePorts}, which the daemon
 * implements; imports only addressing.
 */
export * from './diagnoses.js';
export { type ProbePorts, type ProbeContext, type RouteFacts, type TranslatorCounters } from './ports.js';
export { parseTarget, hostHeader, TargetError, type Target, type TargetKind, type TargetOptions } from './targets.js';
export { parseEntries, parseTargetsFile, MAX_TARGETS, type TargetEntry, type ScheduledTarget } from './config.js';
export { runProbe, REAL_NETWORK, type RunOptions } from './run.js';
export { type Network, type ConnectOutcome, type TlsOutcome, type HttpObservation, type UdpOutcome, type PingObservation } from './connect.js';
export { passed, STEP_NAMES, type ProbeResult, type ProbeStatus, type StepResult, type StepName, type StepStatus } from './result.js';
export { formatTable, formatSteps, toJson } from './report.js';
export { ProbeScheduler, type ProbeState, type SchedulerOptions } from './scheduler.js';
export { probeSamples, PROBE_SUCCESS, PROBE_DURATION, type ProbeSample } from './metrics.js';
export { classifyDns, buildQuery, parseAnswer, type DnsAnswer, type DnsVerdict } from './dns.js';
export { counterDelta, diagnoseFailure, EXHAUSTION_DROPS, type CounterDelta } from './diagnose.js';
export { searchSize, PMTU_FLOOR, PMTU_CEILING } from './pmtu.js';
export { parsePing } from './connect.js';
