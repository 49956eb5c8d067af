/**
 * Fragments the translator cannot send yet, copied until they can:
 *
 * - out-of-order fragments: a non-first fragment that arrives before its
 *   first fragment has no session to follow yet (it carries no ports). It
 *   waits until the first fragment creates the tracking entry, then is
 *   translated after it (RFC 6146 §3.5 leaves fragment handling to the
 *   implementation; RFC 8900 notes reordering is common);
 * - whole datagrams: when the first fragment's checksum depends on the whole
 *   datagram (fragmented ICMP echo: the ICMPv6 pseudo-header carries the
 *   upper-layer length, RFC 7915 §4.2/§5.2, RFC 8200 §8.1; IPv4 UDP with
 *   checksum 0: computed over every byte, RFC 7915 §4.5), the first fragment
 *   is held too, and the datagram is released once every byte is here.
 *
 * Each held fragment records its data range, so duplicates are dropped and
 * overlapping or contradicting fragments discard their datagram (RFC 5722).
 * A datagram is complete when its first and last fragments are held and the
 * held ranges (which never overlap) add up to the length the last one gives.
 *
 * Bounded in memory (`slots` × `maxLen`, allocated once) and time (each
 * fragment expires after the fragment lifetime). Allocation-free.
 *
 * Per packet the work does not grow with `slots` (an attacker fills the hold
 * at will): held fragments are chained in buckets by a seeded hash of their
 * datagram key, free slots form a list, and one datagram holds at most
 * `MAX_FRAGMENTS` fragments (more could not be released as one outcome), so
 * a lookup walks one datagram's fragments plus rare hash neighbours. Only
 * `expire` (the timer) and `clear` visit every slot.
 */

import { copyBytes, sum } from '@sixgate/wire';
import { MAX_FRAGMENTS } from './outcome.js';

/** Longest key: src6 + dst6 + identification + next header. */
const KEY_MAX = 40;

/**
 * Longest reassembled upper-layer length: what still fits an IPv4 total
 * length (65535 − 20) and an IPv6 payload length.
 */
export const MAX_DATAGRAM = 65515;

/** What `add` did with a fragment. */
export const Held = Object.freeze({
  /** Copied; the datagram is not complete (or its first fragment is not held). */
  held: 0,
  /** Copied, and the datagram (first fragment included) is now complete. */
  complete: 1,
  /** Same range as a held fragment: not copied. */
  duplicate: 2,
  /** Overlaps or contradicts held fragments, or is malformed: not copied. */
  invalid: 3,
  /** No free slot or longer than a slot: not copied. */
  full: 4,
});

export class FragmentHold {
  /** Key of the datagram to release next (copied: the tables' scratch keys get reused). */
  readonly matchKey = new Uint8Array(KEY_MAX);
  matchLen = 0;
  /** 4 or 6: the family of `matchKey`'s fragments; 0 when nothing is pending. */
  matchFamily = 0;
  /** Whether the pending datagram is whole (its first fragment is held too). */
  matchWhole = false;
  /** Set by `add`: whether the fragment's datagram has its first fragment held. */
  firstHeld = false;
  /** Set by `sums`: upper-layer length of the datagram, partial sum of its non-first data, fragments, data bytes. */
  total = 0;
  restSum = 0;
  count = 0;
  bytes = 0;
  private readonly data: Uint8Array;
  private readonly lens: Int32Array;
  private readonly keyLens: Uint8Array;
  private readonly families: Uint8Array;
  private readonly hashes: Int32Array;
  private readonly keys: Uint8Array;
  private readonly expires: Float64Array;
  /** Where the fragment data starts in the held packet, its range in the datagram, and M = 0. */
  private readonly dataAt: Int32Array;
  private readonly from: Int32Array;
  private readonly to: Int32Array;
  private readonly last: Uint8Array;
  /** Next slot in the bucket chain, or in the free list. */
  private readonly next: Int32Array;
  private readonly heads: Int32Array;
  private readonly bucketMask: number;
  private freeHead = -1;
  private readonly seed = (Math.random() * 0x100000000) | 0;
  private live = 0;

