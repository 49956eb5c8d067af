/**
 * IPv4 header (RFC 791 §3.1) view, repr and options walk.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Flags: bit 0 reserved (zero), bit 1 DF, bit 2 MF. Fragment Offset is in
 * 8-octet units, kept in those units here (as in the IPv6 Fragment header,
 * so RFC 7915 translation copies it unchanged). Addresses are uint32 numbers.
 */
import { formatIpv4 } from '@sixgate/addressing';
import { setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';
import { finish, pseudoHeaderSum4, sum, update16, update32 } from './checksum.js';
import { type ChecksumPolicy, WIRE_ERROR, type WireError } from './errors.js';
import { protocolName } from './ip-protocol.js';
import { HeaderView } from './view.js';

const F = {
  VER_IHL: 0,
  TOS: 1,
  LENGTH: 2,
  IDENT: 4,
  FLG_OFF: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC_ADDR: 12,
  DST_ADDR: 16,
  OPTIONS: 20,
} as const;

/** Length of an IPv4 header without options (20). */
export const IPV4_HEADER_LEN = F.DST_ADDR + 4;
/** Largest IPv4 header: IHL 15 (60 bytes). */
export const IPV4_MAX_HEADER_LEN = 60;

/** IPv4 option types the translator looks at (RFC 791, IANA ip-parameters). */
export const IPV4_OPTION = Object.freeze({
  /** End of Option List. */
  EOL: 0,
  /** No Operation. */
  NOP: 1,
  /** Record Route. */
  RR: 7,
  /** Loose Source and Record Route. */
  LSRR: 131,
  /** Strict Source and Record Route. */
  SSRR: 137,
} as const);

/** `sourceRouteOffset()` result: no unexpired source route option. */
export const IPV4_NO_SOURCE_ROUTE = -1;
/** `sourceRouteOffset()` result: the options are malformed (length runs past the header). */
export const IPV4_OPTIONS_MALFORMED = -2;

/**
 * A view over an IPv4 header at `off` of `buf`; `len` is the packet length
 * (after `check()`: the Total Length field). Setters do not fix the header
 * checksum (call `fillChecksum()`), except the `…UpdatingChecksum` ones.
 */
export class Ipv4Header extends HeaderView {
  /**
   * Validates untrusted bytes `buf[off, off+len)`, cheapest test first:
   * buffer length ≥ 20, version 4, IHL ≥ 5 and within the buffer, IHL×4 ≤
   * Total Length ≤ len, then (policy `'verify'`) the header checksum. Returns
   * `into` (re-pointed, `len` = Total Length) or a new view, or a `WireError`.
   * Never throws. Setters that invalidate a check: `headerLength`,
   * `totalLength` (and any setter once the checksum is no longer refilled).
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: Ipv4Header, policy: ChecksumPolicy = 'verify'): Ipv4Header | WireError {
    // Five parameters: hot path; `into` keeps it allocation-free.
    if (!(off >= 0 && len >= IPV4_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    const vi = buf[off]!;
    if (vi >>> 4 !== 4) return WIRE_ERROR['bad-version'];
    const hl = (vi & 0x0f) << 2;
    if (hl < IPV4_HEADER_LEN || hl > len) return WIRE_ERROR['bad-header-length'];
    const total = u16(buf, off + F.LENGTH);
    if (total < hl || total > len) return WIRE_ERROR['bad-length'];
    if (policy === 'verify' && sum(buf, off, off + hl) !== 0xffff) return WIRE_ERROR['bad-checksum'];
    return into === undefined ? new Ipv4Header(buf, off, total) : into.reset(buf, off, total);
  }

  /**
   * Validates the IPv4 header embedded in an ICMP error (RFC 792, RFC 1812
   * §4.3.2.3): like `check()` but the packet may be truncated (Total Length may
   * exceed `len`) and the checksum is not verified. `len` of the result is
   * min(Total Length, `len`). Never throws.
   */
  static checkEmbedded(buf: Uint8Array, off: number, len: number, into?: Ipv4Header): Ipv4Header | WireError {
    if (!(off >= 0 && len >= IPV4_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    const vi = buf[off]!;
    if (vi >>> 4 !== 4) return WIRE_ERROR['bad-version'];
    const hl = (vi & 0x0f) << 2;
    if (hl < IPV4_HEADER_LEN || hl > len) return WIRE_ERROR['bad-header-length'];
    const total = u16(buf, off + F.LENGTH);
    if (total < hl) return WIRE_ERROR['bad-length'];
    const n = total < len ? total : len;
    return into === undefined ? new Ipv4Header(buf, off, n) : into.reset(buf, off, n);
  }

  /** Version nibble (4 for a valid header). */
  get version(): number {
    return u8(this.buf, this.off + F.VER_IHL) >>> 4;
  }
  /** Sets the version nibble. */
  set version(v: number) {
    setU8(this.buf, this.off + F.VER_IHL, ((v & 0xf) << 4) | (u8(this.buf, this.off + F.VER_IHL) & 0x0f));
  }

  /** Header length in bytes (IHL × 4). */
  get headerLength(): number {
    return (u8(this.buf, this.off + F.VER_IHL) & 0x0f) << 2;
  }
  /** Sets the header length in bytes (rounded down to 4); invalidates `check()`. */
  set headerLength(v: number) {
    setU8(this.buf, this.off + F.VER_IHL, (u8(this.buf, this.off + F.VER_IHL) & 0xf0) | ((v >>> 2) & 0x0f));
  }

  /** Type of Service / Traffic Class octet (DSCP << 2 | ECN). */
  get tos(): number {
    return u8(this.buf, this.off + F.TOS);
  }
  /** Sets the Type of Service octet. */
  set tos(v: number) {
    setU8(this.buf, this.off + F.TOS, v);
  }

  /** Total Length: header + payload bytes. */
  get totalLength(): number {
    return u16(this.buf, this.off + F.LENGTH);
  }
  /** Sets Total Length; invalidates `check()`. */
  set totalLength(v: number) {
    setU16(this.buf, this.off + F.LENGTH, v);
  }

  /** Identification. */
  get identification(): number {
    return u16(this.buf, this.off + F.IDENT);
  }
  /** Sets Identification. */
  set identification(v: number) {
    setU16(this.buf, this.off + F.IDENT, v);
  }

  /** The flags + fragment offset word as on the wire (flags in the top 3 bits). */
  get flagsAndOffset(): number {
    return u16(this.buf, this.off + F.FLG_OFF);
  }
  /** Sets the flags + fragment offset word. */
  set flagsAndOffset(v: number) {
    setU16(this.buf, this.off + F.FLG_OFF, v);
  }

  /** Don't Fragment flag. */
  get dontFragment(): boolean {
    return (u8(this.buf, this.off + F.FLG_OFF) & 0x40) !== 0;
  }
  /** Sets Don't Fragment. */
  set dontFragment(v: boolean) {
    const o = this.off + F.FLG_OFF;
    setU8(this.buf, o, v ? u8(this.buf, o) | 0x40 : u8(this.buf, o) & ~0x40);
  }

  /** More Fragments flag. */
  get moreFragments(): boolean {
    return (u8(this.buf, this.off + F.FLG_OFF) & 0x20) !== 0;
  }
  /** Sets More Fragments. */
  set moreFragments(v: boolean) {
    const o = this.off + F.FLG_OFF;
    setU8(this.buf, o, v ? u8(this.buf, o) | 0x20 : u8(this.buf, o) & ~0x20);
  }

  /** Fragment Offset in 8-octet units (multiply by 8 for bytes). */
  get fragmentOffset(): number {
    return u16(this.buf, this.off + F.FLG_OFF) & 0x1fff;
  }
  /** Sets Fragment Offset in 8-octet units. */
  set fragmentOffset(v: number) {
    const o = this.off + F.FLG_OFF;
    setU16(this.buf, o, (u16(this.buf, o) & 0xe000) | (v & 0x1fff));
  }

  /** Whether this is a fragment (MF set or non-zero offset). */
  get isFragment(): boolean {
    return (u16(this.buf, this.off + F.FLG_OFF) & 0x3fff) !== 0;
  }

  /** Time to Live. */
  get ttl(): number {
    return u8(this.buf, this.off + F.TTL);
  }
  /** Sets Time to Live. */
  set ttl(v: number) {
    setU8(this.buf, this.off + F.TTL, v);
  }

  /** Protocol (see `IP_PROTOCOL`). */
  get protocol(): number {
    return u8(this.buf, this.off + F.PROTOCOL);
  }
  /** Sets Protocol. */
  set protocol(v: number) {
    setU8(this.buf, this.off + F.PROTOCOL, v);
  }

  /** Header Checksum field. */
  get checksum(): number {
    return u16(this.buf, this.off + F.CHECKSUM);
  }
  /** Sets the Header Checksum field. */
  set checksum(v: number) {
    setU16(this.buf, this.off + F.CHECKSUM, v);
  }

  /** Source Address as a uint32. */
  get srcAddr(): number {
    return u32(this.buf, this.off + F.SRC_ADDR);
  }
  /** Sets Source Address (uint32). */
  set srcAddr(v: number) {
    setU32(this.buf, this.off + F.SRC_ADDR, v);
  }

  /** Destination Address as a uint32. */
  get dstAddr(): number {
    return u32(this.buf, this.off + F.DST_ADDR);
  }
  /** Sets Destination Address (uint32). */
  set dstAddr(v: number) {
    setU32(this.buf, this.off + F.DST_ADDR, v);
  }

  /** Absolute offset in `buf` of the Source Address (for checksum helpers). */
  get srcAddrOffset(): number {
    return this.off + F.SRC_ADDR;
  }
  /** Absolute offset in `buf` of the Destination Address. */
  get dstAddrOffset(): number {
    return this.off + F.DST_ADDR;
  }

  /** Payload length: Total Length − header length. */
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }

  /** Absolute offset in `buf` of the payload (first byte after the options). */
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  /** The options bytes (subarray, may be empty). */
  options(): Uint8Array {
    return this.buf.subarray(this.off + F.OPTIONS, this.off + this.headerLength);
  }

  /** The payload, `[header end, min(Total Length, len))` (subarray, no copy). */
  payload(): Uint8Array {
    const total = this.totalLength;
    return this.buf.subarray(this.off + this.headerLength, this.off + (total < this.len ? total : this.len));
  }

  /** The header checksum over the current header, as if the checksum field were zero. */
  computeChecksum(): number {
    const o = this.off;
    return finish(sum(this.buf, o + F.CHECKSUM + 2, o + this.headerLength, sum(this.buf, o, o + F.CHECKSUM)));
  }
  /** Computes and stores the header checksum. */
  fillChecksum(): void {
    this.checksum = this.computeChecksum();
  }
  /** Whether the header checksum verifies. */
  verifyChecksum(): boolean {
    return sum(this.buf, this.off, this.off + this.headerLength) === 0xffff;
  }

  /** Sets TTL and fixes the header checksum incrementally (RFC 1624). */
  setTtlUpdatingChecksum(v: number): void {
    const o = this.off + F.TTL;
    const old = u16(this.buf, o);
    setU8(this.buf, o, v);
    this.checksum = update16(this.checksum, old, u16(this.buf, o));
  }
  /** Sets Source Address and fixes the header checksum incrementally. */
  setSrcAddrUpdatingChecksum(v: number): void {
    this.checksum = update32(this.checksum, this.srcAddr, v >>> 0);
    this.srcAddr = v;
  }
  /** Sets Destination Address and fixes the header checksum incrementally. */
  setDstAddrUpdatingChecksum(v: number): void {
    this.checksum = update32(this.checksum, this.dstAddr, v >>> 0);
    this.dstAddr = v;
  }

  /** Partial sum of the pseudo-header for this header's addresses, `proto` and upper-layer `length`. */
  pseudoHeaderSum(proto = this.protocol, length = this.payloadLength): number {
    return pseudoHeaderSum4(this.buf, this.off + F.SRC_ADDR, this.off + F.DST_ADDR, proto, length);
  }

  /**
   * Walks the options (RFC 791 §3.1) and returns the absolute offset of the
   * first unexpired Loose/Strict Source Route option (pointer ≤ length: hops
   * remain), `IPV4_NO_SOURCE_ROUTE`, or `IPV4_OPTIONS_MALFORMED`. RFC 7915 §4.1:
   * a packet with an unexpired source route is dropped with ICMP 3/5.
   */
  sourceRouteOffset(): number {
    const b = this.buf;
    const end = this.off + this.headerLength;
    let i = this.off + F.OPTIONS;
    while (i < end) {
      const type = b[i]!;
      if (type === IPV4_OPTION.EOL) break;
      if (type === IPV4_OPTION.NOP) { i++; continue; }
      if (i + 1 >= end) return IPV4_OPTIONS_MALFORMED;
      const olen = b[i + 1]!;
      if (olen < 2 || i + olen > end) return IPV4_OPTIONS_MALFORMED;
      if ((type === IPV4_OPTION.LSRR || type === IPV4_OPTION.SSRR) && olen >= 3 && b[i + 2]! <= olen) return i;
      i += olen;
    }
    return IPV4_NO_SOURCE_ROUTE;
  }
}

/** An IPv4 header as a plain readonly object (tests, ICMP errors, logs). */
export interface Ipv4Repr {
  /** Source Address (uint32). */
  readonly srcAddr: number;
  /** Destination Address (uint32). */
  readonly dstAddr: number;
  /** Protocol. */
  readonly protocol: number;
  /** Time to Live. */
  readonly ttl: number;
  /** Type of Service octet (DSCP << 2 | ECN). */
  readonly tos: number;
  /** Identification. */
  readonly identification: number;
  /** Don't Fragment. */
  readonly dontFragment: boolean;
  /** More Fragments. */
  readonly moreFragments: boolean;
  /** Fragment Offset in 8-octet units. */
  readonly fragmentOffset: number;
  /** Options bytes (emit pads them with EOL to a multiple of 4; at most 40). */
  readonly options: Uint8Array;
  /** Payload length in bytes (Total Length − header length). */
  readonly payloadLength: number;
}

/** Reads a (checked) view into a repr; options are copied. */
export function parseIpv4Header(v: Ipv4Header): Ipv4Repr {
  return {
    srcAddr: v.srcAddr,
    dstAddr: v.dstAddr,
    protocol: v.protocol,
    ttl: v.ttl,
    tos: v.tos,
    identification: v.identification,
    dontFragment: v.dontFragment,
    moreFragments: v.moreFragments,
    fragmentOffset: v.fragmentOffset,
    options: v.options().slice(),
    payloadLength: v.payloadLength,
  };
}

/** Header length `emitIpv4Header` will write for `repr` (20 + options rounded up to 4). */
export function ipv4HeaderLength(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + ((repr.options.length + 3) & ~3);
}

/**
 * Writes every byte of the header for `repr` at `off` of `buf`, including
 * the header checksum; the payload is not touched. Returns the header length.
 */
export function emitIpv4Header(repr: Ipv4Repr, buf: Uint8Array, off = 0): number {
  const hl = ipv4HeaderLength(repr);
  buf[off + F.VER_IHL] = 0x40 | (hl >>> 2);
  setU8(buf, off + F.TOS, repr.tos);
  setU16(buf, off + F.LENGTH, hl + repr.payloadLength);
  setU16(buf, off + F.IDENT, repr.identification);
  setU16(buf, off + F.FLG_OFF, (repr.dontFragment ? 0x4000 : 0) | (repr.moreFragments ? 0x2000 : 0) | (repr.fragmentOffset & 0x1fff));
  setU8(buf, off + F.TTL, repr.ttl);
  setU8(buf, off + F.PROTOCOL, repr.protocol);
  setU16(buf, off + F.CHECKSUM, 0);
  setU32(buf, off + F.SRC_ADDR, repr.srcAddr);
  setU32(buf, off + F.DST_ADDR, repr.dstAddr);
  buf.set(repr.options, off + F.OPTIONS);
  buf.fill(0, off + F.OPTIONS + repr.options.length, off + hl);
  setU16(buf, off + F.CHECKSUM, finish(sum(buf, off, off + hl)));
  return hl;
}

/** One-line summary for logs: `IPv4 192.0.2.1 > 198.51.100.2 udp ttl=64 len=48 id=0x1234 DF`. */
export function formatIpv4Header(v: Ipv4Header): string {
  let s = `IPv4 ${formatIpv4(v.srcAddr)} > ${formatIpv4(v.dstAddr)} ${protocolName(v.protocol)} ttl=${v.ttl} len=${v.totalLength} id=0x${v.identification.toString(16).padStart(4, '0')}`;
  if (v.tos !== 0) s += ` tos=0x${v.tos.toString(16).padStart(2, '0')}`;
  if (v.dontFragment) s += ' DF';
  if (v.moreFragments) s += ' MF';
  if (v.fragmentOffset !== 0) s += ` frag=${v.fragmentOffset * 8}`;
  if (v.headerLength > IPV4_HEADER_LEN) s += ` opts=${v.headerLength - IPV4_HEADER_LEN}`;
  return s;
}
