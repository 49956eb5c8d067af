/**
 * `HaNode`: one side of the pair (ADR 8). It follows the role keepalived
 * gives it (`notify`), keeps one TLS-PSK link to the peer, and
 * - as the active: streams every session create / TCP state change / delete
 *   of its state tables (through the numeric `onSync` hook and the bounded
 *   `SyncQueue`), sweeps the table coarsely for timer refreshes, and sends a
 *   bulk transfer of the whole table whenever the peer (re)connects or it
 *   becomes active;
 * - as the standby: applies what it receives into its own state tables, so it
 *   translates the active's flows the moment it becomes active;
 * - in both roles: sends and applies configuration changes with their
 *   history version, and detects split brain (both active).
 *
 * All network work runs on timers and socket callbacks, never inside the
 * hook the packet path calls.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { SYNC_OP_DELETE, SYNC_OP_REFRESH, SYNC_WORDS } from '@sixgate/nat64';
import { encodeBulkEnd, encodeJson, encodeRecords, encodeSeq, FrameDecoder, RECORDS_PER_FRAME, type Frame } from './codec.js';
import { HaError } from './errors.js';
import { clientOptions, isAuthFailure, serverOptions } from './link.js';
import { SyncQueue, type SessionExporter } from './queue.js';

/** The protocol version spoken in hello; another major version is refused. */
export const PROTOCOL_VERSION = 1;
/**
 * Optional parts of protocol 1 this node speaks, announced in hello (a peer
 * without them gets the older behaviour): `config-lock` (a change takes its
 * version from the peer first), `need-config` (a heartbeat may ask for the
 * peer's newer configuration).
 */
export const FEATURES = ['config-lock', 'need-config'] as const;

export type Role = 'active' | 'standby' | 'fault';
export type PeerState = 'disconnected' | 'connecting' | 'connected';

/** What the ha room needs of the state tables (nat64's `Nat64State` has all of it). */
export interface SyncState extends SessionExporter {
  onSync: ((op: number, s: number) => void) | undefined;
  /** Set on every role but active: the state creates no binding, session or held SYN (ADR 8). */
  standby: boolean;
  /** Packets refused because `standby` was set. */
  readonly standbyRefused: number;
  sessionRows(): number;
  importSession(rec: Int32Array, off: number): number;
  dropSession(rec: Int32Array, off: number): boolean;
  flush(reason: 'flushed'): number;
}

/** A configuration change as it crosses the link. */
export interface ConfigChange {
  readonly version: number;
  /** The shared part of the configuration (per-node keys removed by the host). */
  readonly config: Record<string, unknown>;
  readonly summary: string;
}

/** What the running appliance provides (the daemon implements it). */
export interface HaHost {
  /** The newest version in this node's config history. */
  configVersion(): number;
  /** The shared part of the running configuration with its version (sent to a peer that is behind). */
  currentConfig(): ConfigChange;
  /** Applies a peer's change through the apply transaction and records it with `change.version`. */
  applyPeerConfig(change: ConfigChange): Promise<void>;
  /**
   * Records the running configuration again under `version` (no change):
   * the winner of a divergence (both nodes changed while apart) moves past
   * both histories, then sends it to the peer.
   */
  recordVersion(version: number, summary: string): Promise<void>;
}

export interface HaLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface HaNodeOptions {
  /** This node's name (shown to the peer and in status). */
  readonly nodeId: string;
  /** Where this node accepts the peer's link. */
  readonly listen: { host: string; port: number };
  /** The peer's listen address. */
  readonly peer: { host: string; port: number };
  readonly key: Buffer;
  readonly host: HaHost;
  readonly log: HaLogger;
  /** Role before keepalived's first notify (default standby). */
  readonly initialRole?: Role;
  readonly softwareVersion?: string;
  readonly queueRecords?: number;
  readonly flushMs?: number;
  /** The coarse refresh sweep covers the whole table in this many seconds. */
  readonly refreshSeconds?: number;
  readonly heartbeatMs?: number;
  /** Backoff bounds for reconnects. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /**
   * keepalived's MASTER while this node's configuration is behind the
   * connected peer's: how long it may wait to catch up before it becomes
   * active anyway (default 3000 ms).
   */
  readonly catchUpMs?: number;
  /** How long a change waits for the peer's answer to its version lock (default 2000 ms). */
  readonly lockMs?: number;
}

/** What `notify` answers (POST /api/v1/ha/notify). */
export interface NotifyResult {
  role: Role;
  catchingUp: boolean;
  /** Active with a configuration older than the peer's (the peer could not be asked in time). */
  staleConfig: boolean;
}

