import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { validateDns64Options, type Dns64Input } from './config.js';
import { Dns64Error } from './errors.js';
import { FakeUpstream } from './fake-upstream.js';
import { createCounters } from './metrics.js';
import { SUSPENDED_NEGATIVE_TTL, Dns64Resolver } from './resolver.js';
import { cacheVariant, parseQuery, type ParsedQuery } from './wire.js';
import { questionHash } from './cache.js';

const NSP = '64:ff9b:1::/96'; // RFC 8215 local use: documentation IPv4 may be embedded
const soa = (name: string, ttl: number, minimum: number): Answer =>
  ({ name, type: 'SOA', ttl, class: 'IN', data: { mname: 'ns.example.org', rname: 'h.example.org', serial: 1, refresh: 1, retry: 1, expire: 1, minimum } }) as Answer;
const a = (name: string, ip: string, ttl = 300): Answer => ({ name, type: 'A', class: 'IN', ttl, data: ip });
const aaaa = (name: string, ip: string, ttl = 300): Answer => ({ name, type: 'AAAA', class: 'IN', ttl, data: ip });
const cname = (name: string, to: string, ttl = 300): Answer => ({ name, type: 'CNAME', class: 'IN', ttl, data: to });

const fakes: FakeUpstream[] = [];
afterEach(() => {
  // The fake fails on any question it was not given; the resolver turns that into SERVFAIL, so check here too.
  for (const f of fakes.splice(0)) expect(f.unexpected).toEqual([]);
});

interface AskOpts { id?: number; type?: string; edns?: boolean; dnssecOk?: boolean; cd?: boolean; qclass?: 'IN' | 'CH' }

function setup(input: Dns64Input = {}) {
  let clock = 1_000_000;
  const up = new FakeUpstream();
  fakes.push(up);
  const counters = createCounters();
  // Sequential unless a test says otherwise, so `calls` shows each §5.1 step; parallel A has its own tests below.
  const opts = validateDns64Options({ prefix: NSP, upstreams: ['192.0.2.53'], clients: ['::1'], parallelA: 'never', ...input });
  const resolver = new Dns64Resolver(opts, up, counters, () => clock);
  async function ask(name: string, o: AskOpts = {}): Promise<{ p: DecodedPacket; wire: Buffer; q: ParsedQuery }> {
    const edns = o.edns ?? true;
    const raw = dnsPacket.encode({
      type: 'query', id: o.id ?? 0x1234,
      flags: dnsPacket.RECURSION_DESIRED | (o.cd ? dnsPacket.CHECKING_DISABLED : 0),
      questions: [{ name, type: (o.type === 'HTTPS' ? 'UNKNOWN_65' : (o.type ?? 'AAAA')) as 'A', class: o.qclass ?? 'IN' }],
      additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as Answer] : [],
    });
    const q = parseQuery(raw) as ParsedQuery;
    const wire = resolver.fromCache(raw, q, undefined) ?? (await resolver.resolve(raw, q, undefined)).wire;
    return { p: dnsPacket.decode(wire), wire, q };
  }
  return { up, counters, resolver, ask, tick: (s: number) => (clock += s * 1000) };
}

const rr = (p: DecodedPacket, section: 'answers' | 'authorities' | 'additionals' = 'answers') =>
  (p[section] ?? []).filter((r) => r.type !== 'OPT').map((r) => `${r.name} ${'ttl' in r ? r.ttl : ''} ${r.type} ${typeof r.data === 'object' && !Buffer.isBuffer(r.data) ? JSON.stringify(r.data) : String(r.data)}`);
const ede = (p: DecodedPacket): number[] =>
  (p.additionals ?? []).flatMap((r) => (r.type === 'OPT' ? r.options.filter((o) => (o as { code: number }).code === 15).map((o) => (o as unknown as { data: Buffer }).data.readUInt16BE(0)) : []));
const rcode = (p: DecodedPacket) => (p as { rcode?: string }).rcode;

