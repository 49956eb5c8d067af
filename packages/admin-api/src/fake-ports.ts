/**
 * FakeAdminPorts: an in-memory AdminPorts for tests of the API and of its
 * clients (the CLI). It behaves like the daemon where the API can see it:
 * config changes go through @sixgate/config's `applyPatch` (so invalid and
 * pinned changes fail the same way), every change is a new history version,
 * static BIB entries conflict on the pool4 address/port, policy rules are
 * ordered with hit counters, and trace subscribers get what `emit` sends.
 */
import { applyPatch, defaultConfig, redact, type Config } from '@sixgate/config';
import { ApplyError, pinnedError } from './errors.js';
import type { HaStatusView } from './schemas/ha.js';
import { checkVersion, type WriteOptions } from './etag.js';
import { StatsRing, type StatsHistory } from './stats-ring.js';
import type { AdminPorts, ConfigState, TraceFilter, TraceRecord } from './ports.js';
import type { ApplyResult, Protocol } from './schemas/common.js';
import type { BibEntry, Pool4Usage, SessionEntry } from './schemas/nat64.js';
import type { HistoryEntry, HistoryVersion, PolicyRule, PolicyRuleWithHits } from './schemas/config.js';
import type { Health, Histogram, Stats } from './schemas/stats.js';
import type { RaView } from './schemas/ra.js';
import type { ProbeMetricSample, ProbesView } from './schemas/probes.js';

const emptyHistogram = (): Histogram => ({ le: [0.001, 0.01, 0.1, 1], counts: [0, 0, 0, 0], sum: 0, count: 0 });

/** All-zero counters in the shape the daemon reports. */
export function zeroStats(): Stats {
  return {
    nat64: {
      packets: { '6to4': 0, '4to6': 0 },
      bytes: { '6to4': 0, '4to6': 0 },
      drops: {},
      sessions: {},
      bindings: 0,
      pool4: { used: 0, size: 0, percent: 0 },
    },
    dns64: {
      queries: 0, synthesized: 0, cacheHits: 0, cacheMisses: 0, upstreamErrors: 0,
      upstreamTimeouts: 0, refused: 0, rateLimited: 0, rateLimitedPrefix: 0, rateLimitSpared: 0, formerr: 0,
      tcpRejected: 0, tcpTimeouts: 0, upstreamCaseMismatch: 0, loopLagP99: 0, loopLagMax: 0, latencyBuckets: emptyHistogram(),
    },
    offload: { enabled: false, udpCoalescing: false, gsoPackets: 0, gsoSegments: 0, csumPartial: 0, csumCompleted: 0, softGso: 0, badHeader: 0, udpSuperPackets: 0, udpSegments: 0 },
    translatorBatch: emptyHistogram(),
    sessionLog: { written: 0, dropped: 0 },
  };
}

/** Dotted leaf keys whose values differ between two plain JSON values. */
function diffKeys(a: unknown, b: unknown, prefix = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diffKeys(a[k], b[k], prefix === '' ? k : `${prefix}.${k}`));
}

interface Version extends HistoryEntry {
  readonly config: Config;
}

export class FakeAdminPorts implements AdminPorts {
  healthValue: Health = { status: 'ok', dns64: true, nat64: true, reasons: [] };
  pinned: Record<string, string> = {};
  sessions: SessionEntry[] = [];
  bib: BibEntry[] = [];
  statsValue: Stats = zeroStats();
  /** The history statsHistory() serves; tests sample into it. */
  readonly ring = new StatsRing({ capacity: 12 });
  probesValue: ProbesView = { probes: [] };
  probeSamplesValue: ProbeMetricSample[] = [];
  readonly hits = new Map<string, number>();
  readonly subscribers = new Set<{ filter: TraceFilter; onRecord: (r: TraceRecord) => void }>();
  #config: Config;
  #versions: Version[] = [];
  #nextBib = 1;

