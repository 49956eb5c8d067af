import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dns64Input } from '../config.js';
import { FakeUpstream } from '../fake-upstream.js';
import { Dns64Resolver } from '../resolver.js';
import type { Upstream } from '../upstream.js';
import { Dns64Server, type TraceRecord, type UdpBackend } from './server.js';

const servers: Dns64Server[] = [];
/** The UDP backend startServer asks for ('native' fails when the addon is not built). */
let backend: UdpBackend = 'native';
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function startServer(input: Dns64Input, upstream: Upstream = new FakeUpstream()): Promise<{ srv: Dns64Server; port: number; port6: number }> {
  const srv = new Dns64Server(
    { listen: ['127.0.0.1:0', '[::1]:0'], upstreams: ['192.0.2.53'], clients: ['127.0.0.1', '::1'], prefix: '64:ff9b:1::/96', ...input },
    { upstream, udp: backend },
  );
  servers.push(srv);
  await srv.start();
  const udp = srv.addresses().filter((a) => a.transport === 'udp');
  return { srv, port: udp[0]!.port, port6: udp[1]!.port };
}

function query(name: string, type = 'AAAA', id = 7, edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as Answer] : [],
  });
}

/** Sends `msgs` over UDP and collects replies until `want` arrive or `ms` pass. */
async function udpExchange(port: number, msgs: Buffer[], want: number, ms = 1000, host = '127.0.0.1'): Promise<Buffer[]> {
  // A burst of answers must not overflow the default (about 256 datagrams) receive buffer.
  const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 1 << 20 });
  const got: Buffer[] = [];
  return new Promise((resolve) => {
    const end = (): void => {
      clearTimeout(timer);
      sock.close();
      resolve(got);
    };
    const timer = setTimeout(end, ms);
    sock.on('message', (m) => {
      got.push(m);
      if (got.length >= want) end();
    });
    for (const m of msgs) sock.send(m, port, host);
  });
}

/** Opens a TCP connection, writes `data`, collects `want` framed replies. */
async function tcpExchange(port: number, data: Buffer, want: number, ms = 2000): Promise<{ replies: Buffer[]; closed: boolean }> {
  const sock = net.connect({ host: '127.0.0.1', port });
  const replies: Buffer[] = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  return new Promise((resolve) => {
    const end = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(end, ms);
    sock.on('close', () => {
      closed = true;
      end();
    });
    sock.on('error', () => undefined);
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length >= want) end();
    });
    sock.write(data);
  });
}

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
const decode = (b: Buffer | undefined): DecodedPacket => dnsPacket.decode(b!);
const rcode = (b: Buffer | undefined): string | undefined => (decode(b) as { rcode?: string }).rcode;

function manyA(up: FakeUpstream, name: string, n: number): void {
  up.on(name, 'AAAA', {});
  up.on(name, 'A', { answers: Array.from({ length: n }, (_, i) => ({ name, type: 'A', class: 'IN', ttl: 300, data: `198.51.100.${i + 1}` }) as Answer) });
}

