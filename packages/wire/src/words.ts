/**
 * Whole-buffer views for allocation-free word access and bulk copies.
 *
 * `new Uint32Array(buf.buffer, off, n)` or `src.subarray(a, b)` allocate a
 * typed array object per call (young-generation garbage on every packet).
 * Instead, the hot paths index one view over the *whole* ArrayBuffer with the
 * absolute byte offset (`buf.byteOffset + off`). The views of the last
 * `CACHED` buffers are kept (compared by identity), so a packet loop working
 * in a few buffers (the daemon uses one arena) creates them once. A cached
 * view keeps its ArrayBuffer alive until it is evicted.
 */

const CACHED = 8;
const keys: (ArrayBufferLike | undefined)[] = new Array<ArrayBufferLike | undefined>(CACHED).fill(undefined);
const words: Int32Array[] = new Array<Int32Array>(CACHED).fill(new Int32Array(0));
const bytes: Uint8Array[] = new Array<Uint8Array>(CACHED).fill(new Uint8Array(0));
let victim = 0;

function slotOf(ab: ArrayBufferLike): number {
  for (let i = 0; i < CACHED; i++) if (keys[i] === ab) return i;
  const i = victim;
  victim = (victim + 1) % CACHED;
  keys[i] = ab;
  words[i] = new Int32Array(ab, 0, ab.byteLength >>> 2);
  bytes[i] = new Uint8Array(ab);
  return i;
}

/** An Int32Array over all of `buf`'s ArrayBuffer (index = absolute byte offset / 4). */
export function wordView(buf: Uint8Array): Int32Array {
  return words[slotOf(buf.buffer)]!;
}

/** A Uint8Array over all of `buf`'s ArrayBuffer (index = absolute byte offset). */
export function byteView(buf: Uint8Array): Uint8Array {
  return bytes[slotOf(buf.buffer)]!;
}
