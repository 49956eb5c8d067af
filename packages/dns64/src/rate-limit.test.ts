import { PerformanceObserver } from 'node:perf_hooks';
import { parseIpv6 } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { DNS64_DEFAULTS, validateDns64Options, type Dns64RateLimitOptions } from './config.js';
import { RATE_ADDRESS, RATE_OK, RATE_PREFIX, RateLimiter, type RateKey } from './rate-limit.js';

const defaults = validateDns64Options({}).rateLimit;

function v6(text: string): Uint8Array {
  return parseIpv6(text);
}

/** The i-th host of 2001:db8:1::/64. */
function lanHost(l: RateLimiter, i: number): RateKey {
  const b = v6('2001:db8:1::');
  b[14] = i >> 8;
  b[15] = i & 0xff;
  return l.keyFor(b, false);
}

describe('RateLimiter (defaults: a resolver for its own LAN)', () => {
  it('never limits 1,000 clients of one /64 asking 20 queries/s each, in step or in bursts', () => {
    const l = new RateLimiter(defaults, () => 0);
    const keys = Array.from({ length: 1000 }, (_, i) => lanHost(l, i));
    let limited = 0;
    // 10 s; every client sends its 20 queries of each second in one burst, all at the same instant.
    for (let s = 0; s < 10; s++) {
      for (const k of keys) for (let q = 0; q < 20; q++) if (l.allow(k, 1_000_000 + s * 1000) !== RATE_OK) limited++;
    }
    expect(limited).toBe(0);
  });

  it('limits one address flooding while its neighbours are never limited', () => {
    const l = new RateLimiter(defaults, () => 0);
    const bad = lanHost(l, 7);
    const good = Array.from({ length: 50 }, (_, i) => lanHost(l, 100 + i));
    let badOk = 0;
    let goodLimited = 0;
    const t0 = 5_000_000;
    // 4 s at 10,000 queries/s from `bad` (1 ms steps of 10), the others at 20/s.
    for (let ms = 0; ms < 4000; ms++) {
      for (let q = 0; q < 10; q++) if (l.allow(bad, t0 + ms) === RATE_OK) badOk++;
      if (ms % 50 === 0) for (const g of good) if (l.allow(g, t0 + ms) !== RATE_OK) goodLimited++;
    }
    expect(goodLimited).toBe(0);
    // burst + rate × time (the first second's burst while nobody else had asked yet aside).
    expect(badOk).toBeLessThanOrEqual(defaults.burst + defaults.perSecond * 4 + 10);
    expect(badOk).toBeGreaterThanOrEqual(defaults.burst + defaults.perSecond * 4 - 100);
    const next = Array.from({ length: 5 }, () => l.allow(bad, t0 + 4000));
    expect(next).toContain(RATE_ADDRESS);
  });

  it('spares a lone client (exemptLoneClient), and limits it as soon as another address asks', () => {
    const l = new RateLimiter({ ...defaults, perSecond: 10, burst: 10 }, () => 0);
    const a = lanHost(l, 1);
    const b = lanHost(l, 2);
    let ok = 0;
    for (let i = 0; i < 100; i++) if (l.allow(a, 1000) === RATE_OK) ok++;
    expect(ok).toBe(100);
    expect(l.lonePassed).toBe(90);
    expect(l.allow(b, 1000)).toBe(RATE_OK);
    expect(l.allow(a, 1000)).toBe(RATE_ADDRESS);
    // Two seconds later b has been quiet for more than a second: a is alone again.
    expect(l.allow(a, 3500)).toBe(RATE_OK);
  });

  it('limits a lone client too with exemptLoneClient: false', () => {
    const l = new RateLimiter({ ...defaults, perSecond: 10, burst: 10, exemptLoneClient: false }, () => 0);
    const a = lanHost(l, 1);
    let ok = 0;
    for (let i = 0; i < 100; i++) if (l.allow(a, 1000) === RATE_OK) ok++;
    expect(ok).toBe(10);
    // Refill: 10/s → 5 tokens after 500 ms.
    ok = 0;
    for (let i = 0; i < 100; i++) if (l.allow(a, 1500) === RATE_OK) ok++;
    expect(ok).toBe(5);
  });

  it('holds a host cycling through its /64 to the prefix ceiling while another prefix asks; that prefix is untouched', () => {
    const opts: Dns64RateLimitOptions = { ...defaults, perSecond: 100, burst: 100, prefixPerSecond: 1000, prefixBurst: 1000 };
    const l = new RateLimiter(opts, () => 0);
    const other = l.keyFor(v6('2001:db8:2::5'), false);
    const other4 = l.keyFor(Uint8Array.of(192, 0, 2, 9), true);
    let ok = 0;
    let prefixLimited = 0;
    let otherLimited = 0;
    for (let i = 0; i < 20_000; i++) {
      const t = 1000 + Math.floor(i / 10); // 10,000 queries/s for 2 s
      const r = l.allow(lanHost(l, i), t);
      if (r === RATE_OK) ok++;
      if (r === RATE_PREFIX) prefixLimited++;
      if (i % 100 === 0 && (l.allow(other, t) !== RATE_OK || l.allow(other4, t) !== RATE_OK)) otherLimited++;
    }
    expect(otherLimited).toBe(0);
    expect(ok).toBeLessThanOrEqual(1000 + 2 * 1000 + 1);
    expect(prefixLimited).toBe(20_000 - ok);
  });

  it('groups by the configured prefix lengths and keeps IPv4 and IPv6 apart', () => {
    const l = new RateLimiter({ ...defaults, ipv6PrefixLength: 48, ipv4PrefixLength: 20 }, () => 0);
    const a = l.keyFor(v6('2001:db8:1:ff::1'), false);
    const b = l.keyFor(v6('2001:db8:1:1::1'), false);
    const c = l.keyFor(v6('2001:db8:2::1'), false);
    expect([a.p0, a.p1, a.p2, a.p3]).toEqual([b.p0, b.p1, b.p2, b.p3]);
    expect(a.ph).toBe(b.ph);
    expect([a.p0, a.p1]).not.toEqual([c.p0, c.p1]);
    const x = l.keyFor(Uint8Array.of(192, 0, 2, 1), true);
    const y = l.keyFor(Uint8Array.of(192, 0, 15, 200), true);
    const z = l.keyFor(Uint8Array.of(192, 0, 16, 1), true);
    expect(x.p3).toBe(y.p3);
    expect(x.p3).not.toBe(z.p3);
    const zero6 = l.keyFor(new Uint8Array(16), false);
    const zero4 = l.keyFor(new Uint8Array(4), true);
    expect([zero6.a2, zero6.p2]).not.toEqual([zero4.a2, zero4.p2]);
  });

  it('stays bounded under an address sweep and keeps limiting the flooder', () => {
    const l = new RateLimiter({ ...defaults, perSecond: 10, burst: 10, exemptLoneClient: false }, () => 0);
    const bad = lanHost(l, 1);
    for (let i = 0; i < 10; i++) l.allow(bad, 1000);
    const b = v6('2001:db8:9::');
    for (let i = 0; i < 300_000; i++) {
      b[12] = i >> 24;
      b[13] = (i >> 16) & 0xff;
      b[14] = (i >> 8) & 0xff;
      b[15] = i & 0xff;
      l.allow(l.keyFor(b, false), 1000);
    }
    expect(l.buckets.addresses).toBeLessThanOrEqual(65_536);
    expect(l.buckets.replaced).toBeGreaterThan(0);
    // The flooder asked again just now (recently used): still known and still empty unless it was replaced.
    const r = l.allow(bad, 1000);
    expect([RATE_OK, RATE_ADDRESS]).toContain(r);
  });

  it('turns off with perSecond 0 and prefixPerSecond 0', () => {
    const l = new RateLimiter({ ...defaults, perSecond: 0, burst: 0, prefixPerSecond: 0, prefixBurst: 0, exemptLoneClient: false }, () => 0);
    const a = lanHost(l, 1);
    for (let i = 0; i < 10_000; i++) expect(l.allow(a, 1000)).toBe(RATE_OK);
  });

  it('allocates nothing per query (no garbage collection over ten million checks)', { timeout: 20_000 }, async () => {
    const l = new RateLimiter({ ...DNS64_DEFAULTS.rateLimit, exemptLoneClient: false }, () => 0);
    const keys = Array.from({ length: 256 }, (_, i) => lanHost(l, i));
    let t = 1_000_000;
    const run = (n: number): number => {
      let limited = 0;
      for (let i = 0; i < n; i++) {
        if ((i & 1023) === 0) l.tick((t += 1.5)); // once per batch, as the UDP listener does
        if (l.check(keys[i & 255]!) !== RATE_OK) limited++;
      }
      return limited;
    };
    run(300_000); // warm up: the interpreter boxes numbers until the function is optimized
    // Several rounds, the best counts: the optimizing compiler runs on a background thread and
    // may finish late on a loaded machine. 5 M checks at even 16 bytes each would be 80 MB:
    // five or more scavenges of the young generation in every round.
    const counts: number[] = [];
    for (let round = 0; round < 4 && !counts.includes(0); round++) {
      let gcs = 0;
      const obs = new PerformanceObserver((list) => {
        gcs += list.getEntries().length;
      });
      obs.observe({ entryTypes: ['gc'] });
      run(5_000_000);
      await new Promise((r) => setTimeout(r, 20));
      obs.disconnect();
      counts.push(gcs);
    }
    expect(Math.min(...counts), `GCs per round: ${counts.join(" ")}`).toBeLessThanOrEqual(1);
  });
});

describe('rateLimit options', () => {
  it('has the documented defaults and rejects bad values', () => {
    expect(defaults).toEqual({
      perSecond: 1000, burst: 2000, prefixPerSecond: 50_000, prefixBurst: 100_000,
      ipv4PrefixLength: 24, ipv6PrefixLength: 56, response: 'truncate', exemptLoneClient: true,
    });
    expect(() => validateDns64Options({ rateLimit: { response: 'drop' as 'refuse' } })).toThrow(/rateLimit.response/);
    expect(() => validateDns64Options({ rateLimit: { exemptLoneClient: 'yes' as unknown as boolean } })).toThrow(/exemptLoneClient/);
    expect(() => validateDns64Options({ rateLimit: { prefixPerSecond: -1 } })).toThrow(/prefixPerSecond/);
    expect(() => validateDns64Options({ rateLimit: { prefixPerSecond: 10, prefixBurst: 0 } })).toThrow(/prefixBurst/);
  });
});
