/**
 * UDP coalescing on write: a run of translated UDP datagrams of one flow in a
 * batch, of one size (the last may be shorter), leaves as one UDP GSO
 * super-packet (virtio_net_hdr gso_type UDP_L4) instead of one
 * write per datagram. The kernel routes, forwards and queues the run once and
 * cuts it into the original datagrams where it must (at the receiving socket,
 * or before a device that cannot take it), computing each UDP checksum and
 * IPv4 header. A bulk UDP flow (QUIC, media, a VPN) comes through the TUN as
 * such runs, since senders burst; see ADR 6 for the measurements.
 *
 * What the segments look like: exactly the datagrams as translated, except
 * that the IPv4 Identification of datagram i of a run is the first one's
 * plus i (the kernel numbers GSO segments that way; RFC 6864 allows any
 * generator for a translator), and a complete checksum is recomputed rather
 * than carried, so a datagram whose checksum does not verify is never
 * merged: it leaves alone, still wrong, for the receiver to drop.
 *
 * `plan()` rewrites the packet loop's result arrays: every result stays one
 * piece (a merged datagram after the first loses its IP and UDP header), a
 * run's pieces follow its head, the packets' vnet headers move down to their
 * packet index, and `parts[p]` tells TunDevice.writeFlat how many pieces
 * packet p has. Flows interleaved in a batch are grouped; one flow's packets
 * keep their order. Nothing here allocates.
 */
import { pseudoHeaderSum4, pseudoHeaderSum6, setU16, u16, u32, verify } from '@sixgate/wire';
import { VNET, VNET_F_NEEDS_CSUM, VNET_GSO_NONE, VNET_GSO_UDP_L4, VNET_HDR_LEN, setVnet, vnetU16 } from '@sixgate/tun';
import { partialChecksum, setIpLength } from './offload.js';

const UDP = 17;
/** Datagrams per super-packet (the kernel accepts up to 128 since Linux 6.1; 64 is every kernel with UDP GSO). */
export const MAX_SEGMENTS = 64;
/** Largest super-packet, IP header included (the IPv4 total length field; IPv6 kept to the same). */
const MAX_LENGTH = 65_535;

export interface CoalesceCounters {
  /** Super-packets written. */
  udpSuperPackets: number;
  /** Datagrams they carried. */
  udpSegments: number;
}

/** Runs being filled at once; a datagram is compared with each (flows in a batch beyond this start fewer runs). */
const MAX_OPEN = 16;
/** What a result becomes: written alone, the head of a run, or a member (written behind its head). */
const ALONE = 0;
const HEAD = 1;
const MEMBER = 2;
const TCP = 6;
const ICMP = 1;
const ICMPV6 = 58;

export class Coalescer {
  readonly counters: CoalesceCounters = { udpSuperPackets: 0, udpSegments: 0 };
  /** Results a batch may have (the packet loop's output capacity). */
  readonly capacity: number;
  // Per result i of the batch being planned; for a head, the run's figures.
  private readonly role: Uint8Array;
  private readonly l4: Uint8Array;
  private readonly next: Int32Array;
  private readonly tail: Int32Array;
  private readonly count: Int32Array;
  private readonly size: Int32Array;
  private readonly total: Int32Array;
  /** The head's checksum: 0 not checked yet, 1 allows merging, 2 does not. */
  private readonly verified: Uint8Array;
  /** Heads of the runs still open, oldest first. */
  private readonly open = new Int32Array(MAX_OPEN);
  private nOpen = 0;
  private readonly oOff: Int32Array;
  private readonly oLen: Int32Array;

  constructor(capacity = 256) {
    this.capacity = capacity;
    this.role = new Uint8Array(capacity);
    this.l4 = new Uint8Array(capacity);
    this.next = new Int32Array(capacity);
    this.tail = new Int32Array(capacity);
    this.count = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
    this.total = new Int32Array(capacity);
    this.verified = new Uint8Array(capacity);
    this.oOff = new Int32Array(capacity);
    this.oLen = new Int32Array(capacity);
  }

