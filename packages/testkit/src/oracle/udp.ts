/**
 * UDP header (RFC 768) view and repr. The checksum covers a pseudo-header
 * (IPv4: RFC 768; IPv6: RFC 8200 §8.1) whose partial sum the caller passes
 * in (`Ipv4Header.pseudoHeaderSum()`, `Ipv6Header.pseudoHeaderSum(17, len)`).
 * In IPv4 a zero checksum means "none"; in IPv6 it is invalid (RFC 8200 §8.1).
 * A computed 0 is sent as 0xffff (`normalizeUdp`).
 *
 * ```
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |          data octets ...
 * +---------------- ...
 * ```
 */
import { setU16, u16 } from './bytes.js';
import { adjust, finish, normalizeUdp, sum, update16 } from './checksum.js';
import { WIRE_ERROR, type WireError } from './errors.js';
import { HeaderView } from './view.js';

const F = {
  SRC_PORT: 0,
  DST_PORT: 2,
  LENGTH: 4,
  CHECKSUM: 6,
} as const;

/** Length of the UDP header (8). */
export const UDP_HEADER_LEN = F.CHECKSUM + 2;

/**
 * A view over a UDP header at `off`; `len` is the datagram length (after
 * `check()`: the Length field). The `…UpdatingChecksum` setters and
 * `adjustChecksum` leave a zero checksum ("none", IPv4 only) alone.
 */
export class UdpHeader extends HeaderView {
  /**
   * Validates untrusted bytes `buf[off, off+len)` (`len` = IP payload length):
   * len ≥ 8, 8 ≤ Length ≤ len. The checksum is not verified here (it needs
   * the pseudo-header): call `verifyChecksum(pseudoSum)`. Returns `into`
   * (re-pointed, `len` = Length) or a new view, or a `WireError`. Never
   * throws. Setter that invalidates a check: `length`.
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: UdpHeader): UdpHeader | WireError {
    if (!(off >= 0 && len >= UDP_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    const length = u16(buf, off + F.LENGTH);
    if (length < UDP_HEADER_LEN || length > len) return WIRE_ERROR['bad-length'];
    return into === undefined ? new UdpHeader(buf, off, length) : into.reset(buf, off, length);
  }

  /** Source Port. */
  get srcPort(): number {
    return u16(this.buf, this.off + F.SRC_PORT);
  }
  /** Sets Source Port. */
  set srcPort(v: number) {
    setU16(this.buf, this.off + F.SRC_PORT, v);
  }

  /** Destination Port. */
  get dstPort(): number {
    return u16(this.buf, this.off + F.DST_PORT);
  }
  /** Sets Destination Port. */
  set dstPort(v: number) {
    setU16(this.buf, this.off + F.DST_PORT, v);
  }

  /** Length: header + data bytes. */
  get length(): number {
    return u16(this.buf, this.off + F.LENGTH);
  }
  /** Sets Length; invalidates `check()`. */
  set length(v: number) {
    setU16(this.buf, this.off + F.LENGTH, v);
  }

  /** Checksum field (0 = none, IPv4 only). */
  get checksum(): number {
    return u16(this.buf, this.off + F.CHECKSUM);
  }
  /** Sets the Checksum field. */
  set checksum(v: number) {
    setU16(this.buf, this.off + F.CHECKSUM, v);
  }

  /** Absolute offset in `buf` of the data. */
  get payloadOffset(): number {
    return this.off + UDP_HEADER_LEN;
  }

  /** The data, `[8, min(Length, len))` (subarray, no copy). */
  payload(): Uint8Array {
    const l = this.length;
    return this.buf.subarray(this.off + UDP_HEADER_LEN, this.off + (l < this.len ? l : this.len));
  }

  /** The checksum over pseudo-header partial sum `pseudoSum` and the datagram (checksum field as zero), normalized (0 → 0xffff). */
  computeChecksum(pseudoSum: number): number {
    const o = this.off;
    const l = this.length;
    const end = o + (l < this.len ? l : this.len);
    return normalizeUdp(finish(sum(this.buf, o + UDP_HEADER_LEN, end, sum(this.buf, o, o + F.CHECKSUM, pseudoSum))));
  }
  /** Computes and stores the checksum. */
  fillChecksum(pseudoSum: number): void {
    this.checksum = this.computeChecksum(pseudoSum);
  }
  /** Whether the checksum arithmetic verifies with pseudo-header partial sum `pseudoSum` (test a zero field, "none" in IPv4, first). */
  verifyChecksum(pseudoSum: number): boolean {
    const l = this.length;
    return sum(this.buf, this.off, this.off + (l < this.len ? l : this.len), pseudoSum) === 0xffff;
  }

  /** Fixes the checksum after covered words with partial sum `oldSum` became `newSum` (pseudo-header swap); keeps 0. */
  adjustChecksum(oldSum: number, newSum: number): void {
    const c = this.checksum;
    if (c !== 0) this.checksum = normalizeUdp(adjust(c, oldSum, newSum));
  }
  /** Sets Source Port and fixes a non-zero checksum incrementally. */
  setSrcPortUpdatingChecksum(v: number): void {
    const c = this.checksum;
    if (c !== 0) this.checksum = normalizeUdp(update16(c, this.srcPort, v));
    this.srcPort = v;
  }
  /** Sets Destination Port and fixes a non-zero checksum incrementally. */
  setDstPortUpdatingChecksum(v: number): void {
    const c = this.checksum;
    if (c !== 0) this.checksum = normalizeUdp(update16(c, this.dstPort, v));
    this.dstPort = v;
  }
}

/** A UDP header as a plain readonly object. */
export interface UdpRepr {
  /** Source Port. */
  readonly srcPort: number;
  /** Destination Port. */
  readonly dstPort: number;
  /** Data length in bytes (Length − 8). */
  readonly payloadLength: number;
}

/** Reads a (checked) view into a repr. */
export function parseUdpHeader(v: UdpHeader): UdpRepr {
  return { srcPort: v.srcPort, dstPort: v.dstPort, payloadLength: v.length - UDP_HEADER_LEN };
}

/**
 * Writes all 8 header bytes for `repr` at `off` of `buf`. With `pseudoSum`,
 * fills the checksum over the data already in place after the header;
 * without, writes checksum 0. Returns 8.
 */
export function emitUdpHeader(repr: UdpRepr, buf: Uint8Array, off = 0, pseudoSum?: number): number {
  setU16(buf, off + F.SRC_PORT, repr.srcPort);
  setU16(buf, off + F.DST_PORT, repr.dstPort);
  setU16(buf, off + F.LENGTH, UDP_HEADER_LEN + repr.payloadLength);
  setU16(buf, off + F.CHECKSUM, 0);
  if (pseudoSum !== undefined) {
    const v = new UdpHeader(buf, off, UDP_HEADER_LEN + repr.payloadLength);
    v.fillChecksum(pseudoSum);
  }
  return UDP_HEADER_LEN;
}

/** One-line summary for logs: `UDP 12345 > 53 len=20 csum=0x1234`. */
export function formatUdpHeader(v: UdpHeader): string {
  return `UDP ${v.srcPort} > ${v.dstPort} len=${v.length} csum=0x${v.checksum.toString(16).padStart(4, '0')}`;
}
