/**
 * ICMPv4 header (RFC 792) view and repr, with the error-message fields RFC
 * 7915 §4.2/§5.2 translates: Parameter Problem pointer, Next-Hop MTU (RFC
 * 1191), and the RFC 4884 length of the original datagram (32-bit words).
 * The checksum covers the whole ICMP message, no pseudo-header.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     rest of header: by type (below)                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * echo (0, 8):            |           Identifier          |        Sequence Number        |
 * unreachable (3):        |    unused     |    Length     |          Next-Hop MTU         |
 * time exceeded (11):     |    unused     |    Length     |            unused             |
 * parameter problem (12): |    Pointer    |    Length     |            unused             |
 * ```
 */
import { setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';
import { finish, sum, update16 } from './checksum.js';
import { type ChecksumPolicy, WIRE_ERROR, type WireError } from './errors.js';
import { HeaderView } from './view.js';

const F = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  REST: 4,
  IDENT: 4,
  SEQ_NUM: 6,
  POINTER: 4,
  LENGTH: 5,
  MTU: 6,
} as const;

/** Length of the ICMPv4 header incl. the 4-byte rest of header (8). */
export const ICMPV4_HEADER_LEN = F.REST + 4;

/** ICMPv4 message types (IANA icmp-parameters); unknown types stay numbers. */
export const ICMPV4_TYPE = Object.freeze({
  /** Echo Reply. */
  ECHO_REPLY: 0,
  /** Destination Unreachable. */
  DEST_UNREACHABLE: 3,
  /** Source Quench (deprecated, RFC 6633). */
  SOURCE_QUENCH: 4,
  /** Redirect. */
  REDIRECT: 5,
  /** Echo Request. */
  ECHO_REQUEST: 8,
  /** Router Advertisement. */
  ROUTER_ADVERTISEMENT: 9,
  /** Router Solicitation. */
  ROUTER_SOLICITATION: 10,
  /** Time Exceeded. */
  TIME_EXCEEDED: 11,
  /** Parameter Problem. */
  PARAMETER_PROBLEM: 12,
  /** Timestamp. */
  TIMESTAMP: 13,
  /** Timestamp Reply. */
  TIMESTAMP_REPLY: 14,
  /** Information Request (obsolete). */
  INFO_REQUEST: 15,
  /** Information Reply (obsolete). */
  INFO_REPLY: 16,
  /** Address Mask Request (obsolete). */
  ADDRESS_MASK_REQUEST: 17,
  /** Address Mask Reply (obsolete). */
  ADDRESS_MASK_REPLY: 18,
} as const);

/** Destination Unreachable codes (RFC 792, RFC 1812 §5.2.7.1). */
export const ICMPV4_UNREACHABLE_CODE = Object.freeze({
  /** Net unreachable. */
  NET: 0,
  /** Host unreachable. */
  HOST: 1,
  /** Protocol unreachable. */
  PROTOCOL: 2,
  /** Port unreachable. */
  PORT: 3,
  /** Fragmentation needed and DF set (carries Next-Hop MTU). */
  FRAGMENTATION_NEEDED: 4,
  /** Source route failed. */
  SOURCE_ROUTE_FAILED: 5,
  /** Destination network unknown. */
  NET_UNKNOWN: 6,
  /** Destination host unknown. */
  HOST_UNKNOWN: 7,
  /** Source host isolated. */
  SOURCE_HOST_ISOLATED: 8,
  /** Network administratively prohibited. */
  NET_PROHIBITED: 9,
  /** Host administratively prohibited. */
  HOST_PROHIBITED: 10,
  /** Network unreachable for ToS. */
  NET_TOS: 11,
  /** Host unreachable for ToS. */
  HOST_TOS: 12,
  /** Communication administratively prohibited. */
  ADMIN_PROHIBITED: 13,
  /** Host precedence violation. */
  PRECEDENCE_VIOLATION: 14,
  /** Precedence cutoff in effect. */
  PRECEDENCE_CUTOFF: 15,
} as const);