  /**
   * Plans the write of results 0..k-1 (`buf[wOff[i] .. +wLen[i])`, behind
   * `vout[i]`). Returns the number of packets to write; when it is less than
   * `k`, write them with `parts`; when it equals `k` nothing was merged and
   * the arrays are as they were.
   *
   * A datagram joins the open run of its flow when it fits (RFC 768 framing
   * unchanged, see the module comment), so flows interleaved in a batch are
   * grouped: a run is written where its first datagram was, its members move
   * up to it. Packets of different flows may change order, those of one flow
   * never do: a datagram of the flow that cannot join ends the run (it may
   * start the next one), and so does any other packet between the same hosts
   * that is not TCP or ICMP (a fragment, UDP with options, …).
   */
  plan(buf: Uint8Array, wOff: Int32Array, wLen: Int32Array, vout: Uint8Array, k: number, parts: Int32Array): number {
    if (k > this.capacity) return k;
    const { role, l4: l4of, next, tail, count, size, total, verified, open } = this;
    this.nOpen = 0;
    let merged = false;
    for (let i = 0; i < k; i++) {
      role[i] = ALONE;
      const o = wOff[i]!;
      const n = wLen[i]!;
      const l4 = this.shape(buf, o, n, vout, i);
      if (l4 === 0) {
        this.closeHosts(buf, wOff, o, n, 0);
        continue;
      }
      const r = this.find(buf, wOff, o, l4);
      if (r >= 0) {
        const h = open[r]!;
        const seg = n - l4 - 8;
        // A run whose datagrams are all full-size takes more; a shorter one ended it.
        if (total[h] === count[h]! * size[h]! && count[h]! < MAX_SEGMENTS && seg <= size[h]! && l4 + 8 + total[h]! + seg <= MAX_LENGTH && this.verifiedHead(buf, wOff, wLen, vout, h)) {
          this.removeOpen(r);
          if (!this.checksumOk(buf, o, n, vout, i, l4)) continue; // alone, and the flow's run ends before it
          next[tail[h]!] = i;
          next[i] = -1;
          tail[h] = i;
          count[h] = count[h]! + 1;
          total[h] = total[h]! + seg;
          role[h] = HEAD;
          role[i] = MEMBER;
          merged = true;
          this.reopen(h);
          continue;
        }
        this.removeOpen(r);
      } else {
        // Same addresses and ports but another TOS, TTL, DF or flow label: its runs end here.
        this.closeHosts(buf, wOff, o, n, l4);
      }
      // i starts a run of its flow.
      if (this.nOpen === MAX_OPEN) this.removeOpen(0);
      open[this.nOpen++] = i;
      l4of[i] = l4;
      next[i] = -1;
      tail[i] = i;
      count[i] = 1;
      size[i] = n - l4 - 8;
      total[i] = n - l4 - 8;
      verified[i] = 0;
    }
    if (!merged) return k;
    const { oOff, oLen } = this;
    let p = 0;
    let q = 0;
    for (let i = 0; i < k; i++) {
      const ri = role[i];
      if (ri === MEMBER) continue;
      // Every write so far went to an index below p <= i: vout[i] is still the result's own.
      if (ri === ALONE) {
        if (p !== i) vout.copyWithin(p * VNET_HDR_LEN, i * VNET_HDR_LEN, (i + 1) * VNET_HDR_LEN);
        oOff[q] = wOff[i]!;
        oLen[q++] = wLen[i]!;
        parts[p++] = 1;
        continue;
      }
      const l4 = l4of[i]!;
      this.merge(buf, wOff[i]!, vout, p, l4, size[i]!, total[i]!);
      oOff[q] = wOff[i]!;
      oLen[q++] = wLen[i]!;
      for (let m = next[i]!; m >= 0; m = next[m]!) {
        oOff[q] = wOff[m]! + l4 + 8;
        oLen[q++] = wLen[m]! - l4 - 8;
      }
      parts[p++] = count[i]!;
      this.counters.udpSuperPackets++;
      this.counters.udpSegments += count[i]!;
    }
    wOff.set(oOff.subarray(0, q));
    wLen.set(oLen.subarray(0, q));
    return p;
  }

  /** The open run whose head is of the flow of the datagram at `o`, or -1. */
  private find(buf: Uint8Array, wOff: Int32Array, o: number, l4: number): number {
    for (let r = 0; r < this.nOpen; r++) {
      const h = this.open[r]!;
      if (this.l4[h] === l4 && sameFlow(buf, wOff[h]!, o, l4)) return r;
    }
    return -1;
  }

  /**
   * Ends the open runs between the hosts of the packet at `o` (with `l4`,
   * also its ports): for a packet that is neither a run's member nor TCP or
   * ICMP, so that nothing of its flow is written ahead of it.
   */
  private closeHosts(buf: Uint8Array, wOff: Int32Array, o: number, n: number, l4: number): void {
    if (this.nOpen === 0) return;
    const v = buf[o]! >> 4;
    let a: number;
    let len: number;
    if (v === 4 && n >= 20) {
      const proto = buf[o + 9];
      if (proto === TCP || proto === ICMP) return;
      a = 12;
      len = 8;
    } else if (v === 6 && n >= 40) {
      const nh = buf[o + 6];
      if (nh === TCP || nh === ICMPV6) return;
      a = 8;
      len = 32;
    } else return;
    for (let r = this.nOpen - 1; r >= 0; r--) {
      const h = wOff[this.open[r]!]!;
      if (buf[h]! >> 4 !== v) continue;
      let same = true;
      for (let x = a; x < a + len && same; x += 4) same = u32(buf, h + x) === u32(buf, o + x);
      if (same && l4 > 0) same = u32(buf, h + l4) === u32(buf, o + l4);
      if (same) this.removeOpen(r);
    }
  }

