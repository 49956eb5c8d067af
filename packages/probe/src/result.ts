/** The result of one probe run: data first (JSON), a table second (report.ts). */
import type { TargetKind } from './targets.js';

export type StepName = 'dns' | 'route' | 'policy' | 'tcp' | 'tls' | 'http' | 'pmtu' | 'udp' | 'icmp' | 'resolver';
export const STEP_NAMES: readonly StepName[] = ['dns', 'route', 'policy', 'tcp', 'tls', 'http', 'pmtu', 'udp', 'icmp', 'resolver'];

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepResult {
  readonly step: StepName;
  readonly status: StepStatus;
  /** Time the step took, in milliseconds. */
  readonly ms: number;
  /** What was seen, in plain words ("200, 45123 bytes in 12 ms"). */
  readonly detail: string;
  /** Why it failed (diagnoses.ts), or a result worth naming (NATIVE_IPV6). */
  readonly diagnosis?: string;
}

/** pass: every step passed; native: the name has IPv6 of its own (NAT64 not involved); fail: a step failed. */
export type ProbeStatus = 'pass' | 'native' | 'fail';

export interface ProbeResult {
  readonly target: string;
  readonly kind: TargetKind;
  readonly status: ProbeStatus;
  /** The step that failed (or that found native IPv6). */
  readonly step?: StepName;
  /** The diagnosis of that step; "ok" when every step passed. */
  readonly diagnosis: string;
  /** The IPv4 server and the address under the prefix that reached it. */
  readonly address4?: string;
  readonly address6?: string;
  /** The appliance IPv6 source the packets left from. */
  readonly source6?: string;
  readonly startedAt: string;
  readonly ms: number;
  readonly steps: readonly StepResult[];
}

/** True when the run counts as a success (exit status 0, sixgate_probe_success 1). */
export function passed(r: ProbeResult): boolean {
  return r.status !== 'fail';
}
