/**
 * Byte order in one place (STYLE §2): every multi-byte field read or write in
 * @sixgate/wire goes through these functions. They use plain index math on a
 * Uint8Array (network byte order, big-endian), which V8 compiles to a few
 * loads and shifts; no DataView is created per call. This is also the only file
 * that deals with `noUncheckedIndexedAccess` on typed arrays: callers must stay
 * in bounds (views guarantee that through `check()`); out-of-bounds reads
 * yield garbage (`undefined` coerced to 0), never a throw.
 */
import { byteView, wordView } from './words.js';

/** Reads the unsigned byte at `off`. */
export function u8(buf: Uint8Array, off: number): number {
  return buf[off]!;
}

/** Writes the low 8 bits of `v` at `off`. */
export function setU8(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v;
}

/** Reads a big-endian uint16 at `off`. */
export function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

/** Writes the low 16 bits of `v` big-endian at `off`. */
export function setU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Reads a big-endian uint32 at `off` (result is non-negative). */
export function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes the low 32 bits of `v` big-endian at `off`. */
export function setU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/**
 * Copies `len` bytes from `src[srcOff..]` to `dst[dstOff..]`; overlap-safe, even
 * across views of one ArrayBuffer. Allocates nothing (no subarray): within one
 * ArrayBuffer it is `copyWithin` on a cached whole-buffer view (memmove);
 * between buffers, 32-bit words when both offsets share their alignment, else
 * bytes (words.ts).
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (len <= 0) return;
  const d0 = dst.byteOffset + dstOff;
  const s0 = src.byteOffset + srcOff;
  if (dst.buffer === src.buffer) {
    // Short forward-safe copies (addresses) are faster as a loop.
    if (len <= 16 && d0 <= s0) {
      for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
      return;
    }
    byteView(dst).copyWithin(d0, s0, s0 + len);
    return;
  }
  let k = 0;
  if (len >= 32 && ((d0 ^ s0) & 3) === 0) {
    for (; ((d0 + k) & 3) !== 0; k++) dst[dstOff + k] = src[srcOff + k]!;
    const dw = wordView(dst);
    const sw = wordView(src);
    const di = (d0 + k) >>> 2;
    const si = (s0 + k) >>> 2;
    const n = (len - k) >>> 2;
    for (let w = 0; w < n; w++) dw[di + w] = sw[si + w]!;
    k += n << 2;
  }
  for (; k < len; k++) dst[dstOff + k] = src[srcOff + k]!;
}

/** Whether `a[aOff..aOff+len)` equals `b[bOff..bOff+len)`. */
export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}
