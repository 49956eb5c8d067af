/**
 * Response cache: final answers (positive, negative and synthesized) stored
 * as wire bytes, keyed by the question bytes (name case-folded, type, class)
 * and the variant (EDNS, DO, CD). A hit copies the bytes and patches the ID,
 * the question (the client's own case), RD and every TTL (counted down, RFC
 * 1035 §4.1.3 / RFC 2181 §8), so nothing is re-encoded; the UDP fast path
 * does that straight from the receive arena into the send arena. Bounded by
 * entries and bytes, LRU eviction. Clock injected.
 */
import { FLAG, RCODE, TYPE, cacheVariant, readTtl, type ParsedQuery } from './wire.js';
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

/** The key of a query in the in-flight table (misses only; the cache itself is keyed by the question bytes). */
export function cacheKey(q: ParsedQuery): string {
  return `${q.qname}|${q.qtype}|${q.qclass}|${cacheVariant(q.edns !== undefined, q.edns?.dnssecOk === true, q.cd)}`;
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
function sameQuestion(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
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
 * answers), with the offsets of its TTL fields (OPT excluded). Two walks over
 * the records in place: nothing allocated but the offsets array.
 */
export function cacheTtl(wire: Buffer, limits: Dns64CacheOptions): { ttl: number; offsets: Uint32Array } | undefined {
  const rcode = wire[3]! & 0xf;
  if (wire.length < 12 || (rcode !== RCODE.noError && rcode !== RCODE.nxDomain)) return undefined;
  let o = 12;
  for (let i = u16(wire, 4); i > 0; i--) {
    o = walkName(wire, o, wire.length, 0);
    if (o < 0 || o + 4 > wire.length) return undefined;
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
    if (nameEnd < 0 || nameEnd + 10 > wire.length) return undefined;
    const end = nameEnd + 10 + u16(wire, nameEnd + 8);
    if (end > wire.length) return undefined;
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
    if (soaTtl < 0) return undefined;
    ttl = Math.min(soaTtl, limits.negativeTtl, answerTtl);
  }
  ttl = Math.min(Math.max(ttl, limits.minTtl), limits.maxTtl);
  if (!(ttl > 0)) return undefined;
  const offsets = new Uint32Array(kept);
  o = first;
  for (let i = 0, k = 0; i < total; i++) {
    const nameEnd = walkName(wire, o, wire.length, 0);
    if (u16(wire, nameEnd) !== TYPE.OPT) offsets[k++] = nameEnd + 4;
    o = nameEnd + 10 + u16(wire, nameEnd + 8);
  }
  return { ttl, offsets };
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

/** Bytes counted per entry besides its wire (the entry object, its offsets array, its table slot). */
const ENTRY_OVERHEAD = 160;
const MIN_BUCKETS = 1024;

/** A cache entry with its links: a hash bucket chain and the LRU list (oldest first). */
class Node implements CacheEntry {
  bucketNext: Node | undefined = undefined;
  older: Node | undefined = undefined;
  newer: Node | undefined = undefined;
  linked = true;

  constructor(
    readonly wire: Buffer,
    readonly hash: number,
    readonly variant: number,
    readonly questionEnd: number,
    readonly storedAt: number,
    readonly expiresAt: number,
    readonly ttlOffsets: Uint32Array,
    readonly prefixDependent: boolean,
    readonly embedded: readonly number[],
  ) {}
}

/**
 * LRU cache of wire answers, keyed by the question bytes (name folded to
 * lower case, type, class) and the variant. A lookup hashes the bytes where
 * they are (the query in the receive arena) and compares them with the
 * question stored in the answer itself, so neither a key string nor a key
 * buffer exists per query or per entry. Open hash table with chains, sized
 * to the entry count; an intrusive list keeps the LRU order, so a hit moves
 * an entry with a few pointer writes and allocates nothing. The hash is
 * seeded per cache, so clients cannot aim names at one chain.
 */
export class ResponseCache {
  #buckets: (Node | undefined)[] = new Array<Node | undefined>(MIN_BUCKETS).fill(undefined);
  #mask = MIN_BUCKETS - 1;
  #oldest: Node | undefined;
  #newest: Node | undefined;
  #size = 0;
  #bytes = 0;
  /** The hash seed: `questionHash(…, cache.seed)` gives the hash `find` expects. */
  readonly seed: number;

  constructor(
    private limits: Dns64CacheOptions,
    private readonly now: () => number,
    seed?: number,
  ) {
    this.seed = seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Approximate memory held, bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Changes the limits; evicts at once if over. */
  setLimits(limits: Dns64CacheOptions): void {
    this.limits = limits;
    this.#evict();
  }

  /** The live entry for the parsed query in `raw`, or undefined (expired entries are removed). */
  get(raw: Uint8Array, q: ParsedQuery): CacheEntry | undefined {
    const variant = cacheVariant(q.edns !== undefined, q.edns?.dnssecOk === true, q.cd);
    return this.find(raw, 12, q.questionEnd - 12, variant, questionHash(raw, 12, q.questionEnd, variant, this.seed), this.now());
  }

  /**
   * The live entry whose question equals `buf[qOff, qOff+qLen)` (name
   * case-insensitively) for `variant`; `hash` is `questionHash` of those
   * bytes with this cache's seed; `now` the clock's time (the fast path reads
   * it once per batch). A hit becomes the most recently used.
   */
  find(buf: Uint8Array, qOff: number, qLen: number, variant: number, hash: number, now: number): CacheEntry | undefined {
    let e = this.#buckets[hash & this.#mask];
    while (e !== undefined) {
      if (e.hash === hash && e.variant === variant && e.questionEnd - 12 === qLen && sameQuestion(buf, qOff, e.wire, 12, qLen)) break;
      e = e.bucketNext;
    }
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.#remove(e);
      return undefined;
    }
    if (e !== this.#newest) {
      this.#unlinkLru(e);
      this.#appendLru(e);
    }
    return e;
  }

  /**
   * Stores an answer if it is cacheable; returns whether it was stored. The
   * key is the answer's own question (`wire[12, questionEnd)`) and `variant`.
   */
  put(wire: Buffer, questionEnd: number, variant: number, meta: { prefixDependent: boolean; embedded: readonly number[] }): boolean {
    if (this.limits.maxEntries === 0 || questionEnd < 17 || questionEnd > wire.length) return false;
    const t = cacheTtl(wire, this.limits);
    if (t === undefined) return false;
    const hash = questionHash(wire, 12, questionEnd, variant, this.seed);
    const now = this.now();
    const old = this.find(wire, 12, questionEnd - 12, variant, hash, now);
    if (old !== undefined) this.#remove(old as Node);
    const e = new Node(wire, hash, variant, questionEnd, now, now + t.ttl * 1000, t.offsets, meta.prefixDependent, meta.embedded);
    const b = hash & this.#mask;
    e.bucketNext = this.#buckets[b];
    this.#buckets[b] = e;
    this.#appendLru(e);
    this.#size++;
    this.#bytes += wire.length + ENTRY_OVERHEAD;
    if (this.#size > this.#buckets.length) this.#grow();
    this.#evict();
    return e.linked;
  }

  /** Removes every entry matching `pred`; returns how many. */
  flush(pred: (e: CacheEntry) => boolean = () => true): number {
    let n = 0;
    for (let e = this.#oldest; e !== undefined; ) {
      const next = e.newer;
      if (pred(e)) {
        this.#remove(e);
        n++;
      }
      e = next;
    }
    return n;
  }

  /**
   * The answer to the query in `raw` from `e`: copied, with the query's ID, question bytes
   * and RD bit, and TTLs reduced by the seconds spent in the cache.
   */
  render(e: CacheEntry, raw: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(e.wire.length);
    this.renderInto(e, raw, 0, out, 0, this.now());
    return out;
  }

  /**
   * `render` into `out[outOff, outOff + e.wire.length)` for the query at
   * `query[qOff…]` (whose question matched `e`) at time `now`; nothing is
   * allocated. Returns the answer's length.
   */
  renderInto(e: CacheEntry, query: Uint8Array, qOff: number, out: Uint8Array, outOff: number, now: number): number {
    const wire = e.wire;
    out.set(wire, outOff);
    // The ID and RD come from the query (RFC 1035 §4.1.1); the question keeps the client's case (RFC 4343 §4.1).
    out[outOff] = query[qOff]!;
    out[outOff + 1] = query[qOff + 1]!;
    out[outOff + 2] = (wire[2]! & ~(FLAG.rd >> 8)) | (query[qOff + 2]! & (FLAG.rd >> 8));
    for (let i = 12; i < e.questionEnd; i++) out[outOff + i] = query[qOff + i]!;
    const age = Math.floor((now - e.storedAt) / 1000);
    if (age > 0) {
      // RFC 1035 §4.1.3 / RFC 2181 §8: the TTLs count down while the answer sits here.
      const offsets = e.ttlOffsets;
      for (let i = 0; i < offsets.length; i++) {
        const off = offsets[i]!;
        const ttl = Math.max(0, readTtl(wire, off) - age);
        const o = outOff + off;
        out[o] = ttl >>> 24;
        out[o + 1] = (ttl >>> 16) & 0xff;
        out[o + 2] = (ttl >>> 8) & 0xff;
        out[o + 3] = ttl & 0xff;
      }
    }
    return wire.length;
  }

  #appendLru(e: Node): void {
    e.older = this.#newest;
    e.newer = undefined;
    if (this.#newest !== undefined) this.#newest.newer = e;
    else this.#oldest = e;
    this.#newest = e;
  }

  #unlinkLru(e: Node): void {
    if (e.older !== undefined) e.older.newer = e.newer;
    else this.#oldest = e.newer;
    if (e.newer !== undefined) e.newer.older = e.older;
    else this.#newest = e.older;
    e.older = undefined;
    e.newer = undefined;
  }

  #remove(e: Node): void {
    if (!e.linked) return;
    const b = e.hash & this.#mask;
    let p = this.#buckets[b];
    if (p === e) {
      this.#buckets[b] = e.bucketNext;
    } else {
      while (p !== undefined && p.bucketNext !== e) p = p.bucketNext;
      if (p !== undefined) p.bucketNext = e.bucketNext;
    }
    e.bucketNext = undefined;
    this.#unlinkLru(e);
    e.linked = false;
    this.#size--;
    this.#bytes -= e.wire.length + ENTRY_OVERHEAD;
  }

  /** Doubles the table (the load stays at most one entry per bucket). */
  #grow(): void {
    const buckets = new Array<Node | undefined>(this.#buckets.length * 2).fill(undefined);
    const mask = buckets.length - 1;
    for (let e = this.#oldest; e !== undefined; e = e.newer) {
      const b = e.hash & mask;
      e.bucketNext = buckets[b];
      buckets[b] = e;
    }
    this.#buckets = buckets;
    this.#mask = mask;
  }

  #evict(): void {
    while (this.#oldest !== undefined && (this.#size > this.limits.maxEntries || this.#bytes > this.limits.maxBytes)) this.#remove(this.#oldest);
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
