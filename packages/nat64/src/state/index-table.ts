/**
 * An open-addressing hash index over entry numbers.
 *
 * Each slot is a pair of int32 in one typed array: (entry + 1, hash), 0 means
 * empty. Probing is linear; deletion shifts the following run back (no
 * tombstones), so lookups stay short after heavy churn. The table only knows
 * hashes and entry numbers: the caller compares keys against its own
 * struct-of-arrays columns, which keeps lookups free of closures and objects.
 * The load factor stays at or under 1/2; growing doubles and rehashes from the
 * stored hashes.
 */
export class IndexTable {
  /** Slot pairs: [2i] = entry + 1 (0 = empty), [2i + 1] = hash. */
  slots: Int32Array;
  /** Slot count minus one (slot count is a power of two). */
  mask: number;
  /** Entries stored. */
  count = 0;

  constructor(initialSlots = 1024) {
    let n = 16;
    while (n < initialSlots) n *= 2;
    this.slots = new Int32Array(n * 2);
    this.mask = n - 1;
  }

  /** Adds `entry` under `hash`; the caller guarantees the key is not present. */
  insert(hash: number, entry: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    const sl = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (sl[2 * i] !== 0) i = (i + 1) & mask;
    sl[2 * i] = entry + 1;
    sl[2 * i + 1] = hash;
    this.count++;
  }

  /** Removes `entry` stored under `hash`; returns whether it was there. */
  remove(hash: number, entry: number): boolean {
    const sl = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const e = sl[2 * i]!;
      if (e === 0) return false;
      if (e === entry + 1) break;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: move later members of the run into the hole
    // when their home slot is not cyclically inside (hole, j].
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = sl[2 * j]!;
      if (e === 0) break;
      const home = sl[2 * j + 1]! & mask;
      const inside = i <= j ? i < home && home <= j : i < home || home <= j;
      if (inside) continue;
      sl[2 * i] = e;
      sl[2 * i + 1] = sl[2 * j + 1]!;
      i = j;
    }
    sl[2 * i] = 0;
    sl[2 * i + 1] = 0;
    this.count--;
    return true;
  }

  /** Bytes held by the slot array. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  private resize(n: number): void {
    const old = this.slots;
    const sl = new Int32Array(n * 2);
    const mask = n - 1;
    for (let k = 0; k < old.length; k += 2) {
      const e = old[k]!;
      if (e === 0) continue;
      const h = old[k + 1]!;
      let i = h & mask;
      while (sl[2 * i] !== 0) i = (i + 1) & mask;
      sl[2 * i] = e;
      sl[2 * i + 1] = h;
    }
    this.slots = sl;
    this.mask = mask;
  }
}
