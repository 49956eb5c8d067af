/**
 * AdminPorts over a running Appliance: what the admin API may see and change.
 * Configuration changes are serialized and all go through applyConfig, so a
 * static BIB entry or a policy rule added over the API is validated,
 * persisted and kept in the history like any other change.
 */
import { formatIpv4, parseNat64Prefix } from '@sixgate/addressing';
import { ApplyError, checkVersion, type AdminPorts, type ApplyResult, type PolicyRule, type Stats, type WriteOptions } from '@sixgate/admin-api';
import { applyPatch, ConfigError, keepPinned, redact, type Config } from '@sixgate/config';
import { probeSamples } from '@sixgate/probe';
import { applyConfig, bibKey } from './apply.js';
import { PROTO, type Appliance } from './appliance.js';
import { haStats, haWarnings } from './ha.js';


function fromConfigError(e: unknown): never {
  if (e instanceof ConfigError) {
    const status = e.code === 'ERR_CONFIG_PINNED' ? 409 : e.code === 'ERR_CONFIG_HISTORY' ? 404 : 400;
    throw new ApplyError(status, e.message);
  }
  throw e;
}

/**
 * Builds the ports. `queue` serializes every change, and every change reads
 * the configuration it modifies inside its turn of the queue: two concurrent
 * additions both land, and an If-Match naming an older version is refused
 * (412) before anything is read or changed.
 */