describe('AAAA synthesis (RFC 6147 §5.1)', () => {
  it('synthesizes from A when AAAA is NODATA; TTL = min(A, SOA TTL, SOA MINIMUM) (§5.1.7); EDE 29', async () => {
    const t = setup();
    t.up.on('v4only.example.org', 'AAAA', { authorities: [soa('example.org', 3600, 60)] });
    t.up.on('v4only.example.org', 'A', { answers: [a('v4only.example.org', '192.0.2.10', 300), a('v4only.example.org', '192.0.2.11', 300)] });
    const { p } = await t.ask('v4only.example.org');
    expect(rcode(p)).toBe('NOERROR');
    expect(rr(p)).toEqual(['v4only.example.org 60 AAAA 64:ff9b:1::c000:20a', 'v4only.example.org 60 AAAA 64:ff9b:1::c000:20b']);
    expect(ede(p)).toEqual([29]);
    expect(p.flag_ad).toBe(false);
    expect(p.flag_ra).toBe(true);
    expect(p.id).toBe(0x1234);
    expect(t.up.calls).toEqual(['v4only.example.org|AAAA', 'v4only.example.org|A']);
    expect(t.counters.synthesized).toBe(1);
  });

  it('uses min(A TTL, 600) when the negative answer has no SOA, and no OPT/EDE without EDNS', async () => {
    const t = setup();
    t.up.on('nosoa.example.org', 'AAAA', {});
    t.up.on('nosoa.example.org', 'A', { answers: [a('nosoa.example.org', '198.51.100.7', 86400)] });
    const { p } = await t.ask('nosoa.example.org', { edns: false });
    expect(rr(p)).toEqual(['nosoa.example.org 600 AAAA 64:ff9b:1::c633:6407']);
    expect(p.additionals).toEqual([]);
  });

  it('returns a real AAAA unchanged and asks no A (§5.1.1)', async () => {
    const t = setup();
    t.up.on('dual.example.org', 'AAAA', { answers: [aaaa('dual.example.org', '2001:db8::1', 120)] });
    const { p } = await t.ask('dual.example.org');
    expect(rr(p)).toEqual(['dual.example.org 120 AAAA 2001:db8::1']);
    expect(ede(p)).toEqual([]);
    expect(t.up.calls).toEqual(['dual.example.org|AAAA']);
  });

  it('returns NXDOMAIN as is (§5.1.2)', async () => {
    const t = setup();
    t.up.on('nx.example.org', 'AAAA', { rcode: 'NXDOMAIN', authorities: [soa('example.org', 3600, 300)] });
    const { p } = await t.ask('nx.example.org');
    expect(rcode(p)).toBe('NXDOMAIN');
    expect(rr(p)).toEqual([]);
    expect(rr(p, 'authorities')).toHaveLength(1);
    expect(t.up.calls).toEqual(['nx.example.org|AAAA']);
  });

  it.each([
    { name: 'SERVFAIL', reply: { rcode: 'SERVFAIL' as const } },
    { name: 'REFUSED', reply: { rcode: 'REFUSED' as const } },
    { name: 'timeout', reply: 'timeout' as const },
  ])('treats AAAA $name as empty and synthesizes (§5.1.2, §5.1.3)', async ({ reply }) => {
    const t = setup();
    t.up.on('err.example.org', 'AAAA', reply);
    t.up.on('err.example.org', 'A', { answers: [a('err.example.org', '192.0.2.1', 900)] });
    const { p } = await t.ask('err.example.org');
    expect(rcode(p)).toBe('NOERROR');
    expect(rr(p)).toEqual(['err.example.org 600 AAAA 64:ff9b:1::c000:201']);
  });

  it('with synthesizeOnError off, returns the AAAA error (SERVFAIL) and a timeout as SERVFAIL', async () => {
    const t = setup({ synthesizeOnError: false });
    t.up.on('err.example.org', 'AAAA', { rcode: 'SERVFAIL' });
    t.up.on('slow.example.org', 'AAAA', 'timeout');
    expect(rcode((await t.ask('err.example.org')).p)).toBe('SERVFAIL');
    expect(rcode((await t.ask('slow.example.org')).p)).toBe('SERVFAIL');
    expect(t.up.calls).toEqual(['err.example.org|AAAA', 'slow.example.org|AAAA']);
  });

  it('makes the A answer the basis: A NXDOMAIN → NXDOMAIN, A NODATA → NODATA with its SOA, A timeout → SERVFAIL (§5.1.6)', async () => {
    const t = setup();
    t.up.on('gone.example.org', 'AAAA', {});
    t.up.on('gone.example.org', 'A', { rcode: 'NXDOMAIN', authorities: [soa('example.org', 900, 300)] });
    t.up.on('txt.example.org', 'AAAA', { authorities: [soa('example.org', 900, 300)] });
    t.up.on('txt.example.org', 'A', { authorities: [soa('example.org', 900, 120)] });
    t.up.on('dead.example.org', 'AAAA', {});
    t.up.on('dead.example.org', 'A', 'timeout');
    const nx = (await t.ask('gone.example.org')).p;
    expect(rcode(nx)).toBe('NXDOMAIN');
    const nodata = (await t.ask('txt.example.org')).p;
    expect(rcode(nodata)).toBe('NOERROR');
    expect(rr(nodata)).toEqual([]);
    expect(rr(nodata, 'authorities')[0]).toContain('"minimum":120');
    expect(ede(nodata)).toEqual([]);
    expect(rcode((await t.ask('dead.example.org')).p)).toBe('SERVFAIL');
    expect(t.counters.servfail).toBe(1);
  });

  it('treats an all-excluded AAAA set as empty and keeps the rest of a mixed set (§5.1.4)', async () => {
    const t = setup();
    t.up.on('mapped.example.org', 'AAAA', { answers: [aaaa('mapped.example.org', '::ffff:192.0.2.9')] });
    t.up.on('mapped.example.org', 'A', { answers: [a('mapped.example.org', '192.0.2.9', 100)] });
    t.up.on('mixed.example.org', 'AAAA', { answers: [aaaa('mixed.example.org', '::ffff:192.0.2.9'), aaaa('mixed.example.org', '2001:db8::9')] });
    expect(rr((await t.ask('mapped.example.org')).p)).toEqual(['mapped.example.org 100 AAAA 64:ff9b:1::c000:209']);
    expect(rr((await t.ask('mixed.example.org')).p)).toEqual(['mixed.example.org 300 AAAA 2001:db8::9']);
    expect(t.counters.excluded).toBe(2);
  });

  it('keeps the CNAME chain once and synthesizes for the terminal owner (§5.1.5)', async () => {
    const t = setup();
    const chain = [cname('www.example.org', 'alias.example.net', 500), cname('alias.example.net', 'host.example.net', 400)];
    t.up.on('www.example.org', 'AAAA', { answers: chain, authorities: [soa('example.net', 3600, 3600)] });
    t.up.on('www.example.org', 'A', { answers: [...chain, a('host.example.net', '203.0.113.5', 200)] });
    const { p } = await t.ask('www.example.org');
    expect(rr(p)).toEqual([
      'www.example.org 500 CNAME alias.example.net',
      'alias.example.net 400 CNAME host.example.net',
      'host.example.net 200 AAAA 64:ff9b:1::cb00:7105',
    ]);
  });

  it('synthesizes only A records of the query name or its CNAME chain (scrubs unrelated ones)', async () => {
    const t = setup();
    t.up.on('s.example.org', 'AAAA', {});
    t.up.on('s.example.org', 'A', { answers: [cname('s.example.org', 't.example.net'), a('t.example.net', '192.0.2.1'), a('bank.example.com', '192.0.2.66')] });
    expect(rr((await t.ask('s.example.org')).p)).toEqual(['s.example.org 300 CNAME t.example.net', 't.example.net 300 AAAA 64:ff9b:1::c000:201']);
  });

  it('takes authority and additional from the A answer, unchanged (§5.3.2, §5.4)', async () => {
    const t = setup();
    t.up.on('glue.example.org', 'AAAA', { authorities: [soa('example.org', 3600, 3600)] });
    t.up.on('glue.example.org', 'A', {
      answers: [a('glue.example.org', '192.0.2.77')],
      authorities: [{ name: 'example.org', type: 'NS', class: 'IN', ttl: 3600, data: 'ns1.example.org' }],
      additionals: [a('ns1.example.org', '192.0.2.53', 3600)],
    });
    const { p } = await t.ask('glue.example.org');
    expect(rr(p, 'authorities')).toEqual(['example.org 3600 NS ns1.example.org']);
    expect(rr(p, 'additionals')).toEqual(['ns1.example.org 3600 A 192.0.2.53']);
  });
});

