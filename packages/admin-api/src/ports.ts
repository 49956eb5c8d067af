/**
 * AdminPorts: the only way the admin API reaches the running system. The
 * daemon implements it over the translator, the DNS64 server and the config
 * store; tests implement it with a fake. Every method is cheap to call and
 * either returns a value or throws an {@link ApplyError} (which the API turns
 * into `{statusCode, error, message}`); any other exception is a 500.
 */
import type { ApplyResult, Protocol } from './schemas/common.js';
import type { BibEntry, Pool4Usage, SessionEntry } from './schemas/nat64.js';
import type { Health, Stats } from './schemas/stats.js';
import type { TraceEvent } from './schemas/trace.js';
import type { RaView } from './schemas/ra.js';
import type { ConfigView, HistoryEntry, HistoryVersion, PolicyRule, PolicyRuleWithHits } from './schemas/config.js';
import type { WriteOptions } from './etag.js';
import type { StatsHistory } from './stats-ring.js';
import type { HaNotifyResult, HaStatusView } from './schemas/ha.js';

export type { HaStatusView };
import type { ProbeMetricSample, ProbesView } from './schemas/probes.js';

export type { ProbeMetricSample, ProbesView };
export type { ApplyResult, Protocol, BibEntry, SessionEntry, Health, Stats, ConfigView, HistoryEntry, PolicyRule, PolicyRuleWithHits, WriteOptions };
export type { RaView };

/**
 * One traced decision. The JSON fields go to SSE clients as they are; the
 * optional packet bytes (whole IP packets, as received and as sent) are only
 * used for `format=pcap`, where the API writes them as LINKTYPE_RAW records.
 * The daemon should fill `before`/`after` only when the filter asked for
 * packets (`TraceFilter.packets`), so an SSE trace copies no packet bytes.
 */
export interface TraceRecord extends Omit<TraceEvent, 'beforeLength' | 'afterLength'> {
  readonly before?: Uint8Array;
  readonly after?: Uint8Array;
}

/** What the caller wants traced; absent fields match everything. */
export interface TraceFilter {
  /** Client address or prefix, as given by the user (already validated as an IP address or CIDR). */
  readonly client?: string;
  /** Destination address or prefix (IPv4 or IPv6), validated like `client`. */
  readonly dst?: string;
  /** True for pcap: records must carry `before`/`after` bytes. */
  readonly packets: boolean;
}

/** GET /api/v1/config: the effective configuration and what is read-only. */
export interface ConfigState {
  /** The effective configuration with secrets (the API token) redacted. */
  readonly config: ConfigView;
  /** Pinned keys: dotted key → the flag or environment variable that set it. */
  readonly pinned: Record<string, string>;
}

/**
 * Every mutation below takes `opts` last. The port builds the change from the
 * configuration in effect *inside* its serialised apply (never from a copy
 * read before queueing) and, first, passes `opts` and the version in effect
 * to `checkVersion` (etag.ts): a stale If-Match is a 412 and changes nothing.
 */
export interface AdminPorts {
  /** The version of the configuration in effect (the latest history version); the ETag of config reads. */
  configVersion(): number;
  /** Whether DNS64 and NAT64 are serving; 'degraded' answers 503 unless both are (then only a critical probe failed: 200). */
  health(): Health;
  getConfig(): ConfigState;
  /** Validates a partial config, applies it atomically to DNS64 + NAT64 + routes and persists it. */
  patchConfig(patch: unknown, opts?: WriteOptions): Promise<ApplyResult>;
  getPrefix(): { prefix: string; pinned?: string };
  /** Changes the prefix for both halves at once (RFC 6052 §2.2 lengths; checked by the API first). */
  setPrefix(prefix: string, opts?: WriteOptions): Promise<ApplyResult>;
  listSessions(q: { protocol?: Protocol; limit: number; offset: number }): { total: number; items: SessionEntry[] };
  /** Removes dynamic sessions (static BIB entries stay). */
  flushSessions(): { removed: number };
  listBib(q: { protocol?: Protocol }): BibEntry[];
  /** pool4 ports in use vs available per protocol, in total and per address (at most 256 addresses listed). */
  pool4Usage(): Pool4Usage;
  /** Adds a static BIB entry; throws ApplyError 409 when the pool4 address/port is taken. */
  addStaticBib(e: { protocol: Protocol; ipv6: string; ipv4: string }, opts?: WriteOptions): Promise<BibEntry>;
  /** False when no static entry has this id. */
  removeStaticBib(id: string, opts?: WriteOptions): Promise<boolean>;
  listPolicy(): PolicyRuleWithHits[];
  /** Inserts a rule at `position` (0 = first; default: last). */
  addPolicy(rule: PolicyRule, position?: number, opts?: WriteOptions): Promise<ApplyResult>;
  /** Replaces rule `id`, moving it to `position` when given; ApplyError 404 if absent. */
  replacePolicy(id: string, rule: PolicyRule, position?: number, opts?: WriteOptions): Promise<ApplyResult>;
  /** ApplyError 404 if absent. */
  removePolicy(id: string, opts?: WriteOptions): Promise<ApplyResult>;
  /** The last applied configurations, newest first (at most 20). */
  history(): HistoryEntry[];
  /** One version with its configuration; ApplyError 404 (or ConfigError HISTORY) if it is not kept. */
  historyVersion(version: number): Promise<HistoryVersion>;
  /** Restores version `version` atomically; ApplyError 404 if it is not in the history. */
  rollback(version: number, opts?: WriteOptions): Promise<ApplyResult>;
  stats(): Stats;
  /** The metric history of the last `seconds` (all kept when absent), from a {@link StatsRing} the daemon samples. */
  statsHistory(seconds?: number): StatsHistory;
  /**
   * Subscribes to decisions matching `filter`; returns the unsubscribe
   * function. While nobody is subscribed the daemon must not build records.
   * The API's `onRecord` never throws and only queues (or copies) the record,
   * so the daemon may call it synchronously from the packet loop. The API
   * may call the unsubscribe function from inside `onRecord` (pcap limit
   * reached), and calls it exactly once.
   */
  trace(filter: TraceFilter, onRecord: (r: TraceRecord) => void): () => void;
  /** Router advertisements: per-link announcement, counters, conflicts (GET /api/v1/ra). */
  ra(): RaView;
  /** The HA pair's state (ADR 8); absent or undefined when ha is not enabled (404). */
  ha?(): HaStatusView | undefined;
  /** keepalived's VRRP state for this node; returns the role it now has. */
  haNotify?(state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): Promise<HaNotifyResult> | HaNotifyResult;
  /** The continuous probes (packages/probe) with their last results; absent: none configured. */
  probes?(): ProbesView;
  /** sixgate_probe_success / sixgate_probe_duration_seconds samples of the last runs. */
  probeSamples?(): ProbeMetricSample[];
}
