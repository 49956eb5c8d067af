/**
 * Response cache: final answers (positive, negative and synthesized) stored
 * as wire bytes, keyed by the question bytes (name case-folded, type, class)
 * and the variant (EDNS, DO, CD). A hit copies the bytes and patches the ID,
 * the question (the client's own case), RD and every TTL (counted down, RFC
 * 1035 §4.1.3 / RFC 2181 §8), so nothing is re-encoded; the UDP fast path
 * does that straight from the receive arena into the send arena. Bounded by
 * entries and bytes, LRU eviction. Clock injected.
 */
import { FLAG, RCODE, TYPE, cacheVariant, copyBytes, readTtl, type ParsedQuery } from './wire.js';
import { walkName } from './name-walk.js';
import type { Dns64CacheOptions } from './config.js';

/** One cached answer. */
export interface CacheEntry {
  readonly wire: Buffer;
  readonly storedAt: number;
  readonly expiresAt: number;
  /** Offsets of every TTL field (OPT excluded); the TTLs as received stay in `wire`, which is never modified. */
  readonly ttlOffsets: Uint32Array;
  readonly questionEnd: number;
  /** `cacheVariant` of the queries this answer is for. */
  readonly variant: number;
  /** Depends on the prefix (synthesized AAAA, PTR under the prefix): flushed by setPrefix. */
  readonly prefixDependent: boolean;
  /** IPv4 addresses embedded in synthesized AAAA (for the translator's policy check). */
  readonly embedded: readonly number[];
}

/** ASCII upper case to lower case (RFC 4343 §3: name comparison folds A–Z only). */
const fold = (c: number): number => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/**
 * Seeded 32-bit hash of a question `buf[start, end)` (name, type, class)
 * with the name's letters folded to lower case, mixed with the variant.
 * Label length bytes are below 0x41, so folding every name byte is safe;
 * the type and class are hashed as they are (type 65 is not type 97).
 */
