/**
 * The common shape of every header view: a window `[off, off+len)` over a
 * caller-owned `Uint8Array`. Views never copy and never allocate after
 * construction; `reset()` re-points a view so the hot path keeps one view per
 * header type and reuses it for every packet.
 */

const EMPTY = new Uint8Array(0);

/** Base class of the header views: buffer, start offset, and byte length of header + payload. */
export abstract class HeaderView {
  /** The underlying buffer (shared, never copied). */
  buf: Uint8Array;
  /** Offset of the header's first byte in `buf`. */
  off: number;
  /** Bytes from `off` that belong to this header and its payload. */
  len: number;

  /** Wraps `buf` at `off` WITHOUT checks (for emission or already-checked bytes). */
  constructor(buf: Uint8Array = EMPTY, off = 0, len = buf.length - off) {
    this.buf = buf;
    this.off = off;
    this.len = len;
  }

  /** Re-points this view WITHOUT checks; returns `this`. */
  reset(buf: Uint8Array, off = 0, len = buf.length - off): this {
    this.buf = buf;
    this.off = off;
    this.len = len;
    return this;
  }

  /** The header and payload bytes, `buf[off, off+len)` (a subarray, no copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.off, this.off + this.len);
  }
}
