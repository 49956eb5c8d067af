/**
 * Response cache: final answers (positive, negative and synthesized) stored
 * as wire bytes, keyed by (name lower-cased, type, class, DO, CD, EDNS).
 * A hit copies the bytes and patches the ID, the question (the client's own
 * case), RD and every TTL (counted down, RFC 1035 §4.1.3 / RFC 2181 §8), so
 * nothing is re-encoded. Bounded by entries and bytes, LRU eviction (a Map
 * keeps insertion order; a hit moves the entry to the end). Clock injected.
 */
import { FLAG, RCODE, TYPE, readTtl, walkRecords, type ParsedQuery } from './wire.js';
import type { Dns64CacheOptions } from './config.js';

/** One cached answer. */
export interface CacheEntry {
  readonly wire: Buffer;
  readonly storedAt: number;
  readonly expiresAt: number;
  /** Offsets of every TTL field (OPT excluded); the TTLs as received stay in `wire`, which is never modified. */
  readonly ttlOffsets: Uint32Array;
  readonly questionEnd: number;
  /** Depends on the prefix (synthesized AAAA, PTR under the prefix): flushed by setPrefix. */
  readonly prefixDependent: boolean;
  /** IPv4 addresses embedded in synthesized AAAA (for the translator's policy check). */
  readonly embedded: readonly number[];
}

/** The cache key of a query. */
export function cacheKey(q: ParsedQuery): string {
  const e = q.edns === undefined ? 0 : q.edns.dnssecOk ? 2 : 1;
  return `${q.qname}|${q.qtype}|${q.qclass}|${e}${q.cd ? 1 : 0}`;
}

/** Seconds this answer may be cached, or 0 (RFC 2308 §5 for negative answers). */
export function cacheTtl(wire: Buffer, limits: Dns64CacheOptions): { ttl: number; offsets: Uint32Array } | undefined {
  const spans = walkRecords(wire);
  if (spans === undefined) return undefined;
  const rcode = wire[3]! & 0xf;
  if (rcode !== RCODE.noError && rcode !== RCODE.nxDomain) return undefined;
  const rrs = spans.filter((s) => s.type !== TYPE.OPT);
  const offsets = Uint32Array.from(rrs.map((s) => s.ttlOffset));
  const answers = rrs.filter((s) => s.section === 1);
  let ttl: number;
  if (rcode === RCODE.noError && answers.some((s) => s.type !== TYPE.CNAME && s.type !== TYPE.DNAME && s.type !== TYPE.RRSIG)) {
    ttl = Math.min(...answers.map((s) => readTtl(wire, s.ttlOffset)));
  } else {
    // Negative: min(SOA TTL, SOA MINIMUM) capped by negativeTtl; no SOA, no caching (RFC 2308 §5).
    const soa = rrs.find((s) => s.section === 2 && s.type === TYPE.SOA);
    if (soa === undefined) return undefined;
    ttl = Math.min(readTtl(wire, soa.ttlOffset), readTtl(wire, soa.end - 4), limits.negativeTtl);
    for (const s of answers) ttl = Math.min(ttl, readTtl(wire, s.ttlOffset));
  }
  ttl = Math.min(Math.max(ttl, limits.minTtl), limits.maxTtl);
  return ttl > 0 ? { ttl, offsets } : undefined;
}

const ENTRY_OVERHEAD = 160;

/** LRU cache of wire answers. */
export class ResponseCache {
  readonly #map = new Map<string, CacheEntry>();
  #bytes = 0;

  constructor(
    private limits: Dns64CacheOptions,
    private readonly now: () => number,
  ) {}

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
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

  /** The live entry for `key`, or undefined (expired entries are removed). */
  get(key: string): CacheEntry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    this.#map.delete(key);
    if (e.expiresAt <= this.now()) {
      this.#bytes -= e.wire.length + key.length + ENTRY_OVERHEAD;
      return undefined;
    }
    this.#map.set(key, e);
    return e;
  }

  /** Stores an answer if it is cacheable; returns whether it was stored. */
  put(key: string, wire: Buffer, questionEnd: number, meta: { prefixDependent: boolean; embedded: readonly number[] }): boolean {
    if (this.limits.maxEntries === 0) return false;
    const t = cacheTtl(wire, this.limits);
    if (t === undefined) return false;
    const old = this.#map.get(key);
    if (old !== undefined) this.#remove(key, old);
    const now = this.now();
    const entry: CacheEntry = {
      wire, storedAt: now, expiresAt: now + t.ttl * 1000, ttlOffsets: t.offsets, questionEnd,
      prefixDependent: meta.prefixDependent, embedded: meta.embedded,
    };
    this.#map.set(key, entry);
    this.#bytes += wire.length + key.length + ENTRY_OVERHEAD;
    this.#evict();
    return this.#map.has(key);
  }

  /** Removes every entry matching `pred`; returns how many. */
  flush(pred: (e: CacheEntry) => boolean = () => true): number {
    let n = 0;
    for (const [k, e] of this.#map) {
      if (pred(e)) {
        this.#remove(k, e);
        n++;
      }
    }
    return n;
  }

  /**
   * The answer for `q` from `e`: copied, with the query's ID, question bytes
   * and RD bit, and TTLs reduced by the seconds spent in the cache.
   */
  render(e: CacheEntry, raw: Uint8Array, q: ParsedQuery): Buffer {
    const out = Buffer.allocUnsafe(e.wire.length);
    e.wire.copy(out);
    out[0] = q.id >> 8;
    out[1] = q.id & 0xff;
    out[2] = (out[2]! & ~(FLAG.rd >> 8)) | (q.rd ? FLAG.rd >> 8 : 0);
    if (q.questionEnd === e.questionEnd) out.set(raw.subarray(12, q.questionEnd), 12);
    const age = Math.floor((this.now() - e.storedAt) / 1000);
    if (age > 0) {
      for (let i = 0; i < e.ttlOffsets.length; i++) {
        const off = e.ttlOffsets[i]!;
        out.writeUInt32BE(Math.max(0, readTtl(e.wire, off) - age), off);
      }
    }
    return out;
  }

  #remove(key: string, e: CacheEntry): void {
    this.#map.delete(key);
    this.#bytes -= e.wire.length + key.length + ENTRY_OVERHEAD;
  }

  #evict(): void {
    for (const [k, e] of this.#map) {
      if (this.#map.size <= this.limits.maxEntries && this.#bytes <= this.limits.maxBytes) break;
      this.#remove(k, e);
    }
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
