/**
 * The packet path of the RFC 6146 state: BIB lookup and creation, sessions,
 * filtering, limits, the TCP state machine and pool4 port selection, on top of
 * the tables in tables.ts. Management views (listing, static entries,
 * snapshots, timers) are in nat64-state.ts.
 *
 * A session is found in two probes: the binding by its IPv6 (6→4) or IPv4
 * (4→6) transport address, then the session by (binding, remote IPv4 address,
 * remote port). ICMP query sessions use the identifier as the binding's
 * "port" and remote port 0 (RFC 6146 §3.5.3).
 */
import type { Clock } from '../clock.js';
import { ICMP, StateFail, TCP, TCP_ACK, TCP_SYN, type StateOptions } from './api.js';
import { halfSipHash24i } from './hash.js';
import { B_ADDR4, B_PORTS, B_STRIDE, S_REMOTE4, S_STRIDE, T_EST, T_ICMP, T_TRANS, T_UDP, TIMER_CLASSES } from './store.js';
import { classOf, StateTables, SYNC_UPDATE, word } from './tables.js';
import { ESTABLISHED, SET_EST, SET_TRANS, tcpStep, V4_INIT, V6_INIT } from './tcp.js';
import { CLASS_UDP } from './pool4.js';

export class StateCore extends StateTables {
  private readonly k0: number;
  private readonly k1: number;
  private readonly scratch = new Uint8Array(22);
  private readonly carryScratch = new Uint8Array(16);
  /** The older state being carried over (carryFrom), else null. */
  protected prev: StateCore | null = null;
  /** Commit time of the carry-over (ms). */
  private carryNow = 0;
  /**
   * HA standby (ADR 8; set by packages/ha from the role): no new binding,
   * session or held SYN — the active alone allocates pool4 ports, so the two
   * nodes' RFC 6146 state never splits. Packets of sessions this state holds
   * (synced from the active) are still translated: the data plane stays hot
   * for the moment keepalived moves the addresses.
   */
  standby = false;
  /** Packets refused because `standby` was set (each is also a translator drop, `ha-standby`). */
  standbyRefused = 0;

  constructor(options: StateOptions, clock: Clock) {
    super(options, clock);
    const key = options.portSecret ?? globalThis.crypto.getRandomValues(new Uint8Array(8));
    // Fold any key length into 64 bits (RFC 6056 only asks for a secret).
    const k = new Uint8Array(8);
    for (let i = 0; i < key.length; i++) k[i & 7] = k[i & 7]! ^ key[i]!;
    this.k0 = k[0]! | (k[1]! << 8) | (k[2]! << 16) | (k[3]! << 24);
    this.k1 = k[4]! | (k[5]! << 8) | (k[6]! << 16) | (k[7]! << 24);
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
    // Carrying over from an older state: what is only there moves here first.
    if (b < 0 && this.prev !== null) b = this.carryB(this.prev.findB6(proto, w0, w1, w2, w3, port6, this.prev.h6(proto, w0, w1, w2, w3, port6)));
    if (b >= 0) {
      let s = this.findS(b, dst4, rp);
      if (s < 0 && this.prev !== null) s = this.carryS(b, dst4, rp);
      if (s >= 0) {
        this.touch(s, proto, true, tcpFlags);
        return s;
      }
    }
    const syn = (tcpFlags & TCP_SYN) !== 0;
    // §3.5.2.2: only a V6 SYN can open a TCP session from the IPv6 side.
    if (proto === TCP && !syn) return this.unused(b, StateFail.tcpNoSession);
    if (this.standby) return this.refuseStandby(b);
    if (this.s.count + this.pending() >= this.opts.maxSessions) return this.unused(b, StateFail.sessionLimit);
    const ci = b >= 0 ? this.b.client(b) : this.findClient(w0, w1, w2, w3);
    if (ci >= 0 && this.c.sessions[ci]! >= this.opts.maxSessionsPerClient) return this.unused(b, StateFail.clientSessionLimit);
    if (b < 0) {
      b = this.newDynamicBinding(proto, cls, buf, src6Off, port6, dst4, dstPort, ci, hb);
      if (b < 0) return StateFail.poolExhausted;
    } else if (proto === TCP) {
      // A V4 SYN held for this very binding is superseded by the V6 SYN.
      this.syns.take(dst4, dstPort, true, this.b.rec[b * B_STRIDE + B_ADDR4]!, this.b.port4(b));
    }
    return this.newSession(b, cls, dst4, rp, proto === TCP ? V6_INIT : ESTABLISHED);
  }