describe('A asked with AAAA (parallelA, RFC 6147 §5.1.8)', () => {
  const settle = () => new Promise((r) => setImmediate(r));
  const parallel = (input: Dns64Input = {}) => setup({ parallelA: 'always', ...input });

  it('is "auto" by default: together while the upstream round trip is 1 ms or more, after the AAAA answer below that', async () => {
    expect(validateDns64Options({}).parallelA).toBe('auto');
    expect(() => validateDns64Options({ parallelA: 'yes' as 'auto' })).toThrow(/parallelA/);
    const t = setup({ parallelA: 'auto' });
    let far = false;
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      // A far upstream: the clock moves 5 ms while it answers.
      t.up.on(`${n}.example.org`, 'AAAA', () => (far && t.tick(0.005), {}));
      t.up.on(`${n}.example.org`, 'A', { answers: [a(`${n}.example.org`, '192.0.2.1')] });
    }
    /** Asks `name` with its AAAA answer held: the questions out before any answer, then the synthesized answer. */
    const questionsOut = async (name: string): Promise<string[]> => {
      const release = t.up.hold(name, 'AAAA');
      const before = t.up.calls.length;
      const pending = t.ask(name);
      await new Promise((r) => setImmediate(r));
      const out = t.up.calls.slice(before);
      release();
      expect(rr((await pending).p)).toEqual([`${name} 300 AAAA 64:ff9b:1::c000:201`]);
      return out;
    };
    // No round trip known yet: together.
    expect(t.resolver.upstreamRttMs).toBe(Infinity);
    expect(await questionsOut('a.example.org')).toEqual(['a.example.org|AAAA', 'a.example.org|A']);
    // That answer took 0 ms: one after the other.
    expect(t.resolver.upstreamRttMs).toBe(0);
    expect(t.resolver.parallelA).toBe(false);
    expect(await questionsOut('b.example.org')).toEqual(['b.example.org|AAAA']);
    // The upstream moves far away: the shortest answer of two 10 s windows decides, so it takes two windows.
    far = true;
    t.tick(10);
    expect(await questionsOut('c.example.org')).toEqual(['c.example.org|AAAA']);
    expect(t.resolver.upstreamRttMs).toBe(0);
    t.tick(10);
    expect(await questionsOut('d.example.org')).toEqual(['d.example.org|AAAA']);
    expect(t.resolver.upstreamRttMs).toBe(5);
    expect(t.resolver.parallelA).toBe(true);
    expect(await questionsOut('e.example.org')).toEqual(['e.example.org|AAAA', 'e.example.org|A']);
  });

  it('asks A before the AAAA answer is back and synthesizes when AAAA is NODATA, whichever answer comes first', async () => {
    for (const aFirst of [false, true]) {
      const t = parallel();
      t.up.on('v4only.example.org', 'AAAA', { authorities: [soa('example.org', 3600, 60)] });
      t.up.on('v4only.example.org', 'A', { answers: [a('v4only.example.org', '192.0.2.10', 300)] });
      const releaseAaaa = t.up.hold('v4only.example.org', 'AAAA');
      const releaseA = t.up.hold('v4only.example.org', 'A');
      let answered = false;
      const pending = t.ask('v4only.example.org').then((r) => ((answered = true), r));
      await settle();
      expect(t.up.calls).toEqual(['v4only.example.org|AAAA', 'v4only.example.org|A']);
      (aFirst ? releaseA : releaseAaaa)();
      await settle();
      expect(answered).toBe(false);
      (aFirst ? releaseAaaa : releaseA)();
      const { p } = await pending;
      expect(rr(p)).toEqual(['v4only.example.org 60 AAAA 64:ff9b:1::c000:20a']);
      expect(ede(p)).toEqual([29]);
      expect(t.up.calls).toHaveLength(2);
      // Cached like a sequential answer: the repeat asks nothing.
      expect(rr((await t.ask('v4only.example.org')).p)).toEqual(['v4only.example.org 60 AAAA 64:ff9b:1::c000:20a']);
      expect(t.up.calls).toHaveLength(2);
    }
  });

  it('returns a real AAAA or NXDOMAIN without waiting for the A answer, which is then dropped', async () => {
    const t = parallel();
    t.up.on('dual.example.org', 'AAAA', { answers: [aaaa('dual.example.org', '2001:db8::1')] });
    t.up.on('dual.example.org', 'A', { answers: [a('dual.example.org', '192.0.2.1')] });
    t.up.on('nx.example.org', 'AAAA', { rcode: 'NXDOMAIN', authorities: [soa('example.org', 3600, 60)] });
    t.up.on('nx.example.org', 'A', 'timeout');
    const releaseA = t.up.hold('dual.example.org', 'A');
    expect(rr((await t.ask('dual.example.org')).p)).toEqual(['dual.example.org 300 AAAA 2001:db8::1']);
    expect(rcode((await t.ask('nx.example.org')).p)).toBe('NXDOMAIN');
    expect(t.up.calls).toEqual(['dual.example.org|AAAA', 'dual.example.org|A', 'nx.example.org|AAAA', 'nx.example.org|A']);
    releaseA();
    await settle();
    expect(t.counters.servfail).toBe(0);
    expect(rr((await t.ask('dual.example.org')).p)).toEqual(['dual.example.org 300 AAAA 2001:db8::1']);
    expect(t.up.calls).toHaveLength(4);
  });

  it('keeps §5.1.6: an A timeout is SERVFAIL and A NXDOMAIN the answer when AAAA is empty', async () => {
    const t = parallel();
    t.up.on('slow.example.org', 'AAAA', {});
    t.up.on('slow.example.org', 'A', 'timeout');
    t.up.on('gone.example.org', 'AAAA', {});
    t.up.on('gone.example.org', 'A', { rcode: 'NXDOMAIN', authorities: [soa('example.org', 3600, 60)] });
    expect(rcode((await t.ask('slow.example.org')).p)).toBe('SERVFAIL');
    expect(rcode((await t.ask('gone.example.org')).p)).toBe('NXDOMAIN');
  });

  it('asks sequentially for DO=1 (§5.5), while synthesis is suspended, and not at all for CD=1', async () => {
    const t = parallel();
    t.up.on('dual.example.org', 'AAAA', { answers: [aaaa('dual.example.org', '2001:db8::1')] });
    t.up.on('v4only.example.org', 'AAAA', {});
    expect(rr((await t.ask('dual.example.org', { dnssecOk: true })).p)).toEqual(['dual.example.org 300 AAAA 2001:db8::1']);
    expect(rr((await t.ask('dual.example.org', { cd: true, dnssecOk: true })).p)).toEqual(['dual.example.org 300 AAAA 2001:db8::1']);
    t.resolver.setSuspended(true);
    expect(rr((await t.ask('v4only.example.org')).p)).toEqual([]);
    expect(t.up.calls).toEqual(['dual.example.org|AAAA', 'dual.example.org|AAAA', 'v4only.example.org|AAAA']);
  });

  it('asks A after an AAAA failure reported at once (nothing waits on an A never sent)', async () => {
    const up = new FakeUpstream();
    fakes.push(up);
    up.on('v4only.example.org', 'A', { answers: [a('v4only.example.org', '192.0.2.10', 300)] });
    // An upstream that refuses AAAA on the spot, as one over maxOutstanding does.
    const upstream = {
      lookup: (q: Parameters<FakeUpstream['lookup']>[0]) => up.lookup(q),
      query(q: Parameters<FakeUpstream['lookup']>[0], done: (err: unknown, wire?: Buffer) => void): void {
        if (q.type === 28) return done(new Dns64Error('ERR_UPSTREAM_FAILED', 'too many outstanding'));
        up.lookup(q).then((w) => done(undefined, w), (e: unknown) => done(e));
      },
      health: () => up.health(),
    };
    const resolver = new Dns64Resolver(validateDns64Options({ prefix: NSP, upstreams: ['192.0.2.53'], clients: ['::1'], parallelA: 'always' }), upstream, createCounters(), () => 1_000_000);
    const raw = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'v4only.example.org', type: 'AAAA', class: 'IN' }] });
    const r = await Promise.race([resolver.resolve(raw, parseQuery(raw) as ParsedQuery, undefined), new Promise<undefined>((ok) => setTimeout(ok, 2000))]);
    expect(r).toBeDefined();
    expect(rr(dnsPacket.decode(r!.wire))).toEqual(['v4only.example.org 300 AAAA 64:ff9b:1::c000:20a']);
    expect(up.calls).toEqual(['v4only.example.org|A']);
  });
});