  constructor(
    readonly slots: number,
    readonly maxLen: number,
    /** The current packet's time (ms), see FragmentTable. */
    private readonly time: Float64Array,
  ) {
    this.data = new Uint8Array(slots * maxLen);
    this.lens = new Int32Array(slots);
    this.keyLens = new Uint8Array(slots);
    this.families = new Uint8Array(slots);
    this.hashes = new Int32Array(slots);
    this.keys = new Uint8Array(slots * KEY_MAX);
    this.expires = new Float64Array(slots);
    this.dataAt = new Int32Array(slots);
    this.from = new Int32Array(slots);
    this.to = new Int32Array(slots);
    this.last = new Uint8Array(slots);
    this.next = new Int32Array(slots);
    let nb = 16;
    while (nb < 2 * slots) nb *= 2;
    this.heads = new Int32Array(nb);
    this.bucketMask = nb - 1;
    this.reset();
  }

  private reset(): void {
    this.lens.fill(0);
    this.heads.fill(-1);
    for (let i = 0; i < this.slots; i++) this.next[i] = i + 1 < this.slots ? i + 1 : -1;
    this.freeHead = this.slots > 0 ? 0 : -1;
    this.live = 0;
  }

  /** Frees slot `i` (in the chain of bucket `hashes[i]`): O(chain). */
  private unlink(i: number): void {
    const b = this.hashes[i]! & this.bucketMask;
    let p = -1;
    for (let j = this.heads[b]!; j >= 0 && j !== i; j = this.next[j]!) p = j;
    if (p < 0) this.heads[b] = this.next[i]!;
    else this.next[p] = this.next[i]!;
    this.lens[i] = 0;
    this.next[i] = this.freeHead;
    this.freeHead = i;
    this.live--;
  }

  private hashKey(key: Uint8Array, len: number): number {
    let h = 0x811c9dc5 ^ this.seed;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    return h ^ (h >>> 15);
  }

  /** Held fragments. */
  get size(): number {
    return this.live;
  }

  /** Whether slot `i` holds a fragment of `family` with `key[0..keyLen)` (hash `h`). */
  private same(i: number, key: Uint8Array, keyLen: number, family: number, h: number): boolean {
    if (this.lens[i] === 0 || this.hashes[i] !== h || this.families[i] !== family || this.keyLens[i] !== keyLen) return false;
    const base = i * KEY_MAX;
    for (let k = 0; k < keyLen; k++) if (this.keys[base + k] !== key[k]) return false;
    return true;
  }

  /**
   * Copies the fragment `buf[off..off+len)` of `family` with `key[0..keyLen)`;
   * its data starts at `off + dataAt` and sits at byte `fragOff` of the
   * datagram; `more` is its M/MF flag. Returns a `Held` code and sets
   * `firstHeld`. 10 parameters: fragment path, no descriptor allocation.
   */
  add(
    key: Uint8Array, keyLen: number, family: number, buf: Uint8Array, off: number, len: number,
    dataAt: number, fragOff: number, more: boolean, ttl: number,
  ): number {
    const end = fragOff + len - dataAt;
    this.firstHeld = fragOff === 0;
    // RFC 8200 §4.5 / RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if (end > MAX_DATAGRAM || (more && (end === fragOff || ((end - fragOff) & 7) !== 0))) return Held.invalid;
    const h = this.hashKey(key, keyLen);
    let covered = end - fragOff;
    let total = more ? -1 : end;
    let maxEnd = end;
    let mine = 0;
    for (let i = this.heads[h & this.bucketMask]!; i >= 0; i = this.next[i]!) {
      if (!this.same(i, key, keyLen, family, h)) continue;
      mine++;
      const a = this.from[i]!;
      const b = this.to[i]!;
      const isLast = this.last[i] === 1;
      if (a === fragOff && b === end && isLast === !more) return Held.duplicate;
      if (fragOff < b && a < end) return Held.invalid; // RFC 5722: overlapping fragments
      if (isLast) {
        if (total >= 0 && total !== b) return Held.invalid;
        total = b;
      }
      if (a === 0) this.firstHeld = true;
      if (b > maxEnd) maxEnd = b;
      covered += b - a;
    }
    if (total >= 0 && maxEnd > total) return Held.invalid;
    const free = this.freeHead;
    if (free < 0 || len > this.maxLen || mine >= MAX_FRAGMENTS) return Held.full;
    this.freeHead = this.next[free]!;
    const bucket = h & this.bucketMask;
    this.next[free] = this.heads[bucket]!;
    this.heads[bucket] = free;
    copyBytes(this.data, free * this.maxLen, buf, off, len);
    for (let k = 0; k < keyLen; k++) this.keys[free * KEY_MAX + k] = key[k]!;
    this.lens[free] = len;
    this.keyLens[free] = keyLen;
    this.families[free] = family;
    this.hashes[free] = h;
    this.expires[free] = this.time[0]! + ttl;
    this.dataAt[free] = dataAt;
    this.from[free] = fragOff;
    this.to[free] = end;
    this.last[free] = more ? 0 : 1;
    this.live++;
    return this.firstHeld && total >= 0 && covered === total ? Held.complete : Held.held;
  }

