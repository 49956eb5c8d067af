/**
 * The tables under the RFC 6146 state: bindings, sessions and clients with
 * their indexes and timer lists, and the operations that keep them consistent
 * (create/delete a binding or session, restart a timer, events). The packet
 * path (core.ts) and the management views (nat64-state.ts) build on this.
 *
 * Hot-path rules: numbers in, numbers out; no strings, no objects, no
 * closures. Keys are hashed from primitive words and compared against the
 * records in store.ts. IPv4 addresses are int32 inside (a uint32 above 2^31
 * is not a small integer for V8 and would be boxed at call boundaries).
 */
import { formatIpv4, formatIpv6 } from '@sixgate/addressing';
import type { Clock } from '../clock.js';
import { ICMP, TCP, type StateEvent, type StateOptions } from './api.js';
import { finish, mix, randomU32 } from './hash.js';
import { IndexTable } from './index-table.js';
import { CLASS_ICMP, CLASS_TCP, CLASS_UDP, Pool4 } from './pool4.js';
import { B_A6, B_ADDR4, B_CLIENT, B_PK, B_PORTS, B_STRIDE, Bindings, Clients, S_BIND, S_BNEXT, S_EXP64, S_PST, S_REMOTE4, S_STRIDE, Sessions, T_EST, T_ICMP, T_TRANS, T_UDP, TIMER_CLASSES } from './store.js';
import { SynQueue } from './syn-queue.js';
import { AddrRefs } from './addr-refs.js';
import { ESTABLISHED } from './tcp.js';
import { validateOptions } from './options.js';

/** Protocol class of an IPv4 protocol number, or -1. */
export function classOf(proto: number): number {
  return proto === TCP ? CLASS_TCP : proto === 17 ? CLASS_UDP : proto === ICMP ? CLASS_ICMP : -1;
}

/** `onSync` operations (packages/ha's record ops use the same numbers). */
export const SYNC_CREATE = 1;
export const SYNC_UPDATE = 2;
export const SYNC_DELETE = 3;

export const PROTO_NAMES = ['tcp', 'udp', 'icmp'] as const;
const PROTO_OF_CLASS = [TCP, 17, ICMP] as const;

