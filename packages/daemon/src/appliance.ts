/**
 * The composition root: one running appliance. `start` does what SPEC §3 lists
 * in order (TUN, routes, forwarding, translator, DNS64, admin API, `ready`);
 * `stop` reverses it and snapshots the sessions. Configuration changes go
 * through `apply`, which changes DNS64, the translator and the kernel routes as
 * one step (see apply.ts).
 */
import { parseIpv4, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { buildAdminApi, assertSafeListen, StatsRing, TraceHub, type AdminPorts } from '@sixgate/admin-api';
import { Histogram, PacketLoop } from '@sixgate/datapath';
import { ConfigHistory, parseListenAddress, type Config, type LoadedConfig, type Pinned } from '@sixgate/config';
import { createDns64Server, type Dns64Server } from '@sixgate/dns64';
import { Nat64State, Policy, parsePolicyRules, Translator, TCP, UDP, ICMP, type Clock, type Proto } from '@sixgate/nat64';
import { LinuxTun, type TunDevice, type TunOptions } from '@sixgate/tun';
import { parseEntries, passed, ProbeScheduler, runProbe } from '@sixgate/probe';
import type { FastifyInstance } from 'fastify';
import type { HaNode } from '@sixgate/ha';
import type { Logger } from 'pino';
import { dns64Options, routedPrefixes, stateOptions, translatorOptions } from './options.js';
import { RouterAdverts } from './router-adverts.js';
import { applianceProbePorts } from './probe-ports.js';
import { SessionLog } from './session-log.js';
import { saveSnapshot, takeSnapshot } from './snapshot-store.js';
import { enableForwarding, KernelRoutes, setTxQueueLength } from './system.js';
import { ensureToken } from './token.js';

/** Buckets for one DNS query (cache hits to upstream timeouts), in seconds. */
export const DNS_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Monotonic milliseconds for the translator's timers, read once per batch
 * (and once per timer tick): the translator asks for the time on every packet,
 * and `performance.now()` costs about as much as translating one.
 */
export class BatchClock implements Clock {
  private t = performance.now();
  now(): number {
    return this.t;
  }
  /** Takes the real time (or `t`, already read by the caller); the packet loop calls this per batch. */
  refresh(t: number = performance.now()): void {
    this.t = t;
  }
}

/** Protocol names of the config and the API → the state's protocol numbers. */
export const PROTO: Readonly<Record<'tcp' | 'udp' | 'icmp', Proto>> = { tcp: TCP, udp: UDP, icmp: ICMP };

/** Parses "[v6]:port" and "v4:port" of a static BIB entry. */
export function parseBibEndpoints(e: { ipv6: string; ipv4: string }): { addr6: Uint8Array; port6: number; addr4: number; port4: number } {
  const m6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(e.ipv6);
  const m4 = /^([\d.]+):(\d{1,5})$/.exec(e.ipv4);
  if (!m6) throw new Error(`ipv6: "${e.ipv6}" is not "[addr]:port"`);
  if (!m4) throw new Error(`ipv4: "${e.ipv4}" is not "addr:port"`);
  const port6 = Number(m6[2]);
  const port4 = Number(m4[2]);
  if (port6 > 65535 || port4 > 65535) throw new Error('ports must be 0-65535');
  return { addr6: parseIpv6(m6[1]!), port6, addr4: parseIpv4(m4[1]!), port4 };
}

/** The TUN device's options (without offload; openTun adds it, `sixgate check` validates them). */
export function tunOptions(cfg: Config): TunOptions {
  return { name: cfg.nat64.tun, mtu: cfg.nat64.mtu, batchSize: 64 };
}

/**
 * Opens the TUN device; with `nat64.offload`, with checksum and TCP
 * segmentation offload, falling back to a plain device (and a warning) on a
 * kernel that refuses it.
 */
export function openTun(cfg: Config, log: Logger): LinuxTun {
  const opts = tunOptions(cfg);
  if (cfg.nat64.offload) {
    try {
      return LinuxTun.open({ ...opts, offload: true });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'TUN offload unavailable; continuing without it');
    }
  }
  return LinuxTun.open(opts);
}