export function appliancePorts(app: Appliance): AdminPorts {
  // One queue for the API's changes and the HA peer's (Appliance.serial).
  const serial = <T>(f: () => Promise<T>): Promise<T> => app.serial(f);
  const version = (): number => app.historyCache[0]?.version ?? 0;
  /**
   * One read-modify-write: `build` sees the configuration in effect at its
   * turn and returns the patch (or throws ApplyError); the version check comes
   * first, so a stale writer changes nothing.
   */
  const modify = async (opts: WriteOptions | undefined, build: (cfg: Config) => { patch: unknown; summary?: string }): Promise<ApplyResult> => {
    checkVersion(opts, version());
    const { patch: p, summary } = build(app.config);
    let next: Config;
    try {
      next = applyPatch(app.config, p as Record<string, unknown>, app.pinned);
    } catch (e) {
      fromConfigError(e);
    }
    return applyConfig(app, next, summary);
  };
  /** `modify` in its turn of the queue. */
  const change = (opts: WriteOptions | undefined, build: (cfg: Config) => { patch: unknown; summary?: string }): Promise<ApplyResult> =>
    serial(() => modify(opts, build));
  const indexOf = (cfg: Config, id: string): number => {
    const i = cfg.nat64.policy.findIndex((r) => r.id === id);
    if (i < 0) throw new ApplyError(404, `no policy rule "${id}" (see GET /api/v1/policy)`);
    return i;
  };
  const policyList = (cfg: Config): PolicyRule[] => cfg.nat64.policy.map((r) => ({ ...r }));
  const staticBibError = (err: unknown): never => {
    if (err instanceof ApplyError && err.statusCode === 400 && /already|in use|conflict|taken/i.test(err.message)) throw new ApplyError(409, err.message);
    throw err;
  };

  return {
    configVersion: version,
    health() {
      const dns64 = app.dns !== undefined && app.dns.addresses().length > 0;
      const nat64 = app.loop !== undefined && app.loop.isRunning && !app.tun.closed;
      const down = app.datapath.recovering
        ? `the TUN device failed (${app.datapath.lastError ?? 'unknown error'}); recovering, attempt ${app.datapath.attempt}; DNS64 synthesis suspended`
        : 'the translator loop is not running';
      const reasons = [...(dns64 ? [] : ['DNS64 is not listening']), ...(nat64 ? [] : [down])];
      // A failing critical probe degrades the status without an outage (the API still answers 200).
      for (const r of app.probes?.criticalFailures() ?? []) reasons.push(`critical probe ${r.target} failed at ${r.step ?? '?'}: ${r.diagnosis}`);
      const warnings = [...(app.ra?.warnings() ?? []), ...(app.ha ? haWarnings(app.ha.status()) : [])];
      return { status: reasons.length === 0 ? 'ok' : 'degraded', dns64, nat64, reasons, ...(warnings.length > 0 ? { warnings } : {}) };
    },
    getConfig() {
      return { config: redact(app.config), pinned: { ...app.pinned } };
    },
    patchConfig(p, opts) {
      return change(opts, () => ({ patch: p }));
    },
    getPrefix() {
      const pinned = app.pinned['prefix'];
      return { prefix: parseNat64Prefix(app.config.prefix).text, ...(pinned ? { pinned } : {}) };
    },
    setPrefix(prefix, opts) {
      return change(opts, (cfg) => ({ patch: { prefix }, summary: `prefix ${cfg.prefix} → ${prefix}` }));
    },
    listSessions(q) {
      return app.plane.state.listSessions({ ...(q.protocol ? { protocol: PROTO[q.protocol] } : {}), limit: q.limit, offset: q.offset }, parseNat64Prefix(app.config.prefix));
    },
    flushSessions() {
      return { removed: app.plane.state.flush('flushed') };
    },
    listBib(q) {
      return app.plane.state.listBib(q.protocol ? { protocol: PROTO[q.protocol] } : undefined);
    },
    pool4Usage() {
      const u = app.plane.state.pool4Usage(256);
      return { ...u, addresses: u.addresses.map((a) => ({ ...a, address: formatIpv4(a.address) })) };
    },
    addStaticBib(e, opts) {
      const key = bibKey(e);
      return serial(async () => {
        await modify(opts, (cfg) => ({
          patch: { nat64: { staticBib: [...cfg.nat64.staticBib, { protocol: e.protocol, ipv6: e.ipv6, ipv4: e.ipv4 }] } },
          summary: `static BIB + ${e.protocol} ${e.ipv6} ↔ ${e.ipv4}`,
        })).catch(staticBibError);
        const found = app.plane.state.listBib().find((b) => b.static && bibKey(b) === key);
        if (!found) throw new ApplyError(500, 'the static BIB entry was saved but is not in the table');
        return found;
      });
    },
    removeStaticBib(id, opts) {
      let removed = false;
      return change(opts, (cfg) => {
        const entry = app.plane.state.listBib().find((b) => b.id === id && b.static);
        if (!entry) return { patch: {} };
        removed = true;
        const key = bibKey(entry);
        return { patch: { nat64: { staticBib: cfg.nat64.staticBib.filter((s) => bibKey(s) !== key) } }, summary: `static BIB − ${entry.protocol} ${entry.ipv6} ↔ ${entry.ipv4}` };
      }).then(() => removed);
    },
    listPolicy() {
      const hits = app.plane.policy.hits();
      return app.config.nat64.policy.map((r, i) => ({ ...r, hits: hits[i]?.hits ?? 0 }));
    },
    addPolicy(rule, position, opts) {
      return change(opts, (cfg) => {
        if (cfg.nat64.policy.some((r) => r.id === rule.id)) throw new ApplyError(409, `a policy rule "${rule.id}" already exists`);
        const list = policyList(cfg);
        list.splice(position ?? list.length, 0, rule);
        return { patch: { nat64: { policy: list } }, summary: `policy + ${rule.id}` };
      });
    },
    replacePolicy(id, rule, position, opts) {
      return change(opts, (cfg) => {
        const list = policyList(cfg);
        const i = indexOf(cfg, id);
        list.splice(i, 1);
        list.splice(position ?? i, 0, rule);
        return { patch: { nat64: { policy: list } }, summary: `policy ~ ${id}` };
      });
    },
    removePolicy(id, opts) {
      return change(opts, (cfg) => {
        const list = policyList(cfg);
        list.splice(indexOf(cfg, id), 1);
        return { patch: { nat64: { policy: list } }, summary: `policy − ${id}` };
      });
    },
    history() {
      return app.historyCache.map((h) => ({ ...h }));
    },
    async historyVersion(v) {
      try {
        const e = await app.history.get(v);
        return { version: e.version, appliedAt: e.timestamp, summary: e.summary, config: redact(e.config) };
      } catch (e) {
        fromConfigError(e);
      }
    },
    rollback(target, opts) {
      return serial(async () => {
        checkVersion(opts, version());
        let next: Config;
        try {
          const entry = await app.history.get(target);
          next = keepPinned(entry.config, app.config, app.pinned);
        } catch (e) {
          fromConfigError(e);
        }
        return applyConfig(app, next, `rollback to version ${target}`);
      });
    },
    stats() {
      return buildStats(app);
    },
    statsHistory(seconds) {
      return app.statsRing.read(seconds);
    },
    trace(filter, onRecord) {
      return app.hub.subscribe(filter, onRecord);
    },
    ra() {
      return app.ra?.view() ?? { enabled: false, links: [], conflicts: [] };
    },
    ha() {
      return app.ha?.status();
    },
    haNotify(state) {
      if (app.ha === undefined) throw new ApplyError(404, 'high availability is not enabled (ha.enabled)');
      if (app.config.ha.roleFrom === 'static') throw new ApplyError(409, `ha.roleFrom is "static": the role stays ${app.config.ha.role}`);
      return app.ha.notify(state);
    },
    probes() {
      // ProbeResult's readonly arrays are the API's plain arrays (JSON out, never mutated).
      return { probes: (app.probes?.states() ?? []) as ReturnType<NonNullable<AdminPorts['probes']>>['probes'] };
    },
    probeSamples() {
      return probeSamples(app.probes?.states().flatMap((s) => (s.last ? [s.last] : [])) ?? []);
    },
  };
}

