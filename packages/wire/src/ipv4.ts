/**
 * IPv4 header accessors (RFC 791 §3.1) on (buffer, offset): the checks and
 * the options walk the translator runs on every IPv4 packet and on the IPv4
 * packet quoted in an ICMPv4 error. Plain functions returning numbers; no
 * objects, no allocation. Fixed-offset fields are read with `u8`/`u16`/`u32`
 * at the offsets of the diagram.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |  0
 * |         Identification        |Flags|      Fragment Offset    |  4
 * |  Time to Live |    Protocol   |         Header Checksum       |  8
 * |                       Source Address                          | 12
 * |                    Destination Address                        | 16
 * |                    Options                    |    Padding    | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { u16 } from './bytes.js';

/** `ipv4HeaderCheck`: fewer bytes than the header or the Total Length need. */
export const IPV4_TRUNCATED = -1;
/** `ipv4HeaderCheck`: the version nibble is not 4. */
export const IPV4_BAD_VERSION = -2;
/** `ipv4HeaderCheck`: IHL below 5, or Total Length below the header length. */
export const IPV4_BAD_HEADER = -3;

/**
 * Checks the header of the IPv4 packet received as `buf[off..off+len)`,
 * cheapest test first: len ≥ 20, version 4, IHL ≥ 5, IHL × 4 ≤ len,
 * Total Length ≥ IHL × 4, Total Length ≤ len. Returns the header length in
 * bytes, or IPV4_TRUNCATED / IPV4_BAD_VERSION / IPV4_BAD_HEADER. The header
 * checksum is not verified here (`sum` over the header must be 0xffff).
 * The caller guarantees `off + len <= buf.length`.
 */
export function ipv4HeaderCheck(buf: Uint8Array, off: number, len: number): number {
  if (len < 20) return IPV4_TRUNCATED;
  const vi = buf[off]!;
  if (vi >> 4 !== 4) return IPV4_BAD_VERSION;
  const ihl = (vi & 0x0f) << 2;
  if (ihl < 20) return IPV4_BAD_HEADER;
  if (ihl > len) return IPV4_TRUNCATED;
  const total = u16(buf, off + 2);
  if (total < ihl) return IPV4_BAD_HEADER;
  if (total > len) return IPV4_TRUNCATED;
  return ihl;
}

/**
 * The header length of the IPv4 packet quoted in an ICMP error at
 * `buf[off..off+len)` (RFC 792, RFC 1812 §4.3.2.3: the quote may be cut, so
 * Total Length is not held against `len`): version 4 and 20 ≤ IHL × 4 ≤ len,
 * else -1.
 */
export function ipv4EmbeddedHeaderLength(buf: Uint8Array, off: number, len: number): number {
  if (len < 20) return -1;
  const vi = buf[off]!;
  const ihl = (vi & 0x0f) << 2;
  return vi >> 4 !== 4 || ihl < 20 || ihl > len ? -1 : ihl;
}

/** `ipv4SourceRoute`: no unexpired source route. */
export const IPV4_NO_SOURCE_ROUTE = -1;
/** `ipv4SourceRoute`: an option's length runs past the header (or is below 2) before one was found. */
export const IPV4_OPTIONS_MALFORMED = -2;

/**
 * Walks the options of the IPv4 header at `off` (header length `ihl` bytes)
 * and returns the offset of the first unexpired Loose (131) or Strict (137)
 * Source and Record Route option — pointer ≤ length, so hops remain (RFC 791
 * §3.1) — or IPV4_NO_SOURCE_ROUTE / IPV4_OPTIONS_MALFORMED. End of Option
 * List (0) ends the walk, No Operation (1) is one byte, every other option
 * has a length byte ≥ 2. RFC 7915 §4.1: such a packet is not translated
 * (ICMPv4 3/5). Reads only `buf[off+20..off+ihl)`.
 */
export function ipv4SourceRoute(buf: Uint8Array, off: number, ihl: number): number {
  const end = off + ihl;
  let i = off + 20;
  while (i < end) {
    const kind = buf[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return IPV4_OPTIONS_MALFORMED;
    const olen = buf[i + 1]!;
    if (olen < 2 || i + olen > end) return IPV4_OPTIONS_MALFORMED;
    if ((kind === 131 || kind === 137) && olen >= 3 && buf[i + 2]! <= olen) return i;
    i += olen;
  }
  return IPV4_NO_SOURCE_ROUTE;
}
