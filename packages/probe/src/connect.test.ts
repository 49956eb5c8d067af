/**
 * The connection functions against real sockets on loopback (IPv6 ::1): a
 * refused port, an HTTP server that answers, fails and stalls, a TLS server
 * with a self-signed certificate (made with openssl), UDP echo and a closed
 * UDP port, a DNS server that answers garbage first.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp, type AddressInfo } from 'node:net';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, parsePing, tcpConnect, tlsHandshake, udpExchange } from './connect.js';
import { query } from './dns.js';

const port = (s: { address(): AddressInfo | string | null }): number => (s.address() as AddressInfo).port;
const listen = (s: Server | ReturnType<typeof createTcp>): Promise<void> => new Promise((r) => s.listen(0, '::1', () => r()));

let dir = '';
let http: Server;
let https: Server;
let udp: UdpSocket;
let dns: UdpSocket;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-probe-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=www.example.net'], { stdio: 'ignore' });
  http = createHttp((req, res) => {
    if (req.url === '/500') res.writeHead(500).end('broken');
    else if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('x'.repeat(10));
    } else res.writeHead(200).end('hello probe');
  });
  await listen(http);
  https = createHttps({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_q, res) => res.end('secure'));
  await listen(https);
  udp = createSocket('udp6');
  udp.on('message', (m, r) => udp.send(m, r.port, r.address));
  await new Promise<void>((r) => udp.bind(0, '::1', () => r()));
  dns = createSocket('udp6');
  dns.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    dns.send(Buffer.from('garbage'), r.port, r.address);
    const reply = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 5, data: '192.0.2.10' }] });
    dns.send(reply, r.port, r.address);
  });
  await new Promise<void>((r) => dns.bind(0, '::1', () => r()));
});

afterAll(() => {
  http?.close();
  https?.close();
  udp?.close();
  dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TCP, TLS, HTTP on loopback', () => {
  it('refused port', async () => {
    const s = createTcp();
    await listen(s);
    const p = port(s);
    await new Promise((r) => s.close(r));
    expect(await tcpConnect('::1', p, '::1', 1000)).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });

  it('status, bytes, body; 500; a stalled body', async () => {
    const get = async (path: string) => {
      const c = await tcpConnect('::1', port(http), undefined, 1000);
      if (!c.ok) throw new Error(c.message);
      return httpGet(c.socket, 'www.example.net', path, { stallMs: 300, timeoutMs: 2000 });
    };
    expect(await get('/')).toMatchObject({ status: 200, bytes: 11, complete: true, head: 'hello probe' });
    expect(await get('/500')).toMatchObject({ status: 500, complete: true });
    expect(await get('/stall')).toMatchObject({ status: 200, bytes: 10, complete: false, stalled: true });
  });

  it('a self-signed certificate fails with its reason; insecure passes; trusting it passes', async () => {
    const hs = async (o: { insecure: boolean; ca?: string[] }) => {
      const c = await tcpConnect('::1', port(https), undefined, 1000);
      if (!c.ok) throw new Error(c.message);
      const t = await tlsHandshake(c.socket, 'www.example.net', { insecure: o.insecure, ca: o.ca, timeoutMs: 2000 });
      if (t.ok) t.socket.destroy();
      return t;
    };
    expect(await hs({ insecure: false })).toMatchObject({ ok: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT', reason: 'self-signed certificate' });
    expect(await hs({ insecure: true })).toMatchObject({ ok: true, subject: 'www.example.net' });
    expect(await hs({ insecure: false, ca: [readFileSync(join(dir, 'c.pem'), 'utf8')] })).toMatchObject({ ok: true });
  });
});

describe('UDP and DNS on loopback', () => {
  it('echo, and a closed port comes back as ECONNREFUSED', async () => {
    expect(await udpExchange('::1', port(udp), '::1', Buffer.from('ping'), 1000)).toEqual({ ok: true, bytes: 4 });
    const s = createSocket('udp6');
    await new Promise<void>((r) => s.bind(0, '::1', () => r()));
    const closed = s.address().port;
    s.close();
    expect(await udpExchange('::1', closed, undefined, Buffer.from('ping'), 1000)).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });

  it('a DNS answer after garbage on the same port; a silent server times out', async () => {
    expect(await query({ address: '::1', port: port(dns) }, 'www.example.net', 'A', 1000)).toMatchObject({ rcode: 'NOERROR', addresses: ['192.0.2.10'] });
    const silent = createSocket('udp6');
    await new Promise<void>((r) => silent.bind(0, '::1', () => r()));
    try {
      await expect(query({ address: '::1', port: silent.address().port }, 'www.example.net', 'A', 300)).rejects.toThrow(`no answer from the DNS64 listener [::1]:${silent.address().port} within 300 ms`);
    } finally {
      silent.close();
    }
  });
});

describe('parsePing', () => {
  it('reads the summary, the rtt and the first ICMP error', () => {
    expect(parsePing('3 packets transmitted, 3 received, 0% packet loss, time 402ms\nrtt min/avg/max/mdev = 0.05/0.071/0.09/0.01 ms\n')).toEqual({ sent: 3, received: 3, rttMs: 0.071 });
    expect(parsePing('From 2001:db8:1::1 icmp_seq=1 Destination unreachable: Administratively prohibited\n3 packets transmitted, 0 received, +3 errors')).toEqual({ sent: 3, received: 0, error: 'Destination unreachable: Administratively prohibited' });
    expect(parsePing('')).toEqual({ sent: 0, received: 0 });
  });
});