/** Time Exceeded codes. */
export const ICMPV4_TIME_EXCEEDED_CODE = Object.freeze({
  /** TTL exceeded in transit. */
  TTL: 0,
  /** Fragment reassembly time exceeded. */
  REASSEMBLY: 1,
} as const);

/** Parameter Problem codes. */
export const ICMPV4_PARAMETER_PROBLEM_CODE = Object.freeze({
  /** Pointer indicates the error. */
  POINTER: 0,
  /** Missing a required option. */
  MISSING_OPTION: 1,
  /** Bad length. */
  BAD_LENGTH: 2,
} as const);

/** Whether an ICMPv4 type is an error message that quotes a packet (3, 4, 5, 11, 12). */
export function isIcmpv4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** A view over an ICMPv4 message at `off`; `len` is the message length (IP payload length). */
export class Icmpv4Header extends HeaderView {
  /**
   * Validates untrusted bytes `buf[off, off+len)` (`len` = IP payload
   * length): len ≥ 8, then (policy `'verify'`) the checksum over the whole
   * message. Returns `into` (re-pointed) or a new view, or a `WireError`.
   * Never throws.
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: Icmpv4Header, policy: ChecksumPolicy = 'verify'): Icmpv4Header | WireError {
    // Five parameters: hot path; `into` keeps it allocation-free.
    if (!(off >= 0 && len >= ICMPV4_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    if (policy === 'verify' && sum(buf, off, off + len) !== 0xffff) return WIRE_ERROR['bad-checksum'];
    return into === undefined ? new Icmpv4Header(buf, off, len) : into.reset(buf, off, len);
  }

  /** Type (see `ICMPV4_TYPE`). */
  get type(): number {
    return u8(this.buf, this.off + F.TYPE);
  }
  /** Sets Type. */
  set type(v: number) {
    setU8(this.buf, this.off + F.TYPE, v);
  }

  /** Code. */
  get code(): number {
    return u8(this.buf, this.off + F.CODE);
  }
  /** Sets Code. */
  set code(v: number) {
    setU8(this.buf, this.off + F.CODE, v);
  }

  /** Checksum field. */
  get checksum(): number {
    return u16(this.buf, this.off + F.CHECKSUM);
  }
  /** Sets the Checksum field. */
  set checksum(v: number) {
    setU16(this.buf, this.off + F.CHECKSUM, v);
  }

  /** The 4-byte rest of header as a uint32. */
  get restOfHeader(): number {
    return u32(this.buf, this.off + F.REST);
  }
  /** Sets the rest of header. */
  set restOfHeader(v: number) {
    setU32(this.buf, this.off + F.REST, v);
  }

  /** Echo Identifier. */
  get identifier(): number {
    return u16(this.buf, this.off + F.IDENT);
  }
  /** Sets the Echo Identifier. */
  set identifier(v: number) {
    setU16(this.buf, this.off + F.IDENT, v);
  }

  /** Echo Sequence Number. */
  get sequenceNumber(): number {
    return u16(this.buf, this.off + F.SEQ_NUM);
  }
  /** Sets the Echo Sequence Number. */
  set sequenceNumber(v: number) {
    setU16(this.buf, this.off + F.SEQ_NUM, v);
  }

  /** Parameter Problem pointer (octet offset into the quoted header). */
  get pointer(): number {
    return u8(this.buf, this.off + F.POINTER);
  }
  /** Sets the Parameter Problem pointer. */
  set pointer(v: number) {
    setU8(this.buf, this.off + F.POINTER, v);
  }

  /** RFC 4884 length of the original datagram, in 32-bit words (0 = no extension). */
  get rfc4884Length(): number {
    return u8(this.buf, this.off + F.LENGTH);
  }
  /** Sets the RFC 4884 length (32-bit words). */
  set rfc4884Length(v: number) {
    setU8(this.buf, this.off + F.LENGTH, v);
  }

  /** Next-Hop MTU of a "fragmentation needed" message (RFC 1191). */
  get mtu(): number {
    return u16(this.buf, this.off + F.MTU);
  }
  /** Sets Next-Hop MTU. */
  set mtu(v: number) {
    setU16(this.buf, this.off + F.MTU, v);
  }

