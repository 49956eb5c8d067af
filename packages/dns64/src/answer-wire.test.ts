import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { readAnswer, AAAA_DECODE, AAAA_FORWARD, AAAA_SYNTHESIZE, aaaaVerdict, forwardAnswer, negativeTtlCap, synthesizeInPlace } from './answer-wire.js';
import { validateDns64Options, type Dns64Input } from './config.js';
import { Dns64Error } from './errors.js';
import { decodeMessage, encodeResponse } from './message.js';
import { createCounters } from './metrics.js';
import { Dns64Resolver, EDE_SYNTHESIZED, EDNS_UDP_SIZE } from './resolver.js';
import { shouldSynthesize, synthesize } from './synthesize.js';
import type { Upstream, UpstreamHealth, UpstreamQuestion } from './upstream.js';
import { TYPE, encodeOpt, parseQuery, type ParsedQuery } from './wire.js';

const NSP = '64:ff9b:1::/96';
const NAME = 'host.example.org';

/** Deterministic random numbers (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

interface Q { raw: Buffer; q: ParsedQuery }

function query(name: string, o: { edns?: boolean; dnssecOk?: boolean; id?: number } = {}): Q {
  const raw = dnsPacket.encode({
    type: 'query', id: o.id ?? 0x4321, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'AAAA', class: 'IN' }],
    additionals: o.edns === false ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as Answer],
  });
  return { raw, q: parseQuery(raw) as ParsedQuery };
}

interface Reply { rcode?: number; ad?: boolean; answers?: Answer[]; authorities?: Answer[]; additionals?: Answer[] }

/**
 * An upstream answer as nsd or Unbound send it: every name compressed
 * (RFC 1035 §4.1.4: owners and the names in NS, CNAME, PTR, SOA RDATA point to
 * earlier names), OPT last. dns-packet itself never compresses.
 */
function upstreamAnswer(name: string, type: 'A' | 'AAAA', r: Reply): Buffer {
  const out = Buffer.alloc(4096);
  const seen = new Map<string, number>();
  let o = 0;
  const u16 = (v: number) => {
    out.writeUInt16BE(v, o);
    o += 2;
  };
  const writeName = (n: string) => {
    const labels = n === '' ? [] : n.split('.');
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase();
      const at = seen.get(key);
      if (at !== undefined) return u16(0xc000 | at);
      if (o < 0x3fff) seen.set(key, o);
      out[o++] = labels[i]!.length;
      o += out.write(labels[i]!, o, 'latin1');
    }
    out[o++] = 0;
  };
  const flags = 0x8000 | dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED | (r.ad ? dnsPacket.AUTHENTIC_DATA : 0) | (r.rcode ?? 0);
  const sections = [r.answers ?? [], r.authorities ?? [], r.additionals ?? []];
  u16(7);
  u16(flags);
  u16(1);
  u16(sections[0]!.length);
  u16(sections[1]!.length);
  u16(sections[2]!.length + 1);
  writeName(name);
  u16(type === 'A' ? 1 : 28);
  u16(1);
  for (const rr of sections.flat()) {
    writeName(rr.name);
    const t = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28 }[rr.type as string]!;
    u16(t);
    u16(1);
    out.writeUInt32BE((rr as { ttl: number }).ttl, o);
    o += 4;
    const lenAt = o;
    o += 2;
    const data = (rr as { data: unknown }).data;
    if (t === 1) for (const b of String(data).split('.')) out[o++] = Number(b);
    else if (t === 28) o += Buffer.from(dnsPacket.aaaa.encode(String(data))).subarray(2).copy(out, o);
    else if (t === 6) {
      const d = data as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      writeName(d.mname);
      writeName(d.rname);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) {
        out.writeUInt32BE(v, o);
        o += 4;
      }
    } else writeName(String(data));
    out.writeUInt16BE(o - lenAt - 2, lenAt);
  }
  // OPT (RFC 6891 §6.1.2): root owner, type 41, UDP size 1232, no options.
  out[o++] = 0;
  u16(41);
  u16(1232);
  o += 4;
  u16(0);
  return Buffer.from(out.subarray(0, o));
}