/** GET /api/v1/ha. */
export interface HaStatus {
  nodeId: string;
  role: Role;
  peer: { id: string | null; state: PeerState; role: Role | null; address: string; connectedSince: string | null; configVersion: number | null; softwareVersion: string | null };
  splitBrain: boolean;
  catchingUp: boolean;
  configVersion: number;
  /** keepalived said MASTER; the node is catching up with the peer's configuration first (bounded by catchUpMs). */
  promoting: boolean;
  /** Active although the peer had a newer configuration (it could not be reached or did not answer in time). */
  staleConfig: boolean;
  /** Both nodes changed the configuration while apart and hold different content (resolved by the rule in ADR 8). */
  configDiverged: boolean;
  /** Changes refused (409) because the peer took their version, plus changes lost to the peer's after a partition. */
  configConflicts: number;
  lastConfigConflict: string | null;
  /** New flows refused while this node was not active (only the active creates state). */
  standbyDrops: number;
  sync: {
    sentSeq: number;
    lastAckedSeq: number;
    lagEntries: number;
    lagMs: number;
    queued: number;
    queueCapacity: number;
    queueDrops: number;
    recordsSent: number;
    recordsReceived: number;
    recordsRejected: number;
    bulkTransfersSent: number;
    bulkTransfersReceived: number;
    lastBulkAt: string | null;
  };
  link: { connects: number; disconnects: number; authFailures: number; protocolErrors: number; lastError: string | null; lastErrorAt: string | null };
}

interface Unacked {
  seq: number;
  records: number;
  at: number;
}

const isRole = (v: unknown): v is Role => v === 'active' || v === 'standby' || v === 'fault';

export class HaNode {
  readonly opts: Required<Omit<HaNodeOptions, 'host' | 'log' | 'key'>>;
  private readonly host: HaHost;
  private readonly log: HaLogger;
  private readonly key: Buffer;
  private role: Role;
  private state: SyncState | undefined;
  private readonly queue: SyncQueue;
  private server: tls.Server | undefined;
  private sock: tls.TLSSocket | undefined;
  /** The peer said hello on `sock`: records may flow. */
  private ready = false;
  private peerId: string | null = null;
  private peerRole: Role | null = null;
  private peerConfigVersion: number | null = null;
  private peerSoftware: string | null = null;
  private connectedSince: number | null = null;
  private lastHeard = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private flushArmed = false;
  private waitingDrain = false;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  private sweepCursor = 0;
  /** A record was dropped: the peer needs a bulk transfer before the stream means anything again. */
  private resyncOwed = false;
  private bulkRunning: tls.TLSSocket | undefined;
  private bulkAgain = false;
  private seq = 0;
  private readonly unacked: Unacked[] = [];
  private recordsSentTotal = 0;
  private recordsAckedTotal = 0;
  private lastAckedSeq = 0;
  private recordsReceived = 0;
  private recordsRejected = 0;
  private bulkSent = 0;
  private bulkReceived = 0;
  private lastBulkAt: number | null = null;
  private splitBrain = false;
  private catchingUp = false;
  private configChain: Promise<void> = Promise.resolve();
  private peerFeatures = new Set<string>();
  /** The peer's configuration digest at hello (divergence check). */
  private peerDigest: string | null = null;
  /** A version this node asked the peer for and waits on. */
  private myLock: { version: number; done: (r: 'granted' | 'alone' | Error) => void; timer: NodeJS.Timeout } | undefined;
  /** A version granted to the peer: its change is on the way; local changes for it are refused until then. */
  private peerLock: { version: number; until: number } | undefined;
  /** A change was committed here while no peer was connected (a partition if the peer changed too). */
  private unsyncedSince: number | null = null;
  private configDiverged = false;
  private configConflicts = 0;
  private lastConfigConflict: string | null = null;
  /** Bumped by every notify: a pending promotion gives way to a later state. */
  private notifyGen = 0;
  private promoting = false;
  private staleConfig = false;
  private refusedBase = 0;
  private connects = 0;
  private disconnects = 0;
  private authFailures = 0;
  private protocolErrors = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private readonly scratch = new Int32Array(SYNC_WORDS);
  /** The hook handed to the state tables: copy into the ring, arm the flush. Nothing else. */
  private readonly hook = (op: number, s: number): void => {
    if (!this.ready || this.state === undefined) return;
    if (!this.queue.push(this.state, op, s)) {
      if (this.queue.length === this.queue.capacity) this.resyncOwed = true;
      return;
    }
    if (!this.flushArmed) {
      this.flushArmed = true;
      this.flushTimer.refresh();
    }
  };

