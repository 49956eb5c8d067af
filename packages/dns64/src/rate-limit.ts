/**
 * Response rate limiting for a resolver of its own ACL'd clients: a token
 * bucket per client address (a misbehaving host is limited, its neighbours
 * are not) under a much larger bucket per client prefix (/56, /24 by
 * default: a host cycling through the addresses of its /64 still meets a
 * ceiling). A limited query gets a small, fast answer (TC=1 by default, the
 * "slip" of RRL practice, or REFUSED), never silence: a legitimate client
 * retries at once (over TCP after TC), a spoofed one reflects no more bytes
 * than it sent.
 *
 * A client that is alone is not limited by default (`exemptLoneClient`): an
 * address over its rate passes while no other address asked in this or the
 * last second, a prefix over its ceiling while no other prefix did. It delays
 * nobody, and a single host (a benchmark, a NAT in front of a LAN) may use the
 * whole resolver; as soon as someone else asks, the over-rate address (or
 * prefix) is held to its rate. The price: a host that cycles through the
 * addresses of the only prefix asking meets no ceiling until another prefix
 * asks (set `exemptLoneClient: false` where that matters).
 *
 * Nothing is allocated per query: buckets live in typed arrays (open
 * addressing, bounded probe, the least recently used of the probed slots is
 * replaced when the window is full) and a client's key is computed once per
 * client (`keyFor`, kept in the client cache), not per query.
 */
import type { Dns64RateLimitOptions } from './config.js';

/** A client's bucket keys: the address and its prefix as four 32-bit words each, with their hashes. */
export interface RateKey {
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly a3: number;
  readonly ah: number;
  readonly p0: number;
  readonly p1: number;
  readonly p2: number;
  readonly p3: number;
  readonly ph: number;
}

/** `allow` results. */
export const RATE_OK = 0;
/** Over the address's rate. */
export const RATE_ADDRESS = 1;
/** Over the prefix's ceiling. */
export const RATE_PREFIX = 2;

/** Address buckets kept (LRU-ish replacement beyond that). */
export const MAX_ADDRESS_BUCKETS = 65_536;
/** Prefix buckets kept. */
export const MAX_PREFIX_BUCKETS = 16_384;
/** Slots probed per lookup before the oldest of them is replaced. */
const PROBE = 8;

/** One open-addressing table of token buckets keyed by four words. */
class BucketTable {
  readonly #mask: number;
  readonly #keys: Int32Array;
  readonly #used: Uint8Array;
  readonly tokens: Float64Array;
  readonly at: Float64Array;
  /** The second in which the bucket last saw a query (activity count). */
  readonly epoch: Float64Array;
  size = 0;
  replaced = 0;

  /** `clock[0]` is the time of the query being checked (ms): numbers are read from typed arrays, never passed boxed. */
  constructor(
    capacity: number,
    private readonly clock: Float64Array,
  ) {
    this.#mask = capacity - 1;
    this.#keys = new Int32Array(capacity * 4);
    this.#used = new Uint8Array(capacity);
    this.tokens = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
    this.epoch = new Float64Array(capacity);
  }

  /** The slot of the key (a new one starts with `burst` tokens). */
  slot(w0: number, w1: number, w2: number, w3: number, h: number, burst: number): number {
    const k = this.#keys;
    let oldest = -1;
    for (let p = 0; p < PROBE; p++) {
      const i = (h + p) & this.#mask;
      if (this.#used[i] === 0) {
        this.size++;
        return this.#claim(i, w0, w1, w2, w3, burst);
      }
      const o = i * 4;
      if (k[o] === w0 && k[o + 1] === w1 && k[o + 2] === w2 && k[o + 3] === w3) return i;
      if (oldest < 0 || this.at[i]! < this.at[oldest]!) oldest = i;
    }
    this.replaced++;
    return this.#claim(oldest, w0, w1, w2, w3, burst);
  }

  #claim(i: number, w0: number, w1: number, w2: number, w3: number, burst: number): number {
    const o = i * 4;
    this.#keys[o] = w0;
    this.#keys[o + 1] = w1;
    this.#keys[o + 2] = w2;
    this.#keys[o + 3] = w3;
    this.#used[i] = 1;
    this.tokens[i] = burst;
    this.at[i] = this.clock[0]!;
    this.epoch[i] = -1;
    return i;
  }

  /** Refills slot i to the clock and takes one token; false when it has none. */
  take(i: number, perSecond: number, burst: number): boolean {
    const now = this.clock[0]!;
    const elapsed = now - this.at[i]!;
    let t = this.tokens[i]!;
    if (elapsed > 0) {
      t += (elapsed * perSecond) / 1000;
      if (t > burst) t = burst;
      this.at[i] = now;
    }
    if (t < 1) {
      this.tokens[i] = t;
      return false;
    }
    this.tokens[i] = t - 1;
    return true;
  }

  clear(): void {
    this.#used.fill(0);
    this.size = 0;
  }
}

/** Distinct keys seen in the current and the previous second (`clock[1]`). */
class Activity {
  #epoch = -1;
  #current = 0;
  #previous = 0;

  constructor(private readonly clock: Float64Array) {}

  /** Notes that slot i of `t` asked in the clock's second. */
  touch(t: BucketTable, i: number): void {
    const epoch = this.clock[1]!;
    if (epoch !== this.#epoch) {
      this.#previous = epoch === this.#epoch + 1 ? this.#current : 0;
      this.#current = 0;
      this.#epoch = epoch;
    }
    if (t.epoch[i] !== epoch) {
      t.epoch[i] = epoch;
      this.#current++;
    }
  }