  inbound(proto: number, src4: number, srcPort: number, dst4: number, dstPort: number, tcpFlags: number, packet: Uint8Array, pktOff = 0, pktLen = packet.length): number {
    const cls = classOf(proto);
    if (cls < 0) return StateFail.noBinding;
    src4 |= 0;
    dst4 |= 0;
    const rp = proto === ICMP ? 0 : srcPort & 0xffff;
    let b = this.findB4(proto, dst4, dstPort & 0xffff);
    if (b < 0 && this.prev !== null) b = this.carryB(this.prev.findB4(proto, dst4, dstPort & 0xffff));
    const opening = proto === TCP && (tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (b < 0) {
      if (!opening || this.pool.indexOf(dst4) < 0) return StateFail.noBinding;
      if (this.opts.dropExternallyInitiatedTcp) return StateFail.externalTcp;
      // A held SYN is state too (it names the port a V6 SYN will get): not on a standby.
      if (this.standby) return this.refuseStandby(-1);
      // The expiry travels in a typed array (a double argument would be boxed).
      this.syns.at[0] = (this.cell !== null ? this.cell[0]! : this.clock.now()) + this.opts.timeouts.tcpIncomingSyn;
      return this.syns.hold(src4, srcPort, dst4, dstPort, packet, pktOff, pktLen);
    }
    let s = this.findS(b, src4, rp);
    if (s < 0 && this.prev !== null) s = this.carryS(b, src4, rp);
    if (s >= 0) {
      this.touch(s, proto, false, tcpFlags);
      return s;
    }
    if (proto === TCP) {
      if ((tcpFlags & TCP_SYN) === 0) return this.unused(b, StateFail.tcpNoSession);
      if (this.opts.dropExternallyInitiatedTcp) return this.unused(b, StateFail.externalTcp);
    }
    if (this.standby) return this.refuseStandby(b);
    // §3.5.2.1 / RFC 4787 REQ-8: address-dependent filtering admits a remote
    // only if the binding already has a session with that address.
    if (this.refs !== undefined && !this.refs.has(b, src4) && !this.prevHasRemote(b, src4)) return this.unused(b, StateFail.filtered);
    if (this.s.count + this.pending() >= this.opts.maxSessions) return this.unused(b, StateFail.sessionLimit);
    if (this.c.sessions[this.b.client(b)]! >= this.opts.maxSessionsPerClient) return this.unused(b, StateFail.clientSessionLimit);
    return this.newSession(b, cls, src4, rp, proto === TCP ? V4_INIT : ESTABLISHED);
  }

  findOutbound(proto: number, buf: Uint8Array, src6Off: number, port6: number, dst4: number, dstPort: number): number {
    if (classOf(proto) < 0) return -1;
    const w0 = word(buf, src6Off);
    const w1 = word(buf, src6Off + 4);
    const w2 = word(buf, src6Off + 8);
    const w3 = word(buf, src6Off + 12);
    const p6 = port6 & 0xffff;
    const hb = this.h6(proto, w0, w1, w2, w3, p6);
    let b = this.findB6(proto, w0, w1, w2, w3, p6, hb);
    if (b < 0 && this.prev !== null) b = this.carryB(this.prev.findB6(proto, w0, w1, w2, w3, p6, this.prev.h6(proto, w0, w1, w2, w3, p6)));
    if (b < 0) return -1;
    const rp = proto === ICMP ? 0 : dstPort & 0xffff;
    const s = this.findS(b, dst4 | 0, rp);
    if (s < 0 && this.prev !== null) return this.unused(b, this.carryS(b, dst4 | 0, rp));
    return s;
  }

  /** `outbound` for the existing session `h` found by `findOutbound` (api.ts): no lookup. */
  refreshOutbound(h: number, tcpFlags: number): number {
    // A handle is an index: reject what is not one, or names a freed row.
    if (!(h >= 0 && h < this.s.top && h === (h | 0))) return -1;
    const b = this.s.bind(h);
    if (b < 0) return -1;
    this.touch(h, this.b.proto(b), true, tcpFlags);
    return h;
  }

  findInbound(proto: number, src4: number, srcPort: number, dst4: number, dstPort: number): number {
    if (classOf(proto) < 0) return -1;
    let b = this.findB4(proto, dst4 | 0, dstPort & 0xffff);
    if (b < 0 && this.prev !== null) b = this.carryB(this.prev.findB4(proto, dst4 | 0, dstPort & 0xffff));
    if (b < 0) return -1;
    const rp = proto === ICMP ? 0 : srcPort & 0xffff;
    const s = this.findS(b, src4 | 0, rp);
    if (s < 0 && this.prev !== null) return this.unused(b, this.carryS(b, src4 | 0, rp));
    return s;
  }

  findBinding4(proto: number, addr4: number, port4: number, out6: Uint8Array, outOff: number): number {
    const b = classOf(proto) < 0 ? -1 : this.findB4(proto, addr4 | 0, port4 & 0xffff);
    if (b < 0) return this.prev !== null ? this.prev.findBinding4(proto, addr4, port4, out6, outOff) : -1;
    this.writeAddr6(b, out6, outOff);
    return this.b.port6(b);
  }

  // ---- carry-over from an older state (a config change rebuilt the tables) ----

  /**
   * Starts carrying `old`'s bindings and sessions into this (new, empty but
   * for static entries) state at the commit point of a config change: from
   * now on this state is the one packets use; a packet whose flow is only in
   * `old` moves it here first (its binding, then its session), and
   * `carryStep` moves the rest in chunks, so no single call is O(table).
   * `now` is the commit time: carried sessions keep their remaining
   * lifetime, at most this state's lifetime from `now`, so they sort before
   * every session set after the commit. `old` is left empty and unused.
   * Entries that no longer fit (pool4, ports, limits, static entries) are
   * dropped, as `restore` does.
   */
  carryFrom(old: StateCore): void {
    if (old === this) return;
    old.finishCarry();
    this.finishCarry();
    old.onEvent = undefined;
    // Room for everything now (zeroed memory, one copy of what is here)
    // rather than copies of ever larger arrays in the middle of the carry.
    this.s.reserve(this.s.count + old.s.count);
    this.b.reserve(this.b.count + old.b.count);
    this.c.reserve(this.c.count + old.c.count);
    this.prev = old;
    this.carryNow = old.clock.now();
  }

  /** Whether sessions are still being carried over from an older state. */
  get carrying(): boolean {
    return this.prev !== null;
  }

  /** Sessions still in the older state. */
  protected pending(): number {
    return this.prev === null ? 0 : this.prev.s.count;
  }

  /**
   * Moves up to `budget` sessions (soonest expiry first) from the older state;
   * returns true when nothing is left (the older state is dropped).
   */
  carryStep(budget: number): boolean {
    const p = this.prev;
    if (p === null) return true;
    for (let t = 0; t < TIMER_CLASSES && budget > 0; t++) {
      for (let ps = p.s.thead[t]!; ps >= 0 && budget > 0; ps = p.s.thead[t]!, budget--) this.carrySession(ps, false);
    }
    if (p.s.count > 0) return false;
    // Bindings left without sessions (static ones) stay behind with the old state.
    this.prev = null;
    this.s.carryTail.fill(-1);
    return true;
  }

  /** Carries everything left at once (management paths: listing, snapshots, a second rebuild). */
  finishCarry(): void {
    while (!this.carryStep(1 << 20));
  }

  /** This state's binding for the older state's binding `pb` (made here when needed), or -1. */
  protected carryB(pb: number): number {
    const p = this.prev;
    if (pb < 0 || p === null) return -1;
    const pr = p.b;
    const proto = pr.proto(pb);
    const cls = classOf(proto);
    const w0 = pr.word(pb, 0);
    const w1 = pr.word(pb, 1);
    const w2 = pr.word(pb, 2);
    const w3 = pr.word(pb, 3);
    const port6 = pr.port6(pb);
    const addr4 = pr.rec[pb * B_STRIDE + B_ADDR4]!;
    const port4 = pr.port4(pb);
    const hb = this.h6(proto, w0, w1, w2, w3, port6);
    const by6 = this.findB6(proto, w0, w1, w2, w3, port6, hb);
    const by4 = this.findB4(proto, addr4, port4);
    // A static entry carries over only onto the same static entry configured now.
    if (pr.kind(pb) === 1) return by6 >= 0 && by6 === by4 && this.b.kind(by6) === 1 ? by6 : -1;
    if (by6 >= 0 || by4 >= 0) return by6 === by4 ? by6 : -1;
    const a = this.pool.indexOf(addr4);
    if (a < 0 || !this.pool.isFree(cls, a, port4)) return -1;
    const m = this.carryScratch;
    for (let i = 0; i < 4; i++) {
      const w = pr.word(pb, i);
      m[4 * i] = w >>> 24;
      m[4 * i + 1] = (w >>> 16) & 0xff;
      m[4 * i + 2] = (w >>> 8) & 0xff;
      m[4 * i + 3] = w & 0xff;
    }
    const ev = this.onEvent;
    this.onEvent = undefined;
    const r = this.addBinding(proto, cls, m, 0, port6, a, port4, 0, this.findClient(w0, w1, w2, w3), hb);
    this.onEvent = ev;
    return r;
  }

  /** Carries the older state's session (binding `b` here, remote, port) over; its handle here, or -1. */
  protected carryS(b: number, remote4: number, rport: number): number {
    const p = this.prev!;
    const pb = p.findB4(this.b.proto(b), this.b.rec[b * B_STRIDE + B_ADDR4]!, this.b.port4(b));
    if (pb < 0) return -1;
    const ps = p.findS(pb, remote4, rport);
    return ps < 0 ? -1 : this.carrySession(ps, true);
  }

  /** Moves session `ps` of the older state here; `lazy` when a packet asks for it (out of expiry order). */
  private carrySession(ps: number, lazy: boolean): number {
    const p = this.prev!;
    const pss = p.s;
    const pb = pss.bind(ps);
    const remote4 = pss.rec[ps * S_STRIDE + S_REMOTE4]!;
    const rport = pss.rport(ps);
    const st = pss.state(ps);
    const t = pss.timer(ps);
    const exp = pss.expires(ps);
    const b = this.carryB(pb);
    p.removeSession(ps, 'removed');
    if (b < 0) return -1;
    const proto = this.b.proto(b);
    const cls = classOf(proto);
    const expected = proto === TCP ? (t === T_EST || t === T_TRANS) && st >= 1 && st <= 7 : t === (cls === CLASS_UDP ? T_UDP : T_ICMP) && st === ESTABLISHED;
    const full = this.s.count >= this.opts.maxSessions || this.c.sessions[this.b.client(b)]! >= this.opts.maxSessionsPerClient;
    if (!expected || full || this.findS(b, remote4, rport) >= 0) return this.unused(b, -1);
    const ev = this.onEvent;
    this.onEvent = undefined;
    const s = this.newSession(b, cls, remote4, rport, st);
    this.onEvent = ev;
    this.s.timerUnlink(s);
    // Remaining lifetime, at most this state's from the commit: before every
    // session timed after the commit (the list stays sorted).
    this.s.timerInsertCarried(s, t, Math.min(exp, this.carryNow + this.life[t]!), lazy ? 64 : 0);
    return s;
  }

  /** Whether the older state's binding for `b` has a session with `remote4` (address-dependent filtering). */
  private prevHasRemote(b: number, remote4: number): boolean {
    const p = this.prev;
    if (p === null || p.refs === undefined) return false;
    const pb = p.findB4(this.b.proto(b), this.b.rec[b * B_STRIDE + B_ADDR4]!, this.b.port4(b));
    return pb >= 0 && p.refs.has(pb, remote4);
  }

  /** A new flow on a standby: counted, nothing created. */
  private refuseStandby(b: number): number {
    this.standbyRefused++;
    return this.unused(b, StateFail.standby);
  }

  /** Drops `b` when it is dynamic and was left without sessions (a carried binding whose flow was then refused); returns `ret`. */
  private unused(b: number, ret: number): number {
    if (b >= 0 && this.prev !== null && this.b.sessions[b] === 0 && this.b.kind(b) === 0) this.removeBinding(b, 'removed');
    return ret;
  }

  // ---- handle accessors ----------------------------------------------------------

  addr4(h: number): number {
    return this.b.rec[this.s.rec[h * S_STRIDE]! * B_STRIDE + B_ADDR4]! >>> 0;
  }

  addr4i(h: number): number {
    return this.b.rec[this.s.rec[h * S_STRIDE]! * B_STRIDE + B_ADDR4]!;
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
    if (next !== st && this.onSync !== undefined) {
      this.hookTime = this.cell !== null ? this.cell[0]! : NaN;
      this.onSync(SYNC_UPDATE, s);
      this.hookTime = NaN;
    }
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
    return halfSipHash24i(this.k0, this.k1, m, 22);
  }

  /** A dynamic binding for a new outbound flow (hot path, 9 parameters). -1 if pool4 is full. */
  private newDynamicBinding(proto: number, cls: number, buf: Uint8Array, off: number, port6: number, dst4: number, dstPort: number, ci: number, hb: number): number {
    let a = -1;
    let port = -1;
    if (proto === TCP) {
      // nat64-behaviours H6: a held V4 SYN from this remote names the port it awaits.
      const syns = this.syns;
      if (syns.size > 0 && syns.take(dst4, dstPort, false, 0, 0)) {
        const ai = this.pool.indexOf(syns.takenDst4);
        if (ai >= 0 && this.pool.isFree(cls, ai, syns.takenDstPort) && this.findB4(proto, syns.takenDst4, syns.takenDstPort) < 0) {
          a = ai;
          port = syns.takenDstPort;
        }
      }
    }
    if (a < 0) {
      const offset = this.portOffset(buf, off, dst4, dstPort);
      // The scratch now starts with the IPv6 source: it picks the first pool4
      // address tried for a client we have not seen (paired pooling after that).
      const start = ci >= 0 ? 0 : halfSipHash24i(this.k1, this.k0, this.scratch, 16);
      a = this.pool.pickAddress(cls, ci >= 0 ? this.c.pool[ci]! : -1, start);
      if (a < 0) return -1;
      port = this.pool.pickPort(cls, a, offset);
      // A port an older state's binding still holds (carry-over) is carried
      // over now, and another one is picked (a few tries, then pool-exhausted).
      for (let k = 0; port >= 0 && this.prev !== null && k < 8; k++) {
        const pb = this.prev.findB4(proto, this.pool.address(a) | 0, port);
        if (pb < 0) break;
        if (this.carryB(pb) < 0) return -1;
        port = this.pool.hasFree(cls, a) ? this.pool.pickPort(cls, a, offset) : -1;
      }
      if (port < 0 || (this.prev !== null && this.prev.findB4(proto, this.pool.address(a) | 0, port) >= 0)) return -1;
    }
    return this.addBinding(proto, cls, buf, off, port6, a, port, 0, ci, hb);
  }
}
