import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounters } from '../metrics.js';
import { CASE_MISMATCH, MATCH, NO_MATCH, UpstreamClient, buildUpstreamQuery, matchesQuery, randomizeCase } from './upstream-client.js';

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

/** The client under test on the backend of the `describe.each` row (the addon must be built for `native`). */
function clientOn(udp: 'native' | 'dgram'): typeof UpstreamClient {
  return class extends UpstreamClient {
    constructor(...a: ConstructorParameters<typeof UpstreamClient>) {
      super(a[0], a[1], a[2], a[3], udp);
      if (this.udpKind !== udp) throw new Error(`asked for ${udp} UDP, got ${this.udpKind}`);
    }
  };
}

const Q = { name: 'www.example.org', type: 1, qclass: 1, dnssecOk: true, checkingDisabled: false };
const opts = { timeoutMs: 300, attempts: 2, failover: true, maxOutstanding: 10 };

describe('buildUpstreamQuery', () => {
  it('writes every byte itself: the same query from a pool full of garbage as from zeroed memory', () => {
    for (const q of [Q, { ...Q, name: 'a\\046b.example', type: 28, dnssecOk: false, checkingDisabled: true }, { ...Q, name: '' }]) {
      // Dirty Node's shared pool, where the query bytes come from.
      for (let i = 0; i < 200; i++) Buffer.allocUnsafe(40).fill(0xff);
      const wire = buildUpstreamQuery(0xbeef, q);
      const d = dnsPacket.decode(wire);
      expect(d.id).toBe(0xbeef);
      expect([d.questions!.length, d.answers!.length, d.authorities!.length, d.additionals!.length]).toEqual([1, 0, 0, 1]);
      expect(d.questions![0]).toMatchObject({ name: q.name === '' ? '.' : q.name.replace('\\046', '.'), class: 'IN' });
      const opt = d.additionals![0] as { type: string; name: string; udpPayloadSize: number; extendedRcode: number; ednsVersion: number; flags: number; options: unknown[] };
      expect(opt).toMatchObject({ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: q.dnssecOk ? dnsPacket.DNSSEC_OK : 0, options: [] });
      expect(wire.readUInt16BE(2)).toBe(0x0100 | (q.checkingDisabled ? 0x0010 : 0));
      if (q.name.startsWith('a\\046')) expect([...wire.subarray(12, 17)]).toEqual([3, 0x61, 0x2e, 0x62, 7]); // one label "a.b"
    }
  });
});

describe('matchesQuery', () => {
  const query = buildUpstreamQuery(0x1234, { name: 'www.example.org', type: 65, qclass: 1, dnssecOk: false, checkingDisabled: false });
  const answer = (edit: (b: Buffer) => void = () => undefined): Buffer => {
    const b = Buffer.from(query.subarray(0, query.length - 11));
    b[2] |= 0x80;
    b.writeUInt16BE(0, 10);
    edit(b);
    return b;
  };

  it('compares the name without case, type and class exactly (type 97 is not type 65)', () => {
    expect(matchesQuery(answer(), query)).toBe(MATCH);
    expect(matchesQuery(answer((b) => b.write('WwW', 13, 'latin1')), query)).toBe(MATCH);
    const typeAt = query.length - 11 - 4;
    // 65 | 0x20 = 97: a case fold over the type bytes would match it.
    expect(matchesQuery(answer((b) => (b[typeAt + 1] = 97)), query)).toBe(NO_MATCH);
    expect(matchesQuery(answer((b) => (b[typeAt + 3] = 0x21)), query)).toBe(NO_MATCH); // class 33 vs 1
    // A label length folded into a "letter": 0x03 vs 0x23 is not a case difference.
    expect(matchesQuery(answer((b) => (b[12] = 0x23)), query)).toBe(NO_MATCH);
    expect(matchesQuery(answer((b) => (b[13] = 0x78)), query)).toBe(NO_MATCH); // 'x'
    expect(matchesQuery(answer((b) => (b[0] = 0)), query)).toBe(NO_MATCH);
    expect(matchesQuery(answer((b) => (b[2] &= 0x7f)), query)).toBe(NO_MATCH);
    expect(matchesQuery(answer().subarray(0, 20), query)).toBe(NO_MATCH);
  });

  it('with 0x20 case, a name that differs only in case is CASE_MISMATCH', () => {
    const q = Buffer.from(query);
    for (let i = 0; i < 20 && q.equals(query); i++) randomizeCase(q);
    expect(q.equals(query)).toBe(false);
    expect(q.toString('latin1').toLowerCase()).toBe(query.toString('latin1').toLowerCase());
    const echo = Buffer.concat([q.subarray(0, q.length - 11)]);
    echo[2] |= 0x80;
    echo.writeUInt16BE(0, 10);
    expect(matchesQuery(echo, q, true)).toBe(MATCH);
    const lower = Buffer.from(echo);
    lower.write(lower.toString('latin1', 12, q.length - 15).toLowerCase(), 12, 'latin1');
    expect(matchesQuery(lower, q, true)).toBe(CASE_MISMATCH);
    expect(matchesQuery(lower, q, false)).toBe(MATCH);
  });
});