describe('prefix rules (RFC 6052 §3.1, RFC 8215)', () => {
  it('never embeds non-global IPv4 under the well-known prefix: NODATA and a counter', async () => {
    const t = setup({ prefix: '64:ff9b::/96' });
    t.up.on('private.example.org', 'AAAA', { authorities: [soa('example.org', 3600, 300)] });
    t.up.on('private.example.org', 'A', { answers: [a('private.example.org', '10.1.2.3'), a('private.example.org', '192.0.2.1')] });
    const { p } = await t.ask('private.example.org');
    expect(rcode(p)).toBe('NOERROR');
    expect(rr(p)).toEqual([]);
    expect(rr(p, 'authorities')[0]).toContain('SOA');
    expect(t.counters.notEmbeddable).toBe(2);
  });

  it('embeds global IPv4 under the WKP and anything when wkpStrict is off', async () => {
    const strict = setup({ prefix: '64:ff9b::/96' });
    strict.up.on('mix.example.org', 'AAAA', {});
    strict.up.on('mix.example.org', 'A', { answers: [a('mix.example.org', '10.1.2.3'), a('mix.example.org', '8.8.8.8')] });
    expect(rr((await strict.ask('mix.example.org')).p)).toEqual(['mix.example.org 300 AAAA 64:ff9b::808:808']);
    const lax = setup({ prefix: '64:ff9b::/96', wkpStrict: false });
    lax.up.on('mix.example.org', 'AAAA', {});
    lax.up.on('mix.example.org', 'A', { answers: [a('mix.example.org', '10.1.2.3')] });
    expect(rr((await lax.ask('mix.example.org')).p)).toEqual(['mix.example.org 300 AAAA 64:ff9b::a01:203']);
  });

  it('uses the RFC 6052 layout of a /32 network-specific prefix', async () => {
    const t = setup({ prefix: '2001:db8::/32' });
    t.up.on('n.example.org', 'AAAA', {});
    t.up.on('n.example.org', 'A', { answers: [a('n.example.org', '192.0.2.33')] });
    expect(rr((await t.ask('n.example.org')).p)).toEqual(['n.example.org 300 AAAA 2001:db8:c000:221::']);
  });

  it('removes AAAA the translator would refuse (wouldTranslate) and counts them', async () => {
    const t = setup({ wouldTranslate: (_c, v4) => v4 !== 0xc0000202 });
    t.up.on('pol.example.org', 'AAAA', {});
    t.up.on('pol.example.org', 'A', { answers: [a('pol.example.org', '192.0.2.1'), a('pol.example.org', '192.0.2.2')] });
    t.up.on('deny.example.org', 'AAAA', {});
    t.up.on('deny.example.org', 'A', { answers: [a('deny.example.org', '192.0.2.2')] });
    expect(rr((await t.ask('pol.example.org')).p)).toEqual(['pol.example.org 300 AAAA 64:ff9b:1::c000:201']);
    const deny = (await t.ask('deny.example.org')).p;
    expect(rcode(deny)).toBe('NOERROR');
    expect(rr(deny)).toEqual([]);
    // From the cache too: the policy applies per client, after the cache.
    expect(rr((await t.ask('deny.example.org')).p)).toEqual([]);
    expect(t.counters.policyDenied).toBe(3);
  });
});