  constructor(options: HaNodeOptions) {
    this.opts = {
      nodeId: options.nodeId,
      listen: options.listen,
      peer: options.peer,
      initialRole: options.initialRole ?? 'standby',
      softwareVersion: options.softwareVersion ?? '0',
      queueRecords: options.queueRecords ?? 65_536,
      flushMs: options.flushMs ?? 5,
      refreshSeconds: options.refreshSeconds ?? 30,
      heartbeatMs: options.heartbeatMs ?? 1000,
      reconnectMinMs: options.reconnectMinMs ?? 250,
      reconnectMaxMs: options.reconnectMaxMs ?? 10_000,
      catchUpMs: options.catchUpMs ?? 3000,
      lockMs: options.lockMs ?? 2000,
    };
    if (options.nodeId.length === 0 || options.nodeId.length > 64) throw new HaError('ERR_HA_OPTIONS', 'nodeId must be 1-64 characters');
    for (const [n, v] of [['flushMs', this.opts.flushMs], ['refreshSeconds', this.opts.refreshSeconds], ['heartbeatMs', this.opts.heartbeatMs]] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new HaError('ERR_HA_OPTIONS', `${n} must be a positive number`);
    }
    this.host = options.host;
    this.log = options.log;
    this.key = options.key;
    this.role = this.opts.initialRole;
    this.queue = new SyncQueue(this.opts.queueRecords);
    this.flushTimer = setTimeout(() => this.flush(), this.opts.flushMs).unref();
    clearTimeout(this.flushTimer);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs).unref();
    this.sweepTimer = setInterval(() => this.sweep(), 1000).unref();
  }

  /**
   * The link is dialed by the node whose listen address sorts first and
   * accepted by the other, so the pair has exactly one link (both nodes are
   * configured with each other's address).
   */
  get dials(): boolean {
    return endpoint(this.opts.listen) < endpoint(this.opts.peer);
  }

  /** Starts listening (or dialing). Resolves when the listener is bound. */
  async start(): Promise<void> {
    if (this.dials) {
      this.dial();
      return;
    }
    const srv = tls.createServer(serverOptions(this.key), (s) => this.adopt(s));
    srv.on('tlsClientError', (e: NodeJS.ErrnoException) => this.linkError(e));
    this.server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.opts.listen.port, this.opts.listen.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
  }

  /** The port the listener is bound to (tests listen on port 0). */
  listeningPort(): number | undefined {
    const a = this.server?.address();
    return a !== null && typeof a === 'object' ? a.port : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.flushTimer);
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.myLock?.done('alone');
    this.detachHook();
    this.sock?.destroy();
    this.sock = undefined;
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }

  /** The state tables to sync (call again whenever the appliance swaps them). */
  attach(state: SyncState): void {
    if (this.state !== undefined && this.state !== state) {
      if (this.state.onSync === this.hook) this.state.onSync = undefined;
      this.refusedBase += this.state.standbyRefused;
    }
    this.state = state;
    state.standby = this.role !== 'active';
    this.queue.clear();
    if (this.role === 'active') {
      state.onSync = this.hook;
      // A new table (config change): the peer gets it whole.
      if (this.ready) void this.bulk();
    }
  }

  /**
   * keepalived's state (`sixgate ha notify`): MASTER → active, BACKUP →
   * standby, FAULT → fault. A MASTER while this node's configuration is
   * behind the peer's first catches up (ADR 8, "Promotion"): with the peer
   * connected it asks for the newer configuration and waits until it is
   * applied, at most `catchUpMs`; with the peer unreachable (it died: the
   * real failover) it becomes active at once with what it has. Either way it
   * becomes active — a pair without an active node serves nobody — and a
   * node active on an older configuration says so (`staleConfig`, an error
   * in the log, a health warning) until it caught up.
   */
  async notify(vrrp: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): Promise<NotifyResult> {
    const gen = ++this.notifyGen;
    const next: Role = vrrp === 'MASTER' ? 'active' : vrrp === 'BACKUP' ? 'standby' : 'fault';
    this.promoting = false;
    if (next === 'active' && this.role !== 'active' && this.behind()) {
      const mine = this.host.configVersion();
      const theirs = this.peerConfigVersion!;
      if (this.ready) {
        this.promoting = true;
        this.log.warn({ mine, theirs, waitMs: this.opts.catchUpMs }, 'HA: keepalived made this node MASTER while its configuration is behind the peer\'s: catching up first');
        this.send(encodeJson('heartbeat', { ...this.heartbeatBody(), needConfig: true }));
        const end = Date.now() + this.opts.catchUpMs;
        while (this.ready && this.behind() && Date.now() < end && gen === this.notifyGen) await new Promise((r) => setTimeout(r, 20));
        // The last configuration from the peer may still be inside the apply transaction.
        if (gen === this.notifyGen && !this.behind()) await this.configChain;
        if (gen !== this.notifyGen) return this.notifyResult(); // a later notify decided
        this.promoting = false;
      }
      if (this.behind()) {
        this.staleConfig = true;
        const why = this.ready ? `the peer did not bring this node up to date within ${this.opts.catchUpMs} ms` : 'the peer is unreachable';
        this.log.error({ mine: this.host.configVersion(), theirs: this.peerConfigVersion, why }, 'HA: becoming active with an OLDER configuration than the peer\'s (availability first); it catches up when the peer is back');
      }
    }
    this.setRole(next, `keepalived ${vrrp}`);
    return this.notifyResult();
  }

  private notifyResult(): NotifyResult {
    return { role: this.role, catchingUp: this.catchingUp || this.promoting, staleConfig: this.staleConfig };
  }

  /** The peer's configuration is newer than this node's, as far as this node knows (also from before the link dropped). */
  private behind(): boolean {
    return this.peerConfigVersion !== null && this.peerConfigVersion > this.host.configVersion();
  }

  setRole(next: Role, why: string): void {
    const prev = this.role;
    if (next === prev) return;
    this.role = next;
    if (this.state !== undefined) this.state.standby = next !== 'active';
    if (next !== 'active') this.staleConfig = false;
    if (next === 'active') {
      if (this.state !== undefined) this.state.onSync = this.hook;
      this.queue.clear();
      if (this.ready) void this.bulk();
    } else {
      this.detachHook();
      this.queue.clear();
    }
    this.log.info({ from: prev, to: next, why }, 'HA role changed');
    this.checkSplitBrain();
    this.send(encodeJson('heartbeat', this.heartbeatBody()));
  }

  /**
   * Reserves `version` for a change about to be committed on this node (ADR 8,
   * "Simultaneous changes"): the connected peer grants it unless it has that
   * version already, granted it to itself, or wants it too and wins the
   * tie-break (the lower node id). Resolves 'granted', or 'alone' when no
   * peer can be asked (it is away or does not speak config-lock: the change
   * goes ahead and reaches the peer at hello). Throws ERR_HA_CONFIG_CONFLICT
   * when the version is taken: nothing may be changed then. Call
   * `publishConfig` after the commit, or `releaseConfig` when it failed.
   */
  async reserveConfig(version: number): Promise<'granted' | 'alone'> {
    const conflict = (why: string): never => {
      this.configConflicts++;
      this.lastConfigConflict = `${new Date().toISOString()} version ${version}: ${why}`;
      this.log.warn({ version, why }, 'HA: configuration change refused (version conflict with the peer)');
      throw new HaError('ERR_HA_CONFIG_CONFLICT', `configuration version ${version} is taken: ${why}; nothing was changed, retry`);
    };
    if (this.myLock !== undefined) conflict('another change on this node is waiting for the peer');
    this.expirePeerLock();
    if (this.peerLock !== undefined && this.peerLock.version >= version) conflict(`the peer ${this.peerId ?? ''} is committing version ${this.peerLock.version} (a change made there at the same moment)`);
    if (!this.ready || !this.peerFeatures.has('config-lock')) {
      if (!this.ready && this.unsyncedSince === null) this.unsyncedSince = version;
      return 'alone';
    }
    if (this.peerConfigVersion !== null && this.peerConfigVersion >= version) conflict(`the peer ${this.peerId ?? ''} has version ${this.peerConfigVersion} already (its change is on the way here)`);
    const r = await new Promise<'granted' | 'alone' | Error>((done) => {
      const timer = setTimeout(() => done(new Error(`the peer did not answer within ${this.opts.lockMs} ms`)), this.opts.lockMs).unref();
      this.myLock = { version, done, timer };
      this.send(encodeJson('configLock', { version, nodeId: this.opts.nodeId }));
    });
    const lock = this.myLock;
    this.myLock = undefined;
    if (lock !== undefined) clearTimeout(lock.timer);
    if (r instanceof Error) return conflict(r.message);
    if (r === 'alone' && this.unsyncedSince === null) this.unsyncedSince = version;
    return r;
  }

  /** A reserved version was not committed (the change failed): the peer may take it. */
  releaseConfig(version: number): void {
    if (this.ready && this.peerFeatures.has('config-lock')) this.send(encodeJson('configLockReply', { version, granted: false, release: true, reason: 'not committed' }));
  }

  /** Sends a configuration change made on this node to the peer (fire and forget; a peer that is away catches up at hello). */
  publishConfig(change: ConfigChange): void {
    if (this.ready) this.send(encodeJson('config', { ...change }));
    else if (this.unsyncedSince === null) this.unsyncedSince = change.version;
  }

  status(now = Date.now()): HaStatus {
    const oldest = this.unacked[0];
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      nodeId: this.opts.nodeId,
      role: this.role,
      peer: {
        id: this.peerId,
        state: this.ready ? 'connected' : this.sock !== undefined || this.reconnectTimer !== undefined ? 'connecting' : 'disconnected',
        role: this.ready ? this.peerRole : null,
        address: endpoint(this.opts.peer),
        connectedSince: iso(this.ready ? this.connectedSince : null),
        configVersion: this.peerConfigVersion,
        softwareVersion: this.peerSoftware,
      },
      splitBrain: this.splitBrain,
      catchingUp: this.catchingUp || this.promoting,
      configVersion: this.host.configVersion(),
      promoting: this.promoting,
      staleConfig: this.staleConfig,
      configDiverged: this.configDiverged,
      configConflicts: this.configConflicts,
      lastConfigConflict: this.lastConfigConflict,
      standbyDrops: this.refusedBase + (this.state?.standbyRefused ?? 0),
      sync: {
        sentSeq: this.seq,
        lastAckedSeq: this.lastAckedSeq,
        lagEntries: this.recordsSentTotal - this.recordsAckedTotal + this.queue.length,
        lagMs: oldest === undefined ? 0 : Math.max(0, now - oldest.at),
        queued: this.queue.length,
        queueCapacity: this.queue.capacity,
        queueDrops: this.queue.drops,
        recordsSent: this.recordsSentTotal,
        recordsReceived: this.recordsReceived,
        recordsRejected: this.recordsRejected,
        bulkTransfersSent: this.bulkSent,
        bulkTransfersReceived: this.bulkReceived,
        lastBulkAt: iso(this.lastBulkAt),
      },
      link: { connects: this.connects, disconnects: this.disconnects, authFailures: this.authFailures, protocolErrors: this.protocolErrors, lastError: this.lastError, lastErrorAt: iso(this.lastErrorAt) },
    };
  }

  // ---- link ----------------------------------------------------------------------------

  private dial(): void {
    if (this.stopped) return;
    this.reconnectTimer = undefined;
    const { host, port } = this.opts.peer;
    const s = tls.connect(clientOptions(this.key, host, port));
    s.once('secureConnect', () => this.adopt(s));
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (this.sock !== s) this.linkError(e);
    });
    s.once('close', () => {
      if (this.sock !== s) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || !this.dials || this.reconnectTimer !== undefined) return;
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** Math.min(this.attempt, 16));
    this.attempt++;
    const wait = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => this.dial(), wait);
    this.reconnectTimer.unref();
  }

  private linkError(e: NodeJS.ErrnoException): void {
    const auth = isAuthFailure(e);
    if (auth) this.authFailures++;
    this.noteError(auth ? `TLS-PSK handshake failed (wrong key on one side?): ${e.code ?? e.message}` : `${e.code ?? 'error'}: ${e.message}`);
  }

  private noteError(text: string): void {
    if (text !== this.lastError) this.log.warn({ err: text }, 'HA link error');
    this.lastError = text;
    this.lastErrorAt = Date.now();
  }

  /** A TLS link is up (accepted or dialed): it replaces any older one. */
  private adopt(s: tls.TLSSocket): void {
    if (this.stopped) {
      s.destroy();
      return;
    }
    if (this.sock !== undefined && this.sock !== s) this.sock.destroy();
    this.sock = s;
    this.ready = false;
    this.lastHeard = Date.now();
    s.setNoDelay(true);
    s.setKeepAlive(true, 5000);
    const dec = new FrameDecoder();
    s.on('data', (chunk: Buffer) => {
      if (this.sock !== s) return;
      let frames: Frame[];
      try {
        frames = dec.push(chunk);
      } catch (e) {
        this.protocolError(s, e as Error);
        return;
      }
      this.lastHeard = Date.now();
      for (const f of frames) {
        try {
          this.onFrame(f);
        } catch (e) {
          this.protocolError(s, e as Error);
          return;
        }
      }
    });
    s.on('drain', () => {
      if (this.sock === s) {
        this.waitingDrain = false;
        this.flush();
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => this.linkError(e));
    s.on('end', () => {
      try {
        dec.end();
      } catch (e) {
        if (this.sock === s) this.noteError((e as Error).message);
      }
    });
    s.once('close', () => this.dropped(s));
    this.send(encodeJson('hello', this.helloBody()));
  }

  private protocolError(s: tls.TLSSocket, e: Error): void {
    this.protocolErrors++;
    this.noteError(`protocol error: ${e.message}`);
    s.destroy();
  }

  private dropped(s: tls.TLSSocket): void {
    if (this.sock !== s) return;
    const was = this.ready;
    this.sock = undefined;
    this.ready = false;
    this.waitingDrain = false;
    this.queue.clear();
    this.unacked.length = 0;
    this.recordsAckedTotal = this.recordsSentTotal;
    this.bulkRunning = undefined;
    this.peerRole = null;
    this.splitBrain = false;
    this.catchingUp = false;
    this.peerLock = undefined;
    // A change waiting for the peer's answer goes ahead alone (the peer gets it at hello).
    this.myLock?.done('alone');
    if (was) {
      this.disconnects++;
      this.log.warn({ peer: this.peerId, address: endpoint(this.opts.peer) }, 'HA peer lost');
    }
    this.scheduleReconnect();
  }

  private send(b: Buffer): boolean {
    const s = this.sock;
    if (s === undefined || s.destroyed) return false;
    const ok = s.write(b);
    if (!ok) this.waitingDrain = true;
    return ok;
  }

  private helloBody(): Record<string, unknown> {
    return { protocol: PROTOCOL_VERSION, nodeId: this.opts.nodeId, software: this.opts.softwareVersion, configVersion: this.host.configVersion(), role: this.role, features: [...FEATURES], configDigest: this.configDigest() };
  }

  /** SHA-256 of the shared configuration with sorted keys (both nodes compute the same for the same content). */
  private configDigest(): string {
    return createHash('sha256').update(canonical(this.host.currentConfig().config)).digest('hex');
  }

  private heartbeatBody(): Record<string, unknown> {
    return { role: this.role, configVersion: this.host.configVersion() };
  }

  private heartbeat(): void {
    const s = this.sock;
    if (s === undefined) return;
    if (Date.now() - this.lastHeard > 3 * this.opts.heartbeatMs + 500) {
      this.noteError(`peer silent for ${Date.now() - this.lastHeard} ms`);
      s.destroy();
      return;
    }
    if (this.ready) this.send(encodeJson('heartbeat', this.heartbeatBody()));
  }

  // ---- receiving -----------------------------------------------------------------------

  private onFrame(f: Frame): void {
    if (!this.ready && f.kind !== 'hello') throw new HaError('ERR_HA_MESSAGE', `${f.kind} before hello`);
    switch (f.kind) {
      case 'hello':
        return this.onHello(f.json);
      case 'heartbeat':
        return this.onPeerStatus(f.json);
      case 'config':
        return this.onConfig(f.json);
      case 'configLock':
        return this.onConfigLock(f.json);
      case 'configLockReply':
        return this.onConfigLockReply(f.json);
      case 'ack':
        return this.onAck(f.seq);
      case 'bulkBegin':
        if (this.standbyFor('a bulk transfer')) this.state?.flush('flushed');
        this.send(encodeSeq('ack', f.seq));
        return;
      case 'bulkChunk':
      case 'records':
        if (this.standbyFor('session records')) this.apply(f.records, f.count);
        this.send(encodeSeq('ack', f.seq));
        return;
      case 'bulkEnd':
        this.bulkReceived++;
        this.lastBulkAt = Date.now();
        this.log.info({ sessions: f.total, from: this.peerId }, 'HA bulk transfer received');
        this.send(encodeSeq('ack', f.seq));
        return;
    }
  }

  /**
   * Records reaching an active node mean both think they are active: they are
   * not applied (this node's own table wins until keepalived decides), and
   * split brain is flagged.
   */
  private standbyFor(what: string): boolean {
    if (this.role !== 'active') return true;
    if (!this.splitBrain) this.log.error({ peer: this.peerId, what }, 'HA split brain: the peer sends state while this node is active; not applied');
    this.splitBrain = true;
    return false;
  }

  private apply(records: Int32Array, count: number): void {
    const st = this.state;
    this.recordsReceived += count;
    if (st === undefined) return;
    for (let i = 0; i < count; i++) {
      const off = i * SYNC_WORDS;
      const op = records[off]! & 0xff;
      if (op === SYNC_OP_DELETE) st.dropSession(records, off);
      else if (op >= 1 && op <= SYNC_OP_REFRESH) {
        if (st.importSession(records, off) < 0) this.recordsRejected++;
      } else this.recordsRejected++;
    }
  }

  private onHello(j: Record<string, unknown>): void {
    if (this.ready) throw new HaError('ERR_HA_MESSAGE', 'second hello');
    const { protocol, nodeId, software, configVersion, role } = j;
    if (protocol !== PROTOCOL_VERSION) throw new HaError('ERR_HA_MESSAGE', `peer speaks protocol ${String(protocol)}, this node ${PROTOCOL_VERSION}`);
    if (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > 64) throw new HaError('ERR_HA_MESSAGE', 'hello without a valid nodeId');
    if (nodeId === this.opts.nodeId) throw new HaError('ERR_HA_MESSAGE', `peer has this node's own id "${nodeId}" (ha.nodeId must differ)`);
    if (typeof software !== 'string' || !Number.isSafeInteger(configVersion) || (configVersion as number) < 0 || !isRole(role)) throw new HaError('ERR_HA_MESSAGE', 'hello with missing or invalid fields');
    this.ready = true;
    this.attempt = 0;
    this.connects++;
    this.connectedSince = Date.now();
    this.peerId = nodeId;
    this.peerSoftware = software;
    this.peerRole = role;
    this.peerConfigVersion = configVersion as number;
    this.peerFeatures = new Set(Array.isArray(j['features']) ? j['features'].filter((x): x is string => typeof x === 'string') : []);
    this.peerDigest = typeof j['configDigest'] === 'string' ? j['configDigest'] : null;
    this.log.info({ peer: nodeId, role, software, configVersion }, 'HA peer connected');
    const mine = this.host.configVersion();
    const theirs = configVersion as number;
    if (theirs > mine) {
      this.catchingUp = true;
      if (this.unsyncedSince !== null) this.lostToPeer(`changes made here while the peer was away (versions ${this.unsyncedSince}–${mine}) are replaced by the peer's newer version ${theirs}: both nodes were changed while apart`);
    } else if (theirs < mine) this.send(encodeJson('config', { ...this.host.currentConfig() }));
    else if (this.peerDigest !== null && this.peerDigest !== this.configDigest()) this.diverged(nodeId, role);
    this.unsyncedSince = null;
    this.checkSplitBrain();
    if (this.role === 'active' && this.peerRole !== 'active') void this.bulk();
  }

  private onPeerStatus(j: Record<string, unknown>): void {
    if (!isRole(j['role']) || !Number.isSafeInteger(j['configVersion'])) throw new HaError('ERR_HA_MESSAGE', 'heartbeat with missing or invalid fields');
    const was = this.peerRole;
    this.peerRole = j['role'];
    this.peerConfigVersion = j['configVersion'] as number;
    // The peer is being promoted and is behind: it asks for this node's configuration.
    if (j['needConfig'] === true && (j['configVersion'] as number) < this.host.configVersion()) this.send(encodeJson('config', { ...this.host.currentConfig() }));
    this.checkSplitBrain();
    // The peer stepped down (split brain over, or a failover back): it gets our table whole.
    if (was === 'active' && this.peerRole !== 'active' && this.role === 'active') void this.bulk();
  }

  private onConfig(j: Record<string, unknown>): void {
    const { version, config, summary } = j;
    if (!Number.isSafeInteger(version) || (version as number) < 1 || config === null || typeof config !== 'object' || Array.isArray(config) || typeof summary !== 'string') {
      throw new HaError('ERR_HA_MESSAGE', 'config message with missing or invalid fields');
    }
    const change: ConfigChange = { version: version as number, config: config as Record<string, unknown>, summary };
    this.configChain = this.configChain.then(async () => {
      const mine = this.host.configVersion();
      if (change.version <= mine) {
        if (change.version < mine) this.log.info({ theirs: change.version, mine }, 'HA: peer sent an older configuration; kept ours');
      } else {
        try {
          await this.host.applyPeerConfig(change);
          this.log.info({ version: change.version, summary: change.summary }, 'HA: configuration from the peer applied');
        } catch (e) {
          this.log.error({ version: change.version, err: (e as Error).message }, 'HA: configuration from the peer could not be applied');
          this.noteError(`config version ${change.version} from the peer not applied: ${(e as Error).message}`);
        }
      }
      if (this.peerLock !== undefined && this.peerLock.version <= change.version) this.peerLock = undefined;
      if (this.peerConfigVersion === null || this.host.configVersion() >= this.peerConfigVersion) {
        this.catchingUp = false;
        if (this.staleConfig) this.log.info({ version: this.host.configVersion() }, 'HA: the active node caught up with the peer\'s configuration');
        this.staleConfig = false;
      }
      if (this.configDiverged && this.host.configVersion() >= change.version) this.configDiverged = false;
    });
  }

  /**
   * The peer asks for `version` before committing a change (ADR 8): granted
   * unless this node has it, granted it already, or is itself waiting for
   * the same version and has the lower node id (the deterministic tie-break:
   * both nodes compute the same winner, so exactly one change gets it).
   */
  private onConfigLock(j: Record<string, unknown>): void {
    const version = j['version'];
    if (!Number.isSafeInteger(version) || (version as number) < 1) throw new HaError('ERR_HA_MESSAGE', 'config-lock without a valid version');
    const v = version as number;
    const reply = (granted: boolean, reason: string): void => void this.send(encodeJson('configLockReply', { version: v, granted, reason }));
    const mine = this.host.configVersion();
    if (v <= mine) return reply(false, `${this.opts.nodeId} has version ${mine} already`);
    const my = this.myLock;
    if (my !== undefined && my.version >= v && this.opts.nodeId < (this.peerId ?? '')) {
      return reply(false, `${this.opts.nodeId} is committing version ${my.version} at the same moment and wins the tie-break (lower node id)`);
    }
    this.peerLock = { version: v, until: Date.now() + this.opts.lockMs * 5 };
    reply(true, 'granted');
  }

  private onConfigLockReply(j: Record<string, unknown>): void {
    const { version, granted, reason } = j;
    if (!Number.isSafeInteger(version) || typeof granted !== 'boolean') throw new HaError('ERR_HA_MESSAGE', 'config-lock-reply with missing or invalid fields');
    if (j['release'] === true) {
      if (this.peerLock !== undefined && this.peerLock.version === version) this.peerLock = undefined;
      return;
    }
    const my = this.myLock;
    if (my === undefined || my.version !== version) return; // an answer that came after the timeout
    my.done(granted ? 'granted' : new Error(typeof reason === 'string' ? reason : 'refused by the peer'));
  }

  private expirePeerLock(): void {
    if (this.peerLock !== undefined && Date.now() > this.peerLock.until) this.peerLock = undefined;
  }

  private lostToPeer(what: string): void {
    this.configConflicts++;
    this.lastConfigConflict = `${new Date().toISOString()} ${what}`;
    this.log.error({ peer: this.peerId }, `HA configuration conflict: ${what}`);
  }

  /**
   * Same version, different content: both nodes committed changes while
   * apart. The rule (ADR 8): the active node's configuration wins; with both
   * or neither active, the lower node id's. The winner records its
   * configuration as the next version and sends it, so both histories go on
   * with one version and one content; the loser's changes are reported lost.
   */
  private diverged(peerId: string, peerRole: Role): void {
    this.configDiverged = true;
    const meActive = this.role === 'active';
    const peerActive = peerRole === 'active';
    const iWin = meActive !== peerActive ? meActive : this.opts.nodeId < peerId;
    const v = this.host.configVersion();
    this.log.error({ peer: peerId, version: v, winner: iWin ? this.opts.nodeId : peerId }, 'HA configuration diverged: both nodes hold a different configuration under the same version (changed while apart)');
    if (!iWin) {
      this.lostToPeer(`this node's configuration version ${v} differs from the peer's; the peer's wins (rule: active node, else lower node id)`);
      return;
    }
    const sock = this.sock;
    this.configChain = this.configChain.then(async () => {
      try {
        await this.host.recordVersion(v + 1, `configuration of ${this.opts.nodeId} kept after a divergence with ${peerId}`);
        if (this.sock === sock) this.send(encodeJson('config', { ...this.host.currentConfig(), summary: `configuration of ${this.opts.nodeId} kept after a divergence` }));
        this.configDiverged = false;
      } catch (e) {
        this.noteError(`divergence not resolved: ${(e as Error).message}`);
      }
    });
  }

  private onAck(seq: number): void {
    while (this.unacked.length > 0 && seqLe(this.unacked[0]!.seq, seq)) {
      const u = this.unacked.shift()!;
      this.recordsAckedTotal += u.records;
    }
    this.lastAckedSeq = seq;
  }

  private checkSplitBrain(): void {
    const both = this.ready && this.role === 'active' && this.peerRole === 'active';
    if (both && !this.splitBrain) this.log.error({ peer: this.peerId }, 'HA split brain: both nodes are active (check keepalived: VRRP between the nodes is broken)');
    if (!both && this.splitBrain && this.peerRole !== null) this.log.info({ peer: this.peerId }, 'HA split brain over');
    this.splitBrain = both;
  }

  // ---- sending -------------------------------------------------------------------------

  private detachHook(): void {
    if (this.state !== undefined && this.state.onSync === this.hook) this.state.onSync = undefined;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  private track(seq: number, records: number): void {
    this.unacked.push({ seq, records, at: Date.now() });
    this.recordsSentTotal += records;
    // Acks come back in order on one TCP stream; this only bounds memory if the peer stops acking.
    if (this.unacked.length > 65_536) this.recordsAckedTotal += this.unacked.shift()!.records;
  }

  /** Moves queued records into frames (timer callback, off the packet path). */
  private flush(): void {
    this.flushArmed = false;
    if (!this.ready || this.waitingDrain) return;
    const q = this.queue;
    while (q.length > 0) {
      const n = Math.min(q.length, RECORDS_PER_FRAME);
      const seq = this.nextSeq();
      const ok = this.send(encodeRecords('records', seq, q.words, n, (i) => q.at(i)));
      q.consume(n);
      this.track(seq, n);
      if (!ok) return; // 'drain' calls flush again
    }
    if (this.resyncOwed && this.role === 'active') {
      this.resyncOwed = false;
      this.log.warn({ drops: q.drops }, 'HA sync queue overflowed: sending a bulk transfer');
      void this.bulk();
    }
  }

  /** The coarse timer refresh: a slice of the table each second, the whole table every refreshSeconds. */
  private sweep(): void {
    const st = this.state;
    if (!this.ready || this.role !== 'active' || st === undefined || this.bulkRunning !== undefined) return;
    const rows = st.sessionRows();
    if (rows === 0) return;
    const slice = Math.ceil(rows / this.opts.refreshSeconds);
    const q = this.queue;
    for (let i = 0; i < slice; i++) {
      if (this.sweepCursor >= rows) this.sweepCursor = 0;
      // Leave room for the live stream: the sweep never causes drops.
      if (q.length >= q.capacity / 2) break;
      q.push(st, SYNC_OP_REFRESH, this.sweepCursor++);
    }
    this.flush();
  }

  /** Sends the whole table: bulk-begin, chunks in slices (yielding between them), bulk-end. */
  private async bulk(): Promise<void> {
    const s = this.sock;
    const st = this.state;
    if (s === undefined || !this.ready || st === undefined) return;
    if (this.bulkRunning === s) {
      this.bulkAgain = true; // the running one may be of an old table; one more follows it
      return;
    }
    this.bulkRunning = s;
    this.bulkAgain = false;
    const t0 = Date.now();
    const words = new Int32Array(RECORDS_PER_FRAME * SYNC_WORDS);
    const live = (): boolean => this.sock === s && this.bulkRunning === s && this.role === 'active' && this.state === st;
    const begin = this.nextSeq();
    this.send(encodeSeq('bulkBegin', begin));
    this.track(begin, 0);
    let total = 0;
    let row = 0;
    while (live()) {
      let n = 0;
      const rows = st.sessionRows();
      while (n < RECORDS_PER_FRAME && row < rows) {
        if (st.exportSession(row++, 1, words, n * SYNC_WORDS)) n++;
      }
      if (n > 0) {
        const seq = this.nextSeq();
        const ok = this.send(encodeRecords('bulkChunk', seq, words, n, (i) => i * SYNC_WORDS));
        this.track(seq, n);
        total += n;
        if (!ok) await drained(s);
      }
      if (row >= st.sessionRows()) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    if (!live()) {
      if (this.bulkRunning === s) this.bulkRunning = undefined;
      if (this.bulkAgain) void this.bulk();
      return;
    }
    const end = this.nextSeq();
    this.send(encodeBulkEnd(end, total));
    this.track(end, 0);
    this.bulkRunning = undefined;
    this.bulkSent++;
    this.lastBulkAt = Date.now();
    this.log.info({ sessions: total, ms: Date.now() - t0, to: this.peerId }, 'HA bulk transfer sent');
    this.flush();
    if (this.bulkAgain) void this.bulk();
  }
}

/** Resolves on the socket's next 'drain' or 'close', leaving no listener behind. */
function drained(s: tls.TLSSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

function endpoint(e: { host: string; port: number }): string {
  return net.isIPv6(e.host) ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** Sequence numbers wrap at 2^32 (RFC 1982-style comparison). */
function seqLe(a: number, b: number): boolean {
  return ((b - a) >>> 0) < 0x80000000;
}

/** JSON with object keys sorted (digest input). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
