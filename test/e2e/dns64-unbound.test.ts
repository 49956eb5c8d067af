/**
 * Differential test: the same queries to sixgate DNS64 and to Unbound
 * (module-config "dns64 iterator", same prefix, both forwarding to the same
 * nsd). They must agree on rcode and answer records, except for the
 * differences listed in DIFFERENCES below (also in packages/dns64/README.md,
 * Bugs/Differences), each justified by an RFC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, requireRoot, sh, waitFor, type Topology } from './lib/netns.js';
import { dig, startSixgateDns64, writeNsdConfig, writeUnboundConfig, type DigResult } from './lib/dns-zone.js';

const PREFIX = '64:ff9b:1::/96';
const DNS = ADDR.appliance6;
const SIXGATE_PORT = 53;
const UNBOUND_PORT = 5300;
let topo: Topology | undefined;
let dir = '';

beforeAll(async () => {
  requireRoot();
  for (const tool of ['nsd', 'dig', 'unbound']) {
    if (sh('sh', ['-c', `command -v ${tool}`], { allowFail: true }).code !== 0) throw new Error(`${tool} is not installed (apt-get install nsd unbound dnsutils)`);
  }
  sh('npx', ['tsc', '-b', 'packages/dns64'], { timeoutMs: 120_000 });
  dir = mkdtempSync(join(tmpdir(), 'sg-dns64u-'));
  topo = buildTopology('du');
  topo.net.spawn(topo.server, 'nsd', ['-d', '-c', writeNsdConfig(join(dir, 'nsd'), ADDR.server4)]);
  await waitFor(async () => (await dig(topo!.net, topo!.server, ADDR.server4, 53, ['SOA', 'example.org'])).status === 'NOERROR', 10_000, 'nsd', 200);
  const ub = writeUnboundConfig(join(dir, 'unbound'), { listen: DNS, port: UNBOUND_PORT, prefix: PREFIX, upstream: ADDR.server4, access: ['2001:db8:1::/64'] });
  topo.net.spawn(topo.appliance, 'unbound', ['-d', '-c', ub]);
  await startSixgateDns64(topo.net, topo.appliance, { listen: [`[${DNS}]:${SIXGATE_PORT}`], upstreams: [ADDR.server4], clients: ['2001:db8:1::/64'], prefix: PREFIX });
  await waitFor(async () => (await dig(topo!.net, topo!.client, DNS, UNBOUND_PORT, ['A', 'v4only.example.org'])).status === 'NOERROR', 10_000, 'unbound', 200);
}, 120_000);

afterAll(async () => {
  try {
    await topo?.net.destroy();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** rcode + answer records without TTLs, sorted (RRset order is not significant). */
const shape = (r: DigResult): string[] => [r.status, ...r.answers.map((a) => `${a.name} ${a.type} ${a.data}`).sort()];

/** Queries on which both must agree exactly (rcode and answer records). */
const SAME: string[][] = [
  ['AAAA', 'v4only.example.org'],
  ['AAAA', 'short.example.org'],
  ['AAAA', 'dual.example.org'],
  ['AAAA', 'www.example.org'],
  ['AAAA', 'private.example.org'],
  ['AAAA', 'multi.example.org'],
  ['AAAA', 'txt.example.org'],
  ['AAAA', 'nothing.example.org'],
  ['A', 'v4only.example.org'],
  ['TXT', 'txt.example.org'],
  ['MX', 'v4only.example.org'],
  ['A', 'multi.example.org'],
  ['PTR', '10.2.0.192.in-addr.arpa'],
  ['+tcp', 'AAAA', 'big.example.org'],
  ['AAAA', 'x.bench.example.org'],
];

/**
 * Documented, RFC-justified differences: for each, what sixgate answers and
 * what Unbound 1.17 answers. The test asserts both sides, so a change on
 * either side shows up here.
 */
