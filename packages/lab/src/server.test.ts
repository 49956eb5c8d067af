import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { labPage, startLabServer, type LabServer } from './server.js';

const zone = { apex: 'example.net', records: { 'www.example.net': '192.0.2.80' }, ttl: 60 };
const QUERY_A = Uint8Array.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 119, 119, 119, 7, 101, 120, 97, 109, 112, 108, 101, 3, 110, 101, 116, 0, 0, 1, 0, 1]);

let srv: LabServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const udpAsk = (port: number, msg: Uint8Array): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error('no UDP answer in 2 s'))), 2000);
    s.on('message', (m) => (clearTimeout(t), s.close(), resolve(m)));
    s.send(msg, port, '127.0.0.1');
  });

describe('lab server', () => {
  it('answers DNS over UDP and TCP, and serves the page', async () => {
    srv = await startLabServer({ zone, host: '127.0.0.1', dnsPort: 0, httpPort: 0 });
    const udp = await udpAsk(srv.dnsPort, QUERY_A);
    expect(udp.readUInt16BE(0)).toBe(0xabcd);
    expect(Array.from(udp.subarray(udp.length - 4))).toEqual([192, 0, 2, 80]);

    const framed = Buffer.concat([Buffer.from([0, QUERY_A.length]), QUERY_A, Buffer.from([0, QUERY_A.length]), QUERY_A]);
    const tcp = await new Promise<Buffer>((resolve, reject) => {
      const sock = connect(srv!.dnsPort, '127.0.0.1');
      let got = Buffer.alloc(0);
      const t = setTimeout(() => (sock.destroy(), reject(new Error('no TCP answer in 2 s'))), 2000);
      sock.on('data', (d) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 2 * (2 + udp.length)) {
          clearTimeout(t);
          sock.destroy();
          resolve(got);
        }
      });
      sock.write(framed);
    });
    // Two pipelined queries, two length-prefixed answers equal to the UDP one.
    expect(tcp.readUInt16BE(0)).toBe(udp.length);
    expect(tcp.subarray(2, 2 + udp.length).equals(udp)).toBe(true);
    expect(tcp.subarray(4 + udp.length).equals(udp)).toBe(true);

    const res = await fetch(`http://127.0.0.1:${srv.httpPort}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('arrived from <b>127.0.0.1</b>');
  });

  it('drops a TCP connection that sends a response instead of a query', async () => {
    srv = await startLabServer({ zone, host: '127.0.0.1', dnsPort: 0, httpPort: 0 });
    const bad = Uint8Array.from(QUERY_A);
    bad[2] = 0x81;
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect(srv!.dnsPort, '127.0.0.1');
      const t = setTimeout(() => (sock.destroy(), resolve(false)), 2000);
      sock.on('data', () => undefined);
      sock.on('close', () => (clearTimeout(t), resolve(true)));
      sock.write(Buffer.concat([Buffer.from([0, bad.length]), bad]));
    });
    expect(closed).toBe(true);
  });

  it('puts only a real address of the peer into the page', () => {
    expect(labPage('198.51.100.1', zone)).toContain('<b>198.51.100.1</b>');
    const hostile = labPage('198.51.100.1</b><img src=x>', zone);
    expect(hostile).not.toContain('<img');
    expect(hostile).toContain('<b>an unknown address</b>');
  });
  it('streams one tick line per second from the client address and port it sees; refuses a bad duration', async () => {
    srv = await startLabServer({ zone, host: '127.0.0.1', dnsPort: 0, httpPort: 0 });
    const res = await fetch(`http://127.0.0.1:${srv.httpPort}/stream?seconds=2`);
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^tick 1 \d{4}-\d\d-\d\dT[\d:.]+Z from 127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(/^tick 2 /);
    // One connection: the same source port on every line.
    expect(lines[1]!.split(' from ')[1]).toBe(lines[0]!.split(' from ')[1]);
    for (const bad of ['0', '-1', '1.5', 'x', '86401']) {
      const r = await fetch(`http://127.0.0.1:${srv.httpPort}/stream?seconds=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(await r.text()).toMatch(/seconds must be/);
    }
  });
});