/** Builds the RFC 6146 state with the config's static BIB entries. */
export function buildState(cfg: Config, clock: Clock): Nat64State {
  const state = new Nat64State(stateOptions(cfg), clock);
  for (const e of cfg.nat64.staticBib) {
    const p = parseBibEndpoints(e);
    state.addStatic(PROTO[e.protocol], p.addr6, p.port6, p.addr4, p.port4);
  }
  return state;
}

/** The parts of a running appliance that a config change swaps together. */
export interface DataPlane {
  state: Nat64State;
  policy: Policy;
  translator: Translator;
}

/** Builds state, policy and translator for `cfg` (throws on invalid values, changes nothing). */
export function buildDataPlane(cfg: Config, clock: Clock, reuse?: Nat64State): DataPlane {
  const state = reuse ?? buildState(cfg, clock);
  const policy = new Policy(parsePolicyRules(cfg.nat64.policy));
  const translator = new Translator(translatorOptions(cfg), state, policy, clock);
  return { state, policy, translator };
}

export interface ApplianceInit {
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  /** Where session log lines go (stdout by default). */
  readonly sessionLogOut?: NodeJS.WritableStream;
}

export class Appliance {
  config: Config;
  readonly pinned: Pinned;
  readonly file: string;
  readonly log: Logger;
  readonly hub = new TraceHub();
  readonly clock = new BatchClock();
  readonly dnsLatency = new Histogram(DNS_BUCKETS);
  readonly history: ConfigHistory;
  historyCache: { version: number; appliedAt: string; summary: string }[] = [];
  plane!: DataPlane;
  tun!: TunDevice;
  loop!: PacketLoop;
  routes!: KernelRoutes;
  dns!: Dns64Server;
  ra?: RouterAdverts;
  api?: FastifyInstance;
  /** The HA pair's node when ha.enabled (started by the daemon's run command through startHa). */
  ha?: HaNode;
  /** The continuous probes (config `probes`); undefined when none are configured. */
  probes?: ProbeScheduler;
  sessionLog: SessionLog;
  token = '';
  /** The last hour of the key counters at 5 s (GET /api/v1/stats/history). */
  readonly statsRing = new StatsRing();
  /** The data path's health: TUN failures and recoveries (health, stats, metrics). */
  readonly datapath = { failures: 0, recoveries: 0, recovering: false, lastError: undefined as string | undefined, attempt: 0 };
  private recoveryTimer?: NodeJS.Timeout;
  /** When each batch-error reason was last logged (log once per reason per minute). */
  private readonly batchErrorLogged = new Map<string, number>();
  private ticker?: NodeJS.Timeout;
  private statsTimer?: NodeJS.Timeout;
  private stopping?: Promise<void>;

  constructor(init: ApplianceInit) {
    this.config = init.loaded.config;
    this.pinned = init.loaded.pinned;
    this.file = init.loaded.file;
    this.log = init.log;
    this.history = new ConfigHistory(this.config.stateDir);
    this.sessionLog = new SessionLog((init.sessionLogOut ?? process.stdout) as unknown as import('node:stream').Writable);
  }

