/**
 * Checksum and segmentation offload between an offloading TUN device
 * (IFF_VNET_HDR, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) and the translator,
 * which knows nothing about it.
 *
 * What the kernel hands over, per packet, besides plain packets:
 * - NEEDS_CSUM: the TCP/UDP checksum field holds only the pseudo-header sum
 *   (not complemented, upper-layer length included); whoever sends the packet
 *   on adds the sum from `csum_start` to the end. The translator's RFC 1624
 *   updates assume a complete checksum, so after translation the field is
 *   simply recomputed as the new pseudo-header's sum and the packet leaves
 *   with NEEDS_CSUM again: the receiving stack (veth) or the NIC finishes it.
 * - GSO TCPV4/TCPV6: a TCP super-packet of up to 64 KiB (TSO from a local
 *   sender, GRO from a NIC) that stands for ceil(payload / gso_size)
 *   segments of gso_size payload bytes. The translator sees it as its first
 *   segment: the IP length field is set to one segment, so the MTU, DF and
 *   ICMP rules are applied per segment exactly as for the real segments; the
 *   translated headers are then stretched back over the whole payload (which
 *   never moved: translation is in place) and the packet leaves as a GSO
 *   super-packet of the other family, segmented by the kernel on its way out.
 *   One translation and two syscalls move up to 44 segments.
 * - An IPv4 super-packet with DF=0 could need RFC 7915 fragmentation per
 *   segment, which a super-packet cannot express: it is cut into real segments
 *   here (software GSO, checksums completed) and each is translated alone.
 *   So is any super-packet whose layout is not the plain IP + TCP one.
 *
 * Nothing here allocates per packet.
 */
import { fold, finish, pseudoHeaderSum4, pseudoHeaderSum6, setU16, setU32, sum, u16, u32, update16 } from '@sixgate/wire';
import {
  VNET,
  VNET_HDR_LEN,
  VNET_F_NEEDS_CSUM,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  clearVnet,
  setVnet,
  vnetU16,
} from '@sixgate/tun';

/** How the current packet is handled. */
export const enum OffloadMode {
  /** Checksums complete: translate and send with an all-zero header. */
  None = 0,
  /** NEEDS_CSUM: translate, then recompute the pseudo-header sum for the output. */
  Partial = 1,
  /** GSO: translate the first segment, then stretch the output over the whole payload. */
  Gso = 2,
  /** Cut into segments in software (`segment()`), each translated as a plain packet. */
  Segment = 3,
  /** Bad or unsupported header: counted drop. */
  Drop = 4,
}

const TCP = 6;
const UDP = 17;
/** RFC 7915 §4: an IPv4 packet this large (20 bytes more as IPv6) may have to be fragmented. */
const FRAGMENTATION_RISK = 1260;

/** Offload counters (appear in the loop's stats). */
export interface OffloadCounters {
  /** Super-packets translated as one. */
  gsoPackets: number;
  /** Segments those super-packets stood for. */
  gsoSegments: number;
  /** Packets with a partial checksum passed on partial. */
  csumPartial: number;
  /** Partial checksums completed in software before translation. */
  csumCompleted: number;
  /** Super-packets cut into segments in software. */
  softGso: number;
  /** Packets dropped for an unusable offload header. */
  badHeader: number;
}

export class Offload {
  readonly counters: OffloadCounters = { gsoPackets: 0, gsoSegments: 0, csumPartial: 0, csumCompleted: 0, softGso: 0, badHeader: 0 };
  /**
   * Bytes of super-packets beyond their first segment, by output family: the
   * translator counted only the segment it saw; the stats add these.
   */
  readonly extraBytes = { out4: 0, out6: 0 };
  /** The mode `prepare()` chose for the current packet. */
  mode: OffloadMode = OffloadMode.None;
  /** GSO: segment payload size; Segment: the same, for `segment()`. */
  gsoSize = 0;
  /** IP + TCP header bytes of the current super-packet. */
  private hdrs = 0;
  /** Transport header offset of the current packet. */
  private l4 = 0;
  /** Partial: the checksum field's offset in the transport header (16 TCP, 6 UDP; translation keeps it). */
  private co = 0;
  /** GSO: payload bytes beyond the first segment. */
  private extra = 0;
  /** GSO: where the represented first segment ends in the buffer. */
  private reprEnd = 0;
  /** Segment: payload bytes and segment count. */
  private payload = 0;
  segments = 0;

