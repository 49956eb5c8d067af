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
import { halfSipHash24 } from './hash.js';
import { B_ADDR4, B_PORTS, B_STRIDE, S_BNEXT, S_REMOTE4, S_STRIDE, T_EST, T_ICMP, T_TRANS, T_UDP } from './store.js';
import { classOf, StateTables, SYNC_UPDATE, word } from './tables.js';
import { ESTABLISHED, SET_EST, SET_TRANS, tcpStep, V4_INIT, V6_INIT } from './tcp.js';

export class StateCore extends StateTables {
  private readonly k0: number;
  private readonly k1: number;
  private readonly scratch = new Uint8Array(22);

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
    if (next !== st && this.onSync !== undefined) this.onSync(SYNC_UPDATE, s);
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
}