  /** Starts everything in the order of SPEC §3; on failure undoes what started. */
  async start(buildPorts: (a: Appliance) => import('@sixgate/admin-api').AdminPorts): Promise<void> {
    const cfg = this.config;
    try {
      const tok = await ensureToken(cfg.stateDir, cfg.api.token);
      this.token = tok.token;
      if (tok.path) this.log.info({ path: tok.path, generated: tok.generated }, 'admin API token file');
      assertSafeListen(cfg.api.listen, this.token);

      this.plane = buildDataPlane(cfg, this.clock);
      this.plane.state.reserveTables(); // the record arrays' one allocation happens at startup, not behind a packet
      // HA: a node is standby until keepalived (or ha.role) says otherwise — no state of its own before the HA node is up (ADR 8).
      if (cfg.ha.enabled) this.plane.state.standby = cfg.ha.role !== 'active';
      await this.restoreSessions();
      this.attachSessionLog();

      await this.bringUpTun();
      await enableForwarding();

      this.loop = this.newLoop(this.tun);
      this.loop.start();
      this.ticker = setInterval(() => this.tick(), 1000);

      this.dns = createDns64Server(dns64Options(cfg, (c6, v4) => this.wouldTranslate(c6, v4)), {
        onTrace: (r) => {
          this.dnsLatency.observe(r.durationMs / 1000);
          if (this.hub.active) this.hub.query(r);
        },
      });
      await this.dns.start();
      this.log.info({ listen: this.dns.addresses() }, 'DNS64 listening');

      // After DNS64: RDNSS announces only addresses it really listens on.
      this.ra = new RouterAdverts(cfg, () => this.dns.addresses().filter((a) => a.transport === 'udp'), this.log);
      this.ra.start();

      await this.recordInitialHistory();
      if (cfg.ha.enabled) await this.startHa();
      const ports = buildPorts(this);
      this.startStatsHistory(ports);
      const api = buildAdminApi({ ports, token: this.token, logger: false });
      const ep = parseListenAddress(cfg.api.listen);
      await api.listen({ host: ep.host, port: ep.port });
      this.api = api;
      this.log.info({ listen: cfg.api.listen }, 'admin API listening');
      await this.restartProbes();
    } catch (e) {
      await this.stop({ snapshot: false }).catch(() => undefined);
      throw e;
    }
  }

  /** Starts the HA node (ADR 8): the peer's config changes run through the same apply transaction, serialized with the API's. */
  private async startHa(): Promise<void> {
    const { buildHa } = await import('./ha.js');
    const { applyConfig } = await import('./apply.js');
    this.ha = await buildHa(this, async (next, change) => {
      await this.serial(() => applyConfig(this, next, change.summary, { version: change.version, fromPeer: true }));
    });
    this.ha.attach(this.plane.state);
    await this.ha.start();
    this.log.info({ nodeId: this.ha.opts.nodeId, listen: this.config.ha.listen, peer: this.config.ha.peer, role: this.ha.status().role, dials: this.ha.dials }, 'HA node started');
  }

