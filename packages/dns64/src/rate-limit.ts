/**
 * Response rate limiting per client prefix (a token bucket per /24 or /56 by
 * default), so one network cannot flood the resolver or use it to reflect
 * traffic. Clock injected; the bucket table is bounded.
 */
import type { Dns64RateLimitOptions } from './config.js';

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 65_536;

/** Token buckets keyed by client prefix. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private opts: Dns64RateLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Replaces the settings (buckets are kept). */
  setOptions(opts: Dns64RateLimitOptions): void {
    this.opts = opts;
  }

  /** The bucket key of a client: its address masked to the configured prefix length. */
  keyOf(addr: Uint8Array, v4: boolean): string {
    const bits = v4 ? this.opts.ipv4PrefixLength : this.opts.ipv6PrefixLength;
    const out: number[] = [];
    for (let i = 0; i < addr.length && i * 8 < bits; i++) {
      const keep = Math.min(8, bits - i * 8);
      out.push(addr[i]! & (0xff << (8 - keep)) & 0xff);
    }
    return `${v4 ? 4 : 6}/${out.join('.')}`;
  }

  /** Takes one token for `key`; false when the bucket is empty. `now` defaults to the clock (the UDP fast path passes its batch time). */
  allow(key: string, now?: number): boolean {
    const { perSecond, burst } = this.opts;
    if (perSecond === 0) return true;
    now ??= this.now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#prune(now);
      b = { tokens: burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #prune(now: number): void {
    // Full buckets carry no state worth keeping; if none are full, drop the oldest half.
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.#buckets.delete(k);
    }
    let n = this.#buckets.size >> 1;
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size < MAX_BUCKETS || n-- <= 0) break;
      this.#buckets.delete(k);
    }
  }
}