  constructor(config: Config = { ...defaultConfig(), api: { listen: '127.0.0.1:8064', token: 'fake-token-0123456789' } }) {
    this.#config = config;
    this.#record(config, 'initial configuration');
  }

  /** The current configuration, unredacted. */
  get config(): Config {
    return this.#config;
  }

  #record(config: Config, summary: string): ApplyResult {
    const changed = this.#versions.length === 0 ? [] : diffKeys(this.#config, config);
    const version = (this.#versions[0]?.version ?? 0) + 1;
    this.#config = config;
    this.#versions.unshift({ version, appliedAt: new Date(1_700_000_000_000 + version * 1000).toISOString(), summary, config });
    this.#versions.length = Math.min(this.#versions.length, 20);
    return { version, changed, summary };
  }

  configVersion(): number {
    return this.#versions[0]?.version ?? 0;
  }

  health(): Health {
    return this.healthValue;
  }

  getConfig(): ConfigState {
    return { config: redact(this.#config), pinned: { ...this.pinned } };
  }

  async patchConfig(patch: unknown, opts?: WriteOptions): Promise<ApplyResult> {
    checkVersion(opts, this.configVersion());
    const next = applyPatch(this.#config, patch as Record<string, unknown>, this.pinned);
    const keys = diffKeys(this.#config, next);
    return this.#record(next, keys.length === 0 ? 'no change' : `changed ${keys.join(', ')}`);
  }

  getPrefix(): { prefix: string; pinned?: string } {
    const pinned = this.pinned['prefix'];
    return pinned === undefined ? { prefix: this.#config.prefix } : { prefix: this.#config.prefix, pinned };
  }

  async setPrefix(prefix: string, opts?: WriteOptions): Promise<ApplyResult> {
    checkVersion(opts, this.configVersion());
    const pinned = this.pinned['prefix'];
    if (pinned !== undefined) throw pinnedError('prefix', pinned);
    return this.patchConfig({ prefix });
  }

  listSessions(q: { protocol?: Protocol; limit: number; offset: number }): { total: number; items: SessionEntry[] } {
    const all = this.sessions.filter((s) => q.protocol === undefined || s.protocol === q.protocol);
    return { total: all.length, items: all.slice(q.offset, q.offset + q.limit) };
  }

  flushSessions(): { removed: number } {
    const removed = this.sessions.length;
    this.sessions = [];
    this.bib = this.bib.filter((b) => b.static);
    return { removed };
  }

  listBib(q: { protocol?: Protocol }): BibEntry[] {
    return this.bib.filter((b) => q.protocol === undefined || b.protocol === q.protocol);
  }

  pool4UsageValue: Pool4Usage = { addressCount: 0, tcp: { used: 0, size: 0 }, udp: { used: 0, size: 0 }, icmp: { used: 0, size: 0 }, addresses: [], truncated: false };

  pool4Usage(): Pool4Usage {
    return this.pool4UsageValue;
  }

  async addStaticBib(e: { protocol: Protocol; ipv6: string; ipv4: string }, opts?: WriteOptions): Promise<BibEntry> {
    checkVersion(opts, this.configVersion());
    if (this.bib.some((b) => b.protocol === e.protocol && b.ipv4 === e.ipv4)) {
      throw new ApplyError(409, `${e.protocol} ${e.ipv4} is already bound`);
    }
    const entry: BibEntry = { id: `static-${this.#nextBib++}`, ...e, static: true, sessions: 0 };
    this.bib.push(entry);
    return entry;
  }

  async removeStaticBib(id: string, opts?: WriteOptions): Promise<boolean> {
    checkVersion(opts, this.configVersion());
    const before = this.bib.length;
    this.bib = this.bib.filter((b) => !(b.static && b.id === id));
    return this.bib.length < before;
  }

  listPolicy(): PolicyRuleWithHits[] {
    return this.#config.nat64.policy.map((r) => ({ ...r, hits: this.hits.get(r.id) ?? 0 }));
  }

  #setPolicy(rules: PolicyRule[], summary: string): ApplyResult {
    return this.#record({ ...this.#config, nat64: { ...this.#config.nat64, policy: rules } }, summary);
  }

  #indexOf(id: string): number {
    const i = this.#config.nat64.policy.findIndex((r) => r.id === id);
    if (i < 0) throw new ApplyError(404, `no policy rule "${id}"`);
    return i;
  }

  async addPolicy(rule: PolicyRule, position?: number, opts?: WriteOptions): Promise<ApplyResult> {
    checkVersion(opts, this.configVersion());
    const rules = [...this.#config.nat64.policy];
    if (rules.some((r) => r.id === rule.id)) throw new ApplyError(409, `a policy rule "${rule.id}" already exists`);
    rules.splice(position ?? rules.length, 0, rule);
    return this.#setPolicy(rules, `policy: added ${rule.id}`);
  }

  async replacePolicy(id: string, rule: PolicyRule, position?: number, opts?: WriteOptions): Promise<ApplyResult> {
    checkVersion(opts, this.configVersion());
    const rules = [...this.#config.nat64.policy];
    const i = this.#indexOf(id);
    rules.splice(i, 1);
    rules.splice(position ?? i, 0, rule);
    return this.#setPolicy(rules, `policy: replaced ${id}`);
  }

  async removePolicy(id: string, opts?: WriteOptions): Promise<ApplyResult> {
    checkVersion(opts, this.configVersion());
    const i = this.#indexOf(id);
    return this.#setPolicy(this.#config.nat64.policy.filter((_r, j) => j !== i), `policy: removed ${id}`);
  }

  history(): HistoryEntry[] {
    return this.#versions.map(({ version, appliedAt, summary }) => ({ version, appliedAt, summary }));
  }

  async historyVersion(version: number): Promise<HistoryVersion> {
    const v = this.#versions.find((x) => x.version === version);
    if (v === undefined) throw new ApplyError(404, `version ${version} is not in the history (see GET /api/v1/config/history)`);
    return { version: v.version, appliedAt: v.appliedAt, summary: v.summary, config: v.config };
  }

  async rollback(version: number, opts?: WriteOptions): Promise<ApplyResult> {
    checkVersion(opts, this.configVersion());
    const v = this.#versions.find((x) => x.version === version);
    if (v === undefined) throw new ApplyError(404, `version ${version} is not in the history (see GET /api/v1/config/history)`);
    return this.#record(v.config, `rollback to version ${version}`);
  }

  stats(): Stats {
    return this.statsValue;
  }

  /** The HA view to answer GET /api/v1/ha with (undefined: ha not enabled). */
  haValue: HaStatusView | undefined = undefined;
  readonly haNotified: string[] = [];

  ha(): HaStatusView | undefined {
    return this.haValue;
  }

  haNotify(state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): { role: 'active' | 'standby' | 'fault'; catchingUp: boolean; staleConfig: boolean } {
    this.haNotified.push(state);
    return { role: state === 'MASTER' ? 'active' : state === 'BACKUP' ? 'standby' : 'fault', catchingUp: false, staleConfig: false };
  }

  statsHistory(seconds?: number): StatsHistory {
    return this.ring.read(seconds);
  }

  raValue: RaView = { enabled: false, links: [], conflicts: [] };
  ra(): RaView {
    return this.raValue;
  }

  trace(filter: TraceFilter, onRecord: (r: TraceRecord) => void): () => void {
    const sub = { filter, onRecord };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  probes(): ProbesView {
    return this.probesValue;
  }

  probeSamples(): ProbeMetricSample[] {
    return this.probeSamplesValue;
  }

  /** Sends a record to every subscriber (the fake applies no filter). */
  emit(record: TraceRecord): void {
    for (const s of this.subscribers) s.onRecord(record);
  }
}