describe('pass-through and per-domain lists', () => {
  it.each([
    { name: 'A', type: 'A', reply: { answers: [a('x.example.org', '192.0.2.1')] } },
    { name: 'TXT', type: 'TXT', reply: { answers: [{ name: 'x.example.org', type: 'TXT', class: 'IN', ttl: 60, data: ['v=1'] } as Answer] } },
    { name: 'MX', type: 'MX', reply: { answers: [{ name: 'x.example.org', type: 'MX', class: 'IN', ttl: 60, data: { preference: 10, exchange: 'mx.example.org' } } as Answer] } },
    { name: 'HTTPS with ipv4hint (RFC 9460 §7.4)', type: 'HTTPS', reply: { answers: [{ name: 'x.example.org', type: 'UNKNOWN_65', class: 'IN', ttl: 60, data: Buffer.from('0001000004000400c0000201', 'hex') } as unknown as Answer] } },
    { name: 'ANY', type: 'ANY', reply: { answers: [a('x.example.org', '192.0.2.1')] } },
  ])('relays $name unchanged', async ({ type, reply }) => {
    const t = setup();
    t.up.on('x.example.org', type, reply);
    const { p } = await t.ask('X.example.org', { type });
    const upstreamWire = await new FakeUpstream().on('x.example.org', type, reply).lookup({ name: 'x.example.org', type: typeToNumber(type), qclass: 1, dnssecOk: false, checkingDisabled: false });
    const want = dnsPacket.decode(upstreamWire);
    expect(rr(p)).toEqual(rr(want));
    expect(p.questions![0]!.name).toBe('X.example.org');
    expect(t.up.calls).toEqual([`x.example.org|${type}`]);
  });

  it('does not synthesize for class CH (§5.1), CD=1 (§5.5), or noSynthesis domains', async () => {
    const t = setup({ noSynthesis: ['legacy.example.org'] });
    t.up.on('version.bind', 'AAAA', {});
    t.up.on('cd.example.org', 'AAAA', { authorities: [soa('example.org', 60, 60)] });
    t.up.on('app.legacy.example.org', 'AAAA', { authorities: [soa('example.org', 60, 60)] });
    expect(rr((await t.ask('version.bind', { qclass: 'CH' })).p)).toEqual([]);
    expect(rr((await t.ask('cd.example.org', { cd: true, dnssecOk: true })).p)).toEqual([]);
    expect(rr((await t.ask('app.legacy.example.org')).p)).toEqual([]);
    expect(t.up.calls).toEqual(['version.bind|AAAA', 'cd.example.org|AAAA', 'app.legacy.example.org|AAAA']);
    expect(t.up.questions[1]!.checkingDisabled).toBe(true);
  });

  it('ignoreAaaa: skips the AAAA query and synthesizes from A', async () => {
    const t = setup({ ignoreAaaa: ['broken6.example.org'] });
    t.up.on('broken6.example.org', 'A', { answers: [a('broken6.example.org', '192.0.2.66', 100)] });
    expect(rr((await t.ask('broken6.example.org')).p)).toEqual(['broken6.example.org 100 AAAA 64:ff9b:1::c000:242']);
    expect(t.up.calls).toEqual(['broken6.example.org|A']);
  });
});

function typeToNumber(t: string): number {
  return { A: 1, TXT: 16, MX: 15, HTTPS: 65, ANY: 255 }[t] ?? 0;
}

