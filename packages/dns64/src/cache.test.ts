import dnsPacket, { type Answer } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DNS64_DEFAULTS } from './config.js';
import { ResponseCache, cacheTtl, questionHash } from './cache.js';
import { walkName } from './name-walk.js';
import { cacheVariant, parseQuery, type ParsedQuery } from './wire.js';

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

const meta = { prefixDependent: false, embedded: [] };
/** A query for `name` (any case) with the flags and OPT of a cache variant. */
const query = (name: string, o: { type?: string; id?: number; rd?: boolean; cd?: boolean; edns?: boolean; dnssecOk?: boolean } = {}): Buffer =>
  dnsPacket.encode({
    type: 'query', id: o.id ?? 0x4242, flags: (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type: (o.type ?? 'AAAA') as 'A', class: 'IN' }],
    additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as Answer] : [],
  });
/** An answer to `name` with one AAAA of `ttl`. */
const answer = (name: string, ttl = 300, type = 'AAAA'): Buffer =>
  dnsPacket.encode({ type: 'response', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }], answers: [{ name, type: 'AAAA', ttl, data: '2001:db8::1' }] });
const qend = (w: Buffer): number => walkName(w, 12, w.length, 0) + 4;
const lookup = (c: ResponseCache, raw: Buffer) => c.get(raw, parseQuery(raw) as ParsedQuery);

describe('ResponseCache limits', () => {
  it('evicts least recently used entries to stay under maxBytes', () => {
    const wire = (i: number) => answer(`k${i}.example.org`);
    const per = wire(0).length + 160;
    const c = new ResponseCache({ ...limits, maxBytes: per * 3 }, () => 0);
    for (let i = 0; i < 5; i++) expect(c.put(wire(i), qend(wire(i)), 0, meta)).toBe(true);
    expect(c.size).toBe(3);
    expect(c.bytes).toBeLessThanOrEqual(per * 3);
    expect(lookup(c, query('k0.example.org'))).toBeUndefined();
    expect(lookup(c, query('k4.example.org'))).toBeDefined();
  });

  it('a hit makes the entry the most recently used (maxEntries)', () => {
    const c = new ResponseCache({ ...limits, maxEntries: 3 }, () => 0);
    for (const n of ['a', 'b', 'c']) c.put(answer(`${n}.example.org`), qend(answer(`${n}.example.org`)), 0, meta);
    expect(lookup(c, query('a.example.org'))).toBeDefined();
    c.put(answer('d.example.org'), qend(answer('d.example.org')), 0, meta);
    expect(['a', 'b', 'c', 'd'].map((n) => lookup(c, query(`${n}.example.org`)) !== undefined)).toEqual([true, false, true, true]);
  });

  it('never stores with maxEntries 0, and flushes by predicate', () => {
    const wa = answer('a.example.org');
    const wb = answer('b.example.org');
    expect(new ResponseCache({ ...limits, maxEntries: 0 }, () => 0).put(wa, qend(wa), 0, meta)).toBe(false);
    const c = new ResponseCache(limits, () => 0);
    c.put(wa, qend(wa), 0, { prefixDependent: true, embedded: [1] });
    c.put(wb, qend(wb), 0, meta);
    expect(c.flush((e) => e.prefixDependent)).toBe(1);
    expect([lookup(c, query('a.example.org')), lookup(c, query('b.example.org')) !== undefined]).toEqual([undefined, true]);
    expect(c.flush()).toBe(1);
    expect([c.size, c.bytes]).toEqual([0, 0]);
  });

  it('rejects a question end outside the answer, and replaces an entry stored again', () => {
    const w = answer('a.example.org');
    const c = new ResponseCache(limits, () => 0);
    expect([c.put(w, 16, 0, meta), c.put(w, w.length + 1, 0, meta)]).toEqual([false, false]);
    c.put(w, qend(w), 0, meta);
    const again = answer('A.EXAMPLE.org', 60);
    c.put(again, qend(again), 0, meta);
    expect(c.size).toBe(1);
    expect(lookup(c, query('a.example.org'))!.wire).toBe(again);
  });
});

