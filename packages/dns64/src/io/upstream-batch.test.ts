import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DNS64_DEFAULTS, parseEndpoint } from '../config.js';
import { createCounters } from '../metrics.js';
import { RateLimiter } from '../rate-limit.js';
import { ClientCache } from './client-cache.js';
import type { NativeUdp } from './native-udp.js';
import { openUdpListener, type UdpAnswerIntoFn, type UdpListener } from './udp.js';
import { UpstreamClient } from './upstream-client.js';

/** The real addon, with its send calls counted (its own properties cannot be spied on). */
const calls = { batch: [] as number[], single: 0 };
vi.mock('./native-udp.js', async (orig) => {
  const real = await orig<typeof import('./native-udp.js')>();
  let counted: NativeUdp | undefined;
  return {
    ...real,
    loadNativeUdp: (): NativeUdp | undefined => {
      const addon = real.loadNativeUdp();
      if (addon === undefined) return undefined;
      counted ??= Object.create(addon, {
        sendBatch: {
          value: (...a: Parameters<NativeUdp['sendBatch']>) => {
            calls.batch.push(a[5]);
            return addon.sendBatch(...a);
          },
        },
        sendTo: {
          value: (...a: Parameters<NativeUdp['sendTo']>) => {
            calls.single++;
            return addon.sendTo(...a);
          },
        },
      }) as NativeUdp;
      return counted;
    },
  };
});

/** IDs randomInt hands out next (then the real one): lets a test force ID collisions. */
const scriptedIds: number[] = [];
vi.mock('node:crypto', async (orig) => {
  const real = await orig<typeof import('node:crypto')>();
  return { ...real, default: real, randomInt: (...a: Parameters<typeof real.randomInt>) => (scriptedIds.length > 0 ? scriptedIds.shift()! : (real.randomInt as (min: number, max: number) => number)(a[0] as number, a[1] as number)) };
});

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

/**
 * A native listener on 127.0.0.1 whose queries all go to `answerInto`
 * (counted by `asked`), with a gate the test opens (`release`) for the
 * answers it holds back.
 */
async function gatedListener(answerInto: UdpAnswerIntoFn): Promise<{ l: UdpListener; gate: Promise<void>; release: () => void; asked: () => number }> {
  const key = new RateLimiter(DNS64_DEFAULTS.rateLimit, Date.now).keyFor(new Uint8Array(4), true);
  const clients = new ClientCache((_v4, v6, text) => ({ allowed: true, rateKey: key, client6: v6, text }));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let asked = 0;
  const l = await openUdpListener('native', parseEndpoint('127.0.0.1:0', 0, 'listen'), false, {
    clients, counters: createCounters(),
    answer: () => undefined,
    answerInto: (...a) => {
      asked++;
      return answerInto(...a);
    },
  });
  closers.push(() => l.close());
  return { l, gate, release, asked: () => asked };
}