describe.each(['native', 'dgram'] as const)('Dns64Server over UDP (%s) and TCP on loopback', (kind) => {
  beforeEach(() => {
    backend = kind;
  });

  it('uses the UDP backend asked for', async () => {
    const { srv } = await startServer({});
    expect(srv.udpListeners().map((l) => l.kind)).toEqual([kind, kind]);
  });

  it('answers over UDP on IPv4 and IPv6, and over TCP on the same port', async () => {
    const up = new FakeUpstream();
    manyA(up, 'one.example.org', 1);
    const { port, port6, srv } = await startServer({}, up);
    const [v4] = await udpExchange(port, [query('one.example.org')], 1);
    expect(decode(v4).answers!.map((r) => r.data)).toEqual(['64:ff9b:1::c633:6401']);
    const [v6] = await udpExchange(port6, [query('one.example.org', 'AAAA', 8)], 1, 1000, '::1');
    expect(decode(v6).id).toBe(8);
    const { replies } = await tcpExchange(port, frame(query('one.example.org', 'AAAA', 9)), 1);
    expect(decode(replies[0]).answers!.map((r) => r.data)).toEqual(['64:ff9b:1::c633:6401']);
    expect(srv.addresses().map((a) => `${a.transport} ${a.address}`)).toEqual(['udp 127.0.0.1', 'udp ::1', 'tcp 127.0.0.1', 'tcp ::1']);
    const st = srv.stats();
    expect([st.queries, st.tcpQueries, st.cacheHits, st.cacheMisses, st.synthesized]).toEqual([3, 1, 2, 1, 3]);
    // parallelA "auto": the round trip of the one miss decides (the fake answers within the turn, well under 1 ms once warm).
    expect(st.upstreamRtt).toBeGreaterThanOrEqual(0);
    expect(st.upstreamRtt).toBeLessThan(0.1);
    expect(st.parallelA).toBe(st.upstreamRtt! >= 0.001);
  });

  it('refuses clients outside `clients` (never an open resolver)', async () => {
    const { port, srv } = await startServer({ clients: ['192.0.2.0/24'] });
    const [r] = await udpExchange(port, [query('ipv4only.arpa')], 1);
    expect(rcode(r)).toBe('REFUSED');
    expect(decode(r).answers).toEqual([]);
    expect(srv.stats().refused).toBe(1);
  });

  it('cuts UDP answers to 512 bytes without EDNS (TC set), and TCP gives the whole answer', async () => {
    const up = new FakeUpstream();
    manyA(up, 'big.example.org', 20);
    const { port, srv } = await startServer({}, up);
    const [udp] = await udpExchange(port, [query('big.example.org')], 1);
    expect(udp!.length).toBeLessThanOrEqual(512);
    expect(decode(udp).flag_tc).toBe(true);
    expect(decode(udp).answers).toEqual([]);
    const [edns] = await udpExchange(port, [query('big.example.org', 'AAAA', 3, true)], 1);
    expect(decode(edns).flag_tc).toBe(false);
    expect(decode(edns).answers).toHaveLength(20);
    const { replies } = await tcpExchange(port, frame(query('big.example.org')), 1);
    expect(decode(replies[0]).answers).toHaveLength(20);
    expect(srv.stats().truncated).toBe(1);
  });

  it('answers pipelined TCP queries on one connection', async () => {
    const up = new FakeUpstream();
    manyA(up, 'p1.example.org', 1);
    manyA(up, 'p2.example.org', 2);
    const { port } = await startServer({}, up);
    const data = Buffer.concat([frame(query('p1.example.org', 'AAAA', 1)), frame(query('p2.example.org', 'AAAA', 2)), frame(query('ipv4only.arpa', 'A', 3))]);
    const { replies } = await tcpExchange(port, data, 3);
    expect(replies.map((r) => decode(r).id).sort()).toEqual([1, 2, 3]);
    expect(replies.map((r) => decode(r).answers!.length).sort()).toEqual([1, 2, 2]);
  });

  it('closes idle TCP connections and caps concurrent ones', async () => {
    const { port, srv } = await startServer({ tcp: { idleTimeoutMs: 200, maxConnections: 1 } });
    const first = net.connect({ host: '127.0.0.1', port });
    await new Promise((r) => first.once('connect', r));
    const second = await tcpExchange(port, frame(query('ipv4only.arpa', 'A')), 1, 1500);
    expect(second.replies).toEqual([]);
    expect(second.closed).toBe(true);
    const t0 = Date.now();
    await new Promise((r) => first.once('close', r));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(srv.stats().tcpRejected).toBe(1);
  });

  it('closes a TCP connection whose message trickles in beyond the message deadline, though every byte resets the idle timer', async () => {
    const { port, srv } = await startServer({ tcp: { idleTimeoutMs: 5_000, messageTimeoutMs: 400 } });
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.on('error', () => undefined);
    await new Promise((r) => sock.once('connect', r));
    const bytes = frame(query('ipv4only.arpa', 'A'));
    const t0 = Date.now();
    let i = 0;
    const drip = setInterval(() => {
      if (i < bytes.length && !sock.destroyed) sock.write(bytes.subarray(i, ++i));
    }, 50);
    await new Promise((r) => sock.once('close', r));
    clearInterval(drip);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(3000);
    expect(i).toBeLessThan(bytes.length);
    expect(srv.stats().tcpTimeouts).toBe(1);
    // A whole message in time is answered, also when it arrives in pieces.
    const ok = net.connect({ host: '127.0.0.1', port });
    const got = new Promise<Buffer>((r) => ok.once('data', r));
    await new Promise((r) => ok.once('connect', r));
    ok.write(bytes.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 50));
    ok.write(bytes.subarray(1, 9));
    await new Promise((r) => setTimeout(r, 50));
    ok.write(bytes.subarray(9));
    const reply = await got;
    ok.destroy();
    expect(decode(reply.subarray(2)).answers).toHaveLength(2);
  });

  it('caps TCP connections per client address', async () => {
    const { port, srv } = await startServer({ tcp: { maxConnectionsPerClient: 2 } });
    const open = async (): Promise<net.Socket> => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      return s;
    };
    const a = await open();
    const b = await open();
    const third = await tcpExchange(port, frame(query('ipv4only.arpa', 'A')), 1, 1500);
    expect(third).toEqual({ replies: [], closed: true });
    expect(srv.stats().tcpRejected).toBe(1);
    a.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await tcpExchange(port, frame(query('ipv4only.arpa', 'A')), 1, 1500);
    expect(again.replies).toHaveLength(1);
    b.destroy();
  });

  it('answers queries over the rate limit at once with TC=1 (never silence); TCP still answers', async () => {
    const { port, srv } = await startServer({ rateLimit: { perSecond: 1, burst: 5, exemptLoneClient: false } });
    const replies = await udpExchange(port, Array.from({ length: 20 }, (_, i) => query('ipv4only.arpa', 'A', i)), 20, 1000);
    expect(replies).toHaveLength(20);
    const tc = replies.filter((r) => decode(r).flag_tc);
    expect(tc.length).toBeGreaterThanOrEqual(13); // 5 from the burst, perhaps a refill (1/s) on a slow machine
    for (const r of tc) expect([decode(r).answers, rcode(r), r.length]).toEqual([[], 'NOERROR', 12 + 19]);
    expect(replies.filter((r) => !decode(r).flag_tc).every((r) => decode(r).answers.length === 2)).toBe(true);
    expect(srv.stats().rateLimited).toBe(tc.length);
    const { replies: overTcp } = await tcpExchange(port, frame(query('ipv4only.arpa', 'A', 99)), 1);
    expect(decode(overTcp[0]).answers).toHaveLength(2);
  });

  it('answers REFUSED to limited queries with response: refuse', async () => {
    const { port, srv } = await startServer({ rateLimit: { perSecond: 1, burst: 2, exemptLoneClient: false, response: 'refuse' } });
    const replies = await udpExchange(port, Array.from({ length: 6 }, (_, i) => query('ipv4only.arpa', 'A', i, true)), 6, 1000);
    const refused = replies.filter((r) => rcode(r) === 'REFUSED').length;
    // 2 from the burst, perhaps one more refilled (1/s) on a slow machine.
    expect([replies.length, refused >= 3, replies.filter((r) => rcode(r) === 'NOERROR').length]).toEqual([6, true, 6 - refused]);
    // The client sent EDNS: the REFUSED answer carries an OPT record too (RFC 6891 §6.1.1).
    expect(replies.filter((r) => rcode(r) === 'REFUSED').every((r) => decode(r).additionals[0]?.type === 'OPT')).toBe(true);
    expect(srv.stats().rateLimited).toBe(refused);
  });

  it('limits a flooding address, not its neighbour, and spares it while it asks alone (defaults otherwise)', async () => {
    const { port, port6, srv } = await startServer({ rateLimit: { perSecond: 5, burst: 5 } });
    const burst = (host: string, p: number, n: number, base: number): Promise<Buffer[]> =>
      udpExchange(p, Array.from({ length: n }, (_, i) => query('ipv4only.arpa', 'A', base + i)), n, 1000, host);
    // Alone: 30 queries from 127.0.0.1, none limited (counted as spared).
    const alone = await burst('127.0.0.1', port, 30, 0);
    expect(alone.filter((r) => decode(r).flag_tc)).toHaveLength(0);
    expect(srv.stats().rateLimitSpared).toBeGreaterThan(0);
    // ::1 asks too: now 127.0.0.1 is held to its rate, ::1 is not.
    const neighbour = await burst('::1', port6, 5, 100);
    expect(neighbour.filter((r) => decode(r).flag_tc)).toHaveLength(0);
    const flood = await burst('127.0.0.1', port, 30, 200);
    expect(flood.length).toBe(30);
    expect(flood.filter((r) => decode(r).flag_tc).length).toBeGreaterThanOrEqual(25);
    expect(srv.stats().rateLimited).toBe(flood.filter((r) => decode(r).flag_tc).length);
  });

  it('answers FORMERR, NOTIMP and BADVERS, and drops short packets and responses', async () => {
    const { port, srv } = await startServer({});
    const two = query('a.example.org');
    two.writeUInt16BE(2, 4);
    const notify = query('a.example.org');
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    const v1 = query('ipv4only.arpa', 'A', 5, true);
    v1[v1.length - 5] = 1; // EDNS version 1
    const resp = query('a.example.org');
    resp[2]! |= 0x80;
    const replies = await udpExchange(port, [two, notify, v1, Buffer.from([1, 2, 3]), resp], 5, 600);
    const codes = replies.map((r) => [r.readUInt16BE(0), r[3]! & 0xf]);
    expect(codes).toEqual(expect.arrayContaining([[7, 1], [7, 4]]));
    const bad = decode(replies.find((r) => r.readUInt16BE(0) === 5));
    expect((bad.additionals![0] as { extendedRcode?: number }).extendedRcode).toBe(1);
    expect(replies).toHaveLength(3);
    expect(srv.stats().dropped).toBe(2);
    expect(srv.stats().formerr).toBe(3);
  });

  it('setPrefix changes the synthesized answers at once; onTrace sees every decision', async () => {
    const up = new FakeUpstream();
    manyA(up, 'pfx.example.org', 1);
    const { port, srv } = await startServer({}, up);
    const traces: TraceRecord[] = [];
    srv.onTrace = (t) => traces.push(t);
    await udpExchange(port, [query('pfx.example.org')], 1);
    srv.setPrefix('2001:db8:122:344::/64');
    const [r] = await udpExchange(port, [query('pfx.example.org')], 1);
    expect(decode(r).answers!.map((x) => x.data)).toEqual(['2001:db8:122:344:c6:3364:100:0']);
    expect(traces.map((t) => [t.qname, t.decision, t.synthesized])).toEqual([['pfx.example.org', 'aaaa', true], ['pfx.example.org', 'aaaa', true]]);
  });

  it('rebinds when `listen` changes at runtime and traces refused queries', async () => {
    const { srv, port } = await startServer({ clients: ['192.0.2.0/24'] });
    const traces: TraceRecord[] = [];
    srv.onTrace = (t) => traces.push(t);
    await srv.updateOptions({ listen: ['127.0.0.1:0'] });
    const now = srv.addresses();
    expect(now.map((a) => a.transport)).toEqual(['udp', 'tcp']);
    expect(now[0]!.port).not.toBe(port);
    const [r] = await udpExchange(now[0]!.port, [query('a.example.org')], 1);
    expect(rcode(r)).toBe('REFUSED');
    expect(traces.map((t) => [t.decision, t.rcode])).toEqual([['refused', 5]]);
  });

  it('listens on both wildcards of one port (IPv6 socket made IPv6-only)', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '0.0.0.0', () => r()));
    const free = probe.address().port;
    probe.close();
    const { srv } = await startServer({ listen: [`0.0.0.0:${free}`, `[::]:${free}`] });
    expect(srv.addresses().map((a) => `${a.transport} ${a.address}:${a.port}`)).toEqual([
      `udp 0.0.0.0:${free}`, `udp :::${free}`, `tcp 0.0.0.0:${free}`, `tcp :::${free}`,
    ]);
    const [r] = await udpExchange(free, [query('ipv4only.arpa', 'A')], 1);
    expect(decode(r).answers).toHaveLength(2);
  });

  it('rejects invalid runtime changes without changing anything', async () => {
    const { srv } = await startServer({});
    await expect(srv.updateOptions({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_DNS64_CONFIG' });
    expect(srv.options.timeoutMs).toBe(2000);
    await srv.updateOptions({ timeoutMs: 500 });
    expect(srv.options.timeoutMs).toBe(500);
  });
});

describe('Dns64Server batched UDP (addon)', () => {
  beforeEach(() => {
    backend = 'native';
  });

  it('answers a burst of cache hits and misses in one go: hits in batches, misses later, each to its own id', { timeout: 10_000 }, async () => {
    const up = new FakeUpstream();
    manyA(up, 'hot.example.org', 1);
    for (let i = 0; i < 40; i++) manyA(up, `cold${i}.example.org`, 1);
    const { srv, port } = await startServer({}, up);
    await udpExchange(port, [query('hot.example.org', 'AAAA', 1)], 1);
    const msgs = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 && i / 7 < 40 ? query(`cold${i / 7}.example.org`, 'AAAA', 1000 + i) : query('hot.example.org', 'AAAA', 1000 + i)));
    const replies = await udpExchange(port, msgs, 300, 4000);
    expect(replies).toHaveLength(300);
    const byId = new Map(replies.map((r) => [decode(r).id!, decode(r)]));
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual(msgs.map((_, i) => 1000 + i));
    for (const [id, r] of byId) {
      const i = id - 1000;
      expect(r.questions![0]!.name).toBe(i % 7 === 0 && i / 7 < 40 ? `cold${i / 7}.example.org` : 'hot.example.org');
      expect(r.answers!.map((a) => a.data)).toEqual(['64:ff9b:1::c633:6401']);
    }
    const [l] = srv.udpListeners();
    expect(l!.native!.rxPackets).toBe(301);
    expect(l!.native!.txPackets).toBe(301);
    expect(l!.native!.rxWakeups).toBeLessThan(301); // batched: fewer wake-ups than datagrams
    expect(srv.stats().cacheMisses).toBe(41);
  });

  it('drops (and counts) queries longer than the receive slot; later queries still get answers', async () => {
    const { srv, port } = await startServer({});
    const huge = Buffer.concat([query('ipv4only.arpa', 'A', 5), Buffer.alloc(5000)]);
    const replies = await udpExchange(port, [huge, query('ipv4only.arpa', 'A', 6)], 1);
    expect(replies.map((r) => decode(r).id)).toEqual([6]);
    expect(srv.udpListeners()[0]!.native!.rxTruncated).toBe(1);
    expect(srv.stats().dropped).toBe(1);
  });
});

