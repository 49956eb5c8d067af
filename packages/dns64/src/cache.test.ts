import dnsPacket, { type Answer } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DNS64_DEFAULTS } from './config.js';
import { ResponseCache, cacheTtl } from './cache.js';

const limits = { ...DNS64_DEFAULTS.cache };
const soa = (ttl: number, minimum: number): Answer =>
  ({ name: 'example.org', type: 'SOA', ttl, data: { mname: 'ns', rname: 'h', serial: 1, refresh: 1, retry: 1, expire: 1, minimum } }) as Answer;
const msg = (rcode: number, answers: Answer[], authorities: Answer[] = []): Buffer =>
  dnsPacket.encode({ type: 'response', id: 1, flags: rcode, questions: [{ name: 'a.example.org', type: 'AAAA' }], answers, authorities });
const aaaa = (ttl: number): Answer => ({ name: 'a.example.org', type: 'AAAA', ttl, data: '2001:db8::1' });

describe('cacheTtl', () => {
  it.each([
    { name: 'positive: smallest answer TTL', wire: msg(0, [aaaa(300), aaaa(100)]), lim: limits, want: 100 },
    { name: 'positive clamped to maxTtl', wire: msg(0, [aaaa(90_000)]), lim: { ...limits, maxTtl: 3600 }, want: 3600 },
    { name: 'positive raised to minTtl', wire: msg(0, [aaaa(5)]), lim: { ...limits, minTtl: 30 }, want: 30 },
    { name: 'NXDOMAIN: min(SOA TTL, MINIMUM)', wire: msg(3, [], [soa(900, 120)]), lim: limits, want: 120 },
    { name: 'NODATA capped by negativeTtl', wire: msg(0, [], [soa(7200, 7200)]), lim: { ...limits, negativeTtl: 60 }, want: 60 },
  ])('$name', ({ wire, lim, want }) => {
    expect(cacheTtl(wire, lim)?.ttl).toBe(want);
  });

  it.each([
    { name: 'SERVFAIL', wire: msg(2, []) },
    { name: 'negative without SOA', wire: msg(0, []) },
    { name: 'zero TTL', wire: msg(0, [aaaa(0)]) },
    { name: 'truncated bytes', wire: msg(0, [aaaa(60)]).subarray(0, 40) },
  ])('does not cache $name', ({ wire }) => {
    expect(cacheTtl(Buffer.from(wire), limits)).toBeUndefined();
  });
});

describe('ResponseCache limits', () => {
  it('evicts least recently used entries to stay under maxBytes', () => {
    const wire = msg(0, [aaaa(300)]);
    const per = wire.length + 'k0'.length + 160;
    const c = new ResponseCache({ ...limits, maxBytes: per * 3 }, () => 0);
    for (let i = 0; i < 5; i++) c.put(`k${i}`, wire, 33, { prefixDependent: false, embedded: [] });
    expect(c.size).toBe(3);
    expect(c.bytes).toBeLessThanOrEqual(per * 3);
    expect(c.get('k0')).toBeUndefined();
    expect(c.get('k4')).toBeDefined();
  });

  it('never stores with maxEntries 0, and flushes by predicate', () => {
    const wire = msg(0, [aaaa(300)]);
    expect(new ResponseCache({ ...limits, maxEntries: 0 }, () => 0).put('k', wire, 33, { prefixDependent: false, embedded: [] })).toBe(false);
    const c = new ResponseCache(limits, () => 0);
    c.put('a', wire, 33, { prefixDependent: true, embedded: [1] });
    c.put('b', wire, 33, { prefixDependent: false, embedded: [] });
    expect(c.flush((e) => e.prefixDependent)).toBe(1);
    expect([c.get('a'), c.get('b') !== undefined]).toEqual([undefined, true]);
  });
});
