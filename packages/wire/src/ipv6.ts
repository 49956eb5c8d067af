/**
 * IPv6 accessors (RFC 8200) on (buffer, offset): the walk of the extension-
 * header chain that RFC 7915 §5.1 needs, for the packets the translator
 * receives and for the IPv6 packet quoted in an ICMPv6 error. One reusable
 * result object per caller; nothing allocates per packet.
 *
 * ```
 * Fixed header: version/class/flow (0), Payload Length (4), Next Header (6),
 *               Hop Limit (7), Source (8), Destination (24); 40 bytes.
 * Hop-by-Hop (0), Routing (43), Destination Options (60):
 *   | Next Header | Hdr Ext Len | type-specific …   (Hdr Ext Len + 1) × 8 bytes
 *   Routing: byte 2 Routing Type, byte 3 Segments Left.
 * Fragment (44), 8 bytes:
 *   | Next Header | Reserved | Fragment Offset (13 bits) |Res|M| Identification (32) |
 * ```
 *
 * The walk steps over Hop-by-Hop, Routing and Destination Options (RFC 7915
 * §5.1 translates past them) and one Fragment header; anything else (TCP,
 * UDP, ICMPv6, AH, ESP, No Next Header, unknown) is the upper layer. After
 * the Fragment header of a non-first fragment the rest is data, not headers.
 */
import { u16 } from './bytes.js';

/** Most extension headers walked before giving up (RFC 8200 §4.1 allows few). */
export const IPV6_MAX_EXTENSIONS = 8;

/** `walkIpv6Chain` status: walked; the result is in the `Ipv6Chain`. */
export const IPV6_CHAIN_OK = 0;
/** A header runs past the end. `at`: the header. */
export const IPV6_CHAIN_TRUNCATED = 1;
/** More than IPV6_MAX_EXTENSIONS extension headers, or a second Fragment header. `at`: the header. */
export const IPV6_CHAIN_BAD = 2;
/** An extension header follows the Fragment header. `at`: that header. */
export const IPV6_CHAIN_AFTER_FRAGMENT = 3;
/** A Routing header with Segments Left ≠ 0 (RFC 7915 §5.1: not translated). `at`: the Segments Left byte. */
export const IPV6_CHAIN_SEGMENTS_LEFT = 4;

/** Where a walk ended. One per caller, overwritten by every walk. */
export class Ipv6Chain {
  /** Upper-layer protocol: the Next Header after the last header walked. */
  nh = 0;
  /** Offset of the upper-layer header (of the fragment data for a non-first fragment). */
  upper = 0;
  /** Offset of the Fragment header, -1 when none. */
  frag = -1;
  /** Fragment Offset in bytes (0 without a Fragment header). */
  fragOffset = 0;
  /** Hop-by-Hop, Routing and Destination Options headers walked (the Fragment header not counted). */
  exts = 0;
  /** With a status other than OK: the offset it points at (see the status constants). */
  at = -1;
}

/**
 * Walks the chain of the IPv6 packet whose fixed header is at `off`, not
 * reading at or past `end`. Returns IPV6_CHAIN_OK with the result in `x`, or
 * the first problem found in chain order (TRUNCATED, BAD, AFTER_FRAGMENT,
 * SEGMENTS_LEFT) with `x.at` set. The caller guarantees `off + 40 <= end`
 * and `end <= buf.length`.
 */
export function walkIpv6Chain(buf: Uint8Array, off: number, end: number, x: Ipv6Chain): number {
  let nh = buf[off + 6]!;
  let p = off + 40;
  x.frag = -1;
  x.fragOffset = 0;
  x.exts = 0;
  x.at = -1;
  for (let n = 0; ; n++) {
    if (nh === 44) {
      x.at = p;
      if (n >= IPV6_MAX_EXTENSIONS || x.frag >= 0) return IPV6_CHAIN_BAD;
      if (p + 8 > end) return IPV6_CHAIN_TRUNCATED;
      x.frag = p;
      x.fragOffset = u16(buf, p + 2) & 0xfff8;
      nh = buf[p]!;
      p += 8;
      if (x.fragOffset !== 0) break; // the rest is data, not headers
    } else if (nh === 0 || nh === 43 || nh === 60) {
      x.at = p;
      if (n >= IPV6_MAX_EXTENSIONS) return IPV6_CHAIN_BAD;
      if (x.frag >= 0) return IPV6_CHAIN_AFTER_FRAGMENT;
      if (p + 8 > end) return IPV6_CHAIN_TRUNCATED;
      if (nh === 43 && buf[p + 3] !== 0) {
        x.at = p + 3;
        return IPV6_CHAIN_SEGMENTS_LEFT;
      }
      const next = p + ((buf[p + 1]! + 1) << 3);
      if (next > end) return IPV6_CHAIN_TRUNCATED;
      x.exts++;
      nh = buf[p]!;
      p = next;
    } else break;
  }
  x.nh = nh;
  x.upper = p;
  x.at = -1;
  return IPV6_CHAIN_OK;
}
