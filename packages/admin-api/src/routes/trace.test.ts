import { describe, expect, it } from 'vitest';
import type { FakeAdminPorts } from '../fake-ports.js';
import type { TraceRecord } from '../ports.js';
import { LINKTYPE_RAW, PCAP_MAGIC } from '../pcap.js';
import { MAX_CONCURRENT_TRACES, MAX_PCAP_PACKETS } from './trace.js';
import { errorOf, useApp } from '../test/helper.js';

/** Resolves once the route has subscribed (bounded: 5 s). */
async function subscribed(ports: FakeAdminPorts, count = 1): Promise<void> {
  const until = Date.now() + 5000;
  while (ports.subscribers.size < count) {
    if (Date.now() > until) throw new Error('the trace route never subscribed');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function events(body: string): { event: string; data: unknown }[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [ev, data] = block.split('\n');
      return { event: ev!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) as unknown };
    });
}

// An IPv6 UDP packet header (40 bytes) and its IPv4 translation (20 bytes), enough for a reader to see the version.
const V6 = Uint8Array.from([0x60, ...new Array<number>(39).fill(0)]);
const V4 = Uint8Array.from([0x45, ...new Array<number>(19).fill(0)]);
const NAT_RECORD: TraceRecord = {
  ts: 1_700_000_000_123.456,
  source: 'nat64',
  direction: '6to4',
  client: '2001:db8::1',
  dst: '192.0.2.33',
  protocol: 'udp',
  decision: 'forward',
  before: V6,
  after: V4,
};
const DNS_RECORD: TraceRecord = { ts: 1_700_000_000_200, source: 'dns64', client: '2001:db8::1', dst: 'example.org', decision: 'synthesized', detail: 'AAAA example.org' };

describe('GET /api/v1/trace (SSE)', () => {
  const ctx = useApp();

  it('streams one event per record, ends after `seconds` and unsubscribes', async () => {
    const requested = Date.now();
    const pending = ctx.call('GET', '/api/v1/trace?seconds=1&client=2001:db8::/64&dst=192.0.2.0/24');
    await subscribed(ctx.ports);
    const seen = Date.now(); // at most a poll interval after the subscription
    const [sub] = [...ctx.ports.subscribers];
    expect(sub!.filter).toEqual({ client: '2001:db8::/64', dst: '192.0.2.0/24', packets: false });
    ctx.ports.emit(NAT_RECORD);
    ctx.ports.emit(DNS_RECORD);
    const res = await pending;
    expect(Date.now() - requested).toBeGreaterThanOrEqual(990); // timers may round down by a millisecond
    expect(Date.now() - seen).toBeLessThan(6000); // generous: CI machines are busy
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const ev = events(res.body);
    expect(ev).toEqual([
      { event: 'record', data: { ts: NAT_RECORD.ts, source: 'nat64', direction: '6to4', client: '2001:db8::1', dst: '192.0.2.33', protocol: 'udp', decision: 'forward', beforeLength: 40, afterLength: 20 } },
      { event: 'record', data: { ...DNS_RECORD } },
      { event: 'end', data: { records: 2, dropped: 0, reason: 'timeout' } },
    ]);
    expect(ctx.ports.subscribers.size).toBe(0);
  });

  it('a trace without traffic has only the end event', async () => {
    const res = await ctx.call('GET', '/api/v1/trace?seconds=1');
    expect(events(res.body)).toEqual([{ event: 'end', data: { records: 0, dropped: 0, reason: 'timeout' } }]);
  });

  it('closing the app ends running traces with reason "shutdown"', async () => {
    const pending = ctx.call('GET', '/api/v1/trace?seconds=60');
    await subscribed(ctx.ports);
    const started = Date.now();
    await ctx.app.close();
    const res = await pending;
    expect(Date.now() - started).toBeLessThan(5000); // far below the 60 s asked for
    expect(events(res.body).at(-1)).toEqual({ event: 'end', data: { records: 0, dropped: 0, reason: 'shutdown' } });
    expect(ctx.ports.subscribers.size).toBe(0);
  });

  it(`429 beyond ${MAX_CONCURRENT_TRACES} concurrent traces`, async () => {
    const running = Array.from({ length: MAX_CONCURRENT_TRACES }, () => ctx.call('GET', '/api/v1/trace?seconds=1'));
    await subscribed(ctx.ports, MAX_CONCURRENT_TRACES);
    const res = await ctx.call('GET', '/api/v1/trace?seconds=1');
    expect(res.statusCode).toBe(429);
    expect(errorOf(res).message).toMatch(/traces are already running/);
    await Promise.all(running);
    expect(ctx.ports.subscribers.size).toBe(0);
  });

  it('a port that fails to subscribe is a 500, and nothing is left running', async () => {
    ctx.ports.trace = () => {
      throw new Error('trace hub not ready');
    };
    for (const format of ['sse', 'pcap']) {
      const res = await ctx.call('GET', `/api/v1/trace?seconds=1&format=${format}`);
      expect(res.statusCode).toBe(500);
      expect(errorOf(res).message).toBe('internal error: trace hub not ready');
    }
    // Slots were not taken: 4 more traces may still start.
    ctx.ports.trace = (filter, onRecord) => {
      ctx.ports.subscribers.add({ filter, onRecord });
      return () => ctx.ports.subscribers.clear();
    };
    const res = await ctx.call('GET', '/api/v1/trace?seconds=1');
    expect(res.statusCode).toBe(200);
  });

  it.each([
    { name: 'seconds 0', q: 'seconds=0', message: 'querystring.seconds must be >= 1' },
    { name: 'seconds 301', q: 'seconds=301', message: 'querystring.seconds must be <= 300' },
    { name: 'bad format', q: 'format=json', message: 'querystring.format must be one of "sse", "pcap"' },
    { name: 'bad client', q: 'client=not-an-ip', message: 'client "not-an-ip" is not an IPv4/IPv6 address or prefix' },
    { name: 'bad dst prefix', q: 'dst=192.0.2.0/40', message: /^dst "192.0.2.0\/40" is not an IPv4\/IPv6 address or prefix: / },
    { name: 'unknown parameter', q: 'src=2001:db8::1', message: 'querystring has unknown key "src"' },
  ])('400 and no subscription for $name', async ({ q, message }) => {
    const res = await ctx.call('GET', `/api/v1/trace?${q}`);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(message);
    expect(ctx.ports.subscribers.size).toBe(0);
  });
});

