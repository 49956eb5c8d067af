/**
 * One bounds-checked pass over an IPv6 extension-header chain (RFC 8200 §4),
 * reporting everything RFC 7915 §5.1 needs to translate or reject a packet:
 * the upper-layer protocol and its offset, the Fragment header's offset, the
 * Segments Left byte of a Routing header that still has segments to visit,
 * and whether extension headers follow the Fragment header.
 *
 * Generic extension header (Hop-by-Hop 0, Routing 43, Destination Options 60,
 * Mobility 135, HIP 139, Shim6 140); AH (51) counts its length in 4-octet units
 * minus 2 (RFC 4302 §2.2); Fragment (44) is always 8 bytes:
 *
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * .        type-specific data (Hdr Ext Len + 1) × 8 bytes         .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Routing header (43):
 * |  Next Header  |  Hdr Ext Len  |  Routing Type | Segments Left |
 * ```
 *
 * The walk stops at the first header that is not an extension header (TCP,
 * UDP, ICMPv6, ESP 50, No Next Header 59, anything unknown) or right after
 * the Fragment header of a non-first fragment, whose data is not a header.
 */
import { IP_PROTOCOL } from './ip-protocol.js';
import { WIRE_ERROR, type WireError } from './errors.js';
import type { Ipv6Header } from './ipv6.js';

/** Reusable result of `walkIpv6Extensions` (one per hot path; fields are overwritten per walk). */
export class Ipv6Extensions {
  /** Protocol after the extension headers (TCP, UDP, ICMPv6, 59, ESP, …). */
  upperProtocol = IP_PROTOCOL.IPV6_NO_NEXT as number;
  /** Absolute offset in the buffer of the upper-layer header (or the fragment data of a non-first fragment). */
  upperOffset = 0;
  /** Absolute offset of the Fragment header, or -1. */
  fragmentHeaderOffset = -1;
  /** Fragment Offset (8-octet units) of the Fragment header, or 0 when there is none. */
  fragmentOffset = 0;
  /** Whether the Fragment header's M flag is set. */
  moreFragments = false;
  /** Whether `upperOffset` holds fragment data rather than a header (Fragment Offset ≠ 0). */
  isLaterFragment = false;
  /** Whether an extension header follows the Fragment header. */
  extensionAfterFragment = false;
  /** Absolute offset of the Segments Left byte of the first Routing header with Segments Left ≠ 0, or -1. */
  segmentsLeftOffset = -1;
  /** Whether a Hop-by-Hop Options header is present (always first). */
  hasHopByHop = false;
  /** Absolute offset where the walk started (first byte after the fixed header). */
  start = 0;

  /** Bytes of extension headers walked: `upperOffset − start`. */
  get length(): number {
    return this.upperOffset - this.start;
  }
}

function reset(x: Ipv6Extensions, start: number): void {
  x.upperProtocol = IP_PROTOCOL.IPV6_NO_NEXT;
  x.upperOffset = start;
  x.fragmentHeaderOffset = -1;
  x.fragmentOffset = 0;
  x.moreFragments = false;
  x.isLaterFragment = false;
  x.extensionAfterFragment = false;
  x.segmentsLeftOffset = -1;
  x.hasHopByHop = false;
  x.start = start;
}

/** Whether `nh` is an extension header this walk steps over. */
export function isIpv6Extension(nh: number): boolean {
  return extLength(EIGHT, nh, 0) > 0;
}
const isExtension = isIpv6Extension;
const EIGHT = new Uint8Array(8);

/** Length in bytes of the extension header `nh` at `i` (2 bytes readable), or -1 if `nh` is not one we walk. */
function extLength(buf: Uint8Array, nh: number, i: number): number {
  switch (nh) {
    case IP_PROTOCOL.HOP_BY_HOP:
    case IP_PROTOCOL.IPV6_ROUTE:
    case IP_PROTOCOL.IPV6_DEST_OPTS:
    case IP_PROTOCOL.MOBILITY:
    case IP_PROTOCOL.HIP:
    case IP_PROTOCOL.SHIM6:
      return (buf[i + 1]! + 1) << 3;
    case IP_PROTOCOL.AH:
      return (buf[i + 1]! + 2) << 2;
    case IP_PROTOCOL.IPV6_FRAGMENT:
      return 8;
    default:
      return -1;
  }
}

/**
 * Walks the chain starting with header `nextHeader` at `buf[start]`, not
 * reading at or past `end`. Fills and returns `into` (or a new result), or
 * returns `WIRE_ERROR.truncated` (a header runs past `end`) or
 * `WIRE_ERROR['bad-extension-header']` (Hop-by-Hop not first, or a second
 * Fragment header). Never throws.
 */
export function walkIpv6Extensions(buf: Uint8Array, start: number, end: number, nextHeader: number, into?: Ipv6Extensions): Ipv6Extensions | WireError {
  // Five parameters: hot path; `into` keeps it allocation-free.
  const x = into ?? new Ipv6Extensions();
  reset(x, start);
  if (!(start >= 0 && end <= buf.length)) return WIRE_ERROR.truncated;
  let nh = nextHeader;
  let i = start;
  for (;;) {
    if (!isExtension(nh)) break; // the upper layer may be empty or truncated: its own check() decides
    if (i + 2 > end) return WIRE_ERROR.truncated;
    const hlen = extLength(buf, nh, i);
    if (i + hlen > end) return WIRE_ERROR.truncated;
    if (nh === IP_PROTOCOL.HOP_BY_HOP) {
      if (i !== start) return WIRE_ERROR['bad-extension-header'];
      x.hasHopByHop = true;
    }
    if (x.fragmentHeaderOffset >= 0) x.extensionAfterFragment = true;
    if (nh === IP_PROTOCOL.IPV6_FRAGMENT) {
      if (x.fragmentHeaderOffset >= 0) return WIRE_ERROR['bad-extension-header'];
      x.fragmentHeaderOffset = i;
      x.fragmentOffset = ((buf[i + 2]! << 8) | buf[i + 3]!) >>> 3;
      x.moreFragments = (buf[i + 3]! & 1) !== 0;
      if (x.fragmentOffset !== 0) {
        x.isLaterFragment = true;
        x.upperProtocol = buf[i]!;
        x.upperOffset = i + 8;
        return x;
      }
    } else if (nh === IP_PROTOCOL.IPV6_ROUTE && x.segmentsLeftOffset < 0 && buf[i + 3]! !== 0) {
      x.segmentsLeftOffset = i + 3;
    }
    nh = buf[i]!;
    i += hlen;
  }
  x.upperProtocol = nh;
  x.upperOffset = i;
  return x;
}

/** `walkIpv6Extensions` over a checked `Ipv6Header` view's payload. */
export function walkIpv6(ip: Ipv6Header, into?: Ipv6Extensions): Ipv6Extensions | WireError {
  return walkIpv6Extensions(ip.buf, ip.payloadOffset, ip.off + ip.len, ip.nextHeader, into);
}