  /**
   * Looks at packet `buf[off..off+len)` and its header `vin[i]`, sets `mode`
   * and returns the length to hand to the translator (smaller than `len` for
   * a super-packet, whose IP length field it rewrites to one segment).
   */
  prepare(buf: Uint8Array, off: number, len: number, vin: Uint8Array, i: number): number {
    const h = i * VNET_HDR_LEN;
    const flags = vin[h + VNET.FLAGS]!;
    const gsoType = vin[h + VNET.GSO_TYPE]!;
    // Without NEEDS_CSUM the checksum is complete: an ordinary packet, whether
    // or not DATA_VALID says the receiving NIC already verified it.
    if ((flags & VNET_F_NEEDS_CSUM) === 0) return gsoType === VNET_GSO_NONE ? this.set(OffloadMode.None, len) : this.bad(len);
    if (len < 20) return this.bad(len);
    const cs = vnetU16(vin, i, VNET.CSUM_START);
    const co = vnetU16(vin, i, VNET.CSUM_OFFSET);
    if (cs + co + 2 > len) return this.bad(len);
    const v = buf[off]! >> 4;
    // The plain layouts: IPv4 (any IHL) or IPv6 without extension headers, then TCP/UDP at csum_start.
    let proto = -1;
    if (v === 4 && cs === (buf[off]! & 0x0f) * 4) proto = buf[off + 9]!;
    else if (v === 6 && cs === 40 && len >= 40) proto = buf[off + 6]!;
    const plain = (proto === TCP && co === 16) || (proto === UDP && co === 6);
    this.l4 = cs;
    const df0 = v === 4 && (buf[off + 6]! & 0x40) === 0;
    // A packet 4→6 may fragment cannot stay partial: its fragments need the real checksum.
    const mayFragment = df0 && len > FRAGMENTATION_RISK;
    if (gsoType === VNET_GSO_NONE) return this.single(plain && !mayFragment, buf, off, len, cs, co);
    const gsoSize = vnetU16(vin, i, VNET.GSO_SIZE);
    const typeOk = (gsoType === VNET_GSO_TCPV4 && v === 4) || (gsoType === VNET_GSO_TCPV6 && v === 6);
    if (!typeOk || gsoSize === 0 || cs + 20 > len) return this.bad(len);
    const hdrs = cs + (buf[off + cs + 12]! >> 4) * 4;
    if (hdrs > len || hdrs < cs + 20) return this.bad(len);
    this.hdrs = hdrs;
    this.gsoSize = gsoSize;
    const payload = len - hdrs;
    // One segment's worth: an ordinary packet with a partial checksum.
    if (payload <= gsoSize) return this.single(plain && proto === TCP && !mayFragment, buf, off, len, cs, co);
    if (!(plain && proto === TCP) || df0) {
      this.payload = payload;
      this.segments = Math.ceil(payload / gsoSize);
      this.counters.softGso++;
      return this.set(OffloadMode.Segment, len);
    }
    // Represent the super-packet as its first segment.
    const repr = hdrs + gsoSize;
    this.extra = len - repr;
    this.reprEnd = off + repr;
    setIpLength(buf, off, repr);
    this.counters.gsoPackets++;
    this.counters.gsoSegments += Math.ceil(payload / gsoSize);
    return this.set(OffloadMode.Gso, repr);
  }

  /**
   * After a `forward` of the packet prepared last: fixes the translated packet
   * at `buf[o..o+n)` and writes its header to `vout[k]`. Returns its length to
   * send, or -1 when a super-packet's translation did not come back in place
   * (a counted drop; the translator never does that for TCP).
   */
  finishForward(buf: Uint8Array, o: number, n: number, vout: Uint8Array, k: number): number {
    switch (this.mode) {
      case OffloadMode.Partial: {
        const l4 = partialChecksum(buf, o, n);
        if (l4 < 0) {
          clearVnet(vout, k);
          return n;
        }
        setVnet(vout, k, VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 0, l4, this.co);
        return n;
      }
      case OffloadMode.Gso: {
        if (o + n !== this.reprEnd) {
          this.counters.badHeader++;
          return -1;
        }
        const full = n + this.extra;
        setIpLength(buf, o, full);
        const l4 = partialChecksum(buf, o, full);
        if (l4 < 0) {
          this.counters.badHeader++;
          return -1;
        }
        const v4 = buf[o]! >> 4 === 4;
        if (v4) this.extraBytes.out4 += this.extra;
        else this.extraBytes.out6 += this.extra;
        const hdrLen = l4 + this.hdrs - this.l4; // translation keeps the TCP header
        setVnet(vout, k, VNET_F_NEEDS_CSUM, v4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6, hdrLen, this.gsoSize, l4, 16);
        return full;
      }
      default:
        clearVnet(vout, k);
        return n;
    }
  }

