/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624): the
 * only checksum code in the project (STYLE §2). Allocation-free.
 *
 * Vocabulary:
 * - a *partial sum* is the ones'-complement sum of 16-bit big-endian words,
 *   folded to 16 bits (0..0xffff), NOT complemented. `sum`, `pseudoHeaderSum4/6`,
 *   `addressSum4/6` and `combine` return partial sums, and any partial sum can
 *   be passed as `initial` or combined with another.
 * - a *checksum* is what sits in a header field: `finish(partial)` = ~partial.
 *
 * A header verifies when the partial sum over it (checksum field included,
 * plus any pseudo-header) folds to 0xffff: see `verify`.
 *
 * NAT64 (RFC 7915 §4.5/§5.5) changes the pseudo-header of TCP/UDP from IPv6 to
 * IPv4 or back. Protocol and upper-layer length contribute the same to both
 * pseudo-headers (length < 65536), so only the address sums differ and the
 * checksum is fixed with `adjust(csum, oldAddressSum, newAddressSum)`, or the
 * `pseudoSwap6to4`/`pseudoSwap4to6` helpers.
 *
 * Ones'-complement note: incremental updates (RFC 1624 eqn. 3) never produce
 * 0xffff, a full recompute never produces 0x0000 unless every covered word is
 * zero. Both are "zero" in ones'-complement arithmetic; covered data of a
 * real TCP/UDP/ICMPv6 segment or IPv4 header is never all zero (the protocol
 * or version is non-zero), so the two agree in practice. UDP must send a
 * computed 0 as 0xffff: `normalizeUdp`.
 */
import { u32 } from './bytes.js';
import { wordView } from './words.js';

/** Bytes per inner loop before folding: keeps both byte accumulators small integers (Smis). */
const CHUNK = 32768;

/** Folds a non-negative accumulator (< 2^32) to 16 bits with end-around carry. */
export function fold(acc: number): number {
  acc = (acc & 0xffff) + (acc >>> 16);
  acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** The checksum field value for a partial sum: `~fold(acc) & 0xffff`. */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff;
}

/** Adds two partial sums (ones'-complement addition). */
export function combine(a: number, b: number): number {
  return fold(a + b);
}

/**
 * Partial sum of `buf[start..end)` as big-endian 16-bit words plus `initial`
 * (a partial sum, default 0). An odd trailing byte is padded with a zero low
 * byte (RFC 1071). Words start at `start`, so `start` must sit on an even
 * distance from the checksummed region's beginning.
 */
export function sum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  if (end - start >= WIDE_MIN && LITTLE_ENDIAN) return sumWide(buf, start, end, initial);
  // RFC 1071 §2(B)/§4.1: add the even-position (high) and odd-position (low)
  // bytes separately and combine at the end; unrolled 8 bytes per iteration.
  let acc = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  while (i < even) {
    const stop = Math.min(even, i + CHUNK);
    const stop8 = i + ((stop - i) & ~7);
    let hi = 0;
    let lo = 0;
    for (; i < stop8; i += 8) {
      hi += buf[i]! + buf[i + 2]! + buf[i + 4]! + buf[i + 6]!;
      lo += buf[i + 1]! + buf[i + 3]! + buf[i + 5]! + buf[i + 7]!;
    }
    for (; i < stop; i += 2) {
      hi += buf[i]!;
      lo += buf[i + 1]!;
    }
    acc = fold(acc + hi * 256 + lo);
  }
  if (even < end) acc += buf[even]! << 8;
  return fold(acc);
}

/** From this many bytes on, `sum` reads aligned 32-bit words (about 2× faster on 1500-byte packets). */
const WIDE_MIN = 512;
/** Uint32Array reads are host-endian; the wide path assumes little-endian hosts. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Words per inner loop of the wide path (keeps the accumulator < 2^31). */
const WIDE_CHUNK = 16384;

/**
 * `sum` for long ranges: head and tail bytes one at a time, the 4-aligned
 * middle as little-endian uint32 words. The little-endian 16-bit sum is the
 * byte-swapped big-endian sum (RFC 1071 §2(B)); when the middle starts at an
 * odd distance from `start`, the word pairing shifts by one byte, which undoes
 * the swap.
 */
function sumWide(buf: Uint8Array, start: number, end: number, initial: number): number {
  let hi = 0;
  let lo = 0;
  let i = start;
  const headEnd = start + ((4 - ((buf.byteOffset + start) & 3)) & 3);
  for (; i < headEnd; i++) {
    if (((i - start) & 1) === 0) hi += buf[i]!;
    else lo += buf[i]!;
  }
  const words = (end - i) >>> 2;
  // One cached view over the whole buffer, indexed from the aligned absolute
  // offset: no typed array is created per checksum (words.ts).
  const w32 = wordView(buf);
  const base = (buf.byteOffset + i) >>> 2;
  let le = 0;
  for (let k = 0; k < words; ) {
    const stop = Math.min(words, k + WIDE_CHUNK);
    let a = 0;
    for (; k < stop; k++) {
      const w = w32[base + k]!;
      a += (w & 0xffff) + (w >>> 16);
    }
    le = fold(le + a);
  }
  if (((i - start) & 1) === 0) le = ((le & 0xff) << 8) | (le >>> 8);
  for (i += words << 2; i < end; i++) {
    if (((i - start) & 1) === 0) hi += buf[i]!;
    else lo += buf[i]!;
  }
  return fold(fold(initial + le) + hi * 256 + lo);
}

