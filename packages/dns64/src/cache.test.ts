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
    const one = new ResponseCache(limits, () => 0);
    one.put(wire(0), qend(wire(0)), 0, meta);
    const per = one.bytes;
    expect(per).toBeGreaterThan(wire(0).length);
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
    const d = new ResponseCache(limits, () => 0);
    d.put(wa, qend(wa), 0, { prefixDependent: true, embedded: [1] });
    d.put(wb, qend(wb), 0, meta);
    expect(d.flushPrefixDependent()).toBe(1);
    expect([lookup(d, query('a.example.org')), lookup(d, query('b.example.org')) !== undefined]).toEqual([undefined, true]);
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
    expect(lookup(c, query('a.example.org'))!.wire).toEqual(again);
  });
});

describe('ResponseCache keys', () => {
  it('matches names case-insensitively and answers with the client\'s case, ID and RD', () => {
    const w = answer('MiXeD.Example.ORG');
    const c = new ResponseCache(limits, () => 0);
    c.put(w, qend(w), 0, meta);
    const raw = query('mixed.EXAMPLE.org', { id: 0xabcd, rd: false });
    const q = parseQuery(raw) as ParsedQuery;
    const out = c.render(c.lookup(raw, q), raw);
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
      expect(c.find(raw, 12, qend(raw) - 12, i % 6, questionHash(raw, 12, qend(raw), i % 6, c.seed), 0), `n${i}`).toBeGreaterThanOrEqual(0);
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
    const wireOf = (r: Buffer) => {
      const s = c.find(r, 12, qend(r) - 12, 0, hashes[0]!, 0);
      return s < 0 ? undefined : c.entry(s).wire;
    };
    expect(raws.map(wireOf)).toEqual(ws);
    c.flush((e) => e.wire.equals(ws[0]!));
    expect(raws.map(wireOf)).toEqual([undefined, ws[1]]);
  });

  it('drops an expired entry on lookup and counts TTLs down when rendering', () => {
    let now = 0;
    const w = answer('ttl.example.org', 100);
    const c = new ResponseCache(limits, () => now);
    c.put(w, qend(w), 0, meta);
    now = 40_500;
    const raw = query('ttl.example.org');
    const out = new Uint8Array(w.length + 7).fill(0xee);
    expect(c.renderInto(c.lookup(raw, parseQuery(raw) as ParsedQuery), raw, 0, out, 7, now)).toBe(w.length);
    expect((dnsPacket.decode(Buffer.from(out.subarray(7))).answers![0] as { ttl?: number }).ttl).toBe(60);
    expect(out[6]).toBe(0xee);
    now = 100_000;
    expect(lookup(c, raw)).toBeUndefined();
    expect(c.size).toBe(0);
  });
});

describe('ResponseCache arena', () => {
  /** An answer to `name` with `n` AAAA records (41 bytes each: dns-packet does not compress names), TTLs from 300. */
  const big = (name: string, n: number): Buffer =>
    dnsPacket.encode({
      type: 'response', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'AAAA' }],
      answers: Array.from({ length: n }, (_, i) => ({ name, type: 'AAAA' as const, ttl: 300 + i, data: `2001:db8::${(i + 1).toString(16)}` })),
    });

  it('keeps every entry\'s bytes, TTL offsets and addresses apart under churn of mixed sizes, in the LRU order of a model', () => {
    // A deterministic walk: puts of answers from 1 to 1 400 records (64 B to 64 KiB blocks), lookups, and
    // flushes, checked against a Map kept in LRU order.
    let seed = 7;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const maxEntries = 40;
    const c = new ResponseCache({ ...limits, maxEntries }, () => 0);
    const model = new Map<string, { wire: Buffer; embedded: number[] }>();
    const touch = (k: string): void => {
      const v = model.get(k)!;
      model.delete(k);
      model.set(k, v);
    };
    for (let step = 0; step < 3000; step++) {
      const name = `n${rnd(120)}.example.org`;
      const op = rnd(10);
      if (op < 5) {
        const n = [1, 2, 5, 40, 300, 1400][rnd(6)]!;
        const wire = big(name, n);
        const embedded = Array.from({ length: rnd(4) }, () => rnd(2 ** 31) * 2);
        expect(c.put(wire, qend(wire), 0, { prefixDependent: n > 100, embedded }), `step ${step} n ${n} len ${wire.length} size ${c.size} bytes ${c.bytes}`).toBe(true);
        model.delete(name);
        model.set(name, { wire, embedded });
        while (model.size > maxEntries) model.delete(model.keys().next().value!);
      } else if (op < 9) {
        const e = lookup(c, query(name));
        const want = model.get(name);
        expect(e?.wire, `step ${step} ${name}`).toEqual(want?.wire);
        if (e !== undefined) {
          expect(e.embedded).toEqual(want!.embedded);
          expect(e.ttlOffsets.length).toBe(cacheTtl(want!.wire, limits)!.offsets.length);
          expect([...e.ttlOffsets]).toEqual([...cacheTtl(want!.wire, limits)!.offsets]);
          touch(name);
        }
      } else {
        const n = c.flush((e) => e.prefixDependent);
        let m = 0;
        for (const [k, v] of model) {
          if (cacheTtl(v.wire, limits)!.offsets.length > 100) {
            model.delete(k);
            m++;
          }
        }
        expect(n).toBe(m);
      }
      expect(c.size).toBe(model.size);
    }
    expect(c.flush()).toBe(model.size);
    expect([c.size, c.bytes]).toEqual([0, 0]);
  });

  it('gives emptied slabs back: the arena follows the cache down', () => {
    const c = new ResponseCache(limits, () => 0);
    for (let i = 0; i < 40_000; i++) {
      const w = answer(`s${i}.example.org`);
      c.put(w, qend(w), 0, meta);
    }
    const grown = c.arenaBytes;
    expect(grown).toBeGreaterThanOrEqual(40_000 * 64);
    expect(c.flush((e) => e.wire.length % 2 === 0 || e.wire.length % 2 === 1)).toBe(40_000);
    expect(c.arenaBytes).toBeLessThanOrEqual(1 << 20); // at most one slab kept per size class in use
    // The freed blocks serve the next answers.
    for (let i = 0; i < 1000; i++) {
      const w = answer(`t${i}.example.org`);
      c.put(w, qend(w), 0, meta);
    }
    expect(c.arenaBytes).toBeLessThanOrEqual(1 << 20);
  });

  it('refuses an answer over 65 535 bytes, and counts block sizes against maxBytes', () => {
    const c = new ResponseCache(limits, () => 0);
    const huge = Buffer.concat([big('h.example.org', 1), Buffer.alloc(70_000)]);
    expect(c.put(huge, qend(huge), 0, meta)).toBe(false);
    const w = big('b.example.org', 60); // about 2.6 KB with its offsets: a 4 KiB block
    const small = new ResponseCache({ ...limits, maxBytes: 4096 }, () => 0);
    expect(small.put(w, qend(w), 0, meta)).toBe(false); // block + slot over 4 KiB: stored, then evicted at once
    expect(small.size).toBe(0);
    expect(c.put(w, qend(w), 0, meta)).toBe(true);
    expect(c.bytes).toBeGreaterThan(4096);
    expect(c.bytes).toBeLessThan(4096 + 256);
  });
});