  /**
   * Segment mode: builds segment `j` of the super-packet `src[off..off+len)`
   * at `dst[d..]` as a complete packet (lengths, IPv4 ID and header checksum,
   * TCP sequence number and flags, full TCP checksum, as a NIC doing TSO
   * would) and returns its length.
   */
  segment(src: Uint8Array, off: number, j: number, dst: Uint8Array, d: number): number {
    const { hdrs, l4, gsoSize } = this;
    const chunk = Math.min(gsoSize, this.payload - j * gsoSize);
    dst.set(src.subarray(off, off + hdrs), d);
    const from = off + hdrs + j * gsoSize;
    dst.set(src.subarray(from, from + chunk), d + hdrs);
    const n = hdrs + chunk;
    const v4 = dst[d]! >> 4 === 4;
    if (v4) {
      setU16(dst, d + 2, n);
      const id = (u16(dst, d + 4) + j) & 0xffff;
      setU16(dst, d + 4, id);
      setU16(dst, d + 10, 0);
      const c = finish(sum(dst, d, d + (dst[d]! & 0x0f) * 4));
      setU16(dst, d + 10, c);
    } else {
      const pl = n - 40;
      setU16(dst, d + 4, pl);
    }
    const t = d + l4;
    setU32(dst, t + 4, (u32(dst, t + 4) + j * gsoSize) >>> 0);
    // CWR only on the first segment; FIN and PSH only on the last (as tcp_gso_segment does).
    if (j > 0) dst[t + 13] = dst[t + 13]! & ~0x80;
    if (j < this.segments - 1) dst[t + 13] = dst[t + 13]! & ~0x09;
    setU16(dst, t + 16, 0);
    const l4len = n - l4;
    const ph = v4 ? pseudoHeaderSum4(dst, d + 12, d + 16, TCP, l4len) : pseudoHeaderSum6(dst, d + 8, d + 24, TCP, l4len);
    const c = finish(sum(dst, t, d + n, ph));
    setU16(dst, t + 16, c);
    return n;
  }

  /**
   * A packet that stays one packet: with `keepPartial` its partial checksum
   * is passed on (Partial), else completed now (None).
   */
  private single(keepPartial: boolean, buf: Uint8Array, off: number, len: number, cs: number, co: number): number {
    if (keepPartial) {
      this.co = co;
      this.counters.csumPartial++;
      return this.set(OffloadMode.Partial, len);
    }
    completeChecksum(buf, off, len, cs, co);
    this.counters.csumCompleted++;
    return this.set(OffloadMode.None, len);
  }

  private set(mode: OffloadMode, len: number): number {
    this.mode = mode;
    return len;
  }

  private bad(len: number): number {
    this.counters.badHeader++;
    return this.set(OffloadMode.Drop, len);
  }
}

/**
 * Writes the pseudo-header sum (not complemented, upper-layer length
 * included) of the IPv4 or plain IPv6 TCP/UDP packet `buf[o..o+n)` into its
 * checksum field, as NEEDS_CSUM wants it; returns the transport offset, or -1
 * when the packet is not of that shape.
 */
export function partialChecksum(buf: Uint8Array, o: number, n: number): number {
  const v = buf[o]! >> 4;
  let l4: number;
  let proto: number;
  let ph: number;
  if (v === 4) {
    l4 = (buf[o]! & 0x0f) * 4;
    proto = buf[o + 9]!;
    ph = pseudoHeaderSum4(buf, o + 12, o + 16, proto, n - l4);
  } else {
    l4 = 40;
    proto = buf[o + 6]!;
    ph = pseudoHeaderSum6(buf, o + 8, o + 24, proto, n - l4);
  }
  if ((proto !== TCP && proto !== UDP) || l4 + (proto === TCP ? 20 : 8) > n) return -1;
  const at = o + l4 + (proto === TCP ? 16 : 6);
  const p = fold(ph);
  setU16(buf, at, p);
  return l4;
}

/**
 * NEEDS_CSUM done in software: the ones'-complement sum from `cs` to the end
 * (the field already holds the pseudo-header sum), complemented, into the
 * field at `cs + co`. A UDP result of 0 is sent as 0xffff (RFC 768).
 */
export function completeChecksum(buf: Uint8Array, off: number, len: number, cs: number, co: number): void {
  const at = off + cs + co;
  let c = finish(sum(buf, off + cs, off + len));
  if (c === 0 && co === 6) c = 0xffff;
  setU16(buf, at, c);
}

/** Sets the IP length field of the packet at `o` for a total of `n` bytes (IPv4: header checksum updated, RFC 1624). */
export function setIpLength(buf: Uint8Array, o: number, n: number): void {
  if (buf[o]! >> 4 === 4) {
    const old = u16(buf, o + 2);
    setU16(buf, o + 2, n);
    const c = update16(u16(buf, o + 10), old, n);
    setU16(buf, o + 10, c);
  } else {
    const pl = n - 40;
    setU16(buf, o + 4, pl);
  }
}
