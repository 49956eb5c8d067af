import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  EXHAUSTED,
  NATIVE_AAAA_ONLY,
  NATIVE_IPV6,
  NO_A_RECORD,
  TCP_REFUSED,
  httpStatusMismatch,
  pmtuBlackHole,
  prefixMismatch,
  synthesisRefusedByPolicy,
  tlsFailure,
  translationRefusedByPolicy,
  unreachableFromPool4,
} from './diagnoses.js';
import type { Network } from './connect.js';
import type { DnsAnswer } from './dns.js';
import type { ProbeContext, ProbePorts, TranslatorCounters } from './ports.js';
import { runProbe } from './run.js';
import { parseTarget } from './targets.js';

const PREFIX = '64:ff9b:1::/96';
const CTX: ProbeContext = { prefix: PREFIX, dns: { address: '2001:db8:1::1', port: 53 }, tun: 'sixgate0', pool4: ['203.0.113.0/28'] };
const SRC = '2001:db8:1::1';
const fakeSocket = { destroy() {} } as unknown as Socket;

type Zone = Record<string, { A?: string[]; AAAA?: string[]; ede?: number[]; rcode?: string }>;

interface World {
  zone?: Zone;
  /** Policy: (v4, proto?) → rule id. */
  rule?: (v4: string, flow?: { proto: string; port?: number }) => string | undefined;
  routeDev?: string;
  pool4On?: { address: string; device: string }[];
  tcp?: { code: string } | 'ok';
  tls?: { reason: string } | 'ok';
  http?: (mss: number | undefined) => { status?: number; bytes: number; complete: boolean; head?: string };
  udp?: { code: string } | 'ok';
  ping?: { received: number; error?: string };
  /** Counters after the attempt (before: all zero). */
  after?: Partial<TranslatorCounters>;
  mss?: boolean;
}

const ZERO: TranslatorCounters = { drops: {}, packets6to4: 0, packets4to6: 0, pool4Used: 0, pool4Size: 224 };

function fakes(w: World): { ports: ProbePorts; net: Network; mssCalls: number[] } {
  let reads = 0;
  let mss: number | undefined;
  const mssCalls: number[] = [];
  const ports: ProbePorts = {
    context: async () => CTX,
    refusingRule: async (_s, v4, flow) => w.rule?.(v4, flow),
    routes: async () => ({ prefixDevice: w.routeDev ?? 'sixgate0', pool4OnInterface: w.pool4On ?? [] }),
    counters: async () => (reads++ % 2 === 0 ? ZERO : { ...ZERO, ...w.after }),
    ...(w.mss === false
      ? {}
      : {
          limitMss: async (_d: string, m: number) => {
            mss = m;
            mssCalls.push(m);
            return async () => {
              mss = undefined;
            };
          },
        }),
  };
  const answer = (name: string, type: 'A' | 'AAAA'): DnsAnswer => {
    const z = w.zone?.[name];
    if (z === undefined) return { rcode: 'NXDOMAIN', addresses: [], ede: [], truncated: false };
    return { rcode: z.rcode ?? 'NOERROR', addresses: z[type] ?? [], ede: type === 'AAAA' ? (z.ede ?? []) : [], truncated: false };
  };
  const net: Network = {
    query: async (_s, name, type) => answer(name, type),
    kernelSource: async () => SRC,
    tcpConnect: async () => (w.tcp === undefined || w.tcp === 'ok' ? { ok: true, socket: fakeSocket } : { ok: false, code: w.tcp.code, message: w.tcp.code }),
    tlsHandshake: async () => (w.tls === undefined || w.tls === 'ok' ? { ok: true, socket: fakeSocket as TLSSocket, protocol: 'TLSv1.3', subject: 'www' } : { ok: false, code: 'ERR', reason: w.tls.reason }),
    httpGet: async () => {
      const h = w.http?.(mss) ?? { status: 200, bytes: 100, complete: true };
      return { ms: 3, stalled: !h.complete, head: h.head ?? '', ...h };
    },
    udpExchange: async () => (w.udp === undefined || w.udp === 'ok' ? { ok: true, bytes: 4 } : { ok: false, code: w.udp.code, message: w.udp.code }),
    ping: async () => ({ sent: 3, ...(w.ping ?? { received: 3 }) }),
    trustStore: async () => undefined,
  };
  return { ports, net, mssCalls };
}