  private removeOpen(r: number): void {
    const { open } = this;
    for (let x = r + 1; x < this.nOpen; x++) open[x - 1] = open[x]!;
    this.nOpen--;
  }

  /** Puts run `h` back as the newest open run (after removeOpen). */
  private reopen(h: number): void {
    this.open[this.nOpen++] = h;
  }

  /** Whether head `h`'s checksum allows merging; checked once, when the first member comes. */
  private verifiedHead(buf: Uint8Array, wOff: Int32Array, wLen: Int32Array, vout: Uint8Array, h: number): boolean {
    const v = this.verified[h];
    if (v === 0) {
      const ok = this.checksumOk(buf, wOff[h]!, wLen[h]!, vout, h, this.l4[h]!);
      this.verified[h] = ok ? 1 : 2;
      return ok;
    }
    return v === 1;
  }

  /**
   * The transport offset (20 or 40) when result `i` at `o` is a plain UDP
   * datagram of a shape that can be merged: IPv4 without options and not a
   * fragment, or IPv6 without extension headers; length fields consistent
   * with `n`; a non-empty payload; no GSO; a partial checksum at the UDP field
   * or a complete one (checked by checksumOk when it comes to merging). Else 0.
   */
  private shape(buf: Uint8Array, o: number, n: number, vout: Uint8Array, i: number): number {
    let l4: number;
    const b0 = buf[o]!;
    if (b0 === 0x45) {
      if (buf[o + 9] !== UDP || (u16(buf, o + 6) & 0x3fff) !== 0 || u16(buf, o + 2) !== n) return 0;
      l4 = 20;
    } else if (b0 >> 4 === 6) {
      if (buf[o + 6] !== UDP || u16(buf, o + 4) + 40 !== n) return 0;
      l4 = 40;
    } else return 0;
    if (n <= l4 + 8 || u16(buf, o + l4 + 4) !== n - l4) return 0;
    const h = i * VNET_HDR_LEN;
    if (vout[h + VNET.GSO_TYPE] !== VNET_GSO_NONE) return 0;
    const flags = vout[h + VNET.FLAGS]!;
    if (flags === VNET_F_NEEDS_CSUM) {
      return vnetU16(vout, i, VNET.CSUM_START) === l4 && vnetU16(vout, i, VNET.CSUM_OFFSET) === 6 ? l4 : 0;
    }
    if (flags !== 0) return 0;
    // A complete checksum of 0 is "none" (IPv4 only; RFC 768): merging would add one.
    return u16(buf, o + l4 + 6) === 0 ? 0 : l4;
  }

  /** A partial checksum, or a complete one that verifies: merging replaces it (RFC 768). */
  private checksumOk(buf: Uint8Array, o: number, n: number, vout: Uint8Array, i: number, l4: number): boolean {
    if (vout[i * VNET_HDR_LEN + VNET.FLAGS] === VNET_F_NEEDS_CSUM) return true;
    const ph = l4 === 20 ? pseudoHeaderSum4(buf, o + 12, o + 16, UDP, n - l4) : pseudoHeaderSum6(buf, o + 8, o + 24, UDP, n - l4);
    return verify(buf, o + l4, o + n, ph);
  }

  /** Rewrites the head at `h` to cover the run and writes the run's header to `vout[p]`. */
  private merge(buf: Uint8Array, h: number, vout: Uint8Array, p: number, l4: number, size: number, total: number): void {
    const udpLen = 8 + total;
    setIpLength(buf, h, l4 + udpLen);
    setU16(buf, h + l4 + 4, udpLen);
    partialChecksum(buf, h, l4 + udpLen);
    setVnet(vout, p, VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, l4 + 8, size, l4, 6);
  }
}

/** Same addresses, ports, traffic class/TOS, TTL/hop limit, flow label and DF as the run's first datagram. */
function sameFlow(buf: Uint8Array, a: number, b: number, l4: number): boolean {
  if (l4 === 20) {
    return (
      buf[a + 1] === buf[b + 1] &&
      buf[a + 6] === buf[b + 6] &&
      buf[a + 8] === buf[b + 8] &&
      u32(buf, a + 12) === u32(buf, b + 12) &&
      u32(buf, a + 16) === u32(buf, b + 16) &&
      u32(buf, a + 20) === u32(buf, b + 20)
    );
  }
  if (u32(buf, a) !== u32(buf, b) || buf[a + 7] !== buf[b + 7]) return false;
  for (let x = 8; x < 44; x += 4) if (u32(buf, a + x) !== u32(buf, b + x)) return false;
  return true;
}