describe.each(['native', 'dgram'] as const)('UpstreamClient over %s UDP', (udp) => {
  const Client = clientOn(udp);

  it('asks with 0x20 random case, drops and counts answers with another case, hands on the answer in lower case', async () => {
    const names: string[] = [];
    const port = await udpServer((m, r, s) => {
      const name = dnsPacket.decode(m).questions![0]!.name;
      names.push(name);
      // First the question in lower case (as a spoofer who cannot see the query would send it), then the echo.
      s.send(answerFor(m, (p) => (p.questions![0]!.name = name.toLowerCase())), r.port, r.address);
      // The plain client's lookup is answered by the first send; this echo may come after the test closed the socket.
      setTimeout(() => {
        try {
          s.send(answerFor(m), r.port, r.address);
        } catch {
          // socket closed at the end of the test
        }
      }, 30);
    });
    const counters = createCounters();
    const c = new Client([{ address: '127.0.0.1', port, family: 4 }], opts, counters);
    const long = { ...Q, name: 'abcdefghijklmnopqrstuvwxyz.example.org' };
    const wire = await c.lookup(long);
    expect(names[0]).not.toBe(long.name); // 26+ letters: all lower case by chance is 2^-33
    expect(names[0]!.toLowerCase()).toBe(long.name);
    expect(dnsPacket.decode(wire).questions![0]!.name).toBe(long.name);
    expect(counters.upstreamCaseMismatch).toBe(1);
    expect(counters.upstreamErrors).toBe(0);
    const plain = new Client([{ address: '127.0.0.1', port, family: 4 }], { ...opts, caseRandomization: false }, createCounters());
    await plain.lookup(long);
    expect(names.at(-1)).toBe(long.name);
  });

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
    const c = new Client([{ address: '127.0.0.1', port, family: 4 }], opts, counters);
    const wire = await c.lookup(Q);
    expect(dnsPacket.decode(wire).answers![0]!.data).toBe('192.0.2.99');
    expect(counters.upstreamErrors).toBe(3);
    // The query asks for recursion with DO in EDNS.
    const q = dnsPacket.decode(seen[0]!);
    expect(q.flag_rd).toBe(true);
    expect((q.additionals![0] as { flags?: number }).flags).toBe(dnsPacket.DNSSEC_OK);
  });

  it('uses a random ID per query and random source ports, each for a bounded number of queries (RFC 5452 §4.5)', async () => {
    const sources: string[] = [];
    const port = await udpServer((m, r, s) => {
      sources.push(`${m.readUInt16BE(0)}/${r.port}`);
      s.send(answerFor(m), r.port, r.address);
    });
    // dgram: a fresh socket per query; the addon: 2 pooled sockets, each retired after 3 queries.
    const c = new Client([{ address: '127.0.0.1', port, family: 4 }], { ...opts, portPool: { sockets: 2, uses: 3 } }, createCounters());
    for (let i = 0; i < 12; i++) await c.lookup(Q);
    expect(new Set(sources.map((s) => s.split('/')[0])).size).toBeGreaterThan(9);
    const perPort = new Map<string, number>();
    for (const s of sources) perPort.set(s.split('/')[1]!, (perPort.get(s.split('/')[1]!) ?? 0) + 1);
    expect(Math.max(...perPort.values())).toBeLessThanOrEqual(udp === 'dgram' ? 1 : 3);
    expect(perPort.size).toBeGreaterThanOrEqual(udp === 'dgram' ? 12 : 4);
  });

  it('routes concurrent answers on a shared socket by ID and counts strays', async () => {
    const held: { m: Buffer; r: dgram.RemoteInfo }[] = [];
    const port = await udpServer((m, r, s) => {
      held.push({ m, r });
      if (held.length < 5) return;
      s.send(answerFor(held[0]!.m, (p) => (p.id = (p.id! + 7) & 0xffff)), r.port, r.address); // nobody asked with this ID
      for (const h of held.reverse()) s.send(answerFor(h.m, (p) => (p.answers![0]!.data = `192.0.2.${h.m.readUInt8(13) | 0x20}`)), h.r.port, h.r.address);
    });
    const counters = createCounters();
    const c = new Client([{ address: '127.0.0.1', port, family: 4 }], { ...opts, portPool: { sockets: 1, uses: 100 } }, counters);
    const names = ['a', 'b', 'c', 'd', 'e'].map((x) => `${x}.example.org`);
    const answers = await Promise.all(names.map((name) => c.lookup({ ...Q, name })));
    // Label "a".."e" is byte 13 of the question (0x20 may have upper-cased it); each answer carries its own query's label.
    expect(answers.map((w) => dnsPacket.decode(w).answers![0]!.data)).toEqual(names.map((n) => `192.0.2.${n.charCodeAt(0)}`));
    expect(answers.map((w) => dnsPacket.decode(w).questions![0]!.name)).toEqual(names);
    if (udp === 'native') expect(new Set(held.map((h) => h.r.port)).size).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(counters.upstreamErrors).toBe(1);
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
    const c = new Client([{ address: '127.0.0.1', port: udpPort, family: 4 }], opts, counters);
    expect(dnsPacket.decode(await c.lookup(Q)).answers![0]!.data).toBe('192.0.2.44');
    expect(counters.upstreamTcpRetries).toBe(1);
  });

  it('fails over after a timeout and holds down an upstream that keeps failing', async () => {
    const silent = await udpServer(() => undefined);
    const good = await udpServer((m, r, s) => s.send(answerFor(m), r.port, r.address));
    const counters = createCounters();
    const c = new Client(
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
    const c = new Client([{ address: '127.0.0.1', port: silent, family: 4 }], { ...opts, timeoutMs: 100, maxOutstanding: 1 }, counters);
    const first = c.lookup(Q);
    await expect(c.lookup(Q)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_OVERLOAD' });
    await expect(first).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(counters.upstreamOverload).toBe(1);
    expect(c.outstanding).toBe(0);
  });

  it('times out each UDP query on its own deadline (one shared timer), never early, and ignores a late answer', async () => {
    let n = 0;
    const port = await udpServer((m, r, s) => {
      // Every third query is answered after the timeout, the rest at once.
      if (n++ % 3 === 0) setTimeout(() => s.send(answerFor(m), r.port, r.address), 160);
      else s.send(answerFor(m), r.port, r.address);
    });
    const counters = createCounters();
    const c = new Client([{ address: '127.0.0.1', port, family: 4 }], { ...opts, timeoutMs: 100, attempts: 1, maxOutstanding: 100 }, counters);
    const t0 = performance.now();
    const timed = Array.from({ length: 9 }, () => c.lookup(Q).then(() => -1, (e: { code: string }) => (e.code === 'ERR_UPSTREAM_TIMEOUT' ? performance.now() - t0 : -2)));
    const results = await Promise.all(timed);
    const timeouts = results.filter((x) => x >= 0);
    expect(timeouts.length).toBe(3);
    expect(results.filter((x) => x === -1).length).toBe(6);
    for (const ms of timeouts) {
      expect(ms).toBeGreaterThanOrEqual(99);
      expect(ms).toBeLessThan(400);
    }
    expect(counters.upstreamTimeouts).toBe(3);
    expect(c.outstanding).toBe(0);
    await new Promise((r) => setTimeout(r, 120)); // the late answers arrive: no query waits for them
    expect(counters.upstreamTimeouts).toBe(3);
    c.close();
  });

  it('talks to an IPv6 upstream and still rejects a wrong source port', async () => {
    const sock = dgram.createSocket('udp6');
    const other = dgram.createSocket('udp6');
    closers.push(() => sock.close(), () => other.close());
    sock.on('message', (m, r) => {
      other.send(answerFor(m, (p) => (p.answers![0]!.data = '192.0.2.66')), r.port, r.address);
      setTimeout(() => sock.send(answerFor(m, (p) => (p.answers![0]!.data = '192.0.2.6')), r.port, r.address), 20);
    });
    await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
    await new Promise<void>((r) => other.bind(0, '::1', () => r()));
    const counters = createCounters();
    const c = new Client([{ address: '::1', port: sock.address().port, family: 6 }], opts, counters);
    expect(dnsPacket.decode(await c.lookup(Q)).answers![0]!.data).toBe('192.0.2.6');
    expect(counters.upstreamErrors).toBe(1);
  });

  it('closes every query socket: no descriptor is left after answers, timeouts and close()', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    let n = 0;
    const port = await udpServer((m, r, s) => {
      if (n++ % 2 === 0) s.send(answerFor(m), r.port, r.address);
    });
    const c = new Client([{ address: '127.0.0.1', port, family: 4 }], { ...opts, timeoutMs: 50, attempts: 1, maxOutstanding: 100 }, createCounters());
    await c.lookup(Q); // sockets of the test harness settle first
    const before = fds();
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => c.lookup(Q)));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    const pending = c.lookup(Q);
    c.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_UPSTREAM_FAILED' });
    await new Promise((r) => setTimeout(r, 20));
    expect(fds()).toBeLessThanOrEqual(before);
  });

  it('takes the port pool from SIXGATE_DNS64_UPSTREAM_PORT_USES and rejects a pool of zero', async () => {
    const ports: number[] = [];
    const port = await udpServer((m, r, s) => {
      ports.push(r.port);
      s.send(answerFor(m), r.port, r.address);
    });
    process.env.SIXGATE_DNS64_UPSTREAM_PORT_USES = '1';
    try {
      const c = new Client([{ address: '127.0.0.1', port, family: 4 }], opts, createCounters());
      for (let i = 0; i < 6; i++) await c.lookup(Q);
    } finally {
      delete process.env.SIXGATE_DNS64_UPSTREAM_PORT_USES;
    }
    expect(new Set(ports).size).toBe(6); // a fresh port per query (the kernel may reuse one, rarely)
    if (udp === 'native') expect(() => new Client([{ address: '127.0.0.1', port, family: 4 }], { ...opts, portPool: { sockets: 0 } }, createCounters())).toThrow(/whole numbers >= 1/);
  });
});
