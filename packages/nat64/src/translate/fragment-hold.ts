/**
 * Out-of-order fragments: a non-first fragment that arrives before its first
 * fragment has no session to follow yet (it carries no ports). Up to
 * `slots` such fragments (each ≤ `maxLen` bytes) are copied here until the
 * first fragment creates the tracking entry, then translated after it; they
 * expire after the fragment lifetime (RFC 6146 §3.5 leaves fragment handling
 * to the implementation; RFC 8900 notes reordering is common). Bounded in
 * memory (slots × maxLen, allocated once) and time. Allocation-free.
 */

/** Longest key: src6 + dst6 + identification + next header. */
const KEY_MAX = 40;

export class FragmentHold {
  /** Key of the first fragment just translated (copied: the tables' scratch keys get reused). */
  readonly matchKey = new Uint8Array(KEY_MAX);
  matchLen = 0;
  /** 4 or 6: the family of `matchKey`'s fragments; 0 when nothing is pending. */
  matchFamily = 0;
  private readonly data: Uint8Array;
  private readonly lens: Int32Array;
  private readonly keyLens: Uint8Array;
  private readonly families: Uint8Array;
  private readonly keys: Uint8Array;
  private readonly expires: Float64Array;
  private live = 0;

  constructor(
    readonly slots: number,
    readonly maxLen: number,
  ) {
    this.data = new Uint8Array(slots * maxLen);
    this.lens = new Int32Array(slots);
    this.keyLens = new Uint8Array(slots);
    this.families = new Uint8Array(slots);
    this.keys = new Uint8Array(slots * KEY_MAX);
    this.expires = new Float64Array(slots);
  }

  /** Held fragments. */
  get size(): number {
    return this.live;
  }

  /**
   * Copies the fragment `buf[off..off+len)` of `family` with `key[0..keyLen)`.
   * Returns false when it does not fit (no free slot, too long). 8 parameters: no descriptor allocation.
   */
  hold(key: Uint8Array, keyLen: number, family: number, buf: Uint8Array, off: number, len: number, now: number, ttl: number): boolean {
    if (len > this.maxLen) return false;
    for (let i = 0; i < this.slots; i++) {
      if (this.lens[i] !== 0) continue;
      this.data.set(buf.subarray(off, off + len), i * this.maxLen);
      this.keys.set(key.subarray(0, keyLen), i * KEY_MAX);
      this.lens[i] = len;
      this.keyLens[i] = keyLen;
      this.families[i] = family;
      this.expires[i] = now + ttl;
      this.live++;
      return true;
    }
    return false;
  }

  /** Remembers `key` as the first fragment just translated, when fragments are held. */
  noteFirst(key: Uint8Array, keyLen: number, family: number): void {
    if (this.live === 0) return;
    this.matchKey.set(key.subarray(0, keyLen), 0);
    this.matchLen = keyLen;
    this.matchFamily = family;
  }

  /** Slot of a held fragment of `family` matching `matchKey`, or -1. */
  nextMatch(family: number): number {
    for (let i = 0; i < this.slots; i++) {
      if (this.lens[i] === 0 || this.families[i] !== family || this.keyLens[i] !== this.matchLen) continue;
      let same = true;
      for (let k = 0; k < this.matchLen && same; k++) same = this.keys[i * KEY_MAX + k] === this.matchKey[k];
      if (same) return i;
    }
    return -1;
  }

  /** Copies slot `i` into `dst` at `dstOff`, frees it and returns its length. */
  take(i: number, dst: Uint8Array, dstOff: number): number {
    const len = this.lens[i]!;
    dst.set(this.data.subarray(i * this.maxLen, i * this.maxLen + len), dstOff);
    this.lens[i] = 0;
    this.live--;
    return len;
  }

  /** Frees fragments whose lifetime ran out; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      if (this.lens[i] !== 0 && this.expires[i]! <= now) {
        this.lens[i] = 0;
        this.live--;
        n++;
      }
    }
    return n;
  }

  /** Forgets everything. */
  clear(): void {
    this.lens.fill(0);
    this.live = 0;
    this.matchFamily = 0;
  }
}
