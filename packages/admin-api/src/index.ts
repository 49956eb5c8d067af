/**
 * @sixgate/admin-api — the admin REST API of SPEC §7 as a Fastify application
 * that does not listen. The daemon builds it with its {@link AdminPorts}
 * implementation and the token, checks the listen address with
 * {@link assertSafeListen}, then calls `listen`.
 */
export { buildAdminApi, type AdminDeps } from './app.js';
export type { AdminPorts, TraceRecord, TraceFilter, ConfigState, RaView } from './ports.js';
export { checkVersion, etagOf, parseIfMatch, type WriteOptions } from './etag.js';
export { StatsRing, HISTORY_GAUGES, HISTORY_RATES, type StatsHistory, type StatsRingOptions, type HistorySeries } from './stats-ring.js';
export { ApplyError, pinnedError, AdminConfigError, type ApplyStatus, type AdminConfigErrorCode } from './errors.js';
export { assertSafeListen } from './config.js';
export { buildPcap, LINKTYPE_RAW, type PcapPacket } from './pcap.js';
export { MAX_CONCURRENT_TRACES } from './routes/trace.js';
export { CONTENT_SECURITY_POLICY } from './routes/ui.js';
export { FakeAdminPorts, zeroStats } from './fake-ports.js';
export { TraceHub } from './trace-hub.js';
export type {
  ApplyResult,
  ApplyStep,
  HistoryVersion,
  Pool4Usage,
  Protocol,
  BibEntry,
  SessionEntry,
  Health,
  Histogram,
  Stats,
  ConfigView,
  HistoryEntry,
  PolicyRule,
  PolicyRuleWithHits,
  TraceEvent,
  TraceEnd,
  ProbesView,
  ProbeStateView,
  ProbeResultView,
  ProbeMetricSample,
} from './schemas/index.js';
