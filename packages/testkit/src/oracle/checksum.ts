/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624 eqn.
 * 3) for the oracle parser, written from the RFCs as plain loops: a word at a
 * time, folded at the end. Deliberately not imported from @sixgate/wire (whose
 * sum is unrolled and word-wide): a test that checks the translator's
 * checksums with these cannot share a mistake with it
 * (docs/adr/0007-one-packet-parser.md).
 *
 * A *partial sum* is the folded, uncomplemented ones'-complement sum
 * (0..0xffff); a *checksum* is `finish(partial)`. A region verifies when its
 * partial sum (checksum field included) is 0xffff.
 */
import { u32 } from './bytes.js';

/** End-around carry until 16 bits remain. */
function fold(acc: number): number {
  let a = acc;
  while (a > 0xffff) a = (a % 65536) + Math.floor(a / 65536);
  return a;
}

/** The checksum field for a partial sum. */
export function finish(partial: number): number {
  return 0xffff - fold(partial);
}

/** Partial sum of `buf[start..end)` plus `initial`; an odd last byte is the high byte of a zero-padded word. */
export function sum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let acc = initial;
  let i = start;
  // One word per step; at most 2^31 / 65535 words before the sum could leave the safe range of a double's
  // exact integers, far more than a 64 KiB packet has.
  for (; i + 1 < end; i += 2) acc += (buf[i] ?? 0) * 256 + (buf[i + 1] ?? 0);
  if (i < end) acc += (buf[i] ?? 0) * 256;
  return fold(acc);
}

/** Whether `buf[start..end)` plus `initial` sums to 0xffff. */
export function verify(buf: Uint8Array, start: number, end: number, initial = 0): boolean {
  return sum(buf, start, end, initial) === 0xffff;
}

/** Partial sum of two IPv4 addresses held as numbers. */
export function addressSum4(src: number, dst: number): number {
  const s = src >>> 0;
  const d = dst >>> 0;
  return fold(Math.floor(s / 65536) + (s % 65536) + Math.floor(d / 65536) + (d % 65536));
}

/** Partial sum of the 16-byte addresses at `srcOff` and `dstOff`. */
export function addressSum6(buf: Uint8Array, srcOff: number, dstOff: number): number {
  return sum(buf, dstOff, dstOff + 16, sum(buf, srcOff, srcOff + 16));
}

/** IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): addresses, zero, protocol, length. */
export function pseudoHeaderSum4(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, length: number): number {
  return fold(addressSum4(u32(buf, srcOff), u32(buf, dstOff)) + proto + (length % 65536));
}

/** IPv6 pseudo-header (RFC 8200 §8.1): addresses, 32-bit length, zeros, next header. */
export function pseudoHeaderSum6(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, length: number): number {
  return fold(addressSum6(buf, srcOff, dstOff) + Math.floor(length / 65536) + (length % 65536) + proto);
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a covered word (or partial sum) m → m'. */
export function update16(csum: number, oldVal: number, newVal: number): number {
  return finish((0xffff - (csum & 0xffff)) + (0xffff - (oldVal & 0xffff)) + (newVal & 0xffff));
}

/** RFC 1624 for a covered 32-bit value: both halves. */
export function update32(csum: number, oldVal: number, newVal: number): number {
  const o = oldVal >>> 0;
  const n = newVal >>> 0;
  return update16(update16(csum, Math.floor(o / 65536), Math.floor(n / 65536)), o % 65536, n % 65536);
}

/** RFC 1624 where covered words with partial sum `oldSum` became words with partial sum `newSum`. */
export function adjust(csum: number, oldSum: number, newSum: number): number {
  return update16(csum, fold(oldSum), fold(newSum));
}

/** UDP sends a computed 0 as 0xffff (RFC 768). */
export function normalizeUdp(csum: number): number {
  return csum === 0 ? 0xffff : csum;
}
