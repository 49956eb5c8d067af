/**
 * Byte order in one place (STYLE §2): every multi-byte field read or write in
 * @sixgate/wire goes through these functions. They use plain index math on a
 * Uint8Array (network byte order, big-endian), which V8 compiles to a few
 * loads and shifts; no DataView is created per call. This is also the only file
 * that deals with `noUncheckedIndexedAccess` on typed arrays: callers must stay
 * in bounds (views guarantee that through `check()`); out-of-bounds reads
 * yield garbage (`undefined` coerced to 0), never a throw.
 */

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

/** Copies `len` bytes from `src[srcOff..]` to `dst[dstOff..]`; overlap-safe, even across views of one ArrayBuffer. */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  // Short copies (addresses) are faster as a loop than set(subarray()), which
  // allocates. A forward loop is safe unless the destination starts inside
  // the source in the same memory; TypedArray#set handles that case.
  if (len <= 16 && (dst.buffer !== src.buffer || dst.byteOffset + dstOff <= src.byteOffset + srcOff)) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
    return;
  }
  dst.set(src.subarray(srcOff, srcOff + len), dstOff);
}

/** Whether `a[aOff..aOff+len)` equals `b[bOff..bOff+len)`. */
export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}
