/**
 * The cache-hit fast path (probeQuery → Dns64Resolver.cachedFor → hitInto)
 * against the full path (parseQuery → fromCache): for any query bytes, when
 * the fast path answers, the full path gives the same bytes and counts the
 * same (differential property test).
 */
import dnsPacket, { type Answer } from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDns64Options } from './config.js';
import { FakeUpstream } from './fake-upstream.js';
import { createCounters, type Dns64Counters } from './metrics.js';
import { Dns64Resolver } from './resolver.js';
import { QueryProbe, parseQuery, probeQuery, type ParsedQuery } from './wire.js';

const soa = { name: 'example.org', type: 'SOA', ttl: 3600, class: 'IN', data: { mname: 'ns.example.org', rname: 'h.example.org', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 900 } } as Answer;
const rec = (name: string, type: string, data: unknown, ttl = 300): Answer => ({ name, type, class: 'IN', ttl, data }) as Answer;

/** Names with different kinds of cached answers. */
function script(up: FakeUpstream): void {
  up.on('v4only.example.org', 'AAAA', { authorities: [soa] });
  up.on('v4only.example.org', 'A', { answers: [rec('v4only.example.org', 'A', '192.0.2.10'), rec('v4only.example.org', 'A', '192.0.2.11', 200)] });
  up.on('dual.example.org', 'AAAA', { answers: [rec('dual.example.org', 'AAAA', '2001:db8::5')], ad: true });
  up.on('nx.example.org', 'AAAA', { rcode: 'NXDOMAIN', authorities: [soa] });
  // Asked with AAAA while parallelA 'auto' knows no upstream round trip yet, and left unused.
  up.on('dual.example.org', 'A', { answers: [rec('dual.example.org', 'A', '192.0.2.5')] });
  up.on('nx.example.org', 'A', { rcode: 'NXDOMAIN', authorities: [soa] });
  up.on('v4only.example.org', 'TXT', { answers: [rec('v4only.example.org', 'TXT', ['hello'], 60)] });
  up.on('alias.example.org', 'AAAA', { answers: [rec('alias.example.org', 'CNAME', 'v4only.example.org')], authorities: [soa] });
  up.on('alias.example.org', 'A', { answers: [rec('alias.example.org', 'CNAME', 'v4only.example.org'), rec('v4only.example.org', 'A', '192.0.2.10')] });
  // About 700 bytes synthesized: over 512, under 1232.
  up.on('big.example.org', 'AAAA', {});
  up.on('big.example.org', 'A', { answers: Array.from({ length: 24 }, (_, i) => rec('big.example.org', 'A', `198.51.100.${i + 1}`)) });
  up.on('ipv4only.arpa', 'A', { answers: [] });
}
const NAMES = ['v4only.example.org', 'dual.example.org', 'nx.example.org', 'alias.example.org', 'big.example.org', 'ipv4only.arpa'];
const TYPES = [28, 28, 28, 16];

interface Q { name: string; upper: boolean[]; type: number; id: number; flags: number; edns: { size: number; dnssecOk: boolean; version: number; rdata: Uint8Array } | null }

function encode(q: Q): Buffer {
  const name = [...q.name].map((c, i) => (q.upper[i % q.upper.length] ? c.toUpperCase() : c)).join('');
  return dnsPacket.encode({
    type: 'query', id: q.id, flags: q.flags,
    questions: [{ name, type: `UNKNOWN_${q.type}` as 'A', class: 'IN' }],
    additionals: q.edns === null ? [] : [{
      type: 'OPT', name: '.', udpPayloadSize: q.edns.size, flags: q.edns.dnssecOk ? dnsPacket.DNSSEC_OK : 0, extendedRcode: 0,
      ednsVersion: q.edns.version, options: q.edns.rdata.length >= 4 ? [{ code: 10, data: Buffer.from(q.edns.rdata) }] : [],
    } as unknown as Answer],
  });
}

const queries = fc.record({
  name: fc.constantFrom(...NAMES),
  upper: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
  type: fc.constantFrom(...TYPES),
  id: fc.integer({ min: 0, max: 0xffff }),
  // RD, CD, AD in any combination; opcode QUERY.
  flags: fc.constantFrom(0, 0x0100, 0x0010, 0x0110, 0x0120, 0x0020),
  edns: fc.option(fc.record({
    size: fc.constantFrom(0, 512, 600, 1232, 4096, 65535), dnssecOk: fc.boolean(), version: fc.constantFrom(0, 0, 0, 1), rdata: fc.uint8Array({ maxLength: 12 }),
  })),
});

/** A query with, sometimes, a byte changed or the end cut off. */
const maybeBroken = fc.tuple(queries, fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), fc.nat({ max: 8 })).map(([q, edit, cut]) => {
  const b = encode(q);
  if (edit !== null) b[edit[0] % b.length] = edit[1];
  return cut > 5 ? b.subarray(0, b.length - (cut - 5)) : b;
});

