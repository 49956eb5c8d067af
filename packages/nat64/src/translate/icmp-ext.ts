/**
 * RFC 4884 multi-part ICMP messages across the translator (RFC 7915 §4.3 and
 * §5.3 "the length field ... is adjusted"): the original datagram is padded
 * with zeros to at least 128 bytes and to a multiple of the length unit (4
 * bytes in ICMPv4, 8 in ICMPv6), the extension structure follows opaquely,
 * and the length field counts units of the padded datagram.
 *
 * Trimming priority under the size cap (Jool ic1–ic6): headers and the first
 * 128 bytes of the datagram first, then the whole extension (never cut; if it
 * does not fit it is dropped and the length zeroed), then the rest of the
 * datagram.
 */

/**
 * Plans the layout. `innerLen` is the translated datagram size, `extLen` the
 * extension size (-1 when none), `avail` the bytes left under the cap, `unit`
 * 4 or 8. Returns `bytesOfDatagram * 1024 + lengthField`; the caller pads the
 * datagram up to `lengthField * unit` when lengthField > 0, then appends the
 * extension. Pure; no allocation.
 */
export function planExtension(innerLen: number, extLen: number, avail: number, unit: number): number {
  if (extLen < 0) return Math.min(innerLen, avail) * 1024;
  const padded = Math.max(128, Math.ceil(innerLen / unit) * unit);
  if (padded + extLen <= avail) return innerLen * 1024 + padded / unit;
  if (128 + extLen <= avail) {
    const cut = Math.floor((avail - extLen) / unit) * unit;
    return Math.min(innerLen, cut) * 1024 + cut / unit;
  }
  return Math.min(innerLen, avail) * 1024;
}

/**
 * Where the datagram of an incoming ICMP error ends: `end` unless the RFC
 * 4884 length field `lenField` (in `unit`s) is set and plausible (≥ 128 bytes
 * and inside the message, §5.4 otherwise treats it as absent).
 */
export function datagramEnd(inner: number, end: number, lenField: number, unit: number): number {
  if (lenField === 0) return end;
  const l = lenField * unit;
  return l >= 128 && inner + l <= end ? inner + l : end;
}
