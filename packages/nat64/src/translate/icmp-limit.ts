/**
 * Rate limit of the ICMP errors the translator originates (RFC 4443 §2.4(f)
 * MUST, RFC 1812 §4.3.2.8 SHOULD): without it every packet an IPv4 host
 * sends with TTL 1 (or to a filtered port, with a source route …) is
 * reflected as one error, towards whatever source it claims.
 *
 * Two token buckets must both have a token: one global, and one per source
 * prefix (IPv4 /24, IPv6 /64) in a fixed table of `BUCKETS` slots chosen by a
 * seeded hash of the prefix. Sources whose prefixes share a slot share its
 * bucket: a flood from many prefixes can only make the per-source limit
 * stricter, and the global bucket bounds the total whatever the spread.
 * Tokens are refilled from the packet's time at each check, so there is no
 * timer; a check is O(1) and allocates nothing (Float64Array state).
 */

/** Per-source buckets (power of two). 4096 × 16 bytes = 64 KiB. */
export const ICMP_LIMIT_BUCKETS = 4096;

/** Rates in errors per second; a rate of 0 sends no errors at all. */
export interface IcmpLimitConfig {
  readonly icmpErrorRate: number;
  readonly icmpErrorBurst: number;
  readonly icmpErrorRatePerSource: number;
  readonly icmpErrorBurstPerSource: number;
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class IcmpRateLimiter {
  /** [tokens, last refill ms] of the global bucket, then of each per-source bucket. */
  private readonly b = new Float64Array(2 + 2 * ICMP_LIMIT_BUCKETS);
  private readonly seed: number;
  /** Tokens per ms. */
  private readonly gRate: number;
  private readonly sRate: number;
  private readonly gBurst: number;
  private readonly sBurst: number;

  /** `time[0]` is the current time in ms (the translator writes it once per packet). */
  constructor(cfg: IcmpLimitConfig, private readonly time: Float64Array) {
    this.gRate = cfg.icmpErrorRate / 1000;
    this.sRate = cfg.icmpErrorRatePerSource / 1000;
    this.gBurst = cfg.icmpErrorBurst;
    this.sBurst = cfg.icmpErrorBurstPerSource;
    this.seed = (Math.random() * 0x100000000) | 0;
    const now = time[0]!;
    // A rate of 0 starts empty and never refills: no errors at all.
    this.b[0] = this.gRate === 0 ? 0 : this.gBurst;
    this.b[1] = now;
    for (let i = 0; i < ICMP_LIMIT_BUCKETS; i++) {
      this.b[2 + 2 * i] = this.sRate === 0 ? 0 : this.sBurst;
      this.b[3 + 2 * i] = now;
    }
  }

  /** May an error go to the IPv6 source at `buf[srcOff..+16)`? Takes the tokens when yes. */
  allow6(buf: Uint8Array, srcOff: number): boolean {
    const w0 = (buf[srcOff]! << 24) | (buf[srcOff + 1]! << 16) | (buf[srcOff + 2]! << 8) | buf[srcOff + 3]!;
    const w1 = (buf[srcOff + 4]! << 24) | (buf[srcOff + 5]! << 16) | (buf[srcOff + 6]! << 8) | buf[srcOff + 7]!;
    return this.take(fmix(mix(mix(this.seed, w0), w1)) & (ICMP_LIMIT_BUCKETS - 1));
  }

  /** May an error go to the IPv4 source at `buf[srcOff..+4)`? (its /24) */
  allow4(buf: Uint8Array, srcOff: number): boolean {
    const w = (buf[srcOff]! << 16) | (buf[srcOff + 1]! << 8) | buf[srcOff + 2]!;
    return this.take(fmix(mix(this.seed ^ 0x2545f491, w)) & (ICMP_LIMIT_BUCKETS - 1));
  }

  private take(slot: number): boolean {
    const b = this.b;
    const now = this.time[0]!;
    const gi = 0;
    const si = 2 + 2 * slot;
    // Refill both (clock going backwards refills nothing).
    const g = Math.min(this.gBurst, b[gi]! + Math.max(0, now - b[gi + 1]!) * this.gRate);
    const s = Math.min(this.sBurst, b[si]! + Math.max(0, now - b[si + 1]!) * this.sRate);
    b[gi + 1] = now;
    b[si + 1] = now;
    if (g < 1 || s < 1) {
      b[gi] = g;
      b[si] = s;
      return false;
    }
    b[gi] = g - 1;
    b[si] = s - 1;
    return true;
  }
}