async function primed(): Promise<{ resolver: Dns64Resolver; counters: Dns64Counters; tick: (s: number) => void; now: () => number }> {
  let clock = 5_000_000;
  const up = new FakeUpstream();
  script(up);
  const counters = createCounters();
  const opts = validateDns64Options({ prefix: '64:ff9b:1::/96', upstreams: ['192.0.2.53'], clients: ['::1'] });
  const resolver = new Dns64Resolver(opts, up, counters, () => clock);
  // Every name, type and variant once through the full path, so the cache holds them all.
  for (const name of NAMES) {
    for (const type of [28, 16]) {
      if (type === 16 && name !== 'v4only.example.org') continue;
      for (const edns of [null, { size: 1232, dnssecOk: false, version: 0, rdata: new Uint8Array() }, { size: 1232, dnssecOk: true, version: 0, rdata: new Uint8Array() }]) {
        for (const flags of [0x0100, 0x0110]) {
          const raw = encode({ name, upper: [false], type, id: 1, flags, edns });
          const q = parseQuery(raw) as ParsedQuery;
          if (resolver.fromCache(raw, q, undefined) === undefined) await resolver.resolve(raw, q, undefined);
        }
      }
    }
  }
  expect(up.unexpected).toEqual([]);
  return { resolver, counters, tick: (s) => (clock += s * 1000), now: () => clock };
}

describe('UDP fast path vs the full path (differential)', () => {
  it('answers byte for byte like parseQuery + fromCache, and counts the same, for any query bytes', async () => {
    const t = await primed();
    t.tick(7); // TTLs have counted down: the fast path must patch them too
    const arena = Buffer.alloc(4096, 0xee);
    const out = Buffer.alloc(2048, 0xdd);
    const p = new QueryProbe();
    let hits = 0;
    let bigHits = 0;
    fc.assert(fc.property(maybeBroken, fc.integer({ min: 0, max: 1500 }), (b, at) => {
      arena.set(b, at);
      const before = { ...t.counters };
      let fast: Buffer | undefined;
      if (probeQuery(arena, at, b.length, p)) {
        const e = t.resolver.cachedFor(arena, at, p, t.now(), out.length - 100);
        if (e >= 0) fast = Buffer.from(out.subarray(100, 100 + t.resolver.hitInto(e, arena, at, out, 100, t.now())));
      }
      const fastCounts = { ...t.counters };
      Object.assign(t.counters, before);
      const q = parseQuery(b);
      const slow = 'kind' in q || (q.edns?.version ?? 0) > 0 ? undefined : t.resolver.fromCache(b, q, undefined);
      if (fast === undefined) {
        // Not taken: either the full path misses too, or it has reasons the fast path leaves to it (size).
        if (slow !== undefined && !('kind' in q)) expect(slow.length > (q.edns === undefined ? 512 : Math.min(q.edns.udpSize, 1232)) || !probeQuery(b, 0, b.length, p)).toBe(true);
        return;
      }
      hits++;
      if (fast.length > 512) bigHits++;
      expect(slow).toBeDefined();
      expect(fast.equals(slow!)).toBe(true);
      // Both paths share the renderer: check it against the query independently (ID, RD, the client's own question bytes).
      expect(fast.readUInt16BE(0)).toBe(b.readUInt16BE(0));
      expect(fast[2]! & 1).toBe(b[2]! & 1);
      expect(fast.subarray(12, 12 + p.qLen).equals(b.subarray(12, 12 + p.qLen))).toBe(true);
      const slowCounts = { ...t.counters };
      slowCounts.cacheMisses = fastCounts.cacheMisses; // fromCache counts a miss only when it misses; neither did
      expect(fastCounts).toEqual(slowCounts);
    }), { numRuns: 3000 });
    expect(hits).toBeGreaterThan(200); // about one in eight samples is a well-formed query for a cached name
    expect(bigHits).toBeGreaterThan(10);
  });

  it('leaves expired entries, oversize answers and per-client policy to the full path', async () => {
    const t = await primed();
    const p = new QueryProbe();
    const big = encode({ name: 'big.example.org', upper: [false], type: 28, id: 9, flags: 0x0100, edns: null });
    expect(probeQuery(big, 0, big.length, p)).toBe(true);
    expect(t.resolver.cachedFor(big, 0, p, t.now(), 65535)).toBe(-1); // > 512 without EDNS: the full path truncates
    const small = encode({ name: 'v4only.example.org', upper: [true], type: 28, id: 9, flags: 0x0100, edns: null });
    expect(probeQuery(small, 0, small.length, p)).toBe(true);
    expect(t.resolver.cachedFor(small, 0, p, t.now(), 65535)).toBeGreaterThanOrEqual(0);
    t.resolver.setOptions({ ...validateDns64Options({ prefix: '64:ff9b:1::/96', upstreams: ['192.0.2.53'], clients: ['::1'] }), wouldTranslate: () => true });
    expect(t.resolver.cachedFor(small, 0, p, t.now(), 65535)).toBe(-1); // synthesized + policy: depends on the client
    const txt = encode({ name: 'v4only.example.org', upper: [false], type: 16, id: 9, flags: 0x0100, edns: null });
    expect(probeQuery(txt, 0, txt.length, p)).toBe(true);
    expect(t.resolver.cachedFor(txt, 0, p, t.now(), 65535)).toBeGreaterThanOrEqual(0); // nothing synthesized: policy does not apply
    t.tick(61);
    expect(t.resolver.cachedFor(txt, 0, p, t.now(), 65535)).toBe(-1); // TXT TTL 60 has run out
  });
});
