/**
 * Byte access for the oracle parser: big-endian reads and writes through a
 * DataView-free index loop, written for clarity, not speed. Deliberately not
 * imported from @sixgate/wire: the oracle must not share a mistake with the
 * code it checks (docs/adr/0007-one-packet-parser.md).
 */

/** The byte at `off`; out of range reads as 0. */
export function u8(buf: Uint8Array, off: number): number {
  return buf[off] ?? 0;
}

/** Writes the low 8 bits of `v` at `off`. */
export function setU8(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
}

/** Big-endian uint16 at `off`. */
export function u16(buf: Uint8Array, off: number): number {
  return u8(buf, off) * 256 + u8(buf, off + 1);
}

/** Writes the low 16 bits of `v` big-endian at `off`. */
export function setU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = Math.floor(v / 256) & 0xff;
  buf[off + 1] = v & 0xff;
}

/** Big-endian uint32 at `off` (non-negative). */
export function u32(buf: Uint8Array, off: number): number {
  return u16(buf, off) * 65536 + u16(buf, off + 2);
}

/** Writes the low 32 bits of `v` big-endian at `off`. */
export function setU32(buf: Uint8Array, off: number, v: number): void {
  const x = v >>> 0;
  setU16(buf, off, Math.floor(x / 65536));
  setU16(buf, off + 2, x % 65536);
}

/** Copies `len` bytes from `src[srcOff..]` to `dst[dstOff..]` (through a copy, so overlap is safe). */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  dst.set(src.slice(srcOff, srcOff + len), dstOff);
}
