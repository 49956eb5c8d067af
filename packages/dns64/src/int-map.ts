/**
 * A hash map from 32-bit unsigned integers to values that allocates only
 * when it grows. The miss path keeps a few entries in such maps and adds and
 * removes one per query; a JavaScript Map rebuilds its table when it fills
 * up with deleted entries and when it shrinks, so at a low, steady rate (one
 * query at a time) it allocated a new table every few queries.
 *
 * Open addressing with linear probing; deletion shifts the following entries
 * of the probe run back (no tombstones, so it never needs a rebuild).
 * Capacity is a power of two and the map is at most half full.
 */
export class IntMap<V> {
  #keys: Uint32Array;
  #used: Uint8Array;
  #vals: (V | undefined)[];
  #shift: number;
  #mask: number;
  #size = 0;

  constructor(capacity = 16) {
    let bits = 4;
    while (1 << bits < capacity) bits++;
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    this.#keys = new Uint32Array(1 << bits);
    this.#used = new Uint8Array(1 << bits);
    this.#vals = new Array<V | undefined>(1 << bits).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  /** Slots in the table (for tests: it grows, never shrinks). */
  get capacity(): number {
    return this.#mask + 1;
  }

  #home(key: number): number {
    // Fibonacci hashing: the high bits of key × 2^32/φ.
    return Math.imul(key, 0x9e3779b1) >>> this.#shift;
  }

  /** The slot holding `key`, or -1. */
  #find(key: number): number {
    const keys = this.#keys;
    const used = this.#used;
    const mask = this.#mask;
    for (let i = this.#home(key); used[i] === 1; i = (i + 1) & mask) {
      if (keys[i] === key) return i;
    }
    return -1;
  }

  has(key: number): boolean {
    return this.#find(key >>> 0) >= 0;
  }

  get(key: number): V | undefined {
    const i = this.#find(key >>> 0);
    return i < 0 ? undefined : this.#vals[i];
  }

  /** Adds or replaces. */
  set(key: number, value: V): void {
    const k = key >>> 0;
    const existing = this.#find(k);
    if (existing >= 0) {
      this.#vals[existing] = value;
      return;
    }
    if (2 * (this.#size + 1) > this.#mask + 1) this.#grow();
    this.#insert(k, value);
    this.#size++;
  }

  #insert(key: number, value: V | undefined): void {
    const used = this.#used;
    const mask = this.#mask;
    let i = this.#home(key);
    while (used[i] === 1) i = (i + 1) & mask;
    used[i] = 1;
    this.#keys[i] = key;
    this.#vals[i] = value;
  }

  delete(key: number): boolean {
    let i = this.#find(key >>> 0);
    if (i < 0) return false;
    const keys = this.#keys;
    const used = this.#used;
    const vals = this.#vals;
    const mask = this.#mask;
    // Backward-shift deletion: an entry after the hole moves into it unless its home lies
    // cyclically in (hole, entry], where it would then be unreachable from its home.
    for (let j = (i + 1) & mask; used[j] === 1; j = (j + 1) & mask) {
      const h = this.#home(keys[j]!);
      const stays = i <= j ? i < h && h <= j : i < h || h <= j;
      if (stays) continue;
      keys[i] = keys[j]!;
      vals[i] = vals[j];
      i = j;
    }
    used[i] = 0;
    vals[i] = undefined;
    this.#size--;
    return true;
  }

  /** Calls `fn` for each entry (in no particular order); `fn` must not change the map. */
  forEach(fn: (value: V, key: number) => void): void {
    for (let i = 0; i <= this.#mask; i++) if (this.#used[i] === 1) fn(this.#vals[i] as V, this.#keys[i]!);
  }

  #grow(): void {
    const keys = this.#keys;
    const used = this.#used;
    const vals = this.#vals;
    const cap = 2 * (this.#mask + 1);
    this.#shift--;
    this.#mask = cap - 1;
    this.#keys = new Uint32Array(cap);
    this.#used = new Uint8Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.#insert(keys[i]!, vals[i]);
  }
}
