/**
 * The translator's own ICMP errors are rate-limited (RFC 4443 §2.4(f), RFC
 * 1812 §4.3.2.8): a flood of TTL=1 packets gets at most burst + rate × time
 * errors, globally and per source prefix, counted as `icmp-rate-limited`.
 * Time is the harness's fake clock, never the wall.
 */
import { describe, expect, it } from 'vitest';
import { Nat64ConfigError } from '../config.js';
import { harness, run, SERVER6, CLIENT, type Harness } from './test-setup.js';
import { ipv4, ipv6, udp } from './test-packets.js';
import { ICMP_LIMIT_BUCKETS, IcmpRateLimiter } from './icmp-limit.js';

/** Sends `n` TTL=1 IPv4 packets from `src` spread over `ms`; returns how many got an error back. */
function flood4(h: Harness, n: number, ms: number, src: (i: number) => string): number {
  let replies = 0;
  for (let i = 0; i < n; i++) {
    h.clock.advance(ms / n);
    const r = run(h, ipv4({ proto: 17, ttl: 1, src: src(i), payload: udp(4000, 1024 + (i % 100), 8) })).r;
    if (r.kind === 'reply') replies++;
    else expect(r.kind === 'drop' && r.reason).toBe('icmp-rate-limited');
  }
  return replies;
}

describe('ICMP error rate limit', () => {
  it('bounds TTL-exceeded replies to one source by the per-source bucket', () => {
    const h = harness({ icmpErrorRatePerSource: 10, icmpErrorBurstPerSource: 5 });
    // 20 000 packets over 10 s from one /24: 5 (burst) + 10/s × 10 s.
    const replies = flood4(h, 20_000, 10_000, (i) => `192.0.2.${1 + (i % 200)}`);
    expect(replies).toBeLessThanOrEqual(5 + 100);
    expect(replies).toBeGreaterThanOrEqual(100);
    const s = h.tr.snapshot();
    expect(s.icmpErrorsSent).toBe(replies);
    expect(s.drops['ttl-expired']).toBe(replies);
    expect(s.drops['icmp-rate-limited']).toBe(20_000 - replies);
  });

  it('bounds the total over many source prefixes by the global bucket', () => {
    const h = harness({ icmpErrorRate: 50, icmpErrorBurst: 20 });
    // A different /24 for every packet (the per-source buckets never run dry).
    const replies = flood4(h, 20_000, 5_000, (i) => `${20 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}.1`);
    expect(replies).toBeLessThanOrEqual(20 + 50 * 5);
    expect(replies).toBeGreaterThanOrEqual(50 * 5);
  });

  it('limits one flooding prefix without starving another', () => {
    const h = harness({ icmpErrorRatePerSource: 10, icmpErrorBurstPerSource: 10 });
    flood4(h, 10_000, 1_000, () => '203.0.113.9');
    // The flooder is out of tokens; a host in another /24 still gets its error
    // (unless the two /24s share a bucket, 1 in 4096 with a random seed: retry with a fresh seed).
    let ok = false;
    for (let t = 0; t < 3 && !ok; t++) {
      const h2 = t === 0 ? h : harness({ icmpErrorRatePerSource: 10, icmpErrorBurstPerSource: 10 });
      if (t > 0) flood4(h2, 10_000, 1_000, () => '203.0.113.9');
      ok = run(h2, ipv4({ proto: 17, ttl: 1, src: '198.51.100.200', payload: udp(1, 2, 8) })).r.kind === 'reply';
    }
    expect(ok).toBe(true);
    expect(run(h, ipv4({ proto: 17, ttl: 1, src: '203.0.113.10', payload: udp(1, 2, 8) })).r).toMatchObject({ kind: 'drop', reason: 'icmp-rate-limited' });
  });

  it('limits IPv6-side errors (hop limit exceeded) per /64', () => {
    const h = harness({ icmpErrorRatePerSource: 1, icmpErrorBurstPerSource: 3 });
    let replies = 0;
    for (let i = 0; i < 1000; i++) {
      const r = run(h, ipv6({ nh: 17, hop: 1, src: `2001:db8::${(i % 50).toString(16)}`, dst: SERVER6, payload: udp(1000, 53, 4) })).r;
      if (r.kind === 'reply') replies++;
    }
    expect(replies).toBe(3);
    h.clock.advance(2_000);
    expect(run(h, ipv6({ nh: 17, hop: 1, src: CLIENT, dst: SERVER6, payload: udp(1000, 53, 4) })).r.kind).toBe('reply');
  });

  it('sends nothing with a rate of 0', () => {
    const h = harness({ icmpErrorRate: 0 });
    expect(flood4(h, 100, 100, () => '192.0.2.1')).toBe(0);
  });

  it('refuses out-of-range rates with the key in the message', () => {
    expect(() => harness({ icmpErrorRate: -1 })).toThrow(Nat64ConfigError);
    expect(() => harness({ icmpErrorBurstPerSource: 0 })).toThrow(/icmpErrorBurstPerSource/);
    expect(() => harness({ icmpErrorRatePerSource: 1.5 })).toThrow(/icmpErrorRatePerSource/);
  });

  it('does not refill when the clock goes backwards, and caps at the burst', () => {
    const time = new Float64Array([1000]);
    const lim = new IcmpRateLimiter({ icmpErrorRate: 1000, icmpErrorBurst: 2, icmpErrorRatePerSource: 1000, icmpErrorBurstPerSource: 2 }, time);
    const src = new Uint8Array([192, 0, 2, 1]);
    expect([lim.allow4(src, 0), lim.allow4(src, 0), lim.allow4(src, 0)]).toEqual([true, true, false]);
    time[0] = 500;
    expect(lim.allow4(src, 0)).toBe(false);
    time[0] = 1_000_000;
    expect([lim.allow4(src, 0), lim.allow4(src, 0), lim.allow4(src, 0)]).toEqual([true, true, false]);
    expect(ICMP_LIMIT_BUCKETS & (ICMP_LIMIT_BUCKETS - 1)).toBe(0);
  });
});
