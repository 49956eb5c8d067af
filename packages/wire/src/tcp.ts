/**
 * TCP accessors (RFC 9293 §3.1–3.2) on (buffer, offset): the options walk that
 * MSS clamping needs. No objects, no allocation. Data Offset is the high
 * nibble of byte 12 (32-bit words); options start at byte 20; the segment
 * length comes from the IP layer.
 */

/** `tcpMssOffset`: no MSS option. */
export const TCP_NO_MSS = -1;
/** `tcpMssOffset`: an option's length runs past the header (or is below 2) before an MSS was found. */
export const TCP_OPTIONS_MALFORMED = -2;

/**
 * Offset of the 2-byte value of the MSS option (kind 2, length 4) of the TCP
 * segment at `buf[p..p+l4Len)`, or TCP_NO_MSS / TCP_OPTIONS_MALFORMED. The
 * options end at Data Offset × 4, but never past `l4Len`. End of Option List
 * (0) ends the walk, No-Operation (1) is one byte, every other option has a
 * length byte ≥ 2; a kind-2 option of another length is skipped.
 */
export function tcpMssOffset(buf: Uint8Array, p: number, l4Len: number): number {
  const hdr = (buf[p + 12]! >> 4) << 2;
  const end = p + (hdr < l4Len ? hdr : l4Len);
  let i = p + 20;
  while (i < end) {
    const kind = buf[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return TCP_OPTIONS_MALFORMED;
    const olen = buf[i + 1]!;
    if (olen < 2 || i + olen > end) return TCP_OPTIONS_MALFORMED;
    if (kind === 2 && olen === 4) return i + 2;
    i += olen;
  }
  return TCP_NO_MSS;
}
