/**
 * DNS64 end to end: an IPv6-only client asks the sixgate DNS64 server (the
 * built package, run by a small node script inside the appliance namespace)
 * with dig; the server forwards to an `nsd` authoritative server for
 * example.org in the IPv4-only server namespace. Every answer is asserted
 * exactly: rcode, records, TTLs (RFC 6147 §5.1.7) and flags.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, requireRoot, sh, waitFor, type Topology } from './lib/netns.js';
import { BIG_COUNT, dig, startSixgateDns64, writeNsdConfig } from './lib/dns-zone.js';

const PREFIX = '64:ff9b:1::/96'; // RFC 8215 local use: documentation IPv4 may be embedded
const DNS = ADDR.appliance6;
let topo: Topology | undefined;
let dir = '';

beforeAll(async () => {
  requireRoot();
  for (const tool of ['nsd', 'dig']) {
    if (sh('sh', ['-c', `command -v ${tool}`], { allowFail: true }).code !== 0) throw new Error(`${tool} is not installed (apt-get install nsd dnsutils)`);
  }
  sh('npx', ['tsc', '-b', 'packages/dns64'], { timeoutMs: 120_000 });
  dir = mkdtempSync(join(tmpdir(), 'sg-dns64-'));
  topo = buildTopology('d6');
  const conf = writeNsdConfig(join(dir, 'nsd'), ADDR.server4);
  topo.net.spawn(topo.server, 'nsd', ['-d', '-c', conf]);
  await waitFor(async () => (await dig(topo!.net, topo!.server, ADDR.server4, 53, ['SOA', 'example.org'])).status === 'NOERROR', 10_000, 'nsd to serve example.org', 200);
  const base = { upstreams: [ADDR.server4], clients: ['2001:db8:1::/64'], cache: { maxEntries: 1000 }, timeoutMs: 1000 };
  await startSixgateDns64(topo.net, topo.appliance, { ...base, listen: [`[${DNS}]:53`, '[::1]:53'], prefix: PREFIX });
  await startSixgateDns64(topo.net, topo.appliance, { ...base, listen: [`[${DNS}]:5353`], prefix: '64:ff9b::/96' });
  await startSixgateDns64(topo.net, topo.appliance, { ...base, listen: [`[${DNS}]:5355`], prefix: PREFIX, parallelA: 'always' });
  // The uplink: a default route out of the server-side interface. A server without `clients`
  // admits loopback and the client-side subnet only (the default ACL), not the uplink's subnet.
  sh('ip', ['-n', topo.appliance, 'route', 'add', 'default', 'via', ADDR.server4]);
  const { clients: _c, ...noClients } = base;
  await startSixgateDns64(topo.net, topo.appliance, { ...noClients, listen: ['[::]:5454'], prefix: PREFIX });
}, 120_000);

afterAll(async () => {
  try {
    await topo?.net.destroy();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

const ask = (args: string[], port = 53) => dig(topo!.net, topo!.client, DNS, port, args);
const rrs = (r: { answers: readonly { name: string; ttl: number; type: string; data: string }[] }) => r.answers.map((a) => `${a.name} ${a.ttl} ${a.type} ${a.data}`);

describe('sixgate DNS64 with nsd upstream, queried by dig from an IPv6-only client', () => {
  it('synthesizes AAAA for an A-only name: TTL min(A 600, SOA MINIMUM 300), EDE 29', async () => {
    const r = await ask(['AAAA', 'v4only.example.org']);
    expect(r.status).toBe('NOERROR');
    expect(rrs(r)).toEqual(['v4only.example.org 300 AAAA 64:ff9b:1::c000:20a']);
    expect(r.ede).toEqual([29]);
    expect(r.flags).toEqual(['qr', 'rd', 'ra']);
  });

  it('uses the A TTL when it is below the SOA limits', async () => {
    expect(rrs(await ask(['AAAA', 'short.example.org']))).toEqual(['short.example.org 120 AAAA 64:ff9b:1::c000:20c']);
  });

  it('returns the real AAAA of a dual-stack name unchanged', async () => {
    const r = await ask(['AAAA', 'dual.example.org']);
    expect(rrs(r)).toEqual(['dual.example.org 600 AAAA 2001:db8:d::11']);
    expect(r.ede).toEqual([]);
  });

  it('keeps the CNAME chain and synthesizes for its end', async () => {
    expect(rrs(await ask(['AAAA', 'www.example.org']))).toEqual([
      'www.example.org 600 CNAME alias.example.org',
      'alias.example.org 600 CNAME v4only.example.org',
      'v4only.example.org 300 AAAA 64:ff9b:1::c000:20a',
    ]);
  });

  it('treats ::ffff-mapped AAAA as absent and keeps the non-excluded part of a mixed set', async () => {
    // The AAAA answer was not negative (no SOA): min(A TTL 600, 600).
    expect(rrs(await ask(['AAAA', 'mapped.example.org']))).toEqual(['mapped.example.org 600 AAAA 64:ff9b:1::c000:214']);
    expect(rrs(await ask(['AAAA', 'mixed.example.org']))).toEqual(['mixed.example.org 600 AAAA 2001:db8:d::21']);
  });

  it('embeds private IPv4 under a local-use prefix but never under the well-known prefix', async () => {
    expect(rrs(await ask(['AAAA', 'private.example.org']))).toEqual(['private.example.org 300 AAAA 64:ff9b:1::a01:203']);
    const wkp = await ask(['AAAA', 'private.example.org'], 5353);
    expect(wkp.status).toBe('NOERROR');
    expect(wkp.answers).toEqual([]);
    expect(wkp.authority.map((a) => a.type)).toEqual(['SOA']);
  });

  it('synthesizes one AAAA per A record', async () => {
    expect(rrs(await ask(['AAAA', 'multi.example.org'])).sort()).toEqual([
      'multi.example.org 300 AAAA 64:ff9b:1::c000:21f', 'multi.example.org 300 AAAA 64:ff9b:1::c000:220', 'multi.example.org 300 AAAA 64:ff9b:1::c000:221',
    ]);
  });

  it('gives NODATA with the SOA for a TXT-only name, and the TXT itself unchanged', async () => {
    const r = await ask(['AAAA', 'txt.example.org']);
    expect([r.status, r.answers.length, r.authority.map((a) => `${a.name} ${a.type}`)]).toEqual(['NOERROR', 0, ['example.org SOA']]);
    expect(rrs(await ask(['TXT', 'txt.example.org']))).toEqual(['txt.example.org 600 TXT "only text"']);
  });

  it('returns NXDOMAIN as is', async () => {
    expect((await ask(['AAAA', 'nothing.example.org'])).status).toBe('NXDOMAIN');
  });

  it('returns A answers unchanged', async () => {
    expect(rrs(await ask(['A', 'v4only.example.org']))).toEqual(['v4only.example.org 600 A 192.0.2.10']);
  });

  it('answers ipv4only.arpa locally (the upstream does not serve it)', async () => {
    const r = await ask(['AAAA', 'ipv4only.arpa']);
    expect(rrs(r)).toEqual(['ipv4only.arpa 600 AAAA 64:ff9b:1::c000:aa', 'ipv4only.arpa 600 AAAA 64:ff9b:1::c000:ab']);
    expect(r.flags).toContain('aa');
  });

  it('answers PTR of a synthesized address with a CNAME into in-addr.arpa plus the PTR from nsd', async () => {
    const r = await ask(['-x', '64:ff9b:1::c000:20a']);
    expect(rrs(r)).toEqual([
      'a.0.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa 600 CNAME 10.2.0.192.in-addr.arpa',
      '10.2.0.192.in-addr.arpa 600 PTR v4only.example.org',
    ]);
    const partial = await ask(['PTR', 'c.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa']);
    expect([partial.status, partial.answers.length, partial.authority[0]?.type]).toEqual(['NOERROR', 0, 'SOA']);
    const invalid = await ask(['PTR', 'x.c.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa']);
    expect([invalid.status, invalid.authority[0]?.type]).toEqual(['NXDOMAIN', 'SOA']);
  });

  it('sets TC on a UDP answer over 512 bytes without EDNS; dig then gets everything over TCP', async () => {
    const udp = await ask(['+noedns', '+ignore', 'AAAA', 'big.example.org']);
    expect(udp.flags).toContain('tc');
    expect(udp.answers).toEqual([]);
    const retried = await ask(['+noedns', 'AAAA', 'big.example.org']);
    expect(retried.answers).toHaveLength(BIG_COUNT);
    const tcp = await ask(['+tcp', 'AAAA', 'multi.example.org']);
    expect(tcp.answers).toHaveLength(3);
  });

  it('by default (no `clients`) answers the LAN and refuses the uplink subnet', async () => {
    const lan = await dig(topo!.net, topo!.client, DNS, 5454, ['AAAA', 'v4only.example.org']);
    expect([lan.status, rrs(lan)]).toEqual(['NOERROR', ['v4only.example.org 300 AAAA 64:ff9b:1::c000:20a']]);
    const wan = await dig(topo!.net, topo!.server, ADDR.appliance4, 5454, ['A', 'v4only.example.org']);
    expect(wan.status).toBe('REFUSED');
    expect(wan.answers).toEqual([]);
  });

  it('sends IPv4 answers and upstream queries as atomic datagrams: DF set, never fragmented here, ID 0 (RFC 9715 §3.1, RFC 6864 §4.1), read by tshark', async () => {
    const { net, appliance } = topo!;
    const capture = join(dir, 'df.pcap');
    await net.capture(appliance, 'any', 'udp and (port 53 or port 5454)', capture, async () => {
      // A name never asked before: the answer comes from nsd, asked over IPv4.
      const r = await dig(net, appliance, '127.0.0.1', 5454, ['AAAA', `df-${process.pid}.example.org`]);
      expect(r.status).toBe('NXDOMAIN');
      await new Promise((res) => setTimeout(res, 500));
    });
    const rows = sh('tshark', ['-n', '-r', capture, '-Y', 'ip', '-T', 'fields', '-e', 'ip.src', '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'ip.flags.df', '-e', 'ip.id'])
      .stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('\t'));
    const answers = rows.filter(([src, sport]) => src === '127.0.0.1' && sport === '5454');
    const upstream = rows.filter(([, , dst, dport]) => dst === ADDR.server4 && dport === '53');
    expect(answers.length, JSON.stringify(rows)).toBeGreaterThanOrEqual(1);
    expect(upstream.length, JSON.stringify(rows)).toBeGreaterThanOrEqual(1);
    for (const row of [...answers, ...upstream]) {
      expect(row[4], row.join(' ')).toMatch(/^(1|True)$/);
      // The kernel's default (path MTU discovery "want") sets DF too but may still fragment
      // locally, so it draws a fragment ID for every datagram; PROBE never fragments: ID 0.
      expect(row[5], row.join(' ')).toBe('0x0000');
    }
  });

  it('asks A together with AAAA (RFC 6147 §5.1.8) with parallelA "always", after the AAAA answer with "auto" and a nearby upstream; read by tshark while nsd is frozen', async () => {
    const { net, appliance, server } = topo!;
    const nsd = sh('ip', ['netns', 'pids', server]).stdout.split(/\s+/).filter(Boolean);
    expect(nsd.length).toBeGreaterThan(0);
    /** The questions for `name` sixgate (on `port`) sent upstream while nsd could not answer, and the answer after. */
    const frozen = async (port: number, name: string) => {
      const capture = join(dir, `parallel-${port}.pcap`);
      let r: Awaited<ReturnType<typeof ask>> | undefined;
      await net.capture(appliance, 'any', `udp and host ${ADDR.server4} and port 53`, capture, async () => {
        // nsd stopped: whatever sixgate sends now, it sent without any upstream answer.
        sh('kill', ['-STOP', ...nsd]);
        let pending: ReturnType<typeof ask>;
        try {
          pending = ask(['AAAA', name], port);
          await new Promise((res) => setTimeout(res, 400));
        } finally {
          sh('kill', ['-CONT', ...nsd]);
        }
        r = await pending;
        await new Promise((res) => setTimeout(res, 300));
      });
      const rows = sh('tshark', ['-n', '-r', capture, '-Y', 'dns', '-T', 'fields', '-e', 'frame.time_relative', '-e', 'dns.flags.response', '-e', 'dns.qry.type', '-e', 'dns.qry.name'])
        .stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('\t'));
      const mine = rows.filter((row) => row[3]?.toLowerCase() === name);
      const answers = mine.filter((row) => row[1] === '1' || row[1] === 'True');
      expect(answers.length, JSON.stringify(rows)).toBeGreaterThan(0);
      const firstAnswer = Math.min(...answers.map((row) => Number(row[0])));
      // nsd was let go 400 ms after the query: questions sent before that went out without any answer.
      const early = mine.filter((row) => (row[1] === '0' || row[1] === 'False') && firstAnswer - Number(row[0]) > 0.3);
      expect(rrs(r!), JSON.stringify(rows)).toEqual([`${name} 300 AAAA 64:ff9b:1::cb00:7107`]);
      return { early: early.map((row) => row[2]).sort(), rows: JSON.stringify(rows) };
    };
    // *.bench has only an A record.
    const always = await frozen(5355, `p${process.pid}.bench.example.org`);
    expect(always.early, always.rows).toEqual(['1', '28']);
    // "auto" (port 53): answers from nsd first, so the resolver knows the round trip (well under 1 ms once warm).
    for (let i = 0; i < 5; i++) expect((await ask(['AAAA', `w${i}-${process.pid}.bench.example.org`])).status).toBe('NOERROR');
    const auto = await frozen(53, `s${process.pid}.bench.example.org`);
    expect(auto.early, auto.rows).toEqual(['28']);
  });

  it('refuses recursion to a source outside `clients`', async () => {
    const r = await dig(topo!.net, topo!.appliance, '::1', 53, ['AAAA', 'v4only.example.org']);
    expect(r.status).toBe('REFUSED');
    expect(r.answers).toEqual([]);
  });
});