const soa = (ttl: number, minimum: number): Answer =>
  ({ name: 'example.org', type: 'SOA', ttl, class: 'IN', data: { mname: 'ns1.example.org', rname: 'hostmaster.example.org', serial: 1, refresh: 1, retry: 1, expire: 1, minimum } }) as Answer;
const ns = (): Answer => ({ name: 'example.org', type: 'NS', ttl: 3600, class: 'IN', data: 'ns1.example.org' });
const glue = (): Answer => ({ name: 'ns1.example.org', type: 'A', ttl: 3600, class: 'IN', data: '198.51.100.53' });

/** Upstream that answers from a table of wire answers (question bytes patched to what was asked). */
class WireUpstream implements Upstream {
  readonly asked: string[] = [];
  constructor(private readonly answers: Map<string, Buffer | 'timeout'>) {}
  lookup(q: UpstreamQuestion): Promise<Buffer> {
    const key = `${q.name}|${q.type}`;
    this.asked.push(key);
    const w = this.answers.get(key);
    if (w === undefined) return Promise.reject(new Error(`unexpected ${key}`));
    if (w === 'timeout') return Promise.reject(new Dns64Error('ERR_UPSTREAM_TIMEOUT', 'timeout'));
    return Promise.resolve(Buffer.from(w));
  }
  health(): UpstreamHealth[] {
    return [];
  }
}

function resolverWith(answers: Map<string, Buffer | 'timeout'>, input: Dns64Input = {}) {
  const opts = validateDns64Options({ prefix: NSP, upstreams: ['192.0.2.53'], clients: ['::1'], ...input });
  const counters = createCounters();
  return { resolver: new Dns64Resolver(opts, new WireUpstream(answers), counters, () => 1_000_000), opts, counters };
}

/** The decoding path, as the resolver took it for every answer before answer-wire.ts: the reference. */
function reference(x: Q, aaaaWire: Buffer | undefined, aWire: Buffer | undefined, input: Dns64Input = {}): Buffer {
  const opts = validateDns64Options({ prefix: NSP, upstreams: ['192.0.2.53'], clients: ['::1'], ...input });
  const { raw, q } = x;
  const opt = (synth: boolean) => (q.edns === undefined ? undefined : encodeOpt(EDNS_UDP_SIZE, q.edns.dnssecOk, 0, synth ? EDE_SYNTHESIZED : undefined));
  const d = shouldSynthesize(q, aaaaWire === undefined ? undefined : decodeMessage(aaaaWire), opts);
  if (d.kind === 'fail') throw new Error('fail');
  if (d.kind === 'return') return encodeResponse(d.draft, raw, q, opt(false));
  const s = synthesize(q, d.negative, decodeMessage(aWire!)!, opts);
  return encodeResponse(s.draft, raw, q, opt(s.embedded.length > 0));
}

/** readAnswer with the type the answer's question asked (A or AAAA), as the resolver calls it. */
function readAt(w: Buffer, raw: Buffer, q: ParsedQuery) {
  const qtype = w.length >= q.questionEnd ? w.readUInt16BE(q.questionEnd - 4) : TYPE.AAAA;
  return readAnswer(w, raw, q, qtype === TYPE.A ? TYPE.A : TYPE.AAAA);
}

/** A decoded message in a comparable form (names case-folded: only the question keeps the client's case on both paths). */
function view(wire: Buffer): unknown {
  const p: DecodedPacket = dnsPacket.decode(wire);
  const rrs = (l: Answer[] | undefined) => (l ?? []).map((r) => JSON.stringify(r).toLowerCase());
  return { id: p.id, flags: p.flags, q: p.questions, an: rrs(p.answers), ns: rrs(p.authorities), ar: rrs(p.additionals) };
}