const DIFFERENCES: { q: string[]; why: string; sixgate: (r: DigResult) => void; unbound: (r: DigResult) => void }[] = [
  {
    q: ['AAAA', 'ipv4only.arpa'],
    why: 'RFC 8880 §7: DNS64 answers ipv4only.arpa locally; Unbound forwards it (unbound#793), nsd refuses, so Unbound gives SERVFAIL',
    sixgate: (r) => expect(shape(r)).toEqual(['NOERROR', 'ipv4only.arpa AAAA 64:ff9b:1::c000:aa', 'ipv4only.arpa AAAA 64:ff9b:1::c000:ab']),
    unbound: (r) => expect(r.status).not.toBe('NOERROR'),
  },
  {
    q: ['AAAA', 'mapped.example.org'],
    why: 'RFC 6147 §5.1.4: ::ffff:0:0/96 is excluded by default, so the name is synthesized; Unbound has no exclusion list and returns the mapped AAAA',
    sixgate: (r) => expect(shape(r)).toEqual(['NOERROR', 'mapped.example.org AAAA 64:ff9b:1::c000:214']),
    unbound: (r) => expect(shape(r)).toEqual(['NOERROR', 'mapped.example.org AAAA ::ffff:192.0.2.20']),
  },
  {
    q: ['AAAA', 'mixed.example.org'],
    why: 'RFC 6147 §5.1.4: excluded AAAA MUST NOT be returned; sixgate drops the ::ffff record of a mixed set, Unbound returns both',
    sixgate: (r) => expect(shape(r)).toEqual(['NOERROR', 'mixed.example.org AAAA 2001:db8:d::21']),
    unbound: (r) => expect(shape(r)).toEqual(['NOERROR', 'mixed.example.org AAAA 2001:db8:d::21', 'mixed.example.org AAAA ::ffff:192.0.2.21']),
  },
  {
    q: ['-x', '64:ff9b:1::c000:20a'],
    why: 'RFC 6147 §5.3.1 allows (a) a local answer or (b) a CNAME into in-addr.arpa; sixgate does (b) (CNAME + chased PTR), Unbound answers the PTR under the ip6.arpa owner',
    sixgate: (r) => expect(shape(r)).toEqual(['NOERROR', '10.2.0.192.in-addr.arpa PTR v4only.example.org', 'a.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa CNAME 10.2.0.192.in-addr.arpa']),
    unbound: (r) => expect(shape(r)).toEqual(['NOERROR', 'a.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa PTR v4only.example.org']),
  },
];

describe('sixgate vs Unbound (dns64 iterator), same prefix, same nsd', () => {
  it.each(SAME.map((q) => ({ name: q.join(' '), q })))('agree on $name', async ({ q }) => {
    const s = await dig(topo!.net, topo!.client, DNS, SIXGATE_PORT, q);
    const u = await dig(topo!.net, topo!.client, DNS, UNBOUND_PORT, q);
    expect(shape(s)).toEqual(shape(u));
  });

  it.each(DIFFERENCES.map((d) => ({ name: d.q.join(' '), ...d })))('differ as documented on $name', async ({ q, sixgate, unbound }) => {
    sixgate(await dig(topo!.net, topo!.client, DNS, SIXGATE_PORT, q));
    unbound(await dig(topo!.net, topo!.client, DNS, UNBOUND_PORT, q));
  });

  it('synthesized TTLs: equal when the A TTL is the smallest; otherwise sixgate applies the SOA limit of §5.1.7 and Unbound does not', async () => {
    const ttl = async (port: number, name: string) => (await dig(topo!.net, topo!.client, DNS, port, ['AAAA', name])).answers.map((a) => a.ttl);
    // Fresh names (wildcards), so neither cache has counted anything down.
    const tag = `t${process.pid}`;
    expect(await ttl(SIXGATE_PORT, `${tag}.short.example.org`)).toEqual([120]);
    expect(await ttl(UNBOUND_PORT, `${tag}.short.example.org`)).toEqual([120]);
    // A TTL 600, negative AAAA SOA MINIMUM 300: RFC 6147 §5.1.7 gives 300; Unbound 1.17 keeps the A TTL.
    expect(await ttl(SIXGATE_PORT, `${tag}.bench.example.org`)).toEqual([300]);
    expect(await ttl(UNBOUND_PORT, `${tag}.bench.example.org`)).toEqual([600]);
  });
});