  /** Frees every fragment of `family` with `key[0..keyLen)`; returns how many. */
  discard(key: Uint8Array, keyLen: number, family: number): number {
    const h = this.hashKey(key, keyLen);
    let n = 0;
    for (let i = this.heads[h & this.bucketMask]!; i >= 0; ) {
      const nx = this.next[i]!;
      if (this.same(i, key, keyLen, family, h)) {
        this.unlink(i);
        n++;
      }
      i = nx;
    }
    return n;
  }

  /** Remembers `key` as the first fragment just translated, when fragments are held (the first note of a call wins). */
  noteFirst(key: Uint8Array, keyLen: number, family: number): void {
    if (this.live === 0 || this.matchFamily !== 0) return;
    this.pend(key, keyLen, family, false);
  }

  /** Makes `key`'s fragments the ones to release next; `whole` when the datagram is complete in the hold. */
  pend(key: Uint8Array, keyLen: number, family: number, whole: boolean): void {
    for (let k = 0; k < keyLen; k++) this.matchKey[k] = key[k]!;
    this.matchLen = keyLen;
    this.matchFamily = family;
    this.matchWhole = whole;
  }

  /** Slot of the held fragment of `family` matching `matchKey` with the lowest offset, or -1. */
  nextMatch(family: number): number {
    const h = this.hashKey(this.matchKey, this.matchLen);
    let best = -1;
    for (let i = this.heads[h & this.bucketMask]!; i >= 0; i = this.next[i]!) {
      if (this.same(i, this.matchKey, this.matchLen, family, h) && (best < 0 || this.from[i]! < this.from[best]!)) best = i;
    }
    return best;
  }

  /**
   * For the `matchKey` datagram of `family`: sets `total` (its upper-layer
   * length) and `restSum` (the partial sum of every non-first fragment's data;
   * offsets are multiples of 8, so the pieces' sums add up, RFC 1071),
   * `count` (its fragments) and `bytes` (their data bytes).
   */
  sums(family: number): void {
    const h = this.hashKey(this.matchKey, this.matchLen);
    this.total = 0;
    this.restSum = 0;
    this.count = 0;
    this.bytes = 0;
    for (let i = this.heads[h & this.bucketMask]!; i >= 0; i = this.next[i]!) {
      if (!this.same(i, this.matchKey, this.matchLen, family, h)) continue;
      this.count++;
      this.bytes += this.to[i]! - this.from[i]!;
      if (this.to[i]! > this.total) this.total = this.to[i]!;
      if (this.from[i] !== 0) {
        const base = i * this.maxLen;
        this.restSum = sum(this.data, base + this.dataAt[i]!, base + this.lens[i]!, this.restSum);
      }
    }
  }

  /** Copies slot `i` into `dst` at `dstOff`, frees it and returns its length. */
  take(i: number, dst: Uint8Array, dstOff: number): number {
    const len = this.lens[i]!;
    copyBytes(dst, dstOff, this.data, i * this.maxLen, len);
    this.unlink(i);
    return len;
  }

  /** Frees fragments whose lifetime ran out; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      if (this.lens[i] !== 0 && this.expires[i]! <= now) {
        this.unlink(i);
        n++;
      }
    }
    return n;
  }

  /** Forgets everything. */
  clear(): void {
    this.reset();
    this.matchFamily = 0;
    this.matchWhole = false;
  }
}