describe('upstream queries through the addon', () => {
  it('go out in one sendmmsg per socket per turn, and each still gets its own answer', async () => {
    const sock = dgram.createSocket('udp4');
    closers.push(() => sock.close());
    sock.on('message', (m, r) => {
      const q = dnsPacket.decode(m);
      sock.send(dnsPacket.encode({ ...q, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 60, data: '192.0.2.1' }], additionals: [] }), r.port, r.address);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const c = new UpstreamClient([{ address: '127.0.0.1', port: sock.address().port, family: 4 }],
      { timeoutMs: 2000, attempts: 1, failover: false, maxOutstanding: 100, portPool: { sockets: 1, uses: 1000 } }, createCounters(), Date.now, 'native');
    closers.push(() => c.close());
    expect(c.udpKind).toBe('native');
    const names = Array.from({ length: 40 }, (_, i) => `n${i}.example.org`);
    const answers = await Promise.all(names.map((name) => c.lookup({ name, type: 1, qclass: 1, dnssecOk: false, checkingDisabled: false })));
    expect(answers.map((w) => dnsPacket.decode(w).questions![0]!.name)).toEqual(names);
    expect(calls.batch).toEqual([40]);
    expect(calls.single).toBe(0);
    // A later turn is a batch of its own.
    await c.lookup({ name: 'later.example.org', type: 1, qclass: 1, dnssecOk: false, checkingDisabled: false });
    expect(calls.batch).toEqual([40, 1]);
  });

  it('draws another ID when the one drawn is outstanding on every pooled socket', async () => {
    // The IDs the client draws, scripted: the second and third queries draw 0x0505 again,
    // which is outstanding on the only pooled socket, so the transport draws again.
    scriptedIds.push(0x0505, 0x0505, 0x0505, 0x0606, 0x0505, 0x0707);
    const ids: number[] = [];
    const sock = dgram.createSocket('udp4');
    closers.push(() => sock.close());
    sock.on('message', (m, r) => {
      const q = dnsPacket.decode(m);
      ids.push(q.id!);
      sock.send(dnsPacket.encode({ ...q, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 60, data: '192.0.2.1' }], additionals: [] }), r.port, r.address);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const c = new UpstreamClient([{ address: '127.0.0.1', port: sock.address().port, family: 4 }],
      { timeoutMs: 2000, attempts: 1, failover: false, maxOutstanding: 100, portPool: { sockets: 1, uses: 1000 } }, createCounters(), Date.now, 'native');
    closers.push(() => c.close());
    const names = ['a.example.org', 'b.example.org', 'c.example.org'];
    const answers = await Promise.all(names.map((name) => c.lookup({ name, type: 1, qclass: 1, dnssecOk: false, checkingDisabled: false })));
    expect(answers.map((w) => dnsPacket.decode(w).questions![0]!.name)).toEqual(names);
    expect(answers.map((w) => dnsPacket.decode(w).id)).toEqual([0x0505, 0x0606, 0x0707]);
    expect(ids.sort()).toEqual([0x0505, 0x0606, 0x0707]);
    expect(scriptedIds).toEqual([]);
  });

  it('answers that complete in one callback leave the listener in one sendmmsg', async () => {
    const { l, gate, release, asked } = await gatedListener((rx, off, len) => {
      const copy = Buffer.from(rx.subarray(off, off + len));
      return gate.then(() => copy); // "upstream" answers all arrive together
    });
    const c = dgram.createSocket('udp4');
    closers.push(() => c.close());
    const got: Buffer[] = [];
    c.on('message', (m) => got.push(m));
    await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 10; i++) c.send(Buffer.from(`query ${i}`.padEnd(20)), l.address().port, '127.0.0.1');
    const until = Date.now() + 3000;
    while (asked() < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    calls.batch.length = 0;
    calls.single = 0;
    release();
    while (got.length < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(got.map((m) => m.toString().trim()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `query ${i}`));
    expect(calls.batch).toEqual([10]);
    expect(calls.single).toBe(0);
  });

  it('sends each late answer to its own sender: held during the batch, given during it, or given much later (300 held at once: more than the first 256 slots)', async () => {
    const { l, gate, release, asked } = await gatedListener((rx, off, len, _client, out, outOff, _outCap, late, i) => {
      const copy = Buffer.from(rx.subarray(off, off + len));
      const text = copy.toString();
      if (text.startsWith('hit')) {
        // Answered in the batch (as a cache hit is), around the late ones.
        copy.copy(out as Buffer, outOff);
        return len;
      }
      const token = late.hold(i);
      // "sync": complete while the listener's callback still runs (as local data does).
      if (text.startsWith('sync')) late.reply(token, copy);
      else void gate.then(() => late.reply(token, copy));
      return undefined;
    });
    const socks = await Promise.all([0, 1, 2].map(async () => {
      const c = dgram.createSocket('udp4');
      closers.push(() => c.close());
      const got: string[] = [];
      c.on('message', (m) => got.push(m.toString().trim()));
      await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
      return { c, got };
    }));
    const kinds = ['hit', 'sync', 'late'];
    const sent: string[][] = [[], [], []];
    for (let i = 0; i < 900; i++) {
      const s = i % 3;
      const msg = `${kinds[Math.floor(i / 3) % 3]} ${s} ${i}`;
      sent[s]!.push(msg);
      socks[s]!.c.send(Buffer.from(msg.padEnd(24)), l.address().port, '127.0.0.1');
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5)); // within the receive buffer
    }
    const until = Date.now() + 5000;
    while (asked() < 900 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(asked()).toBe(900);
    // Before the gate opens: the hits and the synchronous replies are in, nothing else.
    while (socks.reduce((n, s) => n + s.got.length, 0) < 600 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    for (const s of socks) expect(s.got.every((m) => m.startsWith('hit') || m.startsWith('sync'))).toBe(true);
    release();
    while (socks.reduce((n, s) => n + s.got.length, 0) < 900 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    socks.forEach((s, k) => expect(s.got.sort()).toEqual(sent[k]!.sort()));
  });
});