describe('Dns64Server UDP fast path (addon) against the full path (node:dgram)', () => {
  /** One server per backend, same script, same clock. */
  async function pair(clock: { now: number }, input: Dns64Input = {}): Promise<{ native: Dns64Server; dgram: Dns64Server; ports: [number, number] }> {
    const made: Dns64Server[] = [];
    for (const udp of ['native', 'dgram'] as const) {
      const up = new FakeUpstream();
      manyA(up, 'v4only.example.org', 2);
      manyA(up, 'big.example.org', 24); // ~700 bytes: over 512, under 1232
      up.on('dual.example.org', 'AAAA', { answers: [{ name: 'dual.example.org', type: 'AAAA', class: 'IN', ttl: 120, data: '2001:db8::5' } as Answer] });
      up.on('nx.example.org', 'AAAA', { rcode: 'NXDOMAIN', authorities: [{ name: 'example.org', type: 'SOA', class: 'IN', ttl: 600, data: { mname: 'ns', rname: 'h', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 300 } } as Answer] });
      const srv = new Dns64Server(
        { listen: ['127.0.0.1:0'], upstreams: ['192.0.2.53'], clients: ['127.0.0.1'], prefix: '64:ff9b:1::/96', rateLimit: { perSecond: 0, burst: 0 }, ...input },
        { upstream: up, udp, now: () => clock.now },
      );
      servers.push(srv);
      await srv.start();
      made.push(srv);
    }
    const port = (srv: Dns64Server): number => srv.addresses().find((a) => a.transport === 'udp')!.port;
    return { native: made[0]!, dgram: made[1]!, ports: [port(made[0]!), port(made[1]!)] };
  }

  it('answers byte for byte like the full path and counts the same (random case, IDs, flags, EDNS variants, broken queries)', { timeout: 20_000 }, async () => {
    const clock = { now: 1_000_000 };
    const { native, dgram, ports } = await pair(clock);
    const names = ['v4only.example.org', 'big.example.org', 'dual.example.org', 'nx.example.org', 'ipv4only.arpa'];
    const one = fc.record({
      name: fc.constantFrom(...names), upper: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), id: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.constantFrom(0, 0x0100, 0x0110, 0x0120), edns: fc.option(fc.record({ size: fc.constantFrom(0, 512, 1232, 4096), dnssecOk: fc.boolean(), version: fc.constantFrom(0, 0, 0, 1) })),
      edit: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { freq: 4 }),
    }).map((o) => {
      const b = dnsPacket.encode({
        type: 'query', id: o.id, flags: o.flags,
        questions: [{ name: [...o.name].map((c, i) => (o.upper[i % o.upper.length] ? c.toUpperCase() : c)).join(''), type: 'AAAA', class: 'IN' }],
        additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: o.edns.size, flags: o.edns.dnssecOk ? dnsPacket.DNSSEC_OK : 0, ednsVersion: o.edns.version } as unknown as Answer] : [],
      });
      // A changed byte may make a response (QR) or cut the header: those get no answer from either server.
      if (o.edit !== null && o.edit[0] % b.length !== 2) b[o.edit[0] % b.length] = o.edit[1];
      return b;
    });
    const hits = vi.spyOn(Dns64Resolver.prototype, 'hitInto');
    const msgs = fc.sample(one, { numRuns: 600, seed: 6147 });
    for (const [round, batch] of [msgs.slice(0, 300), msgs.slice(300)].entries()) {
      if (round === 1) clock.now += 4_000; // TTLs count down between the rounds
      for (const m of batch) {
        const [a] = await udpExchange(ports[0], [m], 1, 150);
        const [b] = await udpExchange(ports[1], [m], 1, 150);
        expect(a === undefined ? 'none' : a.toString('hex'), m.toString('hex')).toBe(b === undefined ? 'none' : b.toString('hex'));
      }
    }
    expect(hits.mock.calls.length).toBeGreaterThan(80); // the native server did take the fast path
    hits.mockRestore();
    const { upstreams: _u1, loopLagP99: _l1, loopLagMax: _m1, ...s1 } = native.stats();
    const { upstreams: _u2, loopLagP99: _l2, loopLagMax: _m2, ...s2 } = dgram.stats();
    expect(s1).toEqual(s2);
  });

  it('rate limits and refuses on the fast path as on the full path', async () => {
    const clock = { now: 1_000_000 };
    const { native, dgram, ports } = await pair(clock, { rateLimit: { perSecond: 1, burst: 3, exemptLoneClient: false } });
    const q = query('v4only.example.org', 'AAAA', 5);
    for (const port of ports) {
      await udpExchange(port, [q], 1, 150); // miss, then hits from the cache
      const replies: Buffer[] = [];
      for (let i = 0; i < 4; i++) replies.push(...(await udpExchange(port, [q], 1, 100)));
      // Every query answered: the last two with TC=1 and nothing else.
      expect(replies.map((r) => [decode(r).flag_tc, decode(r).answers.length])).toEqual([[false, 2], [false, 2], [true, 0], [true, 0]]);
    }
    expect([native.stats().rateLimited, native.stats().cacheHits, native.stats().queries]).toEqual([2, 2, 5]);
    const { upstreams: _u1, loopLagP99: _l1, loopLagMax: _m1, ...s1 } = native.stats();
    const { upstreams: _u2, loopLagP99: _l2, loopLagMax: _m2, ...s2 } = dgram.stats();
    expect(s1).toEqual(s2);
    await native.updateOptions({ clients: ['192.0.2.0/24'] });
    clock.now += 10_000;
    const [r] = await udpExchange(ports[0], [q], 1);
    expect(rcode(r)).toBe('REFUSED');
  });
});