const SYNTH = { A: ['192.0.2.10'], AAAA: ['64:ff9b:1::c000:20a'], ede: [29] };
const probe = async (text: string, w: World, opts: Parameters<typeof parseTarget>[1] = {}) => {
  const f = fakes(w);
  return { ...(await runProbe(parseTarget(text, opts), f.ports, { net: f.net, timeoutMs: 200 })), mssCalls: f.mssCalls };
};

describe('runProbe: each diagnosis', () => {
  it.each([
    { name: 'no A record (NXDOMAIN)', zone: {}, diagnosis: NO_A_RECORD },
    { name: 'no A record (NODATA)', zone: { 'www.example.net': {} }, diagnosis: NO_A_RECORD },
    { name: 'native AAAA only', zone: { 'www.example.net': { AAAA: ['2001:db8:d::1'] } }, diagnosis: NATIVE_AAAA_ONLY },
    { name: 'prefix mismatch (EDE 29)', zone: { 'www.example.net': { A: ['192.0.2.10'], AAAA: ['64:ff9b::c000:20a'], ede: [29] } }, diagnosis: prefixMismatch('64:ff9b::c000:20a', PREFIX) },
    { name: 'prefix mismatch (embedded A, no EDE)', zone: { 'www.example.net': { A: ['192.0.2.10'], AAAA: ['2001:db8:99::c000:20a'] } }, diagnosis: prefixMismatch('2001:db8:99::c000:20a', PREFIX) },
  ])('$name', async ({ zone, diagnosis }) => {
    const r = await probe('www.example.net', { zone });
    expect(r).toMatchObject({ status: 'fail', step: 'dns', diagnosis });
    expect(r.steps).toHaveLength(1);
  });

  it('a dual-stack name is a result, not a failure: NAT64 not involved', async () => {
    const r = await probe('dual.example.net', { zone: { 'dual.example.net': { A: ['192.0.2.10'], AAAA: ['2001:db8:d::1'] } } });
    expect(r).toMatchObject({ status: 'native', step: 'dns', diagnosis: NATIVE_IPV6 });
    expect(r.steps.map((s) => s.status)).toEqual(['pass']);
  });

  it('synthesis refused by policy rule <id>', async () => {
    const r = await probe('deny.example.net', { zone: { 'deny.example.net': { A: ['192.0.2.66'] } }, rule: (v4) => (v4 === '192.0.2.66' ? 'no-partner' : undefined) });
    expect(r).toMatchObject({ status: 'fail', step: 'dns', diagnosis: synthesisRefusedByPolicy('no-partner') });
  });

  it('no AAAA and no policy reason: DNS64 did not synthesize', async () => {
    const r = await probe('x.example.net', { zone: { 'x.example.net': { A: ['192.0.2.66'] } } });
    expect(r.diagnosis).toBe(`DNS64 synthesized no AAAA for 192.0.2.66 (excluded, or not allowed under ${PREFIX})`);
  });

  it('an A-only name passes: DNS, route, policy, ICMP echo', async () => {
    const r = await probe('www.example.net', { zone: { 'www.example.net': SYNTH } });
    expect(r).toMatchObject({ status: 'pass', diagnosis: 'ok', address6: '64:ff9b:1::c000:20a', address4: '192.0.2.10', source6: SRC });
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['dns:pass', 'route:pass', 'policy:pass', 'icmp:pass']);
    for (const s of r.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it('the prefix routed elsewhere, and pool4 on an interface', async () => {
    expect(await probe('192.0.2.10', { routeDev: 'eth0' })).toMatchObject({ step: 'route', diagnosis: `the prefix ${PREFIX} is not routed into the TUN device sixgate0 (it goes to device eth0)` });
    expect(await probe('192.0.2.10', { pool4On: [{ address: '203.0.113.1', device: 'eth1' }] })).toMatchObject({
      step: 'route',
      diagnosis: 'pool4 address 203.0.113.1 is assigned to interface eth1: replies to it are delivered locally instead of to the translator',
    });
  });

  it('a literal is embedded under the live prefix (no DNS)', async () => {
    const r = await probe('192.0.2.10', {});
    expect(r).toMatchObject({ status: 'pass', address6: '64:ff9b:1::c000:20a' });
    expect(r.steps[0]).toMatchObject({ step: 'dns', status: 'skip' });
  });

  it('translation refused by policy rule <id> for a port', async () => {
    const r = await probe('192.0.2.10:25', { rule: (_v4, flow) => (flow?.port === 25 ? 'no-smtp' : undefined) });
    expect(r).toMatchObject({ step: 'policy', diagnosis: translationRefusedByPolicy('no-smtp') });
  });

  it('IPv4 server unreachable from pool4: SYN sent, nothing back', async () => {
    const r = await probe('192.0.2.10:443', { tcp: { code: 'timeout' }, after: { packets6to4: 2 } });
    expect(r).toMatchObject({ step: 'tcp', diagnosis: unreachableFromPool4('SYN') });
    expect(r.diagnosis).toBe('IPv4 server unreachable from pool4: SYN sent, nothing back (check that the upstream routes pool4 to this router)');
  });

  it('TCP refused', async () => {
    expect(await probe('192.0.2.10:81', { tcp: { code: 'ECONNREFUSED' }, after: { packets6to4: 1, packets4to6: 1 } })).toMatchObject({ step: 'tcp', diagnosis: TCP_REFUSED });
  });

  it.each([
    { name: 'pool4 exhausted (drop counter)', after: { drops: { 'pool-exhausted': 1 } } },
    { name: 'session table full', after: { drops: { 'session-limit': 3 } } },
    { name: 'client session limit', after: { drops: { 'client-session-limit': 1 } } },
    { name: 'pool4 in use to the last port', after: { pool4Used: 224 } },
  ])('session table or pool4 exhausted: $name', async ({ after }) => {
    expect(await probe('192.0.2.10:443', { tcp: { code: 'EACCES' }, after })).toMatchObject({ step: 'tcp', diagnosis: EXHAUSTED });
    expect(await probe('udp:192.0.2.10:53', { udp: { code: 'timeout' }, after })).toMatchObject({ step: 'udp', diagnosis: EXHAUSTED });
  });

  it('TLS failure with the reason', async () => {
    const r = await probe('https://www.example.net/', { zone: { 'www.example.net': SYNTH }, tls: { reason: 'self-signed certificate' } });
    expect(r).toMatchObject({ step: 'tls', diagnosis: tlsFailure('self-signed certificate') });
    expect(r.diagnosis).toBe('TLS failure: self-signed certificate');
  });

  it('HTTP status mismatch, default and expected', async () => {
    const w = { zone: { 'www.example.net': SYNTH }, http: () => ({ status: 500, bytes: 21, complete: true }) };
    expect(await probe('http://www.example.net/', w)).toMatchObject({ step: 'http', diagnosis: httpStatusMismatch(500, '2xx or 3xx') });
    expect((await probe('http://www.example.net/', { ...w, http: () => ({ status: 302, bytes: 0, complete: true }) }, { expectStatus: 200 })).diagnosis).toBe('HTTP status mismatch: got 302, expected 200');
  });

  it('HTTP body check', async () => {
    const w = { zone: { 'www.example.net': SYNTH }, http: () => ({ status: 200, bytes: 5, complete: true, head: 'hello' }) };
    expect((await probe('http://www.example.net/', w, { expectBody: 'hello' })).status).toBe('pass');
    expect((await probe('http://www.example.net/', w, { expectBody: 'login' })).diagnosis).toBe('HTTP body does not contain "login"');
  });

  it('a full transfer passes the pmtu step; a small one skips it', async () => {
    const big = await probe('https://www.example.net/', { zone: { 'www.example.net': SYNTH }, http: () => ({ status: 200, bytes: 65536, complete: true }) });
    expect(big.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['dns:pass', 'route:pass', 'policy:pass', 'tcp:pass', 'tls:pass', 'http:pass', 'pmtu:pass']);
    const small = await probe('http://www.example.net/', { zone: { 'www.example.net': SYNTH } });
    expect(small.steps.at(-1)).toMatchObject({ step: 'pmtu', status: 'skip' });
    expect(small.status).toBe('pass');
  });

  it('PMTU black hole above N bytes, N found by limiting the MSS', async () => {
    // Packets above 1200 bytes vanish: the transfer completes only when MSS + 40 <= 1200.
    const http = (mss: number | undefined) => (mss !== undefined && mss + 40 <= 1200 ? { status: 200, bytes: 65536, complete: true } : { status: 200, bytes: 0, complete: false });
    const r = await probe('http://big.example.net/big.bin', { zone: { 'big.example.net': SYNTH }, http });
    expect(r).toMatchObject({ status: 'fail', step: 'pmtu', diagnosis: pmtuBlackHole(1200) });
    expect(r.diagnosis).toBe('PMTU black hole above 1200 bytes');
    expect(r.steps.find((s) => s.step === 'http')).toMatchObject({ status: 'fail' });
    expect(r.mssCalls[0]).toBe(536);
    expect(r.mssCalls.length).toBeLessThanOrEqual(12);
  });

  it('a stall that small packets do not cure is not called a black hole', async () => {
    const r = await probe('http://big.example.net/', { zone: { 'big.example.net': SYNTH }, http: () => ({ bytes: 0, complete: false }) });
    expect(r.diagnosis).toBe('transfer stalled after the handshake, even with 576-byte packets: the server or the path stops the data');
  });

  it('without limitMss the stall is named but not measured', async () => {
    const r = await probe('http://big.example.net/', { zone: { 'big.example.net': SYNTH }, http: () => ({ bytes: 0, complete: false }), mss: false });
    expect(r.diagnosis).toBe('transfer stalled after the handshake: a PMTU black hole is likely (run as root to measure the working size)');
  });

  it('UDP: answered, port closed, nothing back', async () => {
    expect((await probe('udp:192.0.2.10:7', {})).status).toBe('pass');
    expect((await probe('udp:192.0.2.10:7', { udp: { code: 'ECONNREFUSED' } })).diagnosis).toBe('UDP port closed: ICMP port unreachable came back');
    expect((await probe('udp:192.0.2.10:7', { udp: { code: 'timeout' }, after: { packets6to4: 1 } })).diagnosis).toBe(unreachableFromPool4('datagram'));
  });

  it('ICMP echo without replies, and a translator drop named', async () => {
    expect((await probe('192.0.2.10', { ping: { received: 0 }, after: { packets6to4: 3 } })).diagnosis).toBe(unreachableFromPool4('echo request'));
    expect((await probe('192.0.2.10', { ping: { received: 0 }, after: { packets6to4: 3, drops: { 'non-global-ipv4': 3 } } })).diagnosis).toBe('the translator dropped the packet: non-global-ipv4');
    expect((await probe('192.0.2.10', { ping: { received: 0 } })).diagnosis).toBe('no packet reached the translator: check that the prefix is routed into the TUN device');
  });

  it('a DNS64 listener that does not answer, and one that fails', async () => {
    const f = fakes({});
    f.net.query = async () => {
      throw new Error('no answer from the DNS64 listener [2001:db8:1::1]:53 within 200 ms');
    };
    const r = await runProbe(parseTarget('www.example.net'), f.ports, { net: f.net });
    expect(r).toMatchObject({ step: 'dns', diagnosis: 'DNS64 listener did not answer: no answer from the DNS64 listener [2001:db8:1::1]:53 within 200 ms' });
    expect((await probe('www.example.net', { zone: { 'www.example.net': { rcode: 'SERVFAIL' } } })).diagnosis).toBe('DNS64 answered SERVFAIL for the A query');
  });

  it('a port that throws becomes a failed step, not an exception', async () => {
    const f = fakes({});
    f.ports.routes = async () => {
      throw new Error('ip: command not found');
    };
    const r = await runProbe(parseTarget('192.0.2.10'), f.ports, { net: f.net });
    expect(r).toMatchObject({ status: 'fail', diagnosis: 'probe error: ip: command not found' });
  });

  it('no route toward the address at all is the route step failing', async () => {
    const f = fakes({ zone: { 'www.example.net': SYNTH } });
    f.net.kernelSource = async () => {
      throw Object.assign(new Error('connect ENETUNREACH 64:ff9b:1::c000:20a:9'), { code: 'ENETUNREACH' });
    };
    const r = await runProbe(parseTarget('www.example.net'), f.ports, { net: f.net });
    expect(r).toMatchObject({ step: 'route', diagnosis: `the prefix ${PREFIX} is not routed into the TUN device sixgate0 (no route to 64:ff9b:1::c000:20a)` });
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['dns:pass', 'route:fail']);
  });

  it('a port that throws in a later step names that step', async () => {
    const f = fakes({});
    f.ports.refusingRule = async () => {
      throw new Error('policy unavailable');
    };
    expect(await runProbe(parseTarget('192.0.2.10:443'), f.ports, { net: f.net })).toMatchObject({ step: 'policy', diagnosis: 'probe error: policy unavailable' });
    const g = fakes({});
    g.ports.counters = async () => {
      throw new Error('API down');
    };
    expect(await runProbe(parseTarget('udp:192.0.2.10:7'), g.ports, { net: g.net })).toMatchObject({ step: 'udp', diagnosis: 'probe error: API down' });
  });

  it('dns:<IPv4> asks the resolver through NAT64', async () => {
    const r = await probe('dns:192.0.2.53', {});
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['dns:skip', 'route:pass', 'policy:pass', 'resolver:pass']);
  });
});
