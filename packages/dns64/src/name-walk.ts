/**
 * The one walker of DNS names on the wire (RFC 1035 §3.1, §4.1.4) for every
 * reader in dns64: the cache-hit fast path (`probeQuery`), the query parser,
 * the record walk of answers and the owner compression of our own answers.
 * Plain functions on (buffer, offset); `walkName` allocates nothing.
 *
 * ```
 * label:   | len 1..63 | len bytes ... |        (top bits 00)
 * root:    | 0 |
 * pointer: | 11 offset (14 bits)       |        (top bits 11, two bytes; ends the name in place)
 * 01 and 10 label types are reserved (RFC 6891 §5 retired the extended ones).
 * ```
 */

/** The name runs past the end of the data. */
export const NAME_TRUNCATED = -1;
/** A label type 01 or 10 (reserved). */
export const NAME_BAD_LABEL = -2;
/** More than 255 octets (RFC 1035 §3.1: label octets and length octets together). */
export const NAME_TOO_LONG = -3;
/** A compression pointer where none may be (a question name: nothing precedes it to point to). */
export const NAME_POINTER = -4;
/**
 * A pointer that does not point back to an earlier name in the message
 * (RFC 1035 §4.1.4: "a prior occurance"): a pointer to itself, forward, or
 * into the header — a loop or garbage for anyone who follows it.
 */
export const NAME_BAD_POINTER = -5;

/** `msg` argument of `walkName` for names that may not be compressed. */
export const NO_POINTERS = -1;

/**
 * Walks the name at `buf[off..end)` and returns the offset just after it in
 * place (after its root label, or after its first pointer, which is checked
 * but not followed), or a negative NAME_* code. `msg` is the offset of the
 * message's first byte (pointers count from there; a pointer must land
 * after the 12-byte header and before itself), or NO_POINTERS.
 * The caller guarantees `end <= buf.length`.
 */
export function walkName(buf: Uint8Array, off: number, end: number, msg: number): number {
  let o = off;
  for (;;) {
    if (o >= end) return NAME_TRUNCATED;
    const l = buf[o]!;
    if (l === 0) return o + 1 - off > 255 ? NAME_TOO_LONG : o + 1;
    if (l < 64) {
      o += l + 1;
      if (o - off > 255) return NAME_TOO_LONG;
      continue;
    }
    if (l < 0xc0) return NAME_BAD_LABEL;
    if (msg < 0) return NAME_POINTER;
    if (o + 2 > end) return NAME_TRUNCATED;
    const target = msg + (((l & 0x3f) << 8) | buf[o + 1]!);
    return target < o && target >= msg + 12 ? o + 2 : NAME_BAD_POINTER;
  }
}

/** Where `nameText` writes a name before it becomes one string (255 name bytes, each at most 4 as `\DDD`). */
const textScratch = Buffer.allocUnsafe(1024);

/**
 * The presentation form of an uncompressed name that `walkName` accepted,
 * `buf[off..nameEnd)`: labels lower-cased (ASCII) and joined by '.', '' for
 * the root; '.', '\' and bytes outside 0x21–0x7e as `\DDD`, so two different
 * names never give the same text. The characters go into a scratch buffer
 * and become one string at the end (one allocation, not one per character).
 */
export function nameText(buf: Uint8Array, off: number, nameEnd: number): string {
  const out = textScratch;
  let n = 0;
  for (let o = off; o < nameEnd - 1; ) {
    const l = buf[o]!;
    if (l === 0 || l > 63) break;
    if (o !== off) out[n++] = 0x2e;
    for (let i = o + 1; i <= o + l; i++) {
      let c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c === 0x2e || c === 0x5c || c < 0x21 || c > 0x7e) {
        out[n++] = 0x5c;
        out[n++] = 0x30 + Math.floor(c / 100);
        out[n++] = 0x30 + (Math.floor(c / 10) % 10);
        out[n++] = 0x30 + (c % 10);
      } else {
        out[n++] = c;
      }
    }
    o += l + 1;
  }
  return n === 0 ? '' : out.toString('latin1', 0, n);
}
