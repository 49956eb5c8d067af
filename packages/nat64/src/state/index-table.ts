/**
 * An open-addressing hash index over entry numbers.
 *
 * Each slot is a pair of int32 in one typed array: (entry + 1, hash), 0 means
 * empty. Probing is linear; deletion shifts the following run back (no
 * tombstones), so lookups stay short after heavy churn. The table only knows
 * hashes and entry numbers: the caller compares keys against its own
 * struct-of-arrays columns, which keeps lookups free of closures and objects.
 *
 * Growing is incremental, so no insert pays for the whole table (a 1 M-entry
 * index would otherwise stall the packet loop for a rehash): when the load
 * reaches 1/2, a table twice as large becomes `slots` and the full one becomes
 * `old`; every insert or remove then moves `STEP` slots of `old` into `slots`
 * (a moved slot is left as a tombstone, entry field -1, so the probe runs of
 * `old` stay intact), and `old` is dropped when it is empty. Migration ends
 * before the new table passes load 1/2 (it starts at 1/4 and gains at most
 * one entry per `STEP` old slots). Meanwhile a lookup probes `slots`, then
 * `old`: callers loop over both (see `StateTables.findS`). An entry is in
 * exactly one of them.
 */

/** Old slots moved per insert/remove while growing (≥ 2 keeps the new load ≤ 1/2). */
const STEP = 8;

export class IndexTable {
  /** Slot pairs: [2i] = entry + 1 (0 = empty), [2i + 1] = hash. */
  slots: Int32Array;
  /** Slot count minus one (slot count is a power of two). */
  mask: number;
  /** The table being emptied into `slots` while growing, else null; entry field -1 = moved (tombstone). */
  old: Int32Array | null = null;
  oldMask = 0;
  /** Next slot of `old` to move. */
  private mig = 0;
  /** Entries stored (both tables). */
  count = 0;

  constructor(initialSlots = 1024) {
    let n = 16;
    while (n < initialSlots) n *= 2;
    this.slots = new Int32Array(n * 2);
    this.mask = n - 1;
  }

  /** Adds `entry` under `hash`; the caller guarantees the key is not present. */
  insert(hash: number, entry: number): void {
    if (this.old !== null) this.migrate();
    else if ((this.count + 1) * 2 > this.mask + 1) this.startGrow();
    this.put(hash, entry + 1);
    this.count++;
  }

  /** Removes `entry` stored under `hash`; returns whether it was there. */
  remove(hash: number, entry: number): boolean {
    if (this.old !== null) this.migrate();
    const sl = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const e = sl[2 * i]!;
      if (e === 0) return this.removeOld(hash, entry);
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

  /** Bytes held by the slot arrays. */
  get bytes(): number {
    return this.slots.byteLength + (this.old?.byteLength ?? 0);
  }

  /** Finishes a growth in progress at once (tests, management paths). */
  settle(): void {
    while (this.old !== null) this.migrate();
  }

  private removeOld(hash: number, entry: number): boolean {
    const sl = this.old;
    if (sl === null) return false;
    const mask = this.oldMask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = sl[2 * i]!;
      if (e === 0) return false;
      if (e === entry + 1) {
        sl[2 * i] = -1;
        this.count--;
        return true;
      }
    }
  }

  private put(hash: number, e1: number): void {
    const sl = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (sl[2 * i] !== 0) i = (i + 1) & mask;
    sl[2 * i] = e1;
    sl[2 * i + 1] = hash;
  }

  private startGrow(): void {
    this.old = this.slots;
    this.oldMask = this.mask;
    const n = (this.mask + 1) * 2;
    this.slots = new Int32Array(n * 2);
    this.mask = n - 1;
    this.mig = 0;
    this.migrate();
  }

  private migrate(): void {
    const old = this.old!;
    const end = Math.min(this.oldMask + 1, this.mig + STEP);
    for (let i = this.mig; i < end; i++) {
      const e = old[2 * i]!;
      if (e > 0) {
        this.put(old[2 * i + 1]!, e);
        old[2 * i] = -1;
      }
    }
    this.mig = end;
    if (end > this.oldMask) this.old = null;
  }
}
