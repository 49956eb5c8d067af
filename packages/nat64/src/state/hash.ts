/**
 * Hash functions of the state tables.
 *
 * - `mix`/`finish`: a seeded 32-bit mixer (MurmurHash3 structure) for the
 *   open-addressing tables. The seed is random per instance so a remote peer
 *   cannot aim collisions at a known function.
 * - `halfSipHash24`: the keyed PRF of RFC 6056 §3.3.3 (algorithm 3, "F") used
 *   for port selection. HalfSipHash-2-4 with a 64-bit key and a 32-bit result:
 *   cheap in 32-bit JS arithmetic and unpredictable without the key.
 */

/** Mixes one 32-bit word into the running hash `h`. */
export function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Final avalanche of a running hash; the result is a signed 32-bit integer. */
export function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A random 32-bit value from the platform CSPRNG. */
export function randomU32(): number {
  const a = new Uint32Array(1);
  globalThis.crypto.getRandomValues(a);
  return a[0]!;
}

/**
 * HalfSipHash-2-4 of `len` bytes of `msg` under the 8-byte key (k0, k1 are its
 * little-endian words). Returns the 32-bit output as an unsigned number.
 * Allocation-free: the state is four local int32 (registers, not context
 * slots), the rounds are loops in this one function.
 */
export function halfSipHash24(k0: number, k1: number, msg: Uint8Array, len: number): number {
  return halfSipHash24i(k0, k1, msg, len) >>> 0;
}

/**
 * `halfSipHash24` as an int32 (the packet path's form: a uint32 above 2^31
 * returned from a call that is not inlined is a heap number, one allocation
 * per new binding).
 */
export function halfSipHash24i(k0: number, k1: number, msg: Uint8Array, len: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  const full = len & ~3;
  let tail = len << 24;
  for (let i = len - 1; i >= full; i--) tail |= msg[i]! << (8 * (i - full));
  // Message words, then the length/tail word; 2 rounds each (c = 2), then 4 (d = 4).
  for (let i = 0; i <= full; i += 4) {
    const m = i < full ? msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24) : tail;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    }
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  return v1 ^ v3;
}
