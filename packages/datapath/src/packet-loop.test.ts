import { describe, expect, it } from 'vitest';
import { parseIpv4Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { Nat64State, Translator, defaultStateOptions, type PolicyCheck } from '@sixgate/nat64';
import { MemoryTun, type MemoryTunOptions } from '@sixgate/tun';
import { PacketLoop } from './packet-loop.js';
import type { PacketTrace } from './trace.js';

const PREFIX = parseNat64Prefix('64:ff9b:1::/96');
const POOL = parseIpv4Cidr('198.51.100.0/30');
const CLIENT = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
/** 64:ff9b:1::192.0.2.33 */
const SERVER6 = [0, 0x64, 0xff, 0x9b, 0, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33];

/** A trace that keeps every decision while `active` is set. */
class RecordingTrace implements PacketTrace {
  active = false;
  readonly recs: { decision: string; reason: string | undefined; before: Uint8Array; after: Uint8Array | undefined }[] = [];
  packet(_prefix: unknown, before: Uint8Array, decision: string, reason: string | undefined, after: Uint8Array | undefined): void {
    this.recs.push({ decision, reason, before, after });
  }
}

function setup(tunOpts: MemoryTunOptions = {}, mtu = 1500) {
  const clock = { t: 1_000_000, now() { return this.t; } };
  const state = new Nat64State(defaultStateOptions([{ cidr: POOL }], { portSecret: new Uint8Array(8).fill(7) }), clock);
  const allow: PolicyCheck = { check: () => -1 };
  const tr = new Translator({ prefix: PREFIX, pool4: [POOL] }, state, allow, clock);
  const dev = new MemoryTun({ batchSize: 4, mtu, ...tunOpts });
  const hub = new RecordingTrace();
  return { dev, hub, loop: new PacketLoop(dev, tr, hub, { mtu }) };
}

/** IPv6/UDP from the client to 192.0.2.33 via the prefix, with a valid checksum. */
function udp6(sport: number, payload: number, hopLimit = 64): Uint8Array {
  const len = 8 + payload;
  const p = new Uint8Array(40 + len);
  p[0] = 0x60;
  p[4] = len >> 8;
  p[5] = len & 0xff;
  p[6] = 17;
  p[7] = hopLimit;
  p.set(CLIENT, 8);
  p.set(SERVER6, 24);
  p[40] = sport >> 8;
  p[41] = sport & 0xff;
  p[42] = 0x1f;
  p[43] = 0x90; // port 8080
  p[44] = len >> 8;
  p[45] = len & 0xff;
  for (let i = 0; i < payload; i++) p[48 + i] = (sport + i) & 0xff;
  let s = 17 + len;
  for (let i = 8; i < p.length; i += 2) s += (p[i]! << 8) | (p[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff || 0xffff;
  p[46] = c >> 8;
  p[47] = c & 0xff;
  return p;
}

describe('PacketLoop over one arena', () => {
  it('translates a batch 6→4 and writes every result with the payload intact', () => {
    const { dev, loop } = setup();
    const sizes = [0, 1, 100, 1452];
    sizes.forEach((n, i) => dev.inject(udp6(40000 + i, n)));
    expect(loop.pump()).toBe(4);
    const w = dev.takeWritten();
    expect(w.map((p) => p.length)).toEqual(sizes.map((n) => 28 + n));
    for (const [i, p] of w.entries()) {
      expect(p[0]).toBe(0x45);
      expect([...p.subarray(16, 20)]).toEqual([192, 0, 2, 33]);
      expect([...p.subarray(12, 15)]).toEqual([198, 51, 100]);
      for (let j = 0; j < sizes[i]!; j++) expect(p[28 + j]).toBe((40000 + i + j) & 0xff);
    }
    expect(loop.counters).toMatchObject({ batches: 1, packets: 4, written: 4, writeShort: 0 });
  });

  it('mixes forwards and replies (from the out areas) in order, across full and short batches', () => {
    const { dev, loop } = setup();
    // Every third packet has hop limit 1: an ICMPv6 Time Exceeded reply (RFC 7915 §5.1).
    for (let i = 0; i < 10; i++) dev.inject(udp6(41000 + i, 20, i % 3 === 0 ? 1 : 64));
    expect(loop.pump()).toBe(10);
    const w = dev.takeWritten();
    expect(w).toHaveLength(10);
    w.forEach((p, i) => {
      if (i % 3 === 0) {
        expect(p[0]! >> 4).toBe(6);
        expect(p[6]).toBe(58);
        expect(p[40]).toBe(3); // Time Exceeded
        expect([...p.subarray(24, 40)]).toEqual(CLIENT);
        // The quoted packet is the one that expired (its source port).
        expect((p[48 + 40]! << 8) | p[48 + 41]!).toBe(41000 + i);
      } else {
        expect(p[0]).toBe(0x45);
        expect((p[20]! << 8) | p[21]!).not.toBe(0);
      }
    });
    expect(loop.counters).toMatchObject({ batches: 3, packets: 10, written: 10 });
  });

  it('drops garbage without writing and counts short writes from a full queue', () => {
    const { dev, loop } = setup({ txQueueLimit: 2 });
    dev.inject(Uint8Array.of(0x00, 1, 2, 3));
    dev.inject(udp6(42000, 10).subarray(0, 30)); // truncated IPv6 header
    for (let i = 0; i < 4; i++) dev.inject(udp6(42001 + i, 10));
    expect(loop.pump()).toBe(6);
    expect(dev.takeWritten()).toHaveLength(2);
    expect(loop.counters).toMatchObject({ packets: 6, written: 2, writeShort: 2 });
    expect(dev.stats().txDropsQueueFull).toBe(2);
  });

  it('hands an active trace the packet before and after translation, and an inactive one nothing', () => {
    const { dev, hub, loop } = setup();
    const recs = hub.recs;
    dev.inject(udp6(42999, 8));
    loop.pump();
    expect(dev.takeWritten()).toHaveLength(1);
    expect(recs).toHaveLength(0);
    hub.active = true;
    const pkt = udp6(43000, 33);
    dev.inject(pkt);
    dev.inject(Uint8Array.of(0x60, ...new Array<number>(39).fill(0))); // IPv6 header, no payload
    loop.pump();
    hub.active = false;
    const sent = dev.takeWritten();
    expect(recs).toHaveLength(2);
    expect(recs[0]!.decision).toBe('forward');
    expect([...recs[0]!.before!]).toEqual([...pkt]);
    expect([...recs[0]!.after!]).toEqual([...sent[0]!]);
    expect(recs[1]!.decision).toBe('drop');
    expect(recs[1]!.after).toBeUndefined();
  });

  it('writeExtra writes whole packets by their IP length', () => {
    const { dev, loop } = setup();
    const p = udp6(44000, 5);
    const padded = new Uint8Array(p.length + 7);
    padded.set(p);
    expect(loop.writeExtra([padded])).toBe(1);
    expect(dev.takeWritten()[0]).toEqual(p);
    expect(loop.writeExtra([])).toBe(0);
  });
});

describe('PacketLoop never stops in silence', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it('a failed poll (device deleted under the fd) stops the loop and tells the owner once', async () => {
    const { dev, hub, loop: _ } = setup();
    const fatal: Error[] = [];
    const loop = new PacketLoop(dev, _.translator, hub, { mtu: 1500, onFatal: (e) => fatal.push(e) });
    loop.start();
    dev.inject(udp6(45000, 4));
    await tick();
    expect(dev.takeWritten()).toHaveLength(1);
    dev.failPoll();
    await tick();
    await tick();
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.message).toMatch(/ERR_TUN_IO/);
    expect(loop.isRunning).toBe(false);
    expect(loop.failure).toBe(fatal[0]);
    expect(loop.counters.fatal).toBe(1);
  });

  it('a fatal read stops the loop instead of throwing out of the wake-up', async () => {
    const { dev, hub, loop: _ } = setup();
    const fatal: Error[] = [];
    const loop = new PacketLoop(dev, _.translator, hub, { mtu: 1500, onFatal: (e) => fatal.push(e) });
    loop.start();
    dev.failNextRead('gone');
    await tick();
    await tick();
    expect(fatal.map((e) => e.message)).toEqual([expect.stringMatching(/gone/)]);
    expect(loop.isRunning).toBe(false);
    // writeExtra on a failed loop writes nothing and does not throw
    expect(loop.writeExtra([udp6(45001, 1)])).toBe(0);
  });

  it('a batch whose handling throws is dropped and counted by reason; the next batch goes through', () => {
    const { dev, hub, loop: base } = setup();
    const real = base.translator;
    const errors: string[] = [];
    let explode = true;
    const flaky = new Proxy(real, {
      get(target, prop, recv) {
        if (prop === 'translate') {
          return (...args: Parameters<typeof real.translate>) => {
            if (explode) throw new RangeError('offset out of bounds');
            return target.translate(...args);
          };
        }
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
    const loop = new PacketLoop(dev, flaky, hub, { mtu: 1500, onBatchError: (r) => errors.push(r) });
    for (let i = 0; i < 4; i++) dev.inject(udp6(46000 + i, 4));
    dev.inject(udp6(46100, 4));
    // batch size 4: the first batch of 4 throws, the loop goes on to read the fifth
    expect(loop.pump()).toBe(5);
    expect(errors).toEqual(['RangeError', 'RangeError']);
    expect(loop.counters).toMatchObject({ batchErrors: 2, batchErrorPackets: 5, fatal: 0 });
    expect(loop.batchErrorsByReason.get('RangeError')).toBe(2);
    explode = false;
    dev.inject(udp6(46200, 4));
    expect(loop.pump()).toBe(1);
    expect(dev.takeWritten()).toHaveLength(1);
  });

  it('counts at most 16 distinct reasons apart, the rest as "other"', () => {
    const { dev, hub, loop: base } = setup({ batchSize: 1 });
    let n = 0;
    const bad = new Proxy(base.translator, {
      get(target, prop, recv) {
        if (prop === 'translate') return () => { throw Object.assign(new Error('x'), { code: `E_${n++}` }); };
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
    const loop = new PacketLoop(dev, bad, hub, { mtu: 1500 });
    for (let i = 0; i < 20; i++) dev.inject(udp6(47000 + i, 1));
    while (loop.pump() > 0);
    expect(loop.batchErrorsByReason.size).toBe(17);
    expect(loop.batchErrorsByReason.get('other')).toBe(4);
    expect(loop.counters.batchErrors).toBe(20);
  });

  it('writeExtra skips a packet longer than an out area and writes the rest in batches', () => {
    const { dev, loop } = setup();
    const big = new Uint8Array(70_000);
    const many = Array.from({ length: 9 }, (_, i) => udp6(48000 + i, 2));
    expect(loop.writeExtra([big, ...many])).toBe(9);
    expect(dev.takeWritten()).toEqual(many);
  });
});