  /** True when nobody but one key asked in this or the last second. */
  get lone(): boolean {
    return this.#current <= 1 && this.#previous <= 1;
  }
}

/** Seeded mix of four words (random seed: nobody aims addresses at one probe window). */
function mix(seed: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = seed ^ Math.imul(w0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) ^ w1;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ w2;
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f) ^ w3;
  h = Math.imul(h ^ (h >>> 15), 0x165667b1);
  // 30 bits: a small integer everywhere it is passed (never a boxed number).
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

function maskWord(w: number, wordIndex: number, bits: number): number {
  const keep = bits - wordIndex * 32;
  if (keep >= 32) return w | 0;
  if (keep <= 0) return 0;
  return (w & ~(0xffffffff >>> keep)) | 0;
}

/** Per-address token buckets under per-prefix ceilings. */
export class RateLimiter {
  /** [now ms, now s]: set once per check (or per batch), read by the tables. */
  readonly #clock = new Float64Array(2);
  readonly #addrs = new BucketTable(MAX_ADDRESS_BUCKETS, this.#clock);
  readonly #prefixes = new BucketTable(MAX_PREFIX_BUCKETS, this.#clock);
  readonly #addrActivity = new Activity(this.#clock);
  readonly #prefixActivity = new Activity(this.#clock);
  readonly #seed = (Math.random() * 0x100000000) >>> 0;
  /** Queries over a limit that were let through because their client was alone. */
  lonePassed = 0;

  constructor(
    private opts: Dns64RateLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Replaces the settings (buckets are kept; the prefix table restarts when the prefix lengths change, and keys must be recomputed). */
  setOptions(opts: Dns64RateLimitOptions): void {
    if (opts.ipv4PrefixLength !== this.opts.ipv4PrefixLength || opts.ipv6PrefixLength !== this.opts.ipv6PrefixLength) this.#prefixes.clear();
    this.opts = opts;
  }

  /** Buckets in use (address, prefix) and how many were replaced because their probe window was full. */
  get buckets(): { addresses: number; prefixes: number; replaced: number } {
    return { addresses: this.#addrs.size, prefixes: this.#prefixes.size, replaced: this.#addrs.replaced + this.#prefixes.replaced };
  }

  /**
   * The bucket keys of a client: `addr` is 4 (IPv4) or 16 bytes. IPv4 is keyed
   * as its IPv4-mapped IPv6 form so the two families never share a key.
   */
  keyFor(addr: Uint8Array, v4: boolean): RateKey {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    if (v4) {
      a2 = 0xffff;
      a3 = ((addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!) | 0;
      p2 = 0xffff;
      p3 = maskWord(a3, 0, this.opts.ipv4PrefixLength);
    } else {
      const w = (i: number): number => ((addr[i]! << 24) | (addr[i + 1]! << 16) | (addr[i + 2]! << 8) | addr[i + 3]!) | 0;
      a0 = w(0);
      a1 = w(4);
      a2 = w(8);
      a3 = w(12);
      const bits = this.opts.ipv6PrefixLength;
      p0 = maskWord(a0, 0, bits);
      p1 = maskWord(a1, 1, bits);
      p2 = maskWord(a2, 2, bits);
      p3 = maskWord(a3, 3, bits);
    }
    const s = this.#seed;
    return { a0, a1, a2, a3, ah: mix(s, a0, a1, a2, a3), p0, p1, p2, p3, ph: mix(s ^ 0x5bd1e995, p0, p1, p2, p3) };
  }

  /**
   * Sets the time the next checks run at (the UDP listener calls it once per
   * received batch, so no number crosses a call per query).
   */
  tick(now: number): void {
    this.#clock[0] = now;
    this.#clock[1] = Math.floor(now / 1000);
  }

  /** `tick(now())` then `check(k)`: for paths without a batch clock. */
  allow(k: RateKey, now: number = this.now()): number {
    this.tick(now);
    return this.check(k);
  }

  /**
   * Takes one token from the client's address bucket and then from its
   * prefix bucket, at the time of the last `tick`: RATE_OK, or which limit
   * refused (RATE_ADDRESS, RATE_PREFIX). Allocates nothing.
   */
  check(k: RateKey): number {
    const o = this.opts;
    if (o.perSecond === 0 && o.prefixPerSecond === 0) return RATE_OK;
    let spared = false;
    if (o.perSecond > 0) {
      const a = this.#addrs;
      const i = a.slot(k.a0, k.a1, k.a2, k.a3, k.ah, o.burst);
      this.#addrActivity.touch(a, i);
      if (!a.take(i, o.perSecond, o.burst)) {
        if (!(o.exemptLoneClient && this.#addrActivity.lone)) return RATE_ADDRESS;
        spared = true;
      }
    }
    if (o.prefixPerSecond > 0) {
      const p = this.#prefixes;
      const i = p.slot(k.p0, k.p1, k.p2, k.p3, k.ph, o.prefixBurst);
      this.#prefixActivity.touch(p, i);
      if (!p.take(i, o.prefixPerSecond, o.prefixBurst)) {
        if (!(o.exemptLoneClient && this.#prefixActivity.lone)) return RATE_PREFIX;
        spared = true;
      }
    }
    if (spared) this.lonePassed++;
    return RATE_OK;
  }
}
