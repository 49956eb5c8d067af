/**
 * Held IPv4 SYNs for TCP simultaneous open (RFC 6146 §3.5.2.2, CLOSED state,
 * "V4 SYN packet received" with no BIB entry): the packet is kept for
 * TCP_INCOMING_SYN (6 s). If an IPv6 SYN towards its source arrives in time,
 * the new binding takes the awaited pool4 address/port and the stored packet is
 * dropped; otherwise it goes back to the translator, which answers with
 * ICMPv4 port unreachable (3/3) quoting it. The queue is bounded
 * (`maxHeldSyns`) because an IPv4 attacker controls its input.
 *
 * Every operation on the packet path is O(1) whatever the fill (an attacker
 * can fill `maxHeldSyns`, up to 1 M): entries are slots in typed arrays
 * (free list, doubling up to the bound), found through two hash indexes —
 * the exact 4-tuple (duplicates, `take(exact)`) and the remote (src4,
 * srcPort), whose entries form a list oldest first (`take(any)`). All
 * entries share one lifetime, so a FIFO list through the slots is ordered by
 * expiry and `expire()` pops its head. Holding copies at most `SYN_COPY`
 * bytes of the SYN (enough for the ICMP quote: IPv4 header with options plus
 * the TCP header's first bytes, RFC 792) into the slot: no allocation.
 */
import { StateFail, type ExpiredSyn } from './api.js';
import { finish, mix, randomU32 } from './hash.js';
import { IndexTable } from './index-table.js';

/** Bytes of a held SYN kept for the ICMP error (60-byte IPv4 header + 20-byte TCP header). */
export const SYN_COPY = 80;

const NONE: readonly ExpiredSyn[] = Object.freeze([]);

export class SynQueue {
  private cap = 0;
  private top = 0;
  private freeHead = -1;
  private count = 0;
  private src4: Int32Array = new Int32Array(0);
  private sport: Int32Array = new Int32Array(0);
  private dst4: Int32Array = new Int32Array(0);
  private dport: Int32Array = new Int32Array(0);
  private exp: Float64Array = new Float64Array(0);
  /** FIFO (expiry order) links; `fnext` is also the free-list link. */
  private fprev: Int32Array = new Int32Array(0);
  private fnext: Int32Array = new Int32Array(0);
  /** Links of the list of one remote's entries (oldest first); `gtail` is valid on the list's head. */
  private gprev: Int32Array = new Int32Array(0);
  private gnext: Int32Array = new Int32Array(0);
  private gtail: Int32Array = new Int32Array(0);
  private plen: Uint8Array = new Uint8Array(0);
  private pkt: Uint8Array = new Uint8Array(0);
  private fhead = -1;
  private ftail = -1;
  private readonly exact = new IndexTable(16);
  private readonly byRemote = new IndexTable(16);
  // int32: a uint32 seed above 2^31 is a heap number, and reading it for a call allocates a copy per packet.
  private readonly seed = randomU32() | 0;
  /** dst4/dstPort of the entry the last successful `take` removed. */
  takenDst4 = 0;
  takenDstPort = 0;
  /** Expiry (ms) of the next `hold`, written by the caller. */
  readonly at = new Float64Array(1);

  constructor(private readonly max: number) {}

  /** Held SYNs right now. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the arrays (metrics). */
  get bytes(): number {
    return this.cap * (4 * 10 + 8 + 1 + SYN_COPY) + this.exact.bytes + this.byRemote.bytes;
  }

  private h4(src4: number, sport: number, dst4: number, dport: number): number {
    return finish(mix(mix(mix(mix(this.seed, src4), sport), dst4), dport));
  }

  private h2(src4: number, sport: number): number {
    return finish(mix(mix(this.seed ^ 0x7f4a7c15, src4), sport));
  }