describe('ResponseCache keys', () => {
  it('matches names case-insensitively and answers with the client\'s case, ID and RD', () => {
    const w = answer('MiXeD.Example.ORG');
    const c = new ResponseCache(limits, () => 0);
    c.put(w, qend(w), 0, meta);
    const raw = query('mixed.EXAMPLE.org', { id: 0xabcd, rd: false });
    const q = parseQuery(raw) as ParsedQuery;
    const out = c.render(c.get(raw, q)!, raw);
    expect(out.readUInt16BE(0)).toBe(0xabcd);
    expect(out[2]! & 1).toBe(0);
    expect(out.subarray(12, q.questionEnd)).toEqual(raw.subarray(12, q.questionEnd));
    expect(out.subarray(q.questionEnd)).toEqual(w.subarray(q.questionEnd));
  });

  it('keeps EDNS, DO and CD variants apart', () => {
    const w = answer('v.example.org');
    const c = new ResponseCache(limits, () => 0);
    c.put(w, qend(w), cacheVariant(true, false, false), meta);
    expect(lookup(c, query('v.example.org', { edns: true }))).toBeDefined();
    for (const o of [{}, { edns: true, dnssecOk: true }, { edns: true, cd: true }, { cd: true }]) expect(lookup(c, query('v.example.org', o))).toBeUndefined();
  });

  it('folds letters in the name only: type 65 (HTTPS) is not type 97', () => {
    const w = answer('t.example.org', 300, 'UNKNOWN_65');
    const c = new ResponseCache(limits, () => 0);
    c.put(w, qend(w), 0, meta);
    expect(lookup(c, query('t.example.org', { type: 'UNKNOWN_65' }))).toBeDefined();
    expect(lookup(c, query('t.example.org', { type: 'UNKNOWN_97' }))).toBeUndefined();
  });

  it('does not mix up names that differ only in bytes outside A-Z (case folding is ASCII letters only)', () => {
    // '[' (0x5b) and '{' (0x7b) differ by 0x20 like letters do, but are not letters.
    const w = answer('a[.example.org');
    const c = new ResponseCache(limits, () => 0);
    c.put(w, qend(w), 0, meta);
    expect(lookup(c, query('a[.example.org'))).toBeDefined();
    expect(lookup(c, query('a{.example.org'))).toBeUndefined();
  });

  it('finds every entry after the table grew (one seed, thousands of names in shared buckets)', () => {
    const c = new ResponseCache(limits, () => 0, 0x12345678);
    for (let i = 0; i < 5000; i++) {
      const w = answer(`n${i}.example.org`);
      c.put(w, qend(w), i % 6, meta);
    }
    expect(c.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) {
      const raw = query(`N${i}.example.org`);
      expect(c.find(raw, 12, qend(raw) - 12, i % 6, questionHash(raw, 12, qend(raw), i % 6, c.seed), 0)?.wire.length, `n${i}`).toBeGreaterThan(0);
    }
  });

  it('tells apart two names with the same 32-bit hash', () => {
    // Found by search: under seed 1 these two questions hash alike.
    const names = ['1emz8n8.example.org', '8wlnwn.example.org'];
    const raws = names.map((n) => query(n));
    const hashes = raws.map((r) => questionHash(r, 12, qend(r), 0, 1));
    expect(hashes[0]).toBe(hashes[1]);
    const c = new ResponseCache(limits, () => 0, 1);
    const ws = names.map((n) => answer(n));
    for (const w of ws) c.put(w, qend(w), 0, meta);
    expect(c.size).toBe(2);
    expect(raws.map((r) => c.find(r, 12, qend(r) - 12, 0, hashes[0]!, 0)?.wire)).toEqual(ws);
    c.flush((e) => e.wire === ws[0]);
    expect(raws.map((r) => c.find(r, 12, qend(r) - 12, 0, hashes[0]!, 0)?.wire)).toEqual([undefined, ws[1]]);
  });

  it('drops an expired entry on lookup and counts TTLs down when rendering', () => {
    let now = 0;
    const w = answer('ttl.example.org', 100);
    const c = new ResponseCache(limits, () => now);
    c.put(w, qend(w), 0, meta);
    now = 40_500;
    const raw = query('ttl.example.org');
    const out = new Uint8Array(w.length + 7).fill(0xee);
    expect(c.renderInto(lookup(c, raw)!, raw, 0, out, 7, now)).toBe(w.length);
    expect((dnsPacket.decode(Buffer.from(out.subarray(7))).answers![0] as { ttl?: number }).ttl).toBe(60);
    expect(out[6]).toBe(0xee);
    now = 100_000;
    expect(lookup(c, raw)).toBeUndefined();
    expect(c.size).toBe(0);
  });
});