describe('DNSSEC (RFC 6147 §5.5)', () => {
  const rrsig = (covered: string): Answer => ({
    name: 'sec.example.org', type: 'RRSIG', class: 'IN', ttl: 300,
    data: { typeCovered: covered, algorithm: 13, labels: 3, originalTTL: 300, expiration: 2, inception: 1, keyTag: 1, signersName: 'example.org', signature: Buffer.alloc(8) },
  }) as Answer;

  it('sets AD only when both answers had AD and the client sent DO; drops RRSIG over A', async () => {
    const t = setup();
    t.up.on('sec.example.org', 'AAAA', { ad: true, authorities: [soa('example.org', 300, 300)] });
    t.up.on('sec.example.org', 'A', { ad: true, answers: [a('sec.example.org', '192.0.2.4'), rrsig('A')] });
    const signed = (await t.ask('sec.example.org', { dnssecOk: true })).p;
    expect(signed.flag_ad).toBe(true);
    expect(rr(signed)).toEqual(['sec.example.org 300 AAAA 64:ff9b:1::c000:204']);
    const plain = (await t.ask('sec.example.org', { dnssecOk: false })).p;
    expect(plain.flag_ad).toBe(false);
  });

  it('does not set AD when only the A answer was authenticated', async () => {
    const t = setup();
    t.up.on('half.example.org', 'AAAA', { ad: false });
    t.up.on('half.example.org', 'A', { ad: true, answers: [a('half.example.org', '192.0.2.4')] });
    expect((await t.ask('half.example.org', { dnssecOk: true })).p.flag_ad).toBe(false);
  });
});

describe('ipv4only.arpa (RFC 7050, RFC 8880) without any upstream', () => {
  it.each([
    // Owners are compressed to the question, so they show the query's case (RFC 4343).
    { name: 'A', type: 'A', want: ['IPv4only.arpa 3600 A 192.0.0.170', 'IPv4only.arpa 3600 A 192.0.0.171'] },
    { name: 'AAAA', type: 'AAAA', want: ['IPv4only.arpa 600 AAAA 64:ff9b:1::c000:aa', 'IPv4only.arpa 600 AAAA 64:ff9b:1::c000:ab'] },
  ])('answers $name locally', async ({ type, want }) => {
    const t = setup();
    const { p } = await t.ask('IPv4only.arpa', { type });
    expect(rr(p)).toEqual(want);
    expect(p.flag_aa).toBe(true);
    expect(t.up.calls).toEqual([]);
  });

  it('answers the reverse names, and NXDOMAIN below the zone', async () => {
    const t = setup();
    expect(rr((await t.ask('171.0.0.192.in-addr.arpa', { type: 'PTR' })).p)).toEqual(['171.0.0.192.in-addr.arpa 3600 PTR ipv4only.arpa']);
    expect(rcode((await t.ask('x.ipv4only.arpa', { type: 'A' })).p)).toBe('NXDOMAIN');
    expect(t.up.calls).toEqual([]);
  });

  it('embeds 192.0.0.170 even under the well-known prefix', async () => {
    const t = setup({ prefix: '64:ff9b::/96' });
    expect(rr((await t.ask('ipv4only.arpa')).p)[0]).toBe('ipv4only.arpa 600 AAAA 64:ff9b::c000:aa');
  });
});

describe('PTR under the prefix (§5.3.1)', () => {
  const rev = (v4: string, pfx = '0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa'): string => {
    const hex = v4.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('');
    return `${[...hex].reverse().join('.')}.${pfx}`;
  };

  it('answers a full name with a CNAME into in-addr.arpa plus the chased PTR (CNAME TTL from the PTR)', async () => {
    const t = setup();
    t.up.on('5.113.0.203.in-addr.arpa', 'PTR', { answers: [{ name: '5.113.0.203.in-addr.arpa', type: 'PTR', class: 'IN', ttl: 77, data: 'host.example.net' }] });
    const { p } = await t.ask(rev('203.0.113.5'), { type: 'PTR' });
    expect(rr(p)).toEqual([`${rev('203.0.113.5')} 77 CNAME 5.113.0.203.in-addr.arpa`, '5.113.0.203.in-addr.arpa 77 PTR host.example.net']);
  });

  it('answers the ipv4only reverse through the prefix locally', async () => {
    const t = setup();
    expect(rr((await t.ask(rev('192.0.0.170'), { type: 'PTR' })).p)[1]).toBe('170.0.0.192.in-addr.arpa 3600 PTR ipv4only.arpa');
    expect(t.up.calls).toEqual([]);
  });

  it('gives NODATA with a local SOA for a partial name and NXDOMAIN for an invalid one', async () => {
    const t = setup();
    const partial = (await t.ask('0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa', { type: 'PTR' })).p;
    expect(rcode(partial)).toBe('NOERROR');
    expect(rr(partial, 'authorities')[0]).toMatch(/^0\.0\.0\.0.*ip6\.arpa 600 SOA/);
    expect(rcode((await t.ask(`zz.${rev('192.0.2.1').split('.').slice(1).join('.')}`, { type: 'PTR' })).p)).toBe('NXDOMAIN');
    expect(t.up.calls).toEqual([]);
  });

  it('NXDOMAIN for a non-zero u octet or suffix and for non-global IPv4 under the WKP', async () => {
    const t = setup({ prefix: '2001:db8::/32' });
    // 2001:db8:c000:221:100:: has the u octet set.
    const name = '0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.1.2.2.0.0.0.0.c.8.b.d.0.1.0.0.2.ip6.arpa';
    expect(rcode((await t.ask(name, { type: 'PTR' })).p)).toBe('NXDOMAIN');
    const wkp = setup({ prefix: '64:ff9b::/96' });
    expect(rcode((await wkp.ask(rev('10.0.0.1', '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa'), { type: 'PTR' })).p)).toBe('NXDOMAIN');
  });

  it('forwards a PTR outside the prefix unchanged', async () => {
    const t = setup();
    t.up.on('1.2.0.192.in-addr.arpa', 'PTR', { answers: [{ name: '1.2.0.192.in-addr.arpa', type: 'PTR', class: 'IN', ttl: 50, data: 'x.example.org' }] });
    expect(rr((await t.ask('1.2.0.192.in-addr.arpa', { type: 'PTR' })).p)).toEqual(['1.2.0.192.in-addr.arpa 50 PTR x.example.org']);
  });
});