describe('answer-wire: upstream answers read in place', () => {
  it('reads the layout of a compressed answer and finds the OPT record last', () => {
    const x = query(NAME);
    const w = upstreamAnswer(NAME, 'A', { answers: [{ name: NAME, type: 'A', ttl: 5, class: 'IN', data: '192.0.2.1' }], authorities: [ns()], additionals: [glue()] });
    const L = readAt(w, x.raw, x.q)!;
    expect(L).toMatchObject({ rcode: 0, an: 1, ns: 1, ar: 1, anStart: x.q.questionEnd });
    expect(L.bodyEnd).toBe(w.length - 11);
  });

  it('forwards a AAAA answer: our ID, flags and question case, the records unchanged', async () => {
    const x = query('HoSt.Example.ORG', { id: 0xbeef });
    const w = upstreamAnswer(NAME, 'AAAA', { answers: [{ name: NAME, type: 'AAAA', ttl: 77, class: 'IN', data: '2001:db8::1' }], authorities: [ns()], additionals: [glue()] });
    const L = readAt(w, x.raw, x.q)!;
    expect(aaaaVerdict(w, L, [], true)).toBe(AAAA_FORWARD);
    const out = forwardAnswer(w, L, x.raw, x.q)!;
    expect(view(out)).toEqual(view(reference(x, w, undefined)));
    expect(out.subarray(12, x.q.questionEnd)).toEqual(x.raw.subarray(12, x.q.questionEnd));
    expect(out.readUInt16BE(0)).toBe(0xbeef);
  });

  it('gives owners written in full as the question name the client\'s case (0x20 echoed into them), others untouched', () => {
    const x = query('HoSt.Example.ORG');
    // dns-packet writes every name in full: the owner echoes a random case, as an upstream may under 0x20.
    const w = dnsPacket.encode({
      type: 'response', id: 7, flags: dnsPacket.RECURSION_AVAILABLE,
      questions: [{ name: NAME, type: 'AAAA', class: 'IN' }],
      answers: [{ name: 'hOsT.eXaMpLe.oRg', type: 'AAAA', ttl: 5, class: 'IN', data: '2001:db8::1' }],
      authorities: [{ name: 'eXaMpLe.oRg', type: 'NS', ttl: 5, class: 'IN', data: 'ns1.example.org' }],
    });
    const out = forwardAnswer(w, readAt(w, x.raw, x.q)!, x.raw, x.q)!;
    const p = dnsPacket.decode(out);
    expect(p.answers![0]!.name).toBe('HoSt.Example.ORG');
    expect(p.authorities![0]!.name).toBe('eXaMpLe.oRg');
  });

  it('synthesizes from NODATA + A with the §5.1.7 TTL and moves the pointers of the copied sections', () => {
    const x = query(NAME);
    const neg = upstreamAnswer(NAME, 'AAAA', { authorities: [soa(3600, 60)] });
    const aw = upstreamAnswer(NAME, 'A', {
      answers: [{ name: NAME, type: 'A', ttl: 300, class: 'IN', data: '192.0.2.1' }, { name: NAME, type: 'A', ttl: 30, class: 'IN', data: '192.0.2.2' }],
      authorities: [ns()], additionals: [glue()],
    });
    const nL = readAt(neg, x.raw, x.q)!;
    expect(aaaaVerdict(neg, nL, [], true)).toBe(AAAA_SYNTHESIZE);
    expect(negativeTtlCap(neg, nL)).toBe(60);
    const s = synthesizeInPlace(aw, readAt(aw, x.raw, x.q)!, x.raw, x.q, 60, false, validateDns64Options({ prefix: NSP }))!;
    expect(s.embedded).toEqual([0xc0000201, 0xc0000202]);
    expect(view(s.wire)).toEqual(view(reference(x, neg, aw)));
    const p = dnsPacket.decode(s.wire);
    expect(p.answers!.map((r) => [r.ttl, r.data])).toEqual([[60, '64:ff9b:1::c000:201'], [30, '64:ff9b:1::c000:202']]);
    // The glue's owner pointed into the NS record's RDATA, which moved 24 bytes: it still names ns1.example.org.
    expect(p.additionals!.find((r) => r.type === 'A')!.name).toBe('ns1.example.org');
  });

  it('leaves DNAME, excluded AAAA, foreign owners and non-embeddable A records to the decoding path', () => {
    const x = query(NAME);
    const opts = validateDns64Options({ prefix: '64:ff9b::/96' });
    const chain = upstreamAnswer(NAME, 'AAAA', { answers: [{ name: NAME, type: 'CNAME', ttl: 5, class: 'IN', data: 'other.example.org' }] });
    expect(aaaaVerdict(chain, readAt(chain, x.raw, x.q)!, opts.exclude, true)).toBe(AAAA_SYNTHESIZE);
    const dname = upstreamAnswer(NAME, 'AAAA', { answers: [{ name: 'example.org', type: 'DNAME', ttl: 5, class: 'IN', data: 'example.net' }, { name: NAME, type: 'CNAME', ttl: 5, class: 'IN', data: 'host.example.net' }] });
    expect(aaaaVerdict(dname, readAt(dname, x.raw, x.q)!, opts.exclude, true)).toBe(AAAA_DECODE);
    const mapped = upstreamAnswer(NAME, 'AAAA', { answers: [{ name: NAME, type: 'AAAA', ttl: 5, class: 'IN', data: '::ffff:192.0.2.1' }] });
    expect(aaaaVerdict(mapped, readAt(mapped, x.raw, x.q)!, opts.exclude, true)).toBe(AAAA_DECODE);
    const foreign = upstreamAnswer(NAME, 'A', { answers: [{ name: 'else.example.org', type: 'A', ttl: 5, class: 'IN', data: '192.0.2.1' }] });
    expect(synthesizeInPlace(foreign, readAt(foreign, x.raw, x.q)!, x.raw, x.q, 600, false, opts)).toBeUndefined();
    // RFC 6052 §3.1: 10.0.0.1 is not global, the WKP may not carry it.
    const private4 = upstreamAnswer(NAME, 'A', { answers: [{ name: NAME, type: 'A', ttl: 5, class: 'IN', data: '10.0.0.1' }] });
    expect(synthesizeInPlace(private4, readAt(private4, x.raw, x.q)!, x.raw, x.q, 600, false, opts)).toBeUndefined();
  });

  it('synthesizes through a CNAME chain both answers carry alike (§5.1.5): the AAAA answer\'s chain, then AAAA records owned by its end', async () => {
    const x = query('HoSt.Example.ORG');
    // The chain as two upstream answers give it: TTLs counted down in between, letter case of their own (0x20).
    const chain = (ttl: number, c: (n: string) => string): Answer[] => [
      { name: c(NAME), type: 'CNAME', ttl, class: 'IN', data: c('www.cdn.example.net') },
      { name: c('www.cdn.example.net'), type: 'CNAME', ttl: ttl + 1, class: 'IN', data: c('edge.cdn.example.net') },
    ];
    const netSoa = { ...soa(900, 120), name: 'cdn.example.net' } as Answer;
    const neg = upstreamAnswer(NAME, 'AAAA', { answers: chain(300, (n) => n.toUpperCase()), authorities: [netSoa] });
    const aw = upstreamAnswer(NAME, 'A', {
      answers: [...chain(299, (n) => n), { name: 'edge.cdn.example.net', type: 'A', ttl: 60, class: 'IN', data: '192.0.2.7' }, { name: 'EDGE.cdn.example.net', type: 'A', ttl: 500, class: 'IN', data: '192.0.2.8' }],
      authorities: [{ name: 'cdn.example.net', type: 'NS', ttl: 3600, class: 'IN', data: 'ns.cdn.example.net' }],
      additionals: [{ name: 'ns.cdn.example.net', type: 'A', ttl: 3600, class: 'IN', data: '198.51.100.9' }],
    });
    const nL = readAt(neg, x.raw, x.q)!;
    expect(aaaaVerdict(neg, nL, [], true)).toBe(AAAA_SYNTHESIZE);
    const s = synthesizeInPlace(aw, readAt(aw, x.raw, x.q)!, x.raw, x.q, negativeTtlCap(neg, nL), false, validateDns64Options({ prefix: NSP }), neg, nL)!;
    expect(s).toBeDefined();
    expect(s.embedded).toEqual([0xc0000207, 0xc0000208]);
    expect(view(s.wire)).toEqual(view(reference(x, neg, aw)));
    const p = dnsPacket.decode(s.wire);
    expect(p.answers!.map((r) => `${r.name} ${r.ttl} ${r.type} ${String(r.data)}`)).toEqual([
      'HoSt.Example.ORG 300 CNAME WWW.CDN.EXAMPLE.NET',
      'WWW.CDN.EXAMPLE.NET 301 CNAME EDGE.CDN.EXAMPLE.NET',
      'EDGE.CDN.EXAMPLE.NET 60 AAAA 64:ff9b:1::c000:207',
      'EDGE.CDN.EXAMPLE.NET 120 AAAA 64:ff9b:1::c000:208',
    ]);
    expect(p.additionals!.find((r) => r.type === 'A')!.name.toLowerCase()).toBe('ns.cdn.example.net');
    // The resolver takes this path and gives the same answer.
    const { resolver } = resolverWith(new Map<string, Buffer | 'timeout'>([[`${NAME}|28`, neg], [`${NAME}|1`, aw]]));
    expect(view((await resolver.resolve(x.raw, x.q, undefined)).wire)).toEqual(view(s.wire));
    // A chain with no A at its end is the basis of the reply (§5.1.6): the chain and the A answer's SOA, no EDE.
    const nodata = upstreamAnswer(NAME, 'A', { answers: chain(299, (n) => n), authorities: [netSoa] });
    const b = synthesizeInPlace(nodata, readAt(nodata, x.raw, x.q)!, x.raw, x.q, 120, false, validateDns64Options({ prefix: NSP }), neg, nL)!;
    expect(b.embedded).toEqual([]);
    expect(view(b.wire)).toEqual(view(reference(x, neg, nodata)));
  });

  it('leaves a chain to the decoding path when the answers disagree on it, it does not start at the query name, or A records hang elsewhere', async () => {
    const x = query(NAME);
    const opts = validateDns64Options({ prefix: NSP });
    const cname = (from: string, to: string, ttl = 300): Answer => ({ name: from, type: 'CNAME', ttl, class: 'IN', data: to });
    const a4 = (name: string, ip: string): Answer => ({ name, type: 'A', ttl: 300, class: 'IN', data: ip });
    const neg = upstreamAnswer(NAME, 'AAAA', { answers: [cname(NAME, 'one.example.net')], authorities: [soa(900, 120)] });
    const nL = readAt(neg, x.raw, x.q)!;
    const cases: [string, Buffer][] = [
      ['another target', upstreamAnswer(NAME, 'A', { answers: [cname(NAME, 'two.example.net'), a4('two.example.net', '192.0.2.1')] })],
      ['a longer chain', upstreamAnswer(NAME, 'A', { answers: [cname(NAME, 'one.example.net'), cname('one.example.net', 'two.example.net'), a4('two.example.net', '192.0.2.1')] })],
      ['no chain', upstreamAnswer(NAME, 'A', { answers: [a4(NAME, '192.0.2.1')] })],
      ['A of the query name after the chain', upstreamAnswer(NAME, 'A', { answers: [cname(NAME, 'one.example.net'), a4(NAME, '192.0.2.1')] })],
      ['a chain from elsewhere', upstreamAnswer(NAME, 'A', { answers: [cname('else.example.org', 'one.example.net'), a4('one.example.net', '192.0.2.1')] })],
    ];
    for (const [what, aw] of cases) {
      expect(synthesizeInPlace(aw, readAt(aw, x.raw, x.q)!, x.raw, x.q, 120, false, opts, neg, nL), what).toBeUndefined();
      const { resolver } = resolverWith(new Map<string, Buffer | 'timeout'>([[`${NAME}|28`, neg], [`${NAME}|1`, aw]]));
      expect(view((await resolver.resolve(x.raw, x.q, undefined)).wire), what).toEqual(view(reference(x, neg, aw)));
    }
    // A target pointing to itself (a loop a client would chase) is never copied.
    const aw = upstreamAnswer(NAME, 'A', { answers: [cname(NAME, 'one.example.net'), a4('one.example.net', '192.0.2.1')] });
    const L = readAt(aw, x.raw, x.q)!;
    const loop = Buffer.from(aw);
    const rdata = L.anStart + 2 + 10; // owner: a pointer to the question
    loop.writeUInt16BE(0xc000 | rdata, rdata);
    expect(synthesizeInPlace(loop, readAt(loop, x.raw, x.q)!, x.raw, x.q, 120, false, opts)).toBeUndefined();
  });

  it('refuses malformed answers: truncated, wrong counts, pointer loops, forward pointers, another question', () => {
    const x = query(NAME);
    const good = upstreamAnswer(NAME, 'A', { answers: [{ name: NAME, type: 'A', ttl: 5, class: 'IN', data: '192.0.2.1' }], authorities: [ns()], additionals: [glue()] });
    expect(readAt(good, x.raw, x.q)).toBeDefined();
    for (let n = 0; n < good.length; n++) expect(readAt(good.subarray(0, n), x.raw, x.q), `cut at ${n}`).toBeUndefined();
    const more = Buffer.from(good);
    more.writeUInt16BE(2, 6); // ANCOUNT one too many
    expect(readAt(more, x.raw, x.q)).toBeUndefined();
    const fewer = Buffer.from(good);
    fewer.writeUInt16BE(0, 8); // NSCOUNT 0: bytes left over
    expect(readAt(fewer, x.raw, x.q)).toBeUndefined();
    const self = Buffer.from(good);
    const at = x.q.questionEnd;
    self.writeUInt16BE(0xc000 | at, at); // the answer's owner points to itself
    expect(readAt(self, x.raw, x.q)).toBeUndefined();
    const other = upstreamAnswer('other.example.org', 'A', {});
    expect(readAt(other, x.raw, x.q)).toBeUndefined();
    // A loop in the NS RDATA (points to itself): not relocatable, so not synthesized here.
    const loop = Buffer.from(good);
    const L = readAt(good, x.raw, x.q)!;
    const nsRdata = L.nsStart + 2 + 10; // owner is a 2-byte pointer
    loop.writeUInt16BE(0xc000 | nsRdata, nsRdata);
    const lL = readAt(loop, x.raw, x.q);
    expect(lL).toBeDefined(); // RDATA names are not walked by the layout reader…
    expect(synthesizeInPlace(loop, lL!, x.raw, x.q, 600, false, validateDns64Options({ prefix: NSP }))).toBeUndefined(); // …but never copied with a bad pointer
  });

  it('gives the same answers as the decoding path for random shapes', async () => {
    const r = rng(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    let inPlace = 0;
    let cdnSeen = 0;
    let cdnInPlace = 0;
    for (let i = 0; i < 300; i++) {
      const edns = r() < 0.8;
      const dnssecOk = edns && r() < 0.3;
      const caseName = NAME.replace(/[a-z]/g, (c) => (r() < 0.5 ? c.toUpperCase() : c));
      const x = query(caseName, { edns, dnssecOk, id: i });
      const aaaaShape = pick(['nodata-soa', 'nodata', 'nxdomain', 'servfail', 'aaaa', 'excluded', 'chain', 'cdn', 'cdn', 'timeout'] as const);
      // 'cdn': a chain of one or two CNAMEs in both answers, the A records at its end (TTLs differ between the answers).
      const cdn: Answer[] = [{ name: NAME, type: 'CNAME', ttl: 50, class: 'IN', data: 'www.cdn.example.net' }];
      if (r() < 0.5) cdn.push({ name: 'www.cdn.example.net', type: 'CNAME', ttl: 40, class: 'IN', data: 'edge.cdn.example.net' });
      const cdnEnd = String(cdn.at(-1)!.data);
      const soaRr = soa(Math.floor(r() * 5000), Math.floor(r() * 5000));
      const aaaaReply: Reply | 'timeout' = aaaaShape === 'timeout' ? 'timeout' : {
        ad: r() < 0.5,
        rcode: aaaaShape === 'nxdomain' ? 3 : aaaaShape === 'servfail' ? 2 : 0,
        answers: aaaaShape === 'aaaa' ? [{ name: NAME, type: 'AAAA', ttl: 50, class: 'IN', data: '2001:db8::5' }]
          : aaaaShape === 'excluded' ? [{ name: NAME, type: 'AAAA', ttl: 50, class: 'IN', data: '::ffff:192.0.2.9' }]
            : aaaaShape === 'chain' ? [{ name: NAME, type: 'CNAME', ttl: 50, class: 'IN', data: NAME.replace('host', 'alias') }]
              : aaaaShape === 'cdn' ? cdn : [],
        authorities: aaaaShape === 'nodata' ? [] : [soaRr],
      };
      const nA = Math.floor(r() * 4);
      const aReply: Reply = {
        ad: r() < 0.5,
        rcode: r() < 0.1 ? 3 : 0,
        answers: [
          ...(aaaaShape === 'cdn' ? cdn.map((c) => ({ ...c, ttl: (c as { ttl: number }).ttl - 1 }) as Answer) : []),
          ...Array.from({ length: nA }, (_, k) => ({ name: aaaaShape === 'cdn' ? cdnEnd : NAME, type: 'A', ttl: Math.floor(r() * 4000), class: 'IN', data: `198.51.100.${k + 1}` }) as Answer),
        ],
        authorities: r() < 0.5 ? [ns()] : r() < 0.5 ? [soaRr] : [],
        additionals: r() < 0.5 ? [glue()] : [],
      };
      if (aReply.rcode === 3) aReply.answers = [];
      if (aaaaShape === 'cdn') cdnSeen++;
      const aaaaWire = aaaaReply === 'timeout' ? undefined : upstreamAnswer(NAME, 'AAAA', aaaaReply);
      const aWire = upstreamAnswer(NAME, 'A', aReply);
      const { resolver } = resolverWith(new Map<string, Buffer | 'timeout'>([[`${NAME}|28`, aaaaWire ?? 'timeout'], [`${NAME}|1`, aWire]]));
      const got = await resolver.resolve(x.raw, x.q, undefined);
      expect(view(got.wire), `case ${i}: ${aaaaShape}, ${nA} A`).toEqual(view(reference(x, aaaaWire, aWire)));
      // Which path answered: the in-place one must have taken most of these shapes.
      const nL = aaaaWire === undefined ? undefined : readAt(aaaaWire, x.raw, x.q);
      const verdict = nL === undefined ? -1 : aaaaVerdict(aaaaWire!, nL, [], true);
      if (verdict === AAAA_FORWARD && aaaaShape !== 'excluded') inPlace++;
      else if (verdict !== AAAA_DECODE && synthesizeInPlace(aWire, readAt(aWire, x.raw, x.q)!, x.raw, x.q, 600, false, validateDns64Options({ prefix: NSP }), verdict === AAAA_SYNTHESIZE ? aaaaWire : undefined, verdict === AAAA_SYNTHESIZE ? nL : undefined) !== undefined) {
        inPlace++;
        if (aaaaShape === 'cdn') cdnInPlace++;
      }
    }
    expect(inPlace).toBeGreaterThan(150);
    expect(cdnSeen).toBeGreaterThan(30);
    // Chains reach the in-place path except where the A answer is NXDOMAIN.
    expect(cdnInPlace).toBeGreaterThan(cdnSeen * 0.7);
  });

  it('reports a miss once even when the caller\'s callback throws', async () => {
    const x = query(NAME);
    const neg = upstreamAnswer(NAME, 'AAAA', { authorities: [soa(3600, 60)] });
    const aw = upstreamAnswer(NAME, 'A', { answers: [{ name: NAME, type: 'A', ttl: 300, class: 'IN', data: '192.0.2.1' }] });
    const { resolver, counters } = resolverWith(new Map([[`${NAME}|28`, neg], [`${NAME}|1`, aw]]));
    let calls = 0;
    await new Promise<void>((ok) => {
      resolver.resolveWith(x.raw, x.q, undefined, () => {
        calls++;
        setTimeout(ok, 20);
        throw new Error('a broken consumer');
      });
    });
    expect(calls).toBe(1);
    expect(counters.servfail).toBe(0);
    expect(counters.synthesized).toBe(1);
  });

  it('survives mutated upstream answers: an answer or SERVFAIL, never an exception', async () => {
    const r = rng(0xf00d);
    const neg = upstreamAnswer(NAME, 'AAAA', { authorities: [soa(3600, 60)] });
    const aw = upstreamAnswer(NAME, 'A', { answers: [{ name: NAME, type: 'A', ttl: 300, class: 'IN', data: '192.0.2.1' }], authorities: [ns()], additionals: [glue()] });
    // The upstream client only hands over answers whose header and question match ours (RFC 5452 §9.1,
    // matchesQuery): the records after the question are what an upstream (or a spoofer) controls.
    const qEnd = query(NAME).q.questionEnd;
    const mutate = (w: Buffer): Buffer => {
      const m = Buffer.from(w);
      const kind = r();
      if (kind < 0.3) return m.subarray(0, Math.floor(r() * m.length));
      if (kind < 0.5) {
        // A pointer anywhere after the question, to anywhere (loops, forward pointers, into the header).
        const at = qEnd + Math.floor(r() * (m.length - qEnd - 1));
        m.writeUInt16BE(0xc000 | Math.floor(r() * m.length), at);
        return m;
      }
      if (kind < 0.7) {
        m.writeUInt16BE(Math.floor(r() * 4), 6 + 2 * Math.floor(r() * 3)); // a wrong count
        return m;
      }
      for (let k = 0; k < 3; k++) m[qEnd + Math.floor(r() * (m.length - qEnd))] = Math.floor(r() * 256);
      return m;
    };
    let servfail = 0;
    for (let i = 0; i < 1500; i++) {
      const x = query(NAME, { id: i });
      const mutateAaaa = r() < 0.5;
      const aaaaWire = mutateAaaa ? mutate(neg) : neg;
      const aWire = mutateAaaa ? aw : mutate(aw);
      // The pure functions on their own never throw, whatever the bytes (question included).
      for (const w of [aaaaWire, aWire, Buffer.from(aWire).fill(Math.floor(r() * 256), 12, Math.min(aWire.length, 12 + Math.floor(r() * qEnd)))]) {
        const L = readAt(w, x.raw, x.q);
        if (L === undefined) continue;
        aaaaVerdict(w, L, [], true);
        negativeTtlCap(w, L);
        forwardAnswer(w, L, x.raw, x.q);
        synthesizeInPlace(w, L, x.raw, x.q, 600, true, validateDns64Options({ prefix: NSP }));
      }
      const { resolver } = resolverWith(new Map([[`${NAME}|28`, aaaaWire], [`${NAME}|1`, aWire]]));
      const got = await resolver.resolve(x.raw, x.q, undefined);
      let p: DecodedPacket;
      try {
        p = dnsPacket.decode(got.wire); // whatever came back is a well-formed message
      } catch (e) {
        throw new Error(`case ${i} (${mutateAaaa ? 'AAAA' : 'A'} mutated): ${String(e)}\nAAAA ${aaaaWire.toString('hex')}\nA ${aWire.toString('hex')}\nout ${got.wire.toString('hex')}`);
      }
      expect(p.id).toBe(i);
      if ((p.flags! & 0xf) === 2) servfail++;
    }
    expect(servfail).toBeGreaterThan(0);
  });
});