  private findExact(h: number, src4: number, sport: number, dst4: number, dport: number): number {
    const t = this.exact;
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] === h && this.src4[e] === src4 && this.sport[e] === sport && this.dst4[e] === dst4 && this.dport[e] === dport) return e;
      }
    }
    return -1;
  }

  private findRemote(h: number, src4: number, sport: number): number {
    const t = this.byRemote;
    for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const e = sl[2 * i]! - 1;
        if (e < 0) {
          if (e === -1) break;
          continue;
        }
        if (sl[2 * i + 1] === h && this.src4[e] === src4 && this.sport[e] === sport) return e;
      }
    }
    return -1;
  }

  /**
   * Stores a copy of the SYN `packet[off..off+len)`, expiring at `at[0]`; a
   * retransmission of a held SYN keeps the first copy. Addresses as int32.
   */
  hold(src4: number, srcPort: number, dst4: number, dstPort: number, packet: Uint8Array, off: number, len: number): number {
    src4 |= 0;
    dst4 |= 0;
    const hx = this.h4(src4, srcPort, dst4, dstPort);
    if (this.findExact(hx, src4, srcPort, dst4, dstPort) >= 0) return StateFail.synHeld;
    if (this.count >= this.max) return StateFail.synQueueFull;
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.fnext[s]!;
    else {
      if (this.top === this.cap) this.grow();
      s = this.top++;
    }
    this.count++;
    this.src4[s] = src4;
    this.sport[s] = srcPort;
    this.dst4[s] = dst4;
    this.dport[s] = dstPort;
    this.exp[s] = this.at[0]!;
    const n = Math.min(len, SYN_COPY);
    const pkt = this.pkt;
    const base = s * SYN_COPY;
    for (let i = 0; i < n; i++) pkt[base + i] = packet[off + i]!;
    this.plen[s] = n;
    // FIFO tail.
    this.fprev[s] = this.ftail;
    this.fnext[s] = -1;
    if (this.ftail >= 0) this.fnext[this.ftail] = s;
    else this.fhead = s;
    this.ftail = s;
    // The remote's list: append after its tail, or start it.
    const hr = this.h2(src4, srcPort);
    const head = this.findRemote(hr, src4, srcPort);
    this.gnext[s] = -1;
    if (head < 0) {
      this.gprev[s] = -1;
      this.gtail[s] = s;
      this.byRemote.insert(hr, s);
    } else {
      const tail = this.gtail[head]!;
      this.gprev[s] = tail;
      this.gnext[tail] = s;
      this.gtail[head] = s;
    }
    this.exact.insert(hx, s);
    return StateFail.synHeld;
  }

  /**
   * Removes the held SYN from `remote4:remotePort` (the oldest one); with
   * `exact`, only one addressed to `dst4:dstPort`. Returns whether one was
   * removed; its destination is then in `takenDst4`/`takenDstPort`. O(1).
   */
  take(remote4: number, remotePort: number, exact: boolean, dst4: number, dstPort: number): boolean {
    if (this.count === 0) return false;
    remote4 |= 0;
    const s = exact
      ? this.findExact(this.h4(remote4, remotePort, dst4 | 0, dstPort), remote4, remotePort, dst4 | 0, dstPort)
      : this.findRemote(this.h2(remote4, remotePort), remote4, remotePort);
    if (s < 0) return false;
    this.takenDst4 = this.dst4[s]!;
    this.takenDstPort = this.dport[s]!;
    this.remove(s);
    return true;
  }

  private remove(s: number): void {
    const src4 = this.src4[s]!;
    const sport = this.sport[s]!;
    this.exact.remove(this.h4(src4, sport, this.dst4[s]!, this.dport[s]!), s);
    // The remote's list.
    const p = this.gprev[s]!;
    const n = this.gnext[s]!;
    if (p < 0) {
      const hr = this.h2(src4, sport);
      this.byRemote.remove(hr, s);
      if (n >= 0) {
        this.gprev[n] = -1;
        this.gtail[n] = this.gtail[s]!;
        this.byRemote.insert(hr, n);
      }
    } else {
      this.gnext[p] = n;
      if (n >= 0) this.gprev[n] = p;
      else this.gtail[this.findRemote(this.h2(src4, sport), src4, sport)] = p;
    }
    // FIFO.
    const fp = this.fprev[s]!;
    const fn = this.fnext[s]!;
    if (fp >= 0) this.fnext[fp] = fn;
    else this.fhead = fn;
    if (fn >= 0) this.fprev[fn] = fp;
    else this.ftail = fp;
    this.fnext[s] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }

  /** Removes and returns the SYNs whose hold ended at or before `now` (timer path: allocates the copies). */
  expire(now: number): readonly ExpiredSyn[] {
    if (this.fhead < 0 || this.exp[this.fhead]! > now) return NONE;
    const out: ExpiredSyn[] = [];
    while (this.fhead >= 0 && this.exp[this.fhead]! <= now) {
      const s = this.fhead;
      out.push({ packet: this.pkt.slice(s * SYN_COPY, s * SYN_COPY + this.plen[s]!) });
      this.remove(s);
    }
    return out;
  }

  clear(): void {
    while (this.fhead >= 0) this.remove(this.fhead);
  }

  /** Checks the links and indexes against each other (tests). */
  verify(): string[] {
    const bad: string[] = [];
    let n = 0;
    let prevExp = -Infinity;
    for (let s = this.fhead, p = -1; s >= 0; p = s, s = this.fnext[s]!) {
      if (this.fprev[s] !== p) bad.push(`fifo prev of ${s}`);
      if (this.exp[s]! < prevExp) bad.push(`fifo order at ${s}`);
      prevExp = this.exp[s]!;
      if (this.findExact(this.h4(this.src4[s]!, this.sport[s]!, this.dst4[s]!, this.dport[s]!), this.src4[s]!, this.sport[s]!, this.dst4[s]!, this.dport[s]!) !== s) bad.push(`exact index of ${s}`);
      const head = this.findRemote(this.h2(this.src4[s]!, this.sport[s]!), this.src4[s]!, this.sport[s]!);
      if (head < 0) bad.push(`remote index of ${s}`);
      else {
        let found = false;
        let last = -1;
        for (let g = head; g >= 0; g = this.gnext[g]!) {
          if (g === s) found = true;
          last = g;
        }
        if (!found) bad.push(`remote list of ${s}`);
        if (this.gtail[head] !== last) bad.push(`remote tail of ${s}`);
      }
      n++;
    }
    if (n !== this.count) bad.push(`count ${this.count} but ${n} in the fifo`);
    if (this.exact.count !== this.count) bad.push('exact index count');
    return bad;
  }

  private grow(): void {
    const n = Math.min(this.max, Math.max(16, this.cap * 2));
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.src4 = g32(this.src4);
    this.sport = g32(this.sport);
    this.dst4 = g32(this.dst4);
    this.dport = g32(this.dport);
    this.fprev = g32(this.fprev);
    this.fnext = g32(this.fnext);
    this.gprev = g32(this.gprev);
    this.gnext = g32(this.gnext);
    this.gtail = g32(this.gtail);
    const exp = new Float64Array(n);
    exp.set(this.exp);
    this.exp = exp;
    const plen = new Uint8Array(n);
    plen.set(this.plen);
    this.plen = plen;
    const pkt = new Uint8Array(n * SYN_COPY);
    pkt.set(this.pkt);
    this.pkt = pkt;
    this.cap = n;
  }
}