describe('GET /api/v1/trace?format=pcap', () => {
  const ctx = useApp();

  it('answers a pcap file with the packets before and after translation', async () => {
    const pending = ctx.call('GET', '/api/v1/trace?seconds=1&format=pcap');
    await subscribed(ctx.ports);
    expect([...ctx.ports.subscribers][0]!.filter).toEqual({ packets: true });
    ctx.ports.emit(NAT_RECORD);
    ctx.ports.emit(DNS_RECORD); // no packet bytes: not in the file
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="sixgate-trace.pcap"/);
    const buf = res.rawPayload;
    expect(buf.readUInt32LE(0)).toBe(PCAP_MAGIC);
    expect([buf.readUInt16LE(4), buf.readUInt16LE(6)]).toEqual([2, 4]);
    expect(buf.readUInt32LE(20)).toBe(LINKTYPE_RAW);
    // record 1: the IPv6 packet as received
    expect(buf.readUInt32LE(24)).toBe(1_700_000_000);
    expect(buf.readUInt32LE(28)).toBe(123_456);
    expect([buf.readUInt32LE(32), buf.readUInt32LE(36)]).toEqual([40, 40]);
    expect(buf[40]! >> 4).toBe(6);
    // record 2: the IPv4 packet as sent
    const r2 = 40 + 40;
    expect([buf.readUInt32LE(r2 + 8), buf.readUInt32LE(r2 + 12)]).toEqual([20, 20]);
    expect(buf[r2 + 16]! >> 4).toBe(4);
    expect(buf.length).toBe(r2 + 16 + 20);
    expect(ctx.ports.subscribers.size).toBe(0);
  });

  it('copies packet bytes, so a daemon reusing its buffers cannot change the capture', async () => {
    const pending = ctx.call('GET', '/api/v1/trace?seconds=1&format=pcap');
    await subscribed(ctx.ports);
    const reused = Uint8Array.from(V4);
    ctx.ports.emit({ ...NAT_RECORD, before: undefined, after: reused });
    reused.fill(0xee);
    const buf = (await pending).rawPayload;
    expect(buf[24 + 16]).toBe(0x45);
  });

  it('ends early with a full file when the packet limit is reached', async () => {
    const started = Date.now();
    const pending = ctx.call('GET', '/api/v1/trace?seconds=60&format=pcap');
    await subscribed(ctx.ports);
    for (let i = 0; i < MAX_PCAP_PACKETS / 2 + 10; i++) ctx.ports.emit(NAT_RECORD);
    const res = await pending;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.rawPayload.length).toBe(24 + (MAX_PCAP_PACKETS / 2) * (16 + 40 + 16 + 20));
    expect(ctx.ports.subscribers.size).toBe(0);
  });

  it('an empty trace is a valid pcap with only the global header', async () => {
    const res = await ctx.call('GET', '/api/v1/trace?seconds=1&format=pcap');
    expect(res.rawPayload.length).toBe(24);
    expect(res.rawPayload.readUInt32LE(0)).toBe(PCAP_MAGIC);
  });
});