/** The counters of every room in the admin API's Stats shape. */
export function buildStats(app: Appliance): Stats {
  const t = app.plane.translator.snapshot();
  const s = app.plane.state.stats();
  const d = app.dns.stats();
  const off = app.loop.offload;
  const drops: Record<string, number> = {};
  for (const [k, v] of Object.entries(t.drops)) if (v > 0) drops[k] = v;
  return {
    nat64: {
      packets: { '6to4': t.packetsOut4, '4to6': t.packetsOut6 },
      bytes: { '6to4': t.bytesOut4 + (off?.extraBytes.out4 ?? 0), '4to6': t.bytesOut6 + (off?.extraBytes.out6 ?? 0) },
      drops,
      sessions: s.sessions,
      bindings: s.bindings,
      pool4: { used: s.pool4Used, size: s.pool4Size, percent: s.pool4Size > 0 ? Math.min(100, (100 * s.pool4Used) / s.pool4Size) : 0 },
    },
    dns64: {
      queries: d.queries,
      synthesized: d.synthesized,
      cacheHits: d.cacheHits,
      cacheMisses: d.cacheMisses,
      upstreamErrors: d.upstreamErrors,
      upstreamTimeouts: d.upstreamTimeouts,
      refused: d.refused,
      rateLimited: d.rateLimited,
      rateLimitedPrefix: d.rateLimitedPrefix,
      rateLimitSpared: d.rateLimitSpared,
      formerr: d.formerr,
      tcpRejected: d.tcpRejected,
      tcpTimeouts: d.tcpTimeouts,
      upstreamCaseMismatch: d.upstreamCaseMismatch,
      loopLagP99: d.loopLagP99,
      loopLagMax: d.loopLagMax,
      ...(d.upstreamRtt === undefined ? {} : { upstreamRtt: d.upstreamRtt }),
      parallelA: d.parallelA,
      synthesisSuspended: d.synthesisSuspended,
      latencyBuckets: app.dnsLatency.snapshot(),
    },
    offload: {
      enabled: off !== undefined,
      udpCoalescing: app.loop.coalescer !== undefined,
      ...(off?.counters ?? { gsoPackets: 0, gsoSegments: 0, csumPartial: 0, csumCompleted: 0, softGso: 0, badHeader: 0 }),
      ...(app.loop.coalescer?.counters ?? { udpSuperPackets: 0, udpSegments: 0 }),
    },
    translatorBatch: app.loop.batchTime.snapshot(),
    sessionLog: { ...app.sessionLog.counters },
    datapath: {
      up: app.loop.isRunning && !app.tun.closed,
      failures: app.datapath.failures,
      recoveries: app.datapath.recoveries,
      ...(app.datapath.lastError !== undefined ? { lastError: app.datapath.lastError } : {}),
      batchErrors: Object.fromEntries(app.loop.batchErrorsByReason),
    },
    ...(app.ra?.enabled ? { ra: app.ra.stats()! } : {}),
    ...(app.ha ? { ha: haStats(app.ha.status()) } : {}),
  };
}
