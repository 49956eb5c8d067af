/**
 * ICMPv6 header (RFC 4443) view and repr, with the error-message fields RFC
 * 7915 §4.2/§5.2 translates: Parameter Problem pointer (32 bits), Packet Too
 * Big MTU (32 bits), and the RFC 4884 length of the original datagram
 * (64-bit words). The checksum covers an IPv6 pseudo-header (RFC 4443 §2.3)
 * whose partial sum the caller passes in.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     rest of header: by type (below)                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * echo (128, 129):        |           Identifier          |        Sequence Number        |
 * unreachable (1):        |    Length     |                    unused                     |
 * packet too big (2):     |                              MTU                              |
 * time exceeded (3):      |    Length     |                    unused                     |
 * parameter problem (4):  |                            Pointer                            |
 * ```
 */
import { setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';
import { adjust, finish, sum, update16 } from './checksum.js';
import { WIRE_ERROR, type WireError } from './errors.js';
import { HeaderView } from './view.js';

const F = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  REST: 4,
  IDENT: 4,
  SEQ_NUM: 6,
  LENGTH: 4,
} as const;

/** Length of the ICMPv6 header incl. the 4-byte rest of header (8). */
export const ICMPV6_HEADER_LEN = F.REST + 4;

/** ICMPv6 message types (IANA icmpv6-parameters); unknown types stay numbers. */
export const ICMPV6_TYPE = Object.freeze({
  /** Destination Unreachable. */
  DEST_UNREACHABLE: 1,
  /** Packet Too Big. */
  PACKET_TOO_BIG: 2,
  /** Time Exceeded. */
  TIME_EXCEEDED: 3,
  /** Parameter Problem. */
  PARAMETER_PROBLEM: 4,
  /** Echo Request. */
  ECHO_REQUEST: 128,
  /** Echo Reply. */
  ECHO_REPLY: 129,
  /** Multicast Listener Query. */
  MLD_QUERY: 130,
  /** Multicast Listener Report. */
  MLD_REPORT: 131,
  /** Multicast Listener Done. */
  MLD_DONE: 132,
  /** Router Solicitation. */
  ROUTER_SOLICITATION: 133,
  /** Router Advertisement. */
  ROUTER_ADVERTISEMENT: 134,
  /** Neighbor Solicitation. */
  NEIGHBOR_SOLICITATION: 135,
  /** Neighbor Advertisement. */
  NEIGHBOR_ADVERTISEMENT: 136,
  /** Redirect. */
  REDIRECT: 137,
  /** Version 2 Multicast Listener Report. */
  MLDV2_REPORT: 143,
} as const);

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const ICMPV6_UNREACHABLE_CODE = Object.freeze({
  /** No route to destination. */
  NO_ROUTE: 0,
  /** Communication administratively prohibited. */
  ADMIN_PROHIBITED: 1,
  /** Beyond scope of source address. */
  BEYOND_SCOPE: 2,
  /** Address unreachable. */
  ADDRESS: 3,
  /** Port unreachable. */
  PORT: 4,
  /** Source address failed ingress/egress policy. */
  SOURCE_POLICY: 5,
  /** Reject route to destination. */
  REJECT_ROUTE: 6,
} as const);

/** Time Exceeded codes (RFC 4443 §3.3). */
export const ICMPV6_TIME_EXCEEDED_CODE = Object.freeze({
  /** Hop limit exceeded in transit. */
  HOP_LIMIT: 0,
  /** Fragment reassembly time exceeded. */
  REASSEMBLY: 1,
} as const);

/** Parameter Problem codes (RFC 4443 §3.4). */
export const ICMPV6_PARAMETER_PROBLEM_CODE = Object.freeze({
  /** Erroneous header field encountered. */
  ERRONEOUS_HEADER: 0,
  /** Unrecognized Next Header type encountered. */
  UNRECOGNIZED_NEXT_HEADER: 1,
  /** Unrecognized IPv6 option encountered. */
  UNRECOGNIZED_OPTION: 2,
} as const);

/** Whether an ICMPv6 type is an error message (type < 128, RFC 4443 §2.1). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

/** A view over an ICMPv6 message at `off`; `len` is the message length (upper-layer length). */
export class Icmpv6Header extends HeaderView {
  /**
   * Validates untrusted bytes `buf[off, off+len)` (`len` = upper-layer
   * length): len ≥ 8. The checksum is not verified here (it needs the
   * pseudo-header): call `verifyChecksum(pseudoSum)`. Returns `into`
   * (re-pointed) or a new view, or a `WireError`. Never throws.
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: Icmpv6Header): Icmpv6Header | WireError {
    if (!(off >= 0 && len >= ICMPV6_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    return into === undefined ? new Icmpv6Header(buf, off, len) : into.reset(buf, off, len);
  }

  /** Type (see `ICMPV6_TYPE`). */
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