describe('Dns64Server against hostile input (fuzz)', () => {
  const anything: Upstream = {
    lookup: async (q) => dnsPacket.encode({ type: 'response', id: 1, flags: 3, questions: [{ name: q.name || '.', type: 'A', class: 'IN' }] }),
    health: () => [],
  };

  it('survives random bytes and mutated queries over UDP and still answers', async () => {
    const { port, srv } = await startServer({ rateLimit: { perSecond: 0, burst: 0 } }, anything);
    const valid = query('fuzz.example.org', 'A', 1, true);
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.nat(255)).map(([i, v]) => {
      const b = Buffer.from(valid);
      b[i] = v;
      return b;
    });
    const packets = fc.sample(fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a)), mutated), { numRuns: 400, seed: 64 });
    // Compression loops and huge counts on purpose.
    const loop = Buffer.from('0001000000010000000000ffc00c00010001', 'hex');
    const huge = Buffer.from('00010100ffffffffffffffff', 'hex');
    const all = [...packets, loop, huge];
    // In small batches, so the kernel's receive buffer never drops any.
    for (let i = 0; i < all.length; i += 25) await udpExchange(port, all.slice(i, i + 25), 25, 40);
    const [ok] = await udpExchange(port, [query('ipv4only.arpa', 'A', 99)], 1);
    expect(decode(ok).answers).toHaveLength(2);
    expect(srv.stats().queries).toBe(packets.length + 3);
  });

  it('survives random TCP streams', async () => {
    const { port } = await startServer({}, anything);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        await tcpExchange(port, Buffer.from(bytes), 1, 100);
      }),
      { numRuns: 40, seed: 6147 },
    );
    const { replies } = await tcpExchange(port, frame(query('ipv4only.arpa', 'A', 4)), 1);
    expect(decode(replies[0]).answers).toHaveLength(2);
  });
});