export function questionHash(buf: Uint8Array, start: number, end: number, variant: number, seed: number): number {
  let h = seed ^ variant;
  const nameEnd = end - 4;
  for (let i = start; i < nameEnd; i++) h = Math.imul(h ^ fold(buf[i]!), 0x01000193);
  for (let i = nameEnd; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Whether the question `a[aOff, aOff+len)` equals `b[bOff, …)`, name case-insensitively. */
export function sameQuestion(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  const nameLen = len - 4;
  for (let i = 0; i < nameLen; i++) {
    const x = a[aOff + i]!;
    const y = b[bOff + i]!;
    if (x !== y && fold(x) !== fold(y)) return false;
  }
  for (let i = nameLen; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/**
 * Seconds this answer may be cached, or undefined (RFC 2308 §5 for negative
 * answers), with the offsets of its TTL fields (OPT excluded).
 */
export function cacheTtl(wire: Uint8Array, limits: Dns64CacheOptions): { ttl: number; offsets: Uint32Array } | undefined {
  const ttl = scanTtls(wire, limits);
  return ttl < 0 ? undefined : { ttl, offsets: ttlOffsets.slice(0, ttlCount) };
}

/** The TTL field offsets `scanTtls` found, and how many (a scratch array reused by every call). */
let ttlOffsets = new Uint32Array(64);
let ttlCount = 0;

/**
 * `cacheTtl` without allocation: the seconds, or -1 when the answer is not
 * cached; the offsets are left in `ttlOffsets[0, ttlCount)`. Two walks over
 * the records in place.
 */
function scanTtls(wire: Uint8Array, limits: Dns64CacheOptions): number {
  ttlCount = 0;
  const rcode = wire[3]! & 0xf;
  if (wire.length < 12 || (rcode !== RCODE.noError && rcode !== RCODE.nxDomain)) return -1;
  let o = 12;
  for (let i = u16(wire, 4); i > 0; i--) {
    o = walkName(wire, o, wire.length, 0);
    if (o < 0 || o + 4 > wire.length) return -1;
    o += 4;
  }
  const first = o;
  const an = u16(wire, 6);
  const total = an + u16(wire, 8) + u16(wire, 10);
  let kept = 0;
  let positive = false;
  let answerTtl = Infinity;
  let soaTtl = -1;
  for (let i = 0; i < total; i++) {
    const nameEnd = walkName(wire, o, wire.length, 0);
    if (nameEnd < 0 || nameEnd + 10 > wire.length) return -1;
    const end = nameEnd + 10 + u16(wire, nameEnd + 8);
    if (end > wire.length) return -1;
    const type = u16(wire, nameEnd);
    if (type !== TYPE.OPT) {
      kept++;
      if (i < an) {
        answerTtl = Math.min(answerTtl, readTtl(wire, nameEnd + 4));
        if (type !== TYPE.CNAME && type !== TYPE.DNAME && type !== TYPE.RRSIG) positive = true;
      } else if (i < an + u16(wire, 8) && type === TYPE.SOA && soaTtl < 0) {
        soaTtl = Math.min(readTtl(wire, nameEnd + 4), readTtl(wire, end - 4));
      }
    }
    o = end;
  }
  let ttl: number;
  if (rcode === RCODE.noError && positive) {
    ttl = answerTtl;
  } else {
    // Negative: min(SOA TTL, SOA MINIMUM) capped by negativeTtl; no SOA, no caching (RFC 2308 §5).
    if (soaTtl < 0) return -1;
    ttl = Math.min(soaTtl, limits.negativeTtl, answerTtl);
  }
  ttl = Math.min(Math.max(ttl, limits.minTtl), limits.maxTtl);
  if (!(ttl > 0)) return -1;
  if (kept > ttlOffsets.length) ttlOffsets = new Uint32Array(Math.max(kept, 2 * ttlOffsets.length));
  o = first;
  for (let i = 0; i < total; i++) {
    const nameEnd = walkName(wire, o, wire.length, 0);
    if (u16(wire, nameEnd) !== TYPE.OPT) ttlOffsets[ttlCount++] = nameEnd + 4;
    o = nameEnd + 10 + u16(wire, nameEnd + 8);
  }
  return ttl;
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

/** Bytes counted per entry besides its block: its slot in the typed arrays and its bucket. */
const SLOT_OVERHEAD = 64;
const MIN_BUCKETS = 1024;
/** Blocks are 2^k bytes, 64 B … 128 KiB: a 65 535-byte answer with its TTL offsets and addresses fits. */
const MIN_SHIFT = 6;
const MAX_SHIFT = 17;
const SLAB_BYTES = 1 << 20;
const MAX_WIRE = 0xffff;

const F_USED = 1;
const F_PREFIX = 2;

/**
 * One slab of the arena: same-size blocks and a stack of the free ones.
 * A slab is off the JavaScript heap (its bytes are an external backing
 * store), so the garbage collector neither scans nor copies what it holds.
 */
class Slab {
  readonly free: Int32Array;
  nFree: number;
  /** Index in its size class's list of slabs with free blocks; -1 when full. */
  partialAt = -1;

  constructor(
    readonly id: number,
    readonly shift: number,
    readonly buf: Buffer,
  ) {
    const blocks = buf.length >>> shift;
    this.free = new Int32Array(blocks);
    for (let i = 0; i < blocks; i++) this.free[i] = blocks - 1 - i;
    this.nFree = blocks;
  }

  get blocks(): number {
    return this.free.length;
  }
}

/** The block size class of `n` bytes. */
function shiftFor(n: number): number {
  let k = MIN_SHIFT;
  while (1 << k < n) k++;
  return k;
}

/**
 * LRU cache of wire answers, keyed by the question bytes (name folded to
 * lower case, type, class) and the variant. A lookup hashes the bytes where
 * they are (the query in the receive arena) and compares them with the
 * question stored in the answer itself, so neither a key string nor a key
 * buffer exists per query or per entry. The seed is per cache, so clients
 * cannot aim names at one chain.
 *
 * Nothing per entry lives on the JavaScript heap. An entry is a slot (an
 * index into typed arrays: hash, chain and LRU links, times, flags) and a
 * block in a slab arena holding its wire, its TTL offsets (u16 each) and
 * the IPv4 addresses synthesized into it (u32 each). At thousands of misses
 * a second every new entry used to be a few heap objects (node, buffer
 * view, offsets array) that each young-generation collection had to copy;
 * those copies were the DNS64 tail (docs/benchmarks.md). Slabs are 1 MiB
 * of one block size (64 B … 128 KiB, powers of two); an emptied slab is
 * released, so the arena follows the cache down as well as up.
 */
export class ResponseCache {
  #buckets = new Int32Array(MIN_BUCKETS).fill(-1);
  #mask = MIN_BUCKETS - 1;
  #cap = 0;
  #hash = new Uint32Array(0);
  /** Bucket chain; for a free slot, the next free slot. */
  #next = new Int32Array(0);
  #older = new Int32Array(0);
  #newer = new Int32Array(0);
  #slab = new Int32Array(0);
  /** Byte offset of the slot's block in its slab. */
  #off = new Int32Array(0);
  #len = new Int32Array(0);
  #qEnd = new Uint16Array(0);
  #variant = new Uint8Array(0);
  #flags = new Uint8Array(0);
  #nTtl = new Uint16Array(0);
  #nEmb = new Uint16Array(0);
  #storedAt = new Float64Array(0);
  #expiresAt = new Float64Array(0);
  #freeSlot = -1;
  #oldest = -1;
  #newest = -1;
  #size = 0;
  #bytes = 0;
  #slabs: (Slab | undefined)[] = [];
  #freeSlabIds: number[] = [];
  /** Per size class, the slabs with a free block. */
  #partial: Slab[][] = Array.from({ length: MAX_SHIFT + 1 }, () => []);
  #arenaBytes = 0;
  /** The hash seed: `questionHash(…, cache.seed)` gives the hash `find` expects. */
  readonly seed: number;

  constructor(
    private limits: Dns64CacheOptions,
    private readonly now: () => number,
    seed?: number,
  ) {
    this.seed = seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
    this.#growSlots(MIN_BUCKETS);
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Memory the entries account for against `maxBytes`: their blocks and slots. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of slab memory held (blocks in use and free ones in partly used slabs). */
  get arenaBytes(): number {
    return this.#arenaBytes;
  }

  /** Changes the limits; evicts at once if over. */
  setLimits(limits: Dns64CacheOptions): void {
    this.limits = limits;
    this.#evict();
  }

  /** The live entry's slot for the parsed query in `raw`, or -1 (expired entries are removed). */
  lookup(raw: Uint8Array, q: ParsedQuery): number {
    const variant = cacheVariant(q.edns !== undefined, q.edns?.dnssecOk === true, q.cd);
    return this.find(raw, 12, q.questionEnd - 12, variant, questionHash(raw, 12, q.questionEnd, variant, this.seed), this.now());
  }

  /** A copy of the live entry for the parsed query in `raw`, or undefined: for inspection and tests (the serving paths use slots). */
  get(raw: Uint8Array, q: ParsedQuery): CacheEntry | undefined {
    const s = this.lookup(raw, q);
    return s < 0 ? undefined : this.entry(s);
  }

  /**
   * The slot of the live entry whose question equals `buf[qOff, qOff+qLen)`
   * (name case-insensitively) for `variant`, or -1; `hash` is `questionHash`
   * of those bytes with this cache's seed; `now` the clock's time (the fast
   * path reads it once per batch). A hit becomes the most recently used. A
   * slot is valid until the next `put`, `flush` or `setLimits`.
   */
  find(buf: Uint8Array, qOff: number, qLen: number, variant: number, hash: number, now: number): number {
    let s = this.#buckets[hash & this.#mask]!;
    while (s >= 0) {
      if (this.#hash[s] === hash && this.#variant[s] === variant && this.#qEnd[s]! - 12 === qLen && sameQuestion(buf, qOff, this.#bufOf(s), this.#off[s]! + 12, qLen)) break;
      s = this.#next[s]!;
    }
    if (s < 0) return -1;
    if (this.#expiresAt[s]! <= now) {
      this.#remove(s);
      return -1;
    }
    if (s !== this.#newest) {
      this.#unlinkLru(s);
      this.#appendLru(s);
    }
    return s;
  }

  /** Length of the slot's answer. */
  wireLength(slot: number): number {
    return this.#len[slot]!;
  }

  /** How many IPv4 addresses were synthesized into the slot's answer. */
  embeddedCount(slot: number): number {
    return this.#nEmb[slot]!;
  }

  /** The IPv4 addresses synthesized into the slot's answer, in answer order. */
  embeddedOf(slot: number): number[] {
    const buf = this.#bufOf(slot);
    const at = this.#off[slot]! + this.#len[slot]! + 2 * this.#nTtl[slot]!;
    const out: number[] = [];
    for (let i = 0; i < this.#nEmb[slot]!; i++) out.push(buf.readUInt32BE(at + 4 * i));
    return out;
  }

  /** A copy of the slot's entry (its own wire buffer and arrays). */
  entry(slot: number): CacheEntry {
    const buf = this.#bufOf(slot);
    const off = this.#off[slot]!;
    const len = this.#len[slot]!;
    const ttlOffsets = new Uint32Array(this.#nTtl[slot]!);
    for (let i = 0; i < ttlOffsets.length; i++) ttlOffsets[i] = u16(buf, off + len + 2 * i);
    return {
      wire: Buffer.from(buf.subarray(off, off + len)),
      storedAt: this.#storedAt[slot]!,
      expiresAt: this.#expiresAt[slot]!,
      ttlOffsets,
      questionEnd: this.#qEnd[slot]!,
      variant: this.#variant[slot]!,
      prefixDependent: (this.#flags[slot]! & F_PREFIX) !== 0,
      embedded: this.embeddedOf(slot),
    };
  }

  /**
   * Stores an answer if it is cacheable; returns whether it was stored. The
   * key is the answer's own question (`wire[12, questionEnd)`) and `variant`.
   * The bytes are copied into the arena: `wire` stays the caller's.
   */
  put(wire: Uint8Array, questionEnd: number, variant: number, meta: { prefixDependent: boolean; embedded: readonly number[] }): boolean {
    if (this.limits.maxEntries === 0 || questionEnd < 17 || questionEnd > wire.length || wire.length > MAX_WIRE) return false;
    const ttl = scanTtls(wire, this.limits);
    if (ttl < 0) return false;
    const hash = questionHash(wire, 12, questionEnd, variant, this.seed);
    const now = this.now();
    const old = this.find(wire, 12, questionEnd - 12, variant, hash, now);
    if (old >= 0) this.#remove(old);
    const nTtl = ttlCount;
    const nEmb = meta.embedded.length;
    const need = wire.length + 2 * nTtl + 4 * nEmb;
    if (nTtl > 0xffff || nEmb > 0xffff || need > 1 << MAX_SHIFT) return false;
    const s = this.#takeSlot();
    const slab = this.#takeBlock(shiftFor(need));
    const off = (slab.free[slab.nFree]! << slab.shift) >>> 0;
    const buf = slab.buf;
    buf.set(wire, off);
    let at = off + wire.length;
    for (let i = 0; i < nTtl; i++, at += 2) {
      buf[at] = ttlOffsets[i]! >>> 8;
      buf[at + 1] = ttlOffsets[i]! & 0xff;
    }
    for (let i = 0; i < nEmb; i++, at += 4) buf.writeUInt32BE(meta.embedded[i]! >>> 0, at);
    this.#hash[s] = hash;
    this.#slab[s] = slab.id;
    this.#off[s] = off;
    this.#len[s] = wire.length;
    this.#qEnd[s] = questionEnd;
    this.#variant[s] = variant;
    this.#flags[s] = F_USED | (meta.prefixDependent ? F_PREFIX : 0);
    this.#nTtl[s] = nTtl;
    this.#nEmb[s] = nEmb;
    this.#storedAt[s] = now;
    this.#expiresAt[s] = now + ttl * 1000;
    const b = hash & this.#mask;
    this.#next[s] = this.#buckets[b]!;
    this.#buckets[b] = s;
    this.#appendLru(s);
    this.#size++;
    this.#bytes += (1 << slab.shift) + SLOT_OVERHEAD;
    if (this.#size > this.#buckets.length) this.#growBuckets();
    this.#evict();
    // The entry itself may have gone at once (alone over maxBytes); eviction only frees slots, so `s` is still this entry's if used.
    return (this.#flags[s]! & F_USED) !== 0;
  }

  /**
   * Removes every entry matching `pred` (given a copy of each: for rare,
   * selective flushes), or every entry without one; returns how many.
   */
  flush(pred?: (e: CacheEntry) => boolean): number {
    return this.#removeWhere(pred === undefined ? () => true : (s) => pred(this.entry(s)));
  }

  /** Removes the entries that depend on the prefix (synthesized AAAA, PTR under it), without copying any; returns how many. */
  flushPrefixDependent(): number {
    return this.#removeWhere((s) => (this.#flags[s]! & F_PREFIX) !== 0);
  }

  #removeWhere(test: (slot: number) => boolean): number {
    let n = 0;
    for (let s = this.#oldest; s >= 0; ) {
      const next = this.#newer[s]!;
      if (test(s)) {
        this.#remove(s);
        n++;
      }
      s = next;
    }
    return n;
  }

  /**
   * The answer to the query in `raw` from the slot's entry: copied, with the
   * query's ID, question bytes and RD bit, and TTLs reduced by the seconds
   * spent in the cache.
   */
  render(slot: number, raw: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(this.#len[slot]!);
    this.renderInto(slot, raw, 0, out, 0, this.now());
    return out;
  }

  /**
   * `render` into `out[outOff, outOff + wireLength(slot))` for the query at
   * `query[qOff…]` (whose question matched the slot) at time `now`; nothing
   * is allocated. Returns the answer's length.
   */
  renderInto(slot: number, query: Uint8Array, qOff: number, out: Uint8Array, outOff: number, now: number): number {
    const wire = this.#bufOf(slot);
    const off = this.#off[slot]!;
    const len = this.#len[slot]!;
    const qEnd = this.#qEnd[slot]!;
    copyBytes(wire, off, out, outOff, len);
    // The ID and RD come from the query (RFC 1035 §4.1.1); the question keeps the client's case (RFC 4343 §4.1).
    out[outOff] = query[qOff]!;
    out[outOff + 1] = query[qOff + 1]!;
    out[outOff + 2] = (wire[off + 2]! & ~(FLAG.rd >> 8)) | (query[qOff + 2]! & (FLAG.rd >> 8));
    for (let i = 12; i < qEnd; i++) out[outOff + i] = query[qOff + i]!;
    const age = Math.floor((now - this.#storedAt[slot]!) / 1000);
    if (age > 0) {
      // RFC 1035 §4.1.3 / RFC 2181 §8: the TTLs count down while the answer sits here.
      const n = this.#nTtl[slot]!;
      for (let i = 0, at = off + len; i < n; i++, at += 2) {
        const rel = (wire[at]! << 8) | wire[at + 1]!;
        const ttl = Math.max(0, readTtl(wire, off + rel) - age);
        const o = outOff + rel;
        out[o] = ttl >>> 24;
        out[o + 1] = (ttl >>> 16) & 0xff;
        out[o + 2] = (ttl >>> 8) & 0xff;
        out[o + 3] = ttl & 0xff;
      }
    }
    return len;
  }

  /** The slab bytes that hold the slot's block. */
  #bufOf(slot: number): Buffer {
    return this.#slabs[this.#slab[slot]!]!.buf;
  }

  #takeSlot(): number {
    if (this.#freeSlot < 0) this.#growSlots(this.#cap * 2);
    const s = this.#freeSlot;
    this.#freeSlot = this.#next[s]!;
    return s;
  }

  /** A slab of class `shift` with a free block, that block popped (its index at `free[nFree]`). */
  #takeBlock(shift: number): Slab {
    const partial = this.#partial[shift]!;
    let slab = partial[partial.length - 1];
    if (slab === undefined) {
      const id = this.#freeSlabIds.pop() ?? this.#slabs.length;
      slab = new Slab(id, shift, Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, 1 << shift)));
      this.#slabs[id] = slab;
      this.#arenaBytes += slab.buf.length;
      slab.partialAt = partial.length;
      partial.push(slab);
    }
    slab.nFree--;
    if (slab.nFree === 0) {
      partial.pop();
      slab.partialAt = -1;
    }
    return slab;
  }

  #freeBlock(s: number): void {
    const slab = this.#slabs[this.#slab[s]!]!;
    slab.free[slab.nFree++] = this.#off[s]! >>> slab.shift;
    const partial = this.#partial[slab.shift]!;
    if (slab.partialAt < 0) {
      slab.partialAt = partial.length;
      partial.push(slab);
    }
    if (slab.nFree === slab.blocks && partial.length > 1) {
      // Empty, and the class has another slab with room: give it back.
      const last = partial.pop()!;
      if (last !== slab) {
        partial[slab.partialAt] = last;
        last.partialAt = slab.partialAt;
      }
      this.#slabs[slab.id] = undefined;
      this.#freeSlabIds.push(slab.id);
      this.#arenaBytes -= slab.buf.length;
    }
  }

  #growSlots(cap: number): void {
    const grow = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.#hash = grow(this.#hash, (n) => new Uint32Array(n));
    this.#next = grow(this.#next, (n) => new Int32Array(n));
    this.#older = grow(this.#older, (n) => new Int32Array(n));
    this.#newer = grow(this.#newer, (n) => new Int32Array(n));
    this.#slab = grow(this.#slab, (n) => new Int32Array(n));
    this.#off = grow(this.#off, (n) => new Int32Array(n));
    this.#len = grow(this.#len, (n) => new Int32Array(n));
    this.#qEnd = grow(this.#qEnd, (n) => new Uint16Array(n));
    this.#variant = grow(this.#variant, (n) => new Uint8Array(n));
    this.#flags = grow(this.#flags, (n) => new Uint8Array(n));
    this.#nTtl = grow(this.#nTtl, (n) => new Uint16Array(n));
    this.#nEmb = grow(this.#nEmb, (n) => new Uint16Array(n));
    this.#storedAt = grow(this.#storedAt, (n) => new Float64Array(n));
    this.#expiresAt = grow(this.#expiresAt, (n) => new Float64Array(n));
    // The new slots join the free list, lowest first.
    for (let s = cap - 1; s >= this.#cap; s--) {
      this.#next[s] = this.#freeSlot;
      this.#freeSlot = s;
    }
    this.#cap = cap;
  }

  #appendLru(s: number): void {
    this.#older[s] = this.#newest;
    this.#newer[s] = -1;
    if (this.#newest >= 0) this.#newer[this.#newest] = s;
    else this.#oldest = s;
    this.#newest = s;
  }

  #unlinkLru(s: number): void {
    const older = this.#older[s]!;
    const newer = this.#newer[s]!;
    if (older >= 0) this.#newer[older] = newer;
    else this.#oldest = newer;
    if (newer >= 0) this.#older[newer] = older;
    else this.#newest = older;
  }

  #remove(s: number): void {
    if ((this.#flags[s]! & F_USED) === 0) return;
    const b = this.#hash[s]! & this.#mask;
    let p = this.#buckets[b]!;
    if (p === s) {
      this.#buckets[b] = this.#next[s]!;
    } else {
      while (p >= 0 && this.#next[p] !== s) p = this.#next[p]!;
      if (p >= 0) this.#next[p] = this.#next[s]!;
    }
    this.#unlinkLru(s);
    this.#bytes -= (1 << this.#slabs[this.#slab[s]!]!.shift) + SLOT_OVERHEAD;
    this.#freeBlock(s);
    this.#flags[s] = 0;
    this.#next[s] = this.#freeSlot;
    this.#freeSlot = s;
    this.#size--;
  }

  /** Doubles the table (the load stays at most one entry per bucket). */
  #growBuckets(): void {
    const buckets = new Int32Array(this.#buckets.length * 2).fill(-1);
    const mask = buckets.length - 1;
    for (let s = this.#oldest; s >= 0; s = this.#newer[s]!) {
      const b = this.#hash[s]! & mask;
      this.#next[s] = buckets[b]!;
      buckets[b] = s;
    }
    this.#buckets = buckets;
    this.#mask = mask;
  }

  #evict(): void {
    while (this.#oldest >= 0 && (this.#size > this.limits.maxEntries || this.#bytes > this.limits.maxBytes)) this.#remove(this.#oldest);
  }
}

/** A copy of `wire` (an answer built for another query with the same key) addressed to `q`. */
export function readdress(wire: Buffer, raw: Uint8Array, q: ParsedQuery): Buffer {
  const out = Buffer.from(wire);
  out[0] = q.id >> 8;
  out[1] = q.id & 0xff;
  out[2] = (out[2]! & ~(FLAG.rd >> 8)) | (q.rd ? FLAG.rd >> 8 : 0);
  out.set(raw.subarray(12, q.questionEnd), 12);
  return out;
}