  /** Parameter Problem pointer (32-bit octet offset into the quoted packet). */
  get pointer(): number {
    return u32(this.buf, this.off + F.REST);
  }
  /** Sets the Parameter Problem pointer. */
  set pointer(v: number) {
    setU32(this.buf, this.off + F.REST, v);
  }

  /** Packet Too Big MTU (32 bits). */
  get mtu(): number {
    return u32(this.buf, this.off + F.REST);
  }
  /** Sets the Packet Too Big MTU. */
  set mtu(v: number) {
    setU32(this.buf, this.off + F.REST, v);
  }

  /** RFC 4884 length of the original datagram, in 64-bit words (types 1 and 3; 0 = no extension). */
  get rfc4884Length(): number {
    return u8(this.buf, this.off + F.LENGTH);
  }
  /** Sets the RFC 4884 length (64-bit words). */
  set rfc4884Length(v: number) {
    setU8(this.buf, this.off + F.LENGTH, v);
  }

  /** Whether this is an error message (type < 128). */
  get isError(): boolean {
    return isIcmpv6Error(this.type);
  }

  /** Absolute offset in `buf` of the body (echo data or quoted packet). */
  get payloadOffset(): number {
    return this.off + ICMPV6_HEADER_LEN;
  }

  /** The body after the 8-byte header, up to `len` (subarray, no copy). */
  payload(): Uint8Array {
    return this.buf.subarray(this.off + ICMPV6_HEADER_LEN, this.off + this.len);
  }

  /** The checksum over pseudo-header partial sum `pseudoSum` and the message (checksum field as zero). */
  computeChecksum(pseudoSum: number): number {
    const o = this.off;
    return finish(sum(this.buf, o + F.CHECKSUM + 2, o + this.len, sum(this.buf, o, o + F.CHECKSUM, pseudoSum)));
  }
  /** Computes and stores the checksum. */
  fillChecksum(pseudoSum: number): void {
    this.checksum = this.computeChecksum(pseudoSum);
  }
  /** Whether the checksum verifies with pseudo-header partial sum `pseudoSum`. */
  verifyChecksum(pseudoSum: number): boolean {
    return sum(this.buf, this.off, this.off + this.len, pseudoSum) === 0xffff;
  }

  /** Fixes the checksum after covered words with partial sum `oldSum` became `newSum`. */
  adjustChecksum(oldSum: number, newSum: number): void {
    this.checksum = adjust(this.checksum, oldSum, newSum);
  }
  /** Sets the Echo Identifier and fixes the checksum incrementally. */
  setIdentifierUpdatingChecksum(v: number): void {
    this.checksum = update16(this.checksum, this.identifier, v);
    this.identifier = v;
  }
}

/** An ICMPv6 header as a plain readonly object. */
export interface Icmpv6Repr {
  /** Type. */
  readonly type: number;
  /** Code. */
  readonly code: number;
  /** Rest of header as a uint32 (see `icmpEchoRest`, `icmpv6LengthRest`; MTU and pointer are the word itself). */
  readonly restOfHeader: number;
  /** Body length in bytes after the 8-byte header. */
  readonly payloadLength: number;
}

/** Rest-of-header word for Destination Unreachable / Time Exceeded with RFC 4884 `length` (64-bit words). */
export function icmpv6LengthRest(length: number): number {
  return ((length & 0xff) << 24) >>> 0;
}

/** Reads a (checked) view into a repr. */
export function parseIcmpv6Header(v: Icmpv6Header): Icmpv6Repr {
  return { type: v.type, code: v.code, restOfHeader: v.restOfHeader, payloadLength: v.len - ICMPV6_HEADER_LEN };
}

/**
 * Writes the 8 header bytes for `repr` at `off` of `buf`. With `pseudoSum`
 * (covering length = 8 + payloadLength), fills the checksum over the body
 * already in place; without, writes checksum 0. Returns 8.
 */
export function emitIcmpv6Header(repr: Icmpv6Repr, buf: Uint8Array, off = 0, pseudoSum?: number): number {
  setU8(buf, off + F.TYPE, repr.type);
  setU8(buf, off + F.CODE, repr.code);
  setU16(buf, off + F.CHECKSUM, 0);
  setU32(buf, off + F.REST, repr.restOfHeader);
  if (pseudoSum !== undefined) {
    setU16(buf, off + F.CHECKSUM, finish(sum(buf, off, off + ICMPV6_HEADER_LEN + repr.payloadLength, pseudoSum)));
  }
  return ICMPV6_HEADER_LEN;
}

/** One-line summary for logs: `ICMPv6 type=128 code=0 id=0x1234 seq=1 len=10`. */
export function formatIcmpv6Header(v: Icmpv6Header): string {
  const t = v.type;
  let s = `ICMPv6 type=${t} code=${v.code}`;
  if (t === 128 || t === 129) s += ` id=0x${v.identifier.toString(16).padStart(4, '0')} seq=${v.sequenceNumber}`;
  else if (t === 2) s += ` mtu=${v.mtu}`;
  else if (t === 4) s += ` ptr=${v.pointer}`;
  return `${s} len=${v.len}`;
}