describe('binding port 0', () => {
  it('picks another port when the UDP port the kernel chose is taken for TCP', async () => {
    // The first TCP listen fails as if another process held that port for TCP.
    const real = net.Server.prototype.listen;
    let failed = 0;
    const spy = vi.spyOn(net.Server.prototype, 'listen').mockImplementation(function (this: net.Server, ...args: unknown[]) {
      if (failed === 0) {
        failed++;
        setImmediate(() => this.emit('error', Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' })));
        return this;
      }
      return (real as (...a: unknown[]) => net.Server).apply(this, args);
    });
    try {
      const srv = new Dns64Server({ listen: ['127.0.0.1:0'], upstreams: ['192.0.2.53'], clients: ['127.0.0.1'], prefix: '64:ff9b:1::/96' }, { upstream: new FakeUpstream(), udp: backend });
      servers.push(srv);
      await srv.start();
      expect(failed).toBe(1);
      const a = srv.addresses();
      const port = a[0]!.port;
      expect(a.map((x) => x.transport)).toEqual(['udp', 'tcp']);
      expect(a[1]!.port).toBe(port);
      const [reply] = await udpExchange(port, [query('ipv4only.arpa')], 1);
      expect(dnsPacket.decode(reply!).answers!.length).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('gives up with the error, leaving nothing bound, when a fixed port is taken for TCP', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const srv = new Dns64Server({ listen: [`127.0.0.1:${port}`], upstreams: ['192.0.2.53'], clients: ['127.0.0.1'], prefix: '64:ff9b:1::/96' }, { upstream: new FakeUpstream(), udp: backend });
      await expect(srv.start()).rejects.toThrow(/EADDRINUSE/);
      expect(srv.addresses()).toEqual([]);
      // The UDP port is free again.
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind(port, '127.0.0.1', () => resolve());
      });
      probe.close();
    } finally {
      holder.close();
    }
  });
});
