/**
 * IPv6 fixed header (RFC 8200 §3) view and repr. Extension headers are walked
 * by `walkIpv6Extensions` (ipv6-ext.ts); the fragment header has its own view
 * (fragment.ts). Addresses are 16-byte ranges of the packet buffer: the view
 * exposes their offsets for the hot path and subarrays for convenience.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +                         Source Address                        +
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +                      Destination Address                      +
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { formatIpv6 } from '@sixgate/addressing';
import { copyBytes, setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';
import { pseudoHeaderSum6 } from './checksum.js';
import { WIRE_ERROR, type WireError } from './errors.js';
import { protocolName } from './ip-protocol.js';
import { HeaderView } from './view.js';

const F = {
  VER_TC_FLOW: 0,
  LENGTH: 4,
  NXT_HDR: 6,
  HOP_LIMIT: 7,
  SRC_ADDR: 8,
  DST_ADDR: 24,
} as const;

/** Length of the IPv6 fixed header (40). */
export const IPV6_HEADER_LEN = F.DST_ADDR + 16;

/**
 * A view over an IPv6 fixed header at `off` of `buf`; `len` is the packet
 * length (after `check()`: 40 + Payload Length).
 */
export class Ipv6Header extends HeaderView {
  /**
   * Validates untrusted bytes `buf[off, off+len)`, cheapest test first: buffer
   * length ≥ 40, version 6, 40 + Payload Length ≤ len. Returns `into`
   * (re-pointed, `len` = 40 + Payload Length) or a new view, or a `WireError`.
   * Never throws. Jumbograms (RFC 2675) are not supported: Payload Length 0
   * means an empty payload. Setter that invalidates a check: `payloadLength`.
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: Ipv6Header): Ipv6Header | WireError {
    if (!(off >= 0 && len >= IPV6_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    if (buf[off]! >>> 4 !== 6) return WIRE_ERROR['bad-version'];
    const total = IPV6_HEADER_LEN + u16(buf, off + F.LENGTH);
    if (total > len) return WIRE_ERROR['bad-length'];
    return into === undefined ? new Ipv6Header(buf, off, total) : into.reset(buf, off, total);
  }

  /**
   * Validates the IPv6 header embedded in an ICMPv6 error (RFC 4443 §3): like
   * `check()` but the packet may be truncated (Payload Length may exceed the
   * bytes present). `len` of the result is min(40 + Payload Length, `len`).
   * Never throws.
   */
  static checkEmbedded(buf: Uint8Array, off: number, len: number, into?: Ipv6Header): Ipv6Header | WireError {
    if (!(off >= 0 && len >= IPV6_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    if (buf[off]! >>> 4 !== 6) return WIRE_ERROR['bad-version'];
    const total = IPV6_HEADER_LEN + u16(buf, off + F.LENGTH);
    const n = total < len ? total : len;
    return into === undefined ? new Ipv6Header(buf, off, n) : into.reset(buf, off, n);
  }

  /** Version nibble (6 for a valid header). */
  get version(): number {
    return u8(this.buf, this.off) >>> 4;
  }
  /** Sets the version nibble. */
  set version(v: number) {
    setU8(this.buf, this.off, ((v & 0xf) << 4) | (u8(this.buf, this.off) & 0x0f));
  }

  /** Traffic Class octet (DSCP << 2 | ECN). */
  get trafficClass(): number {
    return (u16(this.buf, this.off) >>> 4) & 0xff;
  }
  /** Sets Traffic Class. */
  set trafficClass(v: number) {
    const w = u16(this.buf, this.off);
    setU16(this.buf, this.off, (w & 0xf00f) | ((v & 0xff) << 4));
  }

  /** Flow Label (20 bits). */
  get flowLabel(): number {
    return u32(this.buf, this.off) & 0xfffff;
  }
  /** Sets Flow Label. */
  set flowLabel(v: number) {
    const w = u32(this.buf, this.off);
    setU32(this.buf, this.off, ((w & 0xfff00000) | (v & 0xfffff)) >>> 0);
  }

  /** Payload Length: bytes after the fixed header (extension headers included). */
  get payloadLength(): number {
    return u16(this.buf, this.off + F.LENGTH);
  }
  /** Sets Payload Length; invalidates `check()`. */
  set payloadLength(v: number) {
    setU16(this.buf, this.off + F.LENGTH, v);
  }

  /** Next Header (see `IP_PROTOCOL`). */
  get nextHeader(): number {
    return u8(this.buf, this.off + F.NXT_HDR);
  }
  /** Sets Next Header. */
  set nextHeader(v: number) {
    setU8(this.buf, this.off + F.NXT_HDR, v);
  }

  /** Hop Limit. */
  get hopLimit(): number {
    return u8(this.buf, this.off + F.HOP_LIMIT);
  }
  /** Sets Hop Limit. */
  set hopLimit(v: number) {
    setU8(this.buf, this.off + F.HOP_LIMIT, v);
  }

  /** Absolute offset in `buf` of the Source Address (16 bytes). */
  get srcAddrOffset(): number {
    return this.off + F.SRC_ADDR;
  }
  /** Absolute offset in `buf` of the Destination Address (16 bytes). */
  get dstAddrOffset(): number {
    return this.off + F.DST_ADDR;
  }

  /** Source Address (16-byte subarray, no copy). */
  srcAddr(): Uint8Array {
    return this.buf.subarray(this.off + F.SRC_ADDR, this.off + F.SRC_ADDR + 16);
  }
  /** Copies 16 bytes from `addr[from..]` into Source Address. */
  setSrcAddr(addr: Uint8Array, from = 0): void {
    copyBytes(this.buf, this.off + F.SRC_ADDR, addr, from, 16);
  }

  /** Destination Address (16-byte subarray, no copy). */
  dstAddr(): Uint8Array {
    return this.buf.subarray(this.off + F.DST_ADDR, this.off + F.DST_ADDR + 16);
  }
  /** Copies 16 bytes from `addr[from..]` into Destination Address. */
  setDstAddr(addr: Uint8Array, from = 0): void {
    copyBytes(this.buf, this.off + F.DST_ADDR, addr, from, 16);
  }

  /** Absolute offset in `buf` of the first byte after the fixed header. */
  get payloadOffset(): number {
    return this.off + IPV6_HEADER_LEN;
  }

  /** Bytes after the fixed header up to min(40 + Payload Length, len) (subarray, no copy). */
  payload(): Uint8Array {
    const total = IPV6_HEADER_LEN + this.payloadLength;
    return this.buf.subarray(this.off + IPV6_HEADER_LEN, this.off + (total < this.len ? total : this.len));
  }

  /** Partial sum of the pseudo-header for this header's addresses, upper-layer `proto` and `length`. */
  pseudoHeaderSum(proto: number, length: number): number {
    return pseudoHeaderSum6(this.buf, this.off + F.SRC_ADDR, this.off + F.DST_ADDR, proto, length);
  }
}

/** An IPv6 fixed header as a plain readonly object (tests, ICMP errors, logs). */
export interface Ipv6Repr {
  /** Source Address (16 bytes). */
  readonly srcAddr: Uint8Array;
  /** Destination Address (16 bytes). */
  readonly dstAddr: Uint8Array;
  /** Next Header. */
  readonly nextHeader: number;
  /** Hop Limit. */
  readonly hopLimit: number;
  /** Traffic Class octet. */
  readonly trafficClass: number;
  /** Flow Label (20 bits). */
  readonly flowLabel: number;
  /** Payload Length (bytes after the fixed header). */
  readonly payloadLength: number;
}

/** Reads a (checked) view into a repr; addresses are copied. */
export function parseIpv6Header(v: Ipv6Header): Ipv6Repr {
  return {
    srcAddr: v.srcAddr().slice(),
    dstAddr: v.dstAddr().slice(),
    nextHeader: v.nextHeader,
    hopLimit: v.hopLimit,
    trafficClass: v.trafficClass,
    flowLabel: v.flowLabel,
    payloadLength: v.payloadLength,
  };
}

/** Writes all 40 bytes of the fixed header for `repr` at `off` of `buf`; returns 40. */
export function emitIpv6Header(repr: Ipv6Repr, buf: Uint8Array, off = 0): number {
  setU32(buf, off + F.VER_TC_FLOW, ((6 << 28) | ((repr.trafficClass & 0xff) << 20) | (repr.flowLabel & 0xfffff)) >>> 0);
  setU16(buf, off + F.LENGTH, repr.payloadLength);
  setU8(buf, off + F.NXT_HDR, repr.nextHeader);
  setU8(buf, off + F.HOP_LIMIT, repr.hopLimit);
  copyBytes(buf, off + F.SRC_ADDR, repr.srcAddr, 0, 16);
  copyBytes(buf, off + F.DST_ADDR, repr.dstAddr, 0, 16);
  return IPV6_HEADER_LEN;
}

/** One-line summary for logs: `IPv6 2001:db8::1 > 64:ff9b::c633:6402 udp hlim=64 plen=12`. */
export function formatIpv6Header(v: Ipv6Header): string {
  let s = `IPv6 ${formatIpv6(v.buf, v.srcAddrOffset)} > ${formatIpv6(v.buf, v.dstAddrOffset)} ${protocolName(v.nextHeader)} hlim=${v.hopLimit} plen=${v.payloadLength}`;
  if (v.trafficClass !== 0) s += ` tc=0x${v.trafficClass.toString(16).padStart(2, '0')}`;
  if (v.flowLabel !== 0) s += ` flow=0x${v.flowLabel.toString(16)}`;
  return s;
}