describe('cache', () => {
  it('answers a repeat from the cache with no upstream packet, TTLs counted down, ID and case of the new query', async () => {
    const t = setup();
    t.up.on('c.example.org', 'AAAA', { authorities: [soa('example.org', 3600, 3600)] });
    t.up.on('c.example.org', 'A', { answers: [a('c.example.org', '192.0.2.3', 100)] });
    await t.ask('c.example.org');
    t.tick(30);
    const { p } = await t.ask('C.Example.ORG');
    expect(rr(p)).toEqual(['C.Example.ORG 70 AAAA 64:ff9b:1::c000:203']);
    expect(p.questions![0]!.name).toBe('C.Example.ORG');
    expect(ede(p)).toEqual([29]);
    expect(t.up.calls).toHaveLength(2);
    expect(t.counters.cacheHits).toBe(1);
    t.tick(71);
    t.up.calls.length = 0;
    await t.ask('c.example.org');
    expect(t.up.calls).toEqual(['c.example.org|AAAA', 'c.example.org|A']);
  });

  it('caches negative answers for min(SOA TTL, MINIMUM, negativeTtl)', async () => {
    const t = setup({ cache: { negativeTtl: 50 } });
    t.up.on('nx.example.org', 'AAAA', { rcode: 'NXDOMAIN', authorities: [soa('example.org', 3600, 900)] });
    await t.ask('nx.example.org');
    t.tick(49);
    expect(rcode((await t.ask('nx.example.org')).p)).toBe('NXDOMAIN');
    expect(t.up.calls).toHaveLength(1);
    t.tick(2);
    await t.ask('nx.example.org');
    expect(t.up.calls).toHaveLength(2);
  });

  it('keys on DO and EDNS, and a prefix change flushes synthesized entries only', async () => {
    const t = setup();
    t.up.on('k.example.org', 'AAAA', {});
    t.up.on('k.example.org', 'A', { answers: [a('k.example.org', '192.0.2.8')] });
    t.up.on('k.example.org', 'TXT', { answers: [{ name: 'k.example.org', type: 'TXT', class: 'IN', ttl: 60, data: ['x'] } as Answer] });
    await t.ask('k.example.org');
    await t.ask('k.example.org', { dnssecOk: true });
    await t.ask('k.example.org', { type: 'TXT' });
    expect(t.up.calls).toHaveLength(5);
    t.resolver.setOptions(validateDns64Options({ prefix: '2001:db8:100::/40', upstreams: ['192.0.2.53'], clients: ['::1'] }));
    const { p } = await t.ask('k.example.org');
    expect(rr(p)).toEqual(['k.example.org 300 AAAA 2001:db8:1c0:2:8::']);
    await t.ask('k.example.org', { type: 'TXT' });
    expect(t.up.calls).toHaveLength(7);
  });

  it('evicts least recently used entries beyond maxEntries', async () => {
    const t = setup({ cache: { maxEntries: 2 } });
    for (const n of ['a', 'b', 'c']) t.up.on(`${n}.example.org`, 'A', { answers: [a(`${n}.example.org`, '192.0.2.1')] });
    await t.ask('a.example.org', { type: 'A' });
    await t.ask('b.example.org', { type: 'A' });
    await t.ask('a.example.org', { type: 'A' });
    await t.ask('c.example.org', { type: 'A' });
    expect(t.resolver.cache.size).toBe(2);
    await t.ask('a.example.org', { type: 'A' });
    await t.ask('b.example.org', { type: 'A' });
    expect(t.up.calls).toEqual(['a.example.org|A', 'b.example.org|A', 'c.example.org|A', 'b.example.org|A']);
  });
});

describe('hostile or broken upstream answers', () => {
  it('treats a malformed AAAA answer as an error (synthesize) and a malformed pass-through answer as SERVFAIL', async () => {
    const counters = createCounters();
    const garbage = Buffer.from('00010000ffff', 'hex');
    const good = new FakeUpstream().on('g.example.org', 'A', { answers: [a('g.example.org', '192.0.2.5')] });
    const upstream = {
      lookup: (q: { name: string; type: number }) => (q.type === 1 ? good.lookup(q as never) : Promise.resolve(garbage)),
      health: () => [],
    };
    const opts = validateDns64Options({ prefix: NSP, upstreams: ['192.0.2.53'], clients: ['::1'] });
    const r = new Dns64Resolver(opts, upstream, counters, () => 0);
    const ask = async (type: string) => {
      const raw = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'g.example.org', type: type as 'A' }] });
      return dnsPacket.decode((await r.resolve(raw, parseQuery(raw) as ParsedQuery, undefined)).wire);
    };
    expect(rr(await ask('AAAA'))).toEqual(['g.example.org 300 AAAA 64:ff9b:1::c000:205']);
    expect(rcode(await ask('TXT'))).toBe('SERVFAIL');
    expect(counters.upstreamErrors).toBe(1);
    expect(counters.servfail).toBe(1);
  });
});