  /** Whether this is an error message that quotes a packet. */
  get isError(): boolean {
    return isIcmpv4Error(this.type);
  }

  /** Absolute offset in `buf` of the body (echo data or quoted packet). */
  get payloadOffset(): number {
    return this.off + ICMPV4_HEADER_LEN;
  }

  /** The body after the 8-byte header, up to `len` (subarray, no copy). */
  payload(): Uint8Array {
    return this.buf.subarray(this.off + ICMPV4_HEADER_LEN, this.off + this.len);
  }

  /** The checksum over the message (checksum field as zero). */
  computeChecksum(): number {
    const o = this.off;
    return finish(sum(this.buf, o + F.CHECKSUM + 2, o + this.len, sum(this.buf, o, o + F.CHECKSUM)));
  }
  /** Computes and stores the checksum. */
  fillChecksum(): void {
    this.checksum = this.computeChecksum();
  }
  /** Whether the checksum verifies. */
  verifyChecksum(): boolean {
    return sum(this.buf, this.off, this.off + this.len) === 0xffff;
  }

  /** Sets the Echo Identifier and fixes the checksum incrementally. */
  setIdentifierUpdatingChecksum(v: number): void {
    this.checksum = update16(this.checksum, this.identifier, v);
    this.identifier = v;
  }
}

/** An ICMPv4 header as a plain readonly object. */
export interface Icmpv4Repr {
  /** Type. */
  readonly type: number;
  /** Code. */
  readonly code: number;
  /** Rest of header as a uint32 (see `icmpEchoRest`, `icmpv4MtuRest`, `icmpv4PointerRest`). */
  readonly restOfHeader: number;
  /** Body length in bytes after the 8-byte header. */
  readonly payloadLength: number;
}

/** Rest-of-header word for an echo message. */
export function icmpEchoRest(identifier: number, sequenceNumber: number): number {
  return (((identifier & 0xffff) << 16) | (sequenceNumber & 0xffff)) >>> 0;
}

/** Rest-of-header word for Destination Unreachable / Fragmentation Needed with `mtu` and RFC 4884 `length` (32-bit words). */
export function icmpv4MtuRest(mtu: number, length = 0): number {
  return (((length & 0xff) << 16) | (mtu & 0xffff)) >>> 0;
}

/** Rest-of-header word for Parameter Problem with `pointer` and RFC 4884 `length` (32-bit words). */
export function icmpv4PointerRest(pointer: number, length = 0): number {
  return (((pointer & 0xff) << 24) | ((length & 0xff) << 16)) >>> 0;
}

/** Reads a (checked) view into a repr. */
export function parseIcmpv4Header(v: Icmpv4Header): Icmpv4Repr {
  return { type: v.type, code: v.code, restOfHeader: v.restOfHeader, payloadLength: v.len - ICMPV4_HEADER_LEN };
}

/**
 * Writes the 8 header bytes for `repr` at `off` of `buf` and fills the
 * checksum over the body, which must already be in place. Returns 8.
 */
export function emitIcmpv4Header(repr: Icmpv4Repr, buf: Uint8Array, off = 0): number {
  setU8(buf, off + F.TYPE, repr.type);
  setU8(buf, off + F.CODE, repr.code);
  setU16(buf, off + F.CHECKSUM, 0);
  setU32(buf, off + F.REST, repr.restOfHeader);
  setU16(buf, off + F.CHECKSUM, finish(sum(buf, off, off + ICMPV4_HEADER_LEN + repr.payloadLength)));
  return ICMPV4_HEADER_LEN;
}

/** One-line summary for logs: `ICMPv4 type=8 code=0 id=0x1234 seq=1 len=10`. */
export function formatIcmpv4Header(v: Icmpv4Header): string {
  const t = v.type;
  let s = `ICMPv4 type=${t} code=${v.code}`;
  if (t === 0 || t === 8) s += ` id=0x${v.identifier.toString(16).padStart(4, '0')} seq=${v.sequenceNumber}`;
  else if (t === 3 && v.code === 4) s += ` mtu=${v.mtu}`;
  else if (t === 12) s += ` ptr=${v.pointer}`;
  return `${s} len=${v.len}`;
}