  private changes: Promise<unknown> = Promise.resolve();
  /** Runs config changes one at a time (the admin API's ports and the HA peer share this queue). */
  serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.changes.then(f, f);
    this.changes = run.catch(() => undefined);
    return run;
  }

  /**
   * Starts the continuous probes of the current config, stopping the ones
   * running. Logs a probe's result when its diagnosis changes (not every run).
   * Throws TargetError on a bad target (apply.ts validated it already).
   */
  async restartProbes(): Promise<void> {
    const old = this.probes;
    this.probes = undefined;
    await old?.stop();
    const p = this.config.probes;
    const targets = parseEntries(p.targets, 'probes.targets');
    if (targets.length === 0) return;
    const ports = applianceProbePorts(this);
    const seen = new Map<string, string>();
    this.probes = new ProbeScheduler(targets, (t) => runProbe(t, ports, { timeoutMs: p.timeoutMs }), {
      concurrency: p.concurrency,
      onResult: (r, s) => {
        if (seen.get(r.target) === r.diagnosis) return;
        seen.set(r.target, r.diagnosis);
        const line = { target: r.target, status: r.status, step: r.step, diagnosis: r.diagnosis, critical: s.critical };
        if (passed(r)) this.log.info(line, 'probe passes');
        else this.log.warn(line, 'probe fails');
      },
    });
    this.probes.start();
    this.log.info({ targets: targets.length, concurrency: p.concurrency }, 'continuous probes started');
  }

  private newLoop(tun: TunDevice): PacketLoop {
    const cfg = this.config;
    return new PacketLoop(tun, this.plane.translator, this.hub, {
      mtu: cfg.nat64.mtu,
      clock: this.clock,
      coalesce: cfg.nat64.coalesce,
      onFatal: (err) => this.onDataPathFailure(err),
      onBatchError: (reason, err) => {
        const now = Date.now();
        if (now - (this.batchErrorLogged.get(reason) ?? 0) < 60_000) return;
        this.batchErrorLogged.set(reason, now);
        this.log.error({ reason, err, dropped: this.loop.batchErrorsByReason.get(reason) }, 'a batch of packets was dropped: handling it threw (logged once a minute per reason)');
      },
    });
  }

  /**
   * The TUN device failed (deleted, fd or poll error): the loop has stopped.
   * Health turns nat64 down at once, DNS64 stops synthesizing addresses that
   * nobody would translate, and the device, its routes and offloads are
   * re-created with backoff; then synthesis resumes.
   */
  private onDataPathFailure(err: Error): void {
    this.datapath.failures++;
    this.datapath.lastError = err.message;
    this.datapath.recovering = true;
    this.datapath.attempt = 0;
    this.log.error({ err: err.message, tun: this.config.nat64.tun }, 'TUN device failed: translator stopped, DNS64 synthesis suspended, recovering');
    this.dns?.setSynthesisSuspended(true);
    this.scheduleRecovery();
  }

  private scheduleRecovery(): void {
    if (this.stopping !== undefined) return;
    // 250 ms, doubling, at most 10 s between attempts
    const delay = Math.min(250 * 2 ** this.datapath.attempt, 10_000);
    this.recoveryTimer = setTimeout(() => void this.recoverDataPath(), delay);
    this.recoveryTimer.unref();
  }

  /**
   * Opens the TUN device with its queue length and offloads and routes the
   * prefix and pool4 into it (for the config current when the routes are
   * set: a change may commit while this awaits); on failure closes the new
   * device and throws. Used at start and by recovery.
   */
  private async bringUpTun(): Promise<void> {
    const cfg = this.config;
    const tun = openTun(cfg, this.log);
    try {
      await setTxQueueLength(tun.name(), cfg.nat64.txQueueLength);
      this.log.info({ tun: tun.name(), mtu: tun.mtu(), txQueueLength: cfg.nat64.txQueueLength, offload: tun.offload, udpGso: tun.udpGso }, 'TUN device up');
      if (cfg.nat64.coalesce && tun.offload && !tun.udpGso) {
        this.log.warn('the kernel takes no UDP GSO on TUN writes (Linux 6.2 and later do): UDP datagrams are written one by one (nat64.coalesce has no effect)');
      }
      const routes = new KernelRoutes(tun.name());
      const wanted = (): string[] => (this.config.nat64.manageRoutes ? routedPrefixes(this.config) : []);
      let want = wanted();
      await routes.sync(want);
      if (JSON.stringify(wanted()) !== JSON.stringify(want)) {
        want = wanted();
        await routes.sync(want);
      }
      if (want.length > 0) this.log.info({ routes: routes.current() }, 'routes into the TUN device');
      this.routes = routes;
    } catch (e) {
      tun.close();
      throw e;
    }
    this.tun = tun;
  }

  private async recoverDataPath(): Promise<void> {
    if (this.stopping !== undefined) return;
    const attempt = ++this.datapath.attempt;
    try {
      try {
        if (!this.tun.closed) this.tun.close();
      } catch {
        // the old fd may already be unusable
      }
      await this.bringUpTun();
      const tun = this.tun;
      if (this.loop.fits(tun)) this.loop.resume(tun);
      else {
        this.loop = this.newLoop(tun);
        this.loop.start();
      }
      this.datapath.recovering = false;
      this.datapath.lastError = undefined;
      this.datapath.recoveries++;
      this.dns?.setSynthesisSuspended(false);
      this.log.info({ tun: tun.name(), attempt, routes: this.routes.current(), offload: tun.offload }, 'TUN device recovered: translator running, DNS64 synthesis resumed');
    } catch (e) {
      this.datapath.lastError = (e as Error).message;
      this.log.warn({ err: (e as Error).message, attempt }, 'TUN device recovery failed; retrying');
      this.scheduleRecovery();
    }
  }

  /** Would the translator's policy let `client6` reach `v4` (DNS64 asks this before synthesizing)? */
  wouldTranslate(client6: Uint8Array | undefined, v4: number): boolean {
    if (client6 === undefined) return true;
    return this.plane.policy.wouldTranslate(client6, v4);
  }

  /** Samples the counters into `statsRing` now and every interval. */
  private startStatsHistory(ports: AdminPorts): void {
    const sample = (): void => {
      try {
        this.statsRing.sample(ports.stats(), Date.now(), performance.now());
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'stats history sample failed');
      }
    };
    sample();
    this.statsTimer = setInterval(sample, this.statsRing.intervalMs);
    this.statsTimer.unref();
  }

  private attachSessionLog(): void {
    this.plane.state.onEvent = this.config.nat64.sessionLog ? (e) => this.sessionLog.push(e) : undefined;
  }

  private tick(): void {
    this.clock.refresh();
    try {
      const replies = this.plane.translator.tick();
      if (replies.length > 0) this.loop.writeExtra(replies);
    } catch (e) {
      this.log.error({ err: e }, 'timer tick failed');
    }
  }

  private async restoreSessions(): Promise<void> {
    const cfg = this.config;
    const snap = await takeSnapshot(cfg.stateDir, parseNat64Prefix(cfg.prefix).text, cfg.nat64.pool4);
    if (snap.state === undefined) {
      if (snap.skipped !== 'no snapshot') this.log.warn({ why: snap.skipped }, 'session snapshot not restored');
      return;
    }
    try {
      const n = this.plane.state.restore(snap.state);
      this.log.info({ sessions: n }, 'sessions restored from snapshot');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'session snapshot not restored');
    }
  }

  private async recordInitialHistory(): Promise<void> {
    try {
      const latest = await this.history.latest();
      if (latest === undefined || JSON.stringify(latest.config) !== JSON.stringify(this.config)) {
        await this.history.record(this.config, latest === undefined ? 'initial configuration' : 'configuration at start');
      }
      await this.refreshHistory();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'config history unavailable');
    }
  }

  async refreshHistory(): Promise<void> {
    this.historyCache = (await this.history.list()).map((h) => ({ version: h.version, appliedAt: h.timestamp, summary: h.summary }));
  }

  /**
   * Stops taking queries, snapshots sessions, removes routes and the TUN
   * device. Idempotent. `restart`: keep the router advertisements' PREF64 and
   * RDNSS in the clients (no final RAs) because a new process follows.
   */
  stop(opts: { snapshot?: boolean; restart?: boolean } = {}): Promise<void> {
    this.stopping ??= this.doStop(opts.snapshot ?? true, opts.restart ?? false);
    return this.stopping;
  }

  private async doStop(snapshot: boolean, restart = false): Promise<void> {
    const step = async (what: string, f: () => unknown): Promise<void> => {
      try {
        await f();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, `shutdown: ${what} failed`);
      }
    };
    if (this.ticker) clearInterval(this.ticker);
    await step('HA link close', () => this.ha?.stop());
    if (this.statsTimer) clearInterval(this.statsTimer);
    await step('probes stop', () => this.probes?.stop());
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    // First, while DNS64 and the translator still serve: RFC 4861 §6.2.5 final RAs.
    await step('router advertisements stop', () => this.ra?.stop(!restart));
    await step('DNS64 stop', () => this.dns?.stop());
    await step('admin API close', () => this.api?.close());
    this.loop?.stop();
    if (snapshot && this.plane) {
      await step('session snapshot', async () => {
        const path = await saveSnapshot(this.config.stateDir, parseNat64Prefix(this.config.prefix).text, this.config.nat64.pool4, this.plane.state.snapshot());
        this.log.info({ path, sessions: this.plane.state.stats().sessions }, 'sessions saved');
      });
    }
    await step('route removal', () => this.routes?.clear());
    await step('TUN close', () => this.tun && !this.tun.closed && this.tun.close());
    this.sessionLog.flush();
  }
}