/** Whether `buf[start..end)` plus partial sum `initial` verifies (folds to 0xffff). */
export function verify(buf: Uint8Array, start: number, end: number, initial = 0): boolean {
  return sum(buf, start, end, initial) === 0xffff;
}

/** Partial sum of a uint32 (e.g. an IPv4 address held as a number). */
export function sumU32(v: number): number {
  return fold((v >>> 16) + (v & 0xffff));
}

/** Partial sum of two IPv4 addresses held as uint32 numbers. */
export function addressSum4(src: number, dst: number): number {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff));
}

/** Partial sum of the two 4-byte IPv4 addresses at `srcOff` and `dstOff` of `buf`. */
export function addressSum4At(buf: Uint8Array, srcOff: number, dstOff: number): number {
  return addressSum4(u32(buf, srcOff), u32(buf, dstOff));
}

/** Partial sum of the two 16-byte IPv6 addresses at `srcOff` and `dstOff` of `buf`. */
export function addressSum6(buf: Uint8Array, srcOff: number, dstOff: number): number {
  let a = 0;
  for (let i = 0; i < 16; i += 2) {
    a += (buf[srcOff + i]! << 8) | buf[srcOff + i + 1]!;
    a += (buf[dstOff + i]! << 8) | buf[dstOff + i + 1]!;
  }
  return fold(a);
}

/**
 * Partial sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): addresses at
 * `srcOff`/`dstOff` of `buf`, zero, protocol, and upper-layer `length` (16-bit).
 */
export function pseudoHeaderSum4(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, length: number): number {
  return fold(addressSum4At(buf, srcOff, dstOff) + proto + (length & 0xffff));
}

/**
 * Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1): 16-byte addresses at
 * `srcOff`/`dstOff` of `buf`, 32-bit upper-layer `length`, zero, next header `proto`.
 */
export function pseudoHeaderSum6(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, length: number): number {
  return fold(addressSum6(buf, srcOff, dstOff) + proto + (length >>> 16) + (length & 0xffff));
}

/**
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the new checksum field value after a
 * covered 16-bit word (or any partial sum) changes from `oldVal` to `newVal`.
 */
export function update16(csum: number, oldVal: number, newVal: number): number {
  return finish((~csum & 0xffff) + (~oldVal & 0xffff) + (newVal & 0xffff));
}

/** RFC 1624 update for a covered 32-bit value (e.g. an IPv4 address, a TCP sequence number). */
export function update32(csum: number, oldVal: number, newVal: number): number {
  return finish(
    (~csum & 0xffff) + (~(oldVal >>> 16) & 0xffff) + (~oldVal & 0xffff) + (newVal >>> 16) + (newVal & 0xffff),
  );
}

/**
 * RFC 1624 update where a set of covered words with partial sum `oldSum` was
 * replaced by words with partial sum `newSum` (e.g. a pseudo-header swap).
 */
export function adjust(csum: number, oldSum: number, newSum: number): number {
  return update16(csum, fold(oldSum), fold(newSum));
}

/**
 * NAT64 6→4 (RFC 7915 §5.5): the TCP/UDP checksum `csum` computed with the IPv6
 * pseudo-header (addresses at `src6Off`/`dst6Off` of `buf6`) fixed for an IPv4
 * pseudo-header with addresses `src4`/`dst4`. For UDP, pass the result through
 * `normalizeUdp`.
 */
export function pseudoSwap6to4(csum: number, buf6: Uint8Array, src6Off: number, dst6Off: number, src4: number, dst4: number): number {
  // Six parameters: hot path, one call per translated TCP/UDP packet, no allocation.
  return adjust(csum, addressSum6(buf6, src6Off, dst6Off), addressSum4(src4, dst4));
}

/**
 * NAT64 4→6 (RFC 7915 §4.5): the TCP/UDP checksum `csum` computed with the IPv4
 * pseudo-header (`src4`/`dst4`) fixed for an IPv6 pseudo-header whose
 * addresses sit at `src6Off`/`dst6Off` of `buf6`. For UDP, pass the result
 * through `normalizeUdp`.
 */
export function pseudoSwap4to6(csum: number, src4: number, dst4: number, buf6: Uint8Array, src6Off: number, dst6Off: number): number {
  // Six parameters: hot path, see pseudoSwap6to4.
  return adjust(csum, addressSum4(src4, dst4), addressSum6(buf6, src6Off, dst6Off));
}

/** UDP sends a computed checksum of 0 as 0xffff (RFC 768; 0 means "none" in IPv4). */
export function normalizeUdp(csum: number): number {
  return csum === 0 ? 0xffff : csum;
}