export const word = (buf: Uint8Array, o: number): number => (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;

export class StateTables {
  onEvent: ((e: StateEvent) => void) | undefined = undefined;
  /**
   * Numeric hook for session sync (packages/ha): `op` is SYNC_CREATE,
   * SYNC_UPDATE (TCP state change) or SYNC_DELETE, `s` the session row, valid
   * during the call only. Two integers, no allocation: the listener copies
   * what it needs with `exportSession`.
   */
  onSync: ((op: number, s: number) => void) | undefined = undefined;
  // Reserved for the session limit (store.ts): the record arrays never grow by copying under traffic.
  protected readonly b: Bindings;
  protected readonly s: Sessions;
  protected readonly c: Clients;
  protected readonly bind6 = new IndexTable();
  protected readonly bind4 = new IndexTable();
  protected readonly sess = new IndexTable();
  protected readonly cli = new IndexTable(128);
  protected readonly pool: Pool4;
  protected readonly syns: SynQueue;
  /** (binding, remote address) → sessions, for address-dependent filtering; undefined when it is off. */
  protected readonly refs: AddrRefs | undefined;
  /** Lifetime in ms by timer class. */
  protected readonly life = new Float64Array(TIMER_CLASSES);
  /** Sessions by protocol class, and TCP sessions by state. */
  protected readonly byClass = new Uint32Array(3);
  protected readonly byTcpState = new Uint32Array(8);
  protected readonly opts: StateOptions;
  // int32: a uint32 seed above 2^31 is a heap number, and reading it for a call allocates a copy per packet.
  private readonly seed = randomU32() | 0;
  /**
   * The translator's per-packet time (`shareTime`), or null: the packet path
   * then reads it from this Float64Array element instead of calling the clock,
   * whose double result would be boxed (allocated) wherever the call is not
   * inlined. Management calls and `tick()` always read the clock.
   */
  protected cell: Float64Array | null = null;
  /**
   * The time an `onSync` call on the packet path hands to `exportSession`
   * (the cell's, which set the session's expiry a moment before), NaN outside
   * such a call: the hook's copy then costs no clock call (a boxed double
   * where it is not inlined). The sweep and the bulk transfer read the clock.
   */
  protected hookTime = NaN;

  constructor(options: StateOptions, protected readonly clock: Clock) {
    this.opts = validateOptions(options);
    // A dynamic binding lives only with a session and a client only with a binding: the session limit bounds all three.
    this.b = new Bindings(256, options.maxSessions);
    this.s = new Sessions(256, options.maxSessions);
    this.c = new Clients(64, options.maxSessions);
    this.pool = new Pool4(options.pool4);
    this.syns = new SynQueue(options.maxHeldSyns);
    this.refs = options.addressDependentFiltering ? new AddrRefs(options.maxSessions) : undefined;
    const t = options.timeouts;
    this.life[T_UDP] = t.udp;
    this.life[T_EST] = t.tcpEstablished;
    this.life[T_TRANS] = t.tcpTransitory;
    this.life[T_ICMP] = t.icmp;
  }

  /** Packet-path time from the translator's cell (see `cell`); the translator calls this once. */
  shareTime(cell: Float64Array): void {
    this.cell = cell;
  }

  // ---- hashing -------------------------------------------------------------

  protected h6(proto: number, w0: number, w1: number, w2: number, w3: number, port: number): number {
    return finish(mix(mix(mix(mix(mix(mix(this.seed, proto), w0), w1), w2), w3), port));
  }

  protected h4(proto: number, addr: number, port: number): number {
    return finish(mix(mix(mix(this.seed ^ 0x3c6ef372, proto), addr), port));
  }

  protected hs(bind: number, remote4: number, rport: number): number {
    return finish(mix(mix(mix(this.seed ^ 0x5bd1e995, bind), remote4), rport));
  }

  protected hc(w0: number, w1: number, w2: number, w3: number): number {
    return finish(mix(mix(mix(mix(this.seed ^ 0x1b873593, w0), w1), w2), w3));
  }

  // ---- lookups ---------------------------------------------------------------

  /** Binding by IPv6 transport address (hot path: 7 primitive parameters). */
  protected findB6(proto: number, w0: number, w1: number, w2: number, w3: number, port6: number, h: number): number {
    const t = this.bind6;
    const rec = this.b.rec;
    // The current table, then the one being emptied while the index grows (index-table.ts).
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] !== h) continue;
        const o = e * B_STRIDE;
        if ((rec[o + B_PK]! & 0xff) === proto && (rec[o + B_PORTS]! & 0xffff) === port6 && rec[o + B_A6] === w0 && rec[o + B_A6 + 1] === w1 && rec[o + B_A6 + 2] === w2 && rec[o + B_A6 + 3] === w3) return e;
      }
    }
    return -1;
  }

  /** Binding by pool4 transport address (`addr4` as int32). */
  protected findB4(proto: number, addr4: number, port4: number): number {
    const h = this.h4(proto, addr4, port4);
    const a = addr4;
    const t = this.bind4;
    const rec = this.b.rec;
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] !== h) continue;
        const o = e * B_STRIDE;
        if (rec[o + B_ADDR4] === a && rec[o + B_PORTS]! >>> 16 === port4 && (rec[o + B_PK]! & 0xff) === proto) return e;
      }
    }
    return -1;
  }

  /** Session by (binding, remote address as int32, remote port). */
  protected findS(bind: number, remote4: number, rport: number): number {
    const h = this.hs(bind, remote4, rport);
    const r4 = remote4;
    const t = this.sess;
    const rec = this.s.rec;
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] !== h) continue;
        const o = e * S_STRIDE;
        if (rec[o + S_BIND] === bind && rec[o + S_REMOTE4] === r4 && (rec[o + S_PST]! & 0xffff) === rport) return e;
      }
    }
    return -1;
  }

  protected findClient(w0: number, w1: number, w2: number, w3: number): number {
    const h = this.hc(w0, w1, w2, w3);
    const t = this.cli;
    const a = this.c.a6;
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] === h && a[4 * e] === w0 && a[4 * e + 1] === w1 && a[4 * e + 2] === w2 && a[4 * e + 3] === w3) return e;
      }
    }
    return -1;
  }

  protected writeAddr6(row: number, out: Uint8Array, off: number): void {
    const rec = this.b.rec;
    for (let i = 0; i < 4; i++) {
      const w = rec[row * B_STRIDE + B_A6 + i]!;
      out[off + 4 * i] = w >>> 24;
      out[off + 4 * i + 1] = (w >>> 16) & 0xff;
      out[off + 4 * i + 2] = (w >>> 8) & 0xff;
      out[off + 4 * i + 3] = w & 0xff;
    }
  }

  /** Restarts the lifetime of `s` in timer class `t` (moves it to that list's tail). */
  protected setTimer(s: number, t: number): void {
    const ss = this.s;
    const at = (this.cell !== null ? this.cell[0]! : this.clock.now()) + this.life[t]!;
    // Already last in its list (e.g. a burst of one flow): only the expiry moves.
    ss.exp[s * (S_STRIDE / 2) + S_EXP64] = at;
    if (ss.ttail[t] === s) return;
    ss.timerUnlink(s);
    ss.timerLink(s, t);
  }

  /** Creates a binding row and indexes it; `ci` = -1 creates the client. */
  protected addBinding(proto: number, cls: number, buf: Uint8Array, off: number, port6: number, a: number, port4: number, isStatic: number, ci: number, hb: number): number {
    const b = this.b;
    const r = b.alloc();
    const rec = b.rec;
    const o = r * B_STRIDE;
    rec[o + B_PK] = proto | (isStatic << 8);
    for (let i = 0; i < 4; i++) rec[o + B_A6 + i] = word(buf, off + 4 * i);
    const addr4 = this.pool.address(a);
    rec[o + B_ADDR4] = addr4;
    rec[o + B_PORTS] = port6 | (port4 << 16);
    b.aidx[r] = a;
    if (ci < 0) ci = this.addClient(r, a);
    rec[o + B_CLIENT] = ci;
    this.c.bindings[ci]!++;
    this.pool.take(cls, a, port4);
    this.bind6.insert(hb, r);
    this.bind4.insert(this.h4(proto, addr4 | 0, port4), r);
    if (this.onEvent !== undefined) this.emitBinding('bib-created', r, undefined);
    return r;
  }

  private addClient(r: number, a: number): number {
    const c = this.c;
    const ci = c.alloc();
    for (let i = 0; i < 4; i++) c.a6[4 * ci + i] = this.b.word(r, i);
    c.pool[ci] = a;
    this.cli.insert(this.hc(c.a6[4 * ci]!, c.a6[4 * ci + 1]!, c.a6[4 * ci + 2]!, c.a6[4 * ci + 3]!), ci);
    return ci;
  }

  /** Creates a session row in `state` with the lifetime that state starts with. */
  protected newSession(b: number, cls: number, remote4: number, rport: number, state: number): number {
    const ss = this.s;
    const s = ss.alloc();
    const rec = ss.rec;
    const o = s * S_STRIDE;
    rec[o + S_BIND] = b;
    rec[o + S_REMOTE4] = remote4;
    rec[o + S_PST] = rport | (state << 16);
    const t = cls === CLASS_TCP ? (state === ESTABLISHED ? T_EST : T_TRANS) : cls === CLASS_UDP ? T_UDP : T_ICMP;
    ss.exp[s * (S_STRIDE / 2) + S_EXP64] = (this.cell !== null ? this.cell[0]! : this.clock.now()) + this.life[t]!;
    ss.timerLink(s, t);
    const head = this.b.head[b]!;
    ss.bprev[s] = -1;
    rec[o + S_BNEXT] = head;
    if (head >= 0) ss.bprev[head] = s;
    this.b.head[b] = s;
    this.b.sessions[b]!++;
    this.c.sessions[this.b.client(b)]!++;
    this.byClass[cls]!++;
    if (cls === CLASS_TCP) this.byTcpState[state]!++;
    this.sess.insert(this.hs(b, remote4, rport), s);
    if (this.refs !== undefined) this.refs.add(b, remote4);
    if (this.onEvent !== undefined) this.emitSession('session-created', s, undefined);
    if (this.onSync !== undefined) {
      this.hookTime = this.cell !== null ? this.cell[0]! : NaN;
      this.onSync(SYNC_CREATE, s);
      this.hookTime = NaN;
    }
    return s;
  }

  /** Deletes a session; a dynamic binding goes with its last session (RFC 6146 §3.5.2.3). */
  protected removeSession(s: number, reason: StateEvent['reason'], keepBinding = false): void {
    const ss = this.s;
    const b = ss.bind(s);
    if (this.onEvent !== undefined) this.emitSession('session-removed', s, reason);
    if (this.onSync !== undefined) this.onSync(SYNC_DELETE, s);
    this.sess.remove(this.hs(b, ss.rec[s * S_STRIDE + S_REMOTE4]!, ss.rport(s)), s);
    if (this.refs !== undefined) this.refs.remove(b, ss.rec[s * S_STRIDE + S_REMOTE4]!);
    ss.timerUnlink(s);
    const p = ss.bprev[s]!;
    const n = ss.bnext(s);
    if (p >= 0) ss.rec[p * S_STRIDE + S_BNEXT] = n;
    else this.b.head[b] = n;
    if (n >= 0) ss.bprev[n] = p;
    const cls = classOf(this.b.proto(b));
    this.byClass[cls]!--;
    if (cls === CLASS_TCP) this.byTcpState[ss.state(s)]!--;
    this.c.sessions[this.b.client(b)]!--;
    ss.free(s);
    if (--this.b.sessions[b]! === 0 && this.b.kind(b) === 0 && !keepBinding) this.removeBinding(b, reason);
  }

  /** Deletes a binding that has no sessions left. */
  protected removeBinding(r: number, reason: StateEvent['reason']): void {
    const b = this.b;
    const proto = b.proto(r);
    if (this.onEvent !== undefined) this.emitBinding('bib-removed', r, reason);
    this.bind6.remove(this.h6(proto, b.word(r, 0), b.word(r, 1), b.word(r, 2), b.word(r, 3), b.port6(r)), r);
    this.bind4.remove(this.h4(proto, b.rec[r * B_STRIDE + B_ADDR4]!, b.port4(r)), r);
    this.pool.release(classOf(proto), b.aidx[r]!, b.port4(r));
    const ci = b.client(r);
    if (--this.c.bindings[ci]! === 0) {
      const a = this.c.a6;
      this.cli.remove(this.hc(a[4 * ci]!, a[4 * ci + 1]!, a[4 * ci + 2]!, a[4 * ci + 3]!), ci);
      this.c.free(ci);
    }
    b.free(r);
  }

  // ---- events (built only when onEvent is set) --------------------------------------

  protected v6Text(r: number): string {
    const tmp = new Uint8Array(16);
    this.writeAddr6(r, tmp, 0);
    return `[${formatIpv6(tmp)}]:${this.b.port6(r)}`;
  }

  protected v4Text(r: number): string {
    return `${formatIpv4(this.b.addr4(r))}:${this.b.port4(r)}`;
  }

  protected protoName(r: number): 'tcp' | 'udp' | 'icmp' {
    return PROTO_NAMES[classOf(this.b.proto(r))]!;
  }

  protected remoteText(s: number): string {
    const b = this.s.bind(s);
    const port = this.b.proto(b) === ICMP ? this.b.port4(b) : this.s.rport(s);
    return `${formatIpv4(this.s.remote4(s))}:${port}`;
  }

  private emitBinding(kind: 'bib-created' | 'bib-removed', r: number, reason: StateEvent['reason']): void {
    const e: StateEvent = { kind, at: this.clock.now(), protocol: this.protoName(r), ipv6: this.v6Text(r), ipv4: this.v4Text(r), ...(reason === undefined ? {} : { reason }) };
    this.onEvent?.(e);
  }

  private emitSession(kind: 'session-created' | 'session-removed', s: number, reason: StateEvent['reason']): void {
    const r = this.s.bind(s);
    const e: StateEvent = { kind, at: this.clock.now(), protocol: this.protoName(r), ipv6: this.v6Text(r), ipv4: this.v4Text(r), remote4: this.remoteText(s), ...(reason === undefined ? {} : { reason }) };
    this.onEvent?.(e);
  }

  /** The protocol number of class `cls`. */
  protected static protoOf(cls: number): number {
    return PROTO_OF_CLASS[cls]!;
  }
}
