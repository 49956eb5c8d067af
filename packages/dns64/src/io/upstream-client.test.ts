import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounters } from '../metrics.js';
import { UpstreamClient } from './upstream-client.js';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

type Handler = (msg: Buffer, rinfo: dgram.RemoteInfo, sock: dgram.Socket) => void;

async function udpServer(handler: Handler): Promise<number> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, r) => handler(m, r, sock));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  closers.push(() => sock.close());
  return sock.address().port;
}

function answerFor(msg: Buffer, patch: (p: dnsPacket.DecodedPacket) => void = () => undefined, tc = false): Buffer {
  const q = dnsPacket.decode(msg);
  const p = { ...q, type: 'response' as const, flags: (tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | dnsPacket.RECURSION_AVAILABLE,
    answers: [{ name: q.questions![0]!.name, type: 'A' as const, ttl: 60, data: '192.0.2.1' }], additionals: [] };
  patch(p);
  return dnsPacket.encode(p);
}

const Q = { name: 'www.example.org', type: 1, qclass: 1, dnssecOk: true, checkingDisabled: false };
const opts = { timeoutMs: 300, attempts: 2, failover: true, maxOutstanding: 10 };

describe('UpstreamClient', () => {
  it('accepts only an answer from the address and port asked, with our ID and question (RFC 5452 §9.1)', async () => {
    const other = dgram.createSocket('udp4');
    closers.push(() => other.close());
    const seen: Buffer[] = [];
    const port = await udpServer((m, r, s) => {
      seen.push(m);
      other.send(answerFor(m), r.port, r.address); // wrong source port
      s.send(answerFor(m, (p) => (p.id = (p.id! + 1) & 0xffff)), r.port, r.address); // wrong ID
      s.send(answerFor(m, (p) => (p.questions![0]!.name = 'evil.example.org')), r.port, r.address); // wrong question
      setTimeout(() => s.send(answerFor(m, (p) => (p.answers![0]!.data = '192.0.2.99')), r.port, r.address), 50);
    });
    const counters = createCounters();
    const c = new UpstreamClient([{ address: '127.0.0.1', port, family: 4 }], opts, counters);
    const wire = await c.lookup(Q);
    expect(dnsPacket.decode(wire).answers![0]!.data).toBe('192.0.2.99');
    expect(counters.upstreamErrors).toBe(3);
    // The query asks for recursion with DO in EDNS.
    const q = dnsPacket.decode(seen[0]!);
    expect(q.flag_rd).toBe(true);
    expect((q.additionals![0] as { flags?: number }).flags).toBe(dnsPacket.DNSSEC_OK);
  });

  it('uses a random ID and a fresh source port per query', async () => {
    const sources: string[] = [];
    const port = await udpServer((m, r, s) => {
      sources.push(`${m.readUInt16BE(0)}/${r.port}`);
      s.send(answerFor(m), r.port, r.address);
    });
    const c = new UpstreamClient([{ address: '127.0.0.1', port, family: 4 }], opts, createCounters());
    for (let i = 0; i < 5; i++) await c.lookup(Q);
    expect(new Set(sources.map((s) => s.split('/')[0])).size).toBeGreaterThan(3);
    expect(new Set(sources.map((s) => s.split('/')[1])).size).toBeGreaterThan(3);
  });

  it('retries over TCP when the UDP answer is truncated (RFC 7766 §5)', async () => {
    let udpPort = 0;
    const tcp = net.createServer((s) => s.on('data', (d) => {
      const msg = d.subarray(2, 2 + d.readUInt16BE(0));
      const ans = answerFor(msg, (p) => (p.answers![0]!.data = '192.0.2.44'));
      s.end(Buffer.concat([Buffer.from([ans.length >> 8, ans.length & 0xff]), ans]));
    }));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    closers.push(() => tcp.close());
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    // UDP on the same port number as the TCP listener.
    const sock = dgram.createSocket('udp4');
    sock.on('message', (m, r) => sock.send(answerFor(m, undefined, true), r.port, r.address));
    await new Promise<void>((r) => sock.bind(tcpPort, '127.0.0.1', () => r()));
    closers.push(() => sock.close());
    udpPort = tcpPort;
    const counters = createCounters();
    const c = new UpstreamClient([{ address: '127.0.0.1', port: udpPort, family: 4 }], opts, counters);
    expect(dnsPacket.decode(await c.lookup(Q)).answers![0]!.data).toBe('192.0.2.44');
    expect(counters.upstreamTcpRetries).toBe(1);
  });

  it('fails over after a timeout and holds down an upstream that keeps failing', async () => {
    const silent = await udpServer(() => undefined);
    const good = await udpServer((m, r, s) => s.send(answerFor(m), r.port, r.address));
    const counters = createCounters();
    const c = new UpstreamClient(
      [{ address: '127.0.0.1', port: silent, family: 4 }, { address: '127.0.0.1', port: good, family: 4 }],
      { ...opts, timeoutMs: 100, holdDownAfter: 2 }, counters,
    );
    await c.lookup(Q);
    await c.lookup(Q);
    const t0 = Date.now();
    await c.lookup(Q);
    expect(Date.now() - t0).toBeLessThan(80); // the silent one is skipped now
    const [h0, h1] = c.health();
    expect(h0).toMatchObject({ timeouts: 2, consecutiveFailures: 2, down: true, queries: 2 });
    expect(h1).toMatchObject({ queries: 3, down: false });
    expect(counters.upstreamTimeouts).toBe(2);
  });

  it('rejects with ERR_UPSTREAM_TIMEOUT when every attempt times out, and caps outstanding queries', async () => {
    const silent = await udpServer(() => undefined);
    const counters = createCounters();
    const c = new UpstreamClient([{ address: '127.0.0.1', port: silent, family: 4 }], { ...opts, timeoutMs: 100, maxOutstanding: 1 }, counters);
    const first = c.lookup(Q);
    await expect(c.lookup(Q)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_OVERLOAD' });
    await expect(first).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(counters.upstreamOverload).toBe(1);
    expect(c.outstanding).toBe(0);
  });
});
