/**
 * The packet path of the RFC 6146 state: BIB lookup and creation, sessions,
 * filtering, limits, the TCP state machine and timers. Management views
 * (listing, static entries, snapshots) are in nat64-state.ts on top of this.
 *
 * Hot-path rules: numbers in, numbers out; no strings, no objects, no
 * closures. Keys are hashed from primitive words and compared against the
 * struct-of-arrays columns in store.ts. A session is found in two probes: the
 * binding by its IPv6 (6→4) or IPv4 (4→6) transport address, then the session
 * by (binding, remote IPv4 address, remote port). ICMP query sessions use the
 * identifier as the binding's "port" and remote port 0 (RFC 6146 §3.5.3).
 */
import { formatIpv4, formatIpv6 } from '@sixgate/addressing';
import type { Clock } from '../clock.js';
import { ICMP, StateFail, TCP, TCP_ACK, TCP_SYN, type StateEvent, type StateOptions } from './api.js';
import { finish, halfSipHash24, mix, randomU32 } from './hash.js';
import { IndexTable } from './index-table.js';
import { CLASS_ICMP, CLASS_TCP, CLASS_UDP, Pool4 } from './pool4.js';
import { B_A6, B_ADDR4, B_CLIENT, B_PK, B_PORTS, B_STRIDE, Bindings, Clients, S_BIND, S_BNEXT, S_EXP64, S_PST, S_REMOTE4, S_STRIDE, Sessions, T_EST, T_ICMP, T_TRANS, T_UDP, TIMER_CLASSES } from './store.js';
import { SynQueue } from './syn-queue.js';
import { ESTABLISHED, SET_EST, SET_TRANS, tcpStep, V4_INIT, V6_INIT } from './tcp.js';
import { validateOptions } from './options.js';

/** Protocol class of an IPv4 protocol number, or -1. */
export function classOf(proto: number): number {
  return proto === TCP ? CLASS_TCP : proto === 17 ? CLASS_UDP : proto === ICMP ? CLASS_ICMP : -1;
}

export const PROTO_NAMES = ['tcp', 'udp', 'icmp'] as const;
const PROTO_OF_CLASS = [TCP, 17, ICMP] as const;

