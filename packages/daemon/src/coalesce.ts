/**
 * UDP coalescing on write: a run of translated UDP datagrams of one flow,
 * back to back in a batch and of one size (the last may be shorter), leaves
 * as one UDP GSO super-packet (virtio_net_hdr gso_type UDP_L4) instead of one
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
 * `plan()` works in place on the packet loop's result arrays: every result
 * stays one piece (a merged datagram after the first loses its IP and UDP
 * header), the packets' vnet headers move down to their packet index, and
 * `parts[p]` tells TunDevice.writeFlat how many pieces packet p has. Nothing
 * here allocates.
 */
import { finish, fold, pseudoHeaderSum4, pseudoHeaderSum6, setU16, sum, u16, u32 } from '@sixgate/wire';
import { VNET, VNET_F_NEEDS_CSUM, VNET_GSO_NONE, VNET_GSO_UDP_L4, VNET_HDR_LEN, setVnet, vnetU16 } from '@sixgate/tun';
import { setIpLength } from './offload.js';

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

export class Coalescer {
  readonly counters: CoalesceCounters = { udpSuperPackets: 0, udpSegments: 0 };

  /**
   * Plans the write of results 0..k-1 (`buf[wOff[i] .. +wLen[i])`, behind
   * `vout[i]`). Returns the number of packets to write; when it is less than
   * `k`, write them with `parts`; when it equals `k` nothing was merged and
   * the arrays are as they were.
   */
  plan(buf: Uint8Array, wOff: Int32Array, wLen: Int32Array, vout: Uint8Array, k: number, parts: Int32Array): number {
    let p = 0;
    let i = 0;
    while (i < k) {
      const h = wOff[i]!;
      const l4 = this.candidate(buf, h, wLen[i]!, vout, i);
      let j = i + 1;
      if (l4 > 0) {
        const size = wLen[i]! - l4 - 8;
        let total = size;
        while (j < k && j - i < MAX_SEGMENTS) {
          const n = wLen[j]!;
          const seg = n - l4 - 8;
          if (seg > size || l4 + 8 + total + seg > MAX_LENGTH) break;
          if (this.candidate(buf, wOff[j]!, n, vout, j) !== l4 || !sameFlow(buf, h, wOff[j]!, l4)) break;
          total += seg;
          j++;
          if (seg < size) break; // a shorter datagram ends the run
        }
        if (j - i > 1) this.merge(buf, wOff, wLen, vout, i, j, p, l4, size, total);
      }
      if (j - i === 1 && p !== i) vout.copyWithin(p * VNET_HDR_LEN, i * VNET_HDR_LEN, (i + 1) * VNET_HDR_LEN);
      parts[p++] = j - i;
      i = j;
    }
    return p;
  }

  /**
   * The transport offset (20 or 40) when result `i` at `o` is a plain UDP
   * datagram that can be merged: IPv4 without options and not a fragment, or
   * IPv6 without extension headers; length fields consistent with `n`; a
   * non-empty payload; no GSO; a partial checksum at the UDP field or a
   * complete one that verifies. Else 0.
   */
  private candidate(buf: Uint8Array, o: number, n: number, vout: Uint8Array, i: number): number {
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
    // A complete checksum is dropped by merging: only one that verifies (RFC 768; 0 = none, IPv4 only).
    if (u16(buf, o + l4 + 6) === 0) return 0;
    const ph = l4 === 20 ? pseudoHeaderSum4(buf, o + 12, o + 16, UDP, n - l4) : pseudoHeaderSum6(buf, o + 8, o + 24, UDP, n - l4);
    return finish(sum(buf, o + l4, o + n, ph)) === 0 ? l4 : 0;
  }

  /** Turns results i..j-1 into packet `p`: the first one's headers cover them all, the others lose theirs. */
  private merge(buf: Uint8Array, wOff: Int32Array, wLen: Int32Array, vout: Uint8Array, i: number, j: number, p: number, l4: number, size: number, total: number): void {
    const h = wOff[i]!;
    const udpLen = 8 + total;
    setIpLength(buf, h, l4 + udpLen);
    setU16(buf, h + l4 + 4, udpLen);
    // NEEDS_CSUM: the pseudo-header sum, upper-layer length included, not complemented.
    const ph = l4 === 20 ? pseudoHeaderSum4(buf, h + 12, h + 16, UDP, udpLen) : pseudoHeaderSum6(buf, h + 8, h + 24, UDP, udpLen);
    setU16(buf, h + l4 + 6, fold(ph));
    setVnet(vout, p, VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, l4 + 8, size, l4, 6);
    for (let m = i + 1; m < j; m++) {
      wOff[m] = wOff[m]! + l4 + 8;
      wLen[m] = wLen[m]! - l4 - 8;
    }
    this.counters.udpSuperPackets++;
    this.counters.udpSegments += j - i;
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