describe('coalescing', () => {
  it('answers identical concurrent misses with one upstream lookup, each with its own ID and case', async () => {
    const t = setup();
    t.up.on('same.example.org', 'AAAA', {});
    t.up.on('same.example.org', 'A', { answers: [a('same.example.org', '192.0.2.6')] });
    const [x, y] = await Promise.all([t.ask('same.example.org', { id: 1 }), t.ask('SAME.example.org', { id: 2 })]);
    expect(t.up.calls).toEqual(['same.example.org|AAAA', 'same.example.org|A']);
    expect(rr(x.p)).toEqual(['same.example.org 300 AAAA 64:ff9b:1::c000:206']);
    expect(rr(y.p)).toEqual(['SAME.example.org 300 AAAA 64:ff9b:1::c000:206']);
    expect([x.p.id, y.p.id]).toEqual([1, 2]);
    expect(t.counters.synthesized).toBe(2);
  });

  it('does not share between questions that differ only in DO, nor between two whose hashes collide', async () => {
    const t = setup();
    // Two names whose questions hash alike under this cache's seed: a birthday search over random
    // 8-letter labels (a collision is expected after about 2^16 names; 10^6 make a miss impossible in practice).
    const question = (label: string): Uint8Array => Uint8Array.from([8, ...Buffer.from(label), 7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0, 0, 28, 0, 1]);
    const variant = cacheVariant(true, false, false); // an EDNS query without DO, as `ask` sends
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    let bits = 0x2545f491;
    for (let i = 0; pair === undefined && i < 1_000_000; i++) {
      let label = '';
      for (let k = 0; k < 8; k++) {
        bits ^= bits << 13;
        bits ^= bits >>> 17;
        bits ^= bits << 5;
        label += String.fromCharCode(97 + ((bits >>> 0) % 26));
      }
      const qb = question(label);
      const h = questionHash(qb, 0, qb.length, variant, t.resolver.cache.seed);
      const before = seen.get(h);
      if (before !== undefined && before !== label) pair = [`${before}.example.org`, `${label}.example.org`];
      else seen.set(h, label);
    }
    expect(pair).toBeDefined();
    const [n1, n2] = pair!;
    for (const [n, v4] of [[n1, '192.0.2.21'], [n2, '192.0.2.22']] as const) {
      t.up.on(n, 'AAAA', {});
      t.up.on(n, 'A', { answers: [a(n, v4)] });
    }
    t.up.on('do.example.org', 'AAAA', {});
    t.up.on('do.example.org', 'A', { answers: [a('do.example.org', '192.0.2.23')] });
    const [x, y, plain, withDo] = await Promise.all([
      t.ask(n1), t.ask(n2), t.ask('do.example.org'), t.ask('do.example.org', { dnssecOk: true }),
    ]);
    expect(rr(x.p)).toEqual([`${n1} 300 AAAA 64:ff9b:1::c000:215`]);
    expect(rr(y.p)).toEqual([`${n2} 300 AAAA 64:ff9b:1::c000:216`]);
    expect(rr(plain.p)).toEqual(['do.example.org 300 AAAA 64:ff9b:1::c000:217']);
    expect(rr(withDo.p)).toEqual(['do.example.org 300 AAAA 64:ff9b:1::c000:217']);
    // Each question asked upstream on its own: nothing was shared.
    for (const n of [n1, n2]) expect(t.up.calls.filter((c) => c.startsWith(`${n}|`))).toEqual([`${n}|AAAA`, `${n}|A`]);
    expect(t.up.calls.filter((c) => c.startsWith('do.example.org|'))).toEqual(['do.example.org|AAAA', 'do.example.org|AAAA', 'do.example.org|A', 'do.example.org|A']);
    // Both collided questions are cached under their own names.
    expect(rr((await t.ask(n2)).p)).toEqual([`${n2} 300 AAAA 64:ff9b:1::c000:216`]);
    expect(t.up.calls.filter((c) => c.startsWith(`${n2}|`))).toHaveLength(2);
  });
});

describe('synthesis suspended while the translator cannot carry traffic', () => {
  it('answers NODATA with the negative TTL capped, keeps real AAAA, caches neither, and resumes', async () => {
    const t = setup();
    t.up.on('v4only.example.org', 'AAAA', { authorities: [soa('example.org', 3600, 900)] });
    t.up.on('v4only.example.org', 'A', { answers: [a('v4only.example.org', '192.0.2.10', 300)] });
    t.up.on('dual.example.org', 'AAAA', { answers: [aaaa('dual.example.org', '2001:db8::1', 120)] });
    // a synthesized answer in the cache before the translator fails
    expect(rr((await t.ask('v4only.example.org')).p)).toEqual(['v4only.example.org 300 AAAA 64:ff9b:1::c000:20a']);
    t.resolver.setSuspended(true);
    const s = await t.ask('v4only.example.org');
    expect(rcode(s.p)).toBe('NOERROR');
    expect(rr(s.p)).toEqual([]);
    expect(ede(s.p)).toEqual([]);
    const auth = (s.p.authorities ?? []).filter((r) => r.type === 'SOA');
    expect(auth).toHaveLength(1);
    expect(auth[0]!.ttl).toBe(SUSPENDED_NEGATIVE_TTL);
    expect((auth[0]!.data as { minimum: number }).minimum).toBe(SUSPENDED_NEGATIVE_TTL);
    expect(t.counters.synthesisSuspended).toBe(1);
    // not from the cache (flushed), not into it: the next query asks upstream again
    const calls = t.up.calls.length;
    expect(rr((await t.ask('v4only.example.org')).p)).toEqual([]);
    expect(t.up.calls.length).toBeGreaterThan(calls);
    expect(rr((await t.ask('dual.example.org')).p)).toEqual(['dual.example.org 120 AAAA 2001:db8::1']);
    // RFC 7050 discovery finds no prefix either
    const wka = await t.ask('ipv4only.arpa');
    expect(rr(wka.p)).toEqual([]);
    t.resolver.setSuspended(false);
    expect(rr((await t.ask('v4only.example.org')).p)).toEqual(['v4only.example.org 300 AAAA 64:ff9b:1::c000:20a']);
    expect(rr((await t.ask('ipv4only.arpa')).p)).toHaveLength(2);
  });
});