const word = (buf: Uint8Array, o: number): number => (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;

export class StateCore {
  onEvent: ((e: StateEvent) => void) | undefined = undefined;
  protected readonly b = new Bindings();
  protected readonly s = new Sessions();
  protected readonly c = new Clients();
  protected readonly bind6 = new IndexTable();
  protected readonly bind4 = new IndexTable();
  protected readonly sess = new IndexTable();
  protected readonly cli = new IndexTable(128);
  protected readonly pool: Pool4;
  protected readonly syns: SynQueue;
  /** Lifetime in ms by timer class. */
  protected readonly life = new Float64Array(TIMER_CLASSES);
  /** Sessions by protocol class, and TCP sessions by state. */
  protected readonly byClass = new Uint32Array(3);
  protected readonly byTcpState = new Uint32Array(8);
  protected readonly opts: StateOptions;
  private readonly seed = randomU32();
  private readonly k0: number;
  private readonly k1: number;
  private readonly scratch = new Uint8Array(22);

  constructor(options: StateOptions, protected readonly clock: Clock) {
    this.opts = validateOptions(options);
    this.pool = new Pool4(options.pool4);
    this.syns = new SynQueue(options.maxHeldSyns);
    const t = options.timeouts;
    this.life[T_UDP] = t.udp;
    this.life[T_EST] = t.tcpEstablished;
    this.life[T_TRANS] = t.tcpTransitory;
    this.life[T_ICMP] = t.icmp;
    const key = options.portSecret ?? globalThis.crypto.getRandomValues(new Uint8Array(8));
    // Fold any key length into 64 bits (RFC 6056 only asks for a secret).
    const k = new Uint8Array(8);
    for (let i = 0; i < key.length; i++) k[i & 7] = k[i & 7]! ^ key[i]!;
    this.k0 = k[0]! | (k[1]! << 8) | (k[2]! << 16) | (k[3]! << 24);
    this.k1 = k[4]! | (k[5]! << 8) | (k[6]! << 16) | (k[7]! << 24);
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
    const sl = t.slots;
    const rec = this.b.rec;
    for (let i = h & t.mask; ; i = (i + 1) & t.mask) {
      const e = sl[2 * i]! - 1;
      if (e < 0) return -1;
      if (sl[2 * i + 1] !== h) continue;
      const o = e * B_STRIDE;
      if ((rec[o + B_PK]! & 0xff) === proto && (rec[o + B_PORTS]! & 0xffff) === port6 && rec[o + B_A6] === w0 && rec[o + B_A6 + 1] === w1 && rec[o + B_A6 + 2] === w2 && rec[o + B_A6 + 3] === w3) return e;
    }
  }

  /** Binding by pool4 transport address (`addr4` as int32). */
  protected findB4(proto: number, addr4: number, port4: number): number {
    const h = this.h4(proto, addr4, port4);
    const a = addr4;
    const t = this.bind4;
    const sl = t.slots;
    const rec = this.b.rec;
    for (let i = h & t.mask; ; i = (i + 1) & t.mask) {
      const e = sl[2 * i]! - 1;
      if (e < 0) return -1;
      if (sl[2 * i + 1] !== h) continue;
      const o = e * B_STRIDE;
      if (rec[o + B_ADDR4] === a && rec[o + B_PORTS]! >>> 16 === port4 && (rec[o + B_PK]! & 0xff) === proto) return e;
    }
  }

  /** Session by (binding, remote address as int32, remote port). */
  protected findS(bind: number, remote4: number, rport: number): number {
    const h = this.hs(bind, remote4, rport);
    const r4 = remote4;
    const t = this.sess;
    const sl = t.slots;
    const rec = this.s.rec;
    for (let i = h & t.mask; ; i = (i + 1) & t.mask) {
      const e = sl[2 * i]! - 1;
      if (e < 0) return -1;
      if (sl[2 * i + 1] !== h) continue;
      const o = e * S_STRIDE;
      if (rec[o + S_BIND] === bind && rec[o + S_REMOTE4] === r4 && (rec[o + S_PST]! & 0xffff) === rport) return e;
    }
  }

  protected findClient(w0: number, w1: number, w2: number, w3: number): number {
    const h = this.hc(w0, w1, w2, w3);
    const t = this.cli;
    const sl = t.slots;
    const a = this.c.a6;
    for (let i = h & t.mask; ; i = (i + 1) & t.mask) {
      const e = sl[2 * i]! - 1;
      if (e < 0) return -1;
      if (sl[2 * i + 1] === h && a[4 * e] === w0 && a[4 * e + 1] === w1 && a[4 * e + 2] === w2 && a[4 * e + 3] === w3) return e;
    }
  }

  // ---- packet path ------------------------------------------------------------

  outbound(proto: number, buf: Uint8Array, src6Off: number, port6: number, dst4: number, dstPort: number, tcpFlags: number): number {
    const cls = classOf(proto);
    if (cls < 0) return StateFail.noBinding;
    // Addresses travel as int32 inside: a uint32 above 2^31 is not a small
    // integer for V8 and would be boxed (allocated) at every call boundary.
    dst4 |= 0;
    port6 &= 0xffff;
    const rp = proto === ICMP ? 0 : dstPort & 0xffff;
    const w0 = word(buf, src6Off);
    const w1 = word(buf, src6Off + 4);
    const w2 = word(buf, src6Off + 8);
    const w3 = word(buf, src6Off + 12);
    const hb = this.h6(proto, w0, w1, w2, w3, port6);
    let b = this.findB6(proto, w0, w1, w2, w3, port6, hb);
    if (b >= 0) {
      const s = this.findS(b, dst4, rp);
      if (s >= 0) {
        this.touch(s, proto, true, tcpFlags);
        return s;
      }
    }
    const syn = (tcpFlags & TCP_SYN) !== 0;
    // §3.5.2.2: only a V6 SYN can open a TCP session from the IPv6 side.
    if (proto === TCP && !syn) return StateFail.tcpNoSession;
    if (this.s.count >= this.opts.maxSessions) return StateFail.sessionLimit;
    const ci = b >= 0 ? this.b.client(b) : this.findClient(w0, w1, w2, w3);
    if (ci >= 0 && this.c.sessions[ci]! >= this.opts.maxSessionsPerClient) return StateFail.clientSessionLimit;
    if (b < 0) {
      b = this.newDynamicBinding(proto, cls, buf, src6Off, port6, dst4, dstPort, ci, hb);
      if (b < 0) return StateFail.poolExhausted;
    } else if (proto === TCP) {
      // A V4 SYN held for this very binding is superseded by the V6 SYN.
      this.syns.take(dst4, dstPort, true, this.b.rec[b * B_STRIDE + B_ADDR4]!, this.b.port4(b));
    }
    return this.newSession(b, cls, dst4, rp, proto === TCP ? V6_INIT : ESTABLISHED);
  }

  inbound(proto: number, src4: number, srcPort: number, dst4: number, dstPort: number, tcpFlags: number, packet: Uint8Array): number {
    const cls = classOf(proto);
    if (cls < 0) return StateFail.noBinding;
    src4 |= 0;
    dst4 |= 0;
    const rp = proto === ICMP ? 0 : srcPort & 0xffff;
    const b = this.findB4(proto, dst4, dstPort & 0xffff);
    const opening = proto === TCP && (tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (b < 0) {
      if (!opening || this.pool.indexOf(dst4) < 0) return StateFail.noBinding;
      if (this.opts.dropExternallyInitiatedTcp) return StateFail.externalTcp;
      return this.syns.hold(src4, srcPort, dst4, dstPort, packet, this.clock.now() + this.opts.timeouts.tcpIncomingSyn);
    }
    const s = this.findS(b, src4, rp);
    if (s >= 0) {
      this.touch(s, proto, false, tcpFlags);
      return s;
    }
    if (proto === TCP) {
      if ((tcpFlags & TCP_SYN) === 0) return StateFail.tcpNoSession;
      if (this.opts.dropExternallyInitiatedTcp) return StateFail.externalTcp;
    }
    // §3.5.2.1 / RFC 4787 REQ-8: address-dependent filtering admits a remote
    // only if the binding already has a session with that address.
    if (this.opts.addressDependentFiltering && !this.hasRemoteAddr(b, src4)) return StateFail.filtered;
    if (this.s.count >= this.opts.maxSessions) return StateFail.sessionLimit;
    if (this.c.sessions[this.b.client(b)]! >= this.opts.maxSessionsPerClient) return StateFail.clientSessionLimit;
    return this.newSession(b, cls, src4, rp, proto === TCP ? V4_INIT : ESTABLISHED);
  }

  findOutbound(proto: number, buf: Uint8Array, src6Off: number, port6: number, dst4: number, dstPort: number): number {
    if (classOf(proto) < 0) return -1;
    const w0 = word(buf, src6Off);
    const w1 = word(buf, src6Off + 4);
    const w2 = word(buf, src6Off + 8);
    const w3 = word(buf, src6Off + 12);
    const p6 = port6 & 0xffff;
    const b = this.findB6(proto, w0, w1, w2, w3, p6, this.h6(proto, w0, w1, w2, w3, p6));
    return b < 0 ? -1 : this.findS(b, dst4 | 0, proto === ICMP ? 0 : dstPort & 0xffff);
  }

  findInbound(proto: number, src4: number, srcPort: number, dst4: number, dstPort: number): number {
    if (classOf(proto) < 0) return -1;
    const b = this.findB4(proto, dst4 | 0, dstPort & 0xffff);
    return b < 0 ? -1 : this.findS(b, src4 | 0, proto === ICMP ? 0 : srcPort & 0xffff);
  }

  findBinding4(proto: number, addr4: number, port4: number, out6: Uint8Array, outOff: number): number {
    const b = classOf(proto) < 0 ? -1 : this.findB4(proto, addr4 | 0, port4 & 0xffff);
    if (b < 0) return -1;
    this.writeAddr6(b, out6, outOff);
    return this.b.port6(b);
  }

  // ---- handle accessors ----------------------------------------------------------

  addr4(h: number): number {
    return this.b.rec[this.s.rec[h * S_STRIDE]! * B_STRIDE + B_ADDR4]! >>> 0;
  }

  port4(h: number): number {
    return this.b.rec[this.s.rec[h * S_STRIDE]! * B_STRIDE + B_PORTS]! >>> 16;
  }

  port6(h: number): number {
    return this.b.rec[this.s.rec[h * S_STRIDE]! * B_STRIDE + B_PORTS]! & 0xffff;
  }

  remote4(h: number): number {
    return this.s.rec[h * S_STRIDE + S_REMOTE4]! >>> 0;
  }

  /** The remote port; for ICMP the IPv4-side identifier (= port4). */
  remotePort(h: number): number {
    const b = this.s.bind(h);
    return this.b.proto(b) === ICMP ? this.b.port4(b) : this.s.rport(h);
  }

  copyAddr6(h: number, out: Uint8Array, off: number): void {
    this.writeAddr6(this.s.bind(h), out, off);
  }

  isPool4(addr: number): boolean {
    return this.pool.indexOf(addr | 0) >= 0;
  }

  // ---- internals ----------------------------------------------------------------

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

  /** Applies a packet to an existing session: TCP state step or timer refresh. */
  private touch(s: number, proto: number, fromV6: boolean, flags: number): void {
    if (proto !== TCP) {
      this.setTimer(s, proto === ICMP ? T_ICMP : T_UDP);
      return;
    }
    const st = this.s.state(s);
    const step = tcpStep(st, fromV6, flags);
    const next = step >>> 2;
    if (next !== st) {
      this.byTcpState[st]!--;
      this.byTcpState[next]!++;
      this.s.setState(s, next);
    }
    const act = step & 3;
    if (act === SET_EST) this.setTimer(s, T_EST);
    else if (act === SET_TRANS) this.setTimer(s, T_TRANS);
  }

  /** Restarts the lifetime of `s` in timer class `t` (moves it to that list's tail). */
  protected setTimer(s: number, t: number): void {
    const ss = this.s;
    const at = this.clock.now() + this.life[t]!;
    // Already last in its list (e.g. a burst of one flow): only the expiry moves.
    ss.exp[s * (S_STRIDE / 2) + S_EXP64] = at;
    if (ss.ttail[t] === s) return;
    ss.timerUnlink(s);
    ss.timerLink(s, t);
  }

  private hasRemoteAddr(b: number, remote4: number): boolean {
    const rec = this.s.rec;
    for (let s = this.b.head[b]!; s >= 0; s = rec[s * S_STRIDE + S_BNEXT]!) if (rec[s * S_STRIDE + S_REMOTE4] === remote4) return true;
    return false;
  }

  /** RFC 6056 §3.3.3 F(src6, dst4, dstPort) keyed with the port secret. */
  private portOffset(buf: Uint8Array, src6Off: number, dst4: number, dstPort: number): number {
    const m = this.scratch;
    for (let i = 0; i < 16; i++) m[i] = buf[src6Off + i]!;
    m[16] = dst4 >>> 24;
    m[17] = (dst4 >>> 16) & 0xff;
    m[18] = (dst4 >>> 8) & 0xff;
    m[19] = dst4 & 0xff;
    m[20] = (dstPort >>> 8) & 0xff;
    m[21] = dstPort & 0xff;
    return halfSipHash24(this.k0, this.k1, m, 22);
  }

  /** A dynamic binding for a new outbound flow (hot path, 9 parameters). -1 if pool4 is full. */
  private newDynamicBinding(proto: number, cls: number, buf: Uint8Array, off: number, port6: number, dst4: number, dstPort: number, ci: number, hb: number): number {
    let a = -1;
    let port = -1;
    if (proto === TCP) {
      // nat64-behaviours H6: a held V4 SYN from this remote names the port it awaits.
      const held = this.syns.take(dst4, dstPort, false, 0, 0);
      const ai = held === undefined ? -1 : this.pool.indexOf(held.dst4);
      if (held !== undefined && ai >= 0 && this.pool.isFree(cls, ai, held.dstPort) && this.findB4(proto, held.dst4, held.dstPort) < 0) {
        a = ai;
        port = held.dstPort;
      }
    }
    if (a < 0) {
      const offset = this.portOffset(buf, off, dst4, dstPort);
      // The scratch now starts with the IPv6 source: it picks the first pool4
      // address tried for a client we have not seen (paired pooling after that).
      const start = ci >= 0 ? 0 : halfSipHash24(this.k1, this.k0, this.scratch, 16);
      a = this.pool.pickAddress(cls, ci >= 0 ? this.c.pool[ci]! : -1, start);
      if (a < 0) return -1;
      port = this.pool.pickPort(cls, a, offset);
      if (port < 0) return -1;
    }
    return this.addBinding(proto, cls, buf, off, port6, a, port, 0, ci, hb);
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
    ss.exp[s * (S_STRIDE / 2) + S_EXP64] = this.clock.now() + this.life[t]!;
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
    if (this.onEvent !== undefined) this.emitSession('session-created', s, undefined);
    return s;
  }

  /** Deletes a session; a dynamic binding goes with its last session (RFC 6146 §3.5.2.3). */
  protected removeSession(s: number, reason: StateEvent['reason'], keepBinding = false): void {
    const ss = this.s;
    const b = ss.bind(s);
    if (this.onEvent !== undefined) this.emitSession('session-removed', s, reason);
    this.sess.remove(this.hs(b, ss.rec[s * S_STRIDE + S_REMOTE4]!, ss.rport(s)), s);
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
    return `${formatIpv4(this.s.remote4(s))}:${this.remotePort(s)}`;
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
