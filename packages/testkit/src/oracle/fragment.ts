/**
 * IPv6 Fragment header (RFC 8200 §4.5) view and repr.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Fragment Offset is in 8-octet units, as in IPv4 (RFC 7915 §5.1.1 copies it).
 */
import { setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';
import { WIRE_ERROR, type WireError } from './errors.js';
import { protocolName } from './ip-protocol.js';
import { HeaderView } from './view.js';

const F = {
  NXT_HDR: 0,
  RESERVED: 1,
  FR_OF_M: 2,
  IDENT: 4,
} as const;

/** Length of the IPv6 Fragment header (8). */
export const IPV6_FRAGMENT_HEADER_LEN = F.IDENT + 4;

/** A view over an IPv6 Fragment header at `off`; `len` covers the header and the fragment data. */
export class Ipv6FragmentHeader extends HeaderView {
  /**
   * Validates untrusted bytes: at least 8 bytes in `buf[off, off+len)`.
   * Returns `into` (re-pointed) or a new view, or a `WireError`. Never throws.
   */
  static check(buf: Uint8Array, off = 0, len = buf.length - off, into?: Ipv6FragmentHeader): Ipv6FragmentHeader | WireError {
    if (!(off >= 0 && len >= IPV6_FRAGMENT_HEADER_LEN && off + len <= buf.length)) return WIRE_ERROR.truncated;
    return into === undefined ? new Ipv6FragmentHeader(buf, off, len) : into.reset(buf, off, len);
  }

  /** Next Header of the fragmentable part. */
  get nextHeader(): number {
    return u8(this.buf, this.off + F.NXT_HDR);
  }
  /** Sets Next Header. */
  set nextHeader(v: number) {
    setU8(this.buf, this.off + F.NXT_HDR, v);
  }

  /** The Reserved octet (zero on send). */
  get reserved(): number {
    return u8(this.buf, this.off + F.RESERVED);
  }
  /** Sets the Reserved octet. */
  set reserved(v: number) {
    setU8(this.buf, this.off + F.RESERVED, v);
  }

  /** Fragment Offset in 8-octet units. */
  get fragmentOffset(): number {
    return u16(this.buf, this.off + F.FR_OF_M) >>> 3;
  }
  /** Sets Fragment Offset in 8-octet units (keeps Res and M). */
  set fragmentOffset(v: number) {
    const o = this.off + F.FR_OF_M;
    setU16(this.buf, o, ((v & 0x1fff) << 3) | (u16(this.buf, o) & 0x7));
  }

  /** M flag: more fragments follow. */
  get moreFragments(): boolean {
    return (u8(this.buf, this.off + F.FR_OF_M + 1) & 1) !== 0;
  }
  /** Sets the M flag. */
  set moreFragments(v: boolean) {
    const o = this.off + F.FR_OF_M + 1;
    setU8(this.buf, o, v ? u8(this.buf, o) | 1 : u8(this.buf, o) & ~1);
  }

  /** Identification (32 bits). */
  get identification(): number {
    return u32(this.buf, this.off + F.IDENT);
  }
  /** Sets Identification. */
  set identification(v: number) {
    setU32(this.buf, this.off + F.IDENT, v);
  }

  /** Atomic fragment (RFC 6946): offset 0 and M clear, i.e. not really fragmented. */
  get isAtomic(): boolean {
    return (u16(this.buf, this.off + F.FR_OF_M) & 0xfff9) === 0;
  }

  /** The fragment data after the header, up to `len` (subarray, no copy). */
  payload(): Uint8Array {
    return this.buf.subarray(this.off + IPV6_FRAGMENT_HEADER_LEN, this.off + this.len);
  }
}

/** An IPv6 Fragment header as a plain readonly object. */
export interface Ipv6FragmentRepr {
  /** Next Header. */
  readonly nextHeader: number;
  /** Fragment Offset in 8-octet units. */
  readonly fragmentOffset: number;
  /** M flag. */
  readonly moreFragments: boolean;
  /** Identification. */
  readonly identification: number;
}

/** Reads a (checked) view into a repr. */
export function parseIpv6FragmentHeader(v: Ipv6FragmentHeader): Ipv6FragmentRepr {
  return {
    nextHeader: v.nextHeader,
    fragmentOffset: v.fragmentOffset,
    moreFragments: v.moreFragments,
    identification: v.identification,
  };
}

/** Writes all 8 bytes (Reserved and Res zero) at `off` of `buf`; returns 8. */
export function emitIpv6FragmentHeader(repr: Ipv6FragmentRepr, buf: Uint8Array, off = 0): number {
  setU8(buf, off + F.NXT_HDR, repr.nextHeader);
  setU8(buf, off + F.RESERVED, 0);
  setU16(buf, off + F.FR_OF_M, ((repr.fragmentOffset & 0x1fff) << 3) | (repr.moreFragments ? 1 : 0));
  setU32(buf, off + F.IDENT, repr.identification);
  return IPV6_FRAGMENT_HEADER_LEN;
}

/** One-line summary for logs: `frag udp off=1232 M id=0x12345678`. */
export function formatIpv6FragmentHeader(v: Ipv6FragmentHeader): string {
  return `frag ${protocolName(v.nextHeader)} off=${v.fragmentOffset * 8}${v.moreFragments ? ' M' : ''} id=0x${v.identification.toString(16).padStart(8, '0')}`;
}
