import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryTun } from './memory-tun.js';
import { TunClosedError, TunError } from './errors.js';

/** A packet of `len` bytes whose bytes encode `tag` so reads can be told apart. */
function pkt(len: number, tag: number): Uint8Array {
  const p = new Uint8Array(len);
  p.fill(tag & 0xff);
  if (len > 0) p[0] = 0x60; // IPv6 version nibble; MemoryTun does not parse, this is only realism
  return p;
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Reads one batch with readFlat into a fresh arena; returns the packets read. */
function readOne(dev: MemoryTun, slot = 128): Uint8Array[] {
  const arena = new Uint8Array(dev.batchSize * slot);
  const sizes = new Int32Array(dev.batchSize);
  const n = dev.readFlat(arena, slot, 0, sizes);
  return Array.from({ length: n }, (_, i) => arena.slice(i * slot, i * slot + sizes[i]!));
}

describe('MemoryTun onReadable', () => {
  it('wakes on a later turn, once per wake-up, and again while packets remain (level-triggered)', async () => {
    const dev = new MemoryTun({ batchSize: 2 });
    const seen: number[] = [];
    dev.onReadable(() => {
      // read only one batch per wake-up: the rest must wake us again
      seen.push(readOne(dev).length);
    });
    for (let i = 0; i < 5; i++) dev.inject(pkt(20, i));
    expect(seen).toEqual([]); // not synchronous
    for (let i = 0; i < 10 && dev.pending > 0; i++) await nextTurn();
    expect(seen).toEqual([2, 2, 1]);
    expect(dev.stats().rxWakeups).toBe(3);
  });

  it('failNextRead surfaces ERR_TUN_IO once, then reads resume', () => {
    const dev = new MemoryTun();
    dev.inject(pkt(20, 1));
    dev.failNextRead();
    expect(() => readOne(dev)).toThrow(TunError);
    expect(readOne(dev)).toHaveLength(1);
  });

  it('failPoll hands the callback ERR_TUN_IO once and wakes it no more', async () => {
    const dev = new MemoryTun();
    const calls: (TunError | undefined)[] = [];
    dev.onReadable((err) => calls.push(err));
    dev.failPoll();
    dev.inject(pkt(20, 1));
    for (let i = 0; i < 4; i++) await nextTurn();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.code).toBe('ERR_TUN_IO');
  });

  it('stops waking after close and after onReadable(null)', async () => {
    const dev = new MemoryTun();
    let calls = 0;
    dev.onReadable(() => calls++);
    dev.onReadable(null);
    dev.inject(pkt(20, 1));
    await nextTurn();
    await nextTurn();
    expect(calls).toBe(0);
    dev.onReadable(() => calls++);
    dev.close();
    await nextTurn();
    expect(calls).toBe(0);
  });
});

describe('MemoryTun lifecycle and options', () => {
  it('every operation after close throws TunClosedError; close is idempotent', () => {
    const dev = new MemoryTun();
    dev.close();
    dev.close();
    expect(dev.closed).toBe(true);
    const arena = new Uint8Array(256);
    const sizes = new Int32Array(1);
    for (const op of [
      () => dev.readFlat(arena, 128, 0, sizes),
      () => dev.writeFlat(arena, Int32Array.of(0), Int32Array.of(20), 1),
      () => dev.inject(pkt(20, 1)),
      () => dev.setMtu(1400),
      () => dev.onReadable(() => {}),
    ]) {
      expect(op).toThrow(TunClosedError);
    }
    expect(() => dev.readFlat(arena, 128, 0, sizes)).toThrowError(expect.objectContaining({ code: 'ERR_TUN_CLOSED' }) as Error);
  });

  it.each([
    { name: 'MTU too small', opts: { mtu: 67 } },
    { name: 'MTU too large', opts: { mtu: 65536 } },
    { name: 'MTU not an integer', opts: { mtu: 1500.5 } },
    { name: 'batch 0', opts: { batchSize: 0 } },
    { name: 'batch too large', opts: { batchSize: 1025 } },
    { name: 'empty name', opts: { name: '' } },
    { name: 'name with slash', opts: { name: 'a/b' } },
    { name: 'name with space', opts: { name: 'a b' } },
    { name: 'name 16 bytes', opts: { name: 'abcdefghijklmnop' } },
    { name: 'name ..', opts: { name: '..' } },
  ])('rejects $name with ERR_TUN_ARGUMENT', ({ opts }) => {
    expect(() => new MemoryTun(opts)).toThrowError(expect.objectContaining({ code: 'ERR_TUN_ARGUMENT' }) as Error);
  });

  it('setMtu validates and is reported by mtu()', () => {
    const dev = new MemoryTun({ name: 'sixgate0', mtu: 1500 });
    dev.setMtu(1280);
    expect(dev.mtu()).toBe(1280);
    expect(() => dev.setMtu(10)).toThrow(TunError);
    expect(dev.mtu()).toBe(1280);
    expect(dev.name()).toBe('sixgate0');
  });
});

describe('MemoryTun flat arena', () => {
  it('readFlat puts packet i at i*slot+offset with its size and leaves the headroom alone', () => {
    const dev = new MemoryTun({ batchSize: 8 });
    const slot = 28 + 100;
    const arena = new Uint8Array(4 * slot).fill(0xa5);
    const sizes = new Int32Array(8);
    dev.inject(pkt(40, 1));
    dev.inject(pkt(100, 2));
    dev.inject(pkt(101, 3)); // one byte too long for the slot: dropped and counted
    dev.inject(pkt(1, 4));
    expect(dev.readFlat(arena, slot, 28, sizes)).toBe(3);
    expect([...sizes.subarray(0, 3)]).toEqual([40, 100, 1]);
    expect(arena[27]).toBe(0xa5);
    expect(arena[28]).toBe(0x60);
    expect(arena[28 + 39]).toBe(1);
    expect(arena[28 + 40]).toBe(0xa5);
    expect(arena[slot + 27]).toBe(0xa5);
    expect(arena[slot + 28 + 99]).toBe(2);
    expect(arena[2 * slot + 28]).toBe(0x60);
    expect(arena[2 * slot + 29]).toBe(0xa5);
    expect(dev.readFlat(arena, slot, 28, sizes)).toBe(0);
    expect(dev.stats()).toMatchObject({ rxPackets: 3, rxBytes: 141, rxTruncated: 1 });
  });

  it('readFlat never returns more than batchSize, sizes.length or whole slots in the arena', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 16 * 64 + 63 }),
        fc.integer({ min: 0, max: 40 }),
        (batchSize, nSizes, arenaLen, pending) => {
          const dev = new MemoryTun({ batchSize });
          for (let i = 0; i < pending; i++) dev.inject(pkt(20, i));
          const n = dev.readFlat(new Uint8Array(arenaLen), 64, 4, new Int32Array(nSizes));
          expect(n).toBe(Math.min(batchSize, nSizes, Math.floor(arenaLen / 64), pending));
          expect(dev.pending).toBe(pending - n);
        },
      ),
    );
  });

  it('readFlat rejects bad arguments with ERR_TUN_ARGUMENT and throws after close', () => {
    const dev = new MemoryTun();
    const arena = new Uint8Array(256);
    const sizes = new Int32Array(4);
    for (const [slot, offset] of [[0, 0], [64, 64], [64, -1], [64, 1.5], [Number.NaN, 0], [-64, 0]] as const) {
      expect(() => dev.readFlat(arena, slot, offset, sizes)).toThrow(TunError);
    }
    expect(() => dev.readFlat([] as unknown as Uint8Array, 64, 0, sizes)).toThrow(/Uint8Array arena/);
    expect(() => dev.readFlat(arena, 64, 0, new Uint32Array(4) as unknown as Int32Array)).toThrow(/Int32Array/);
    dev.failNextRead('gone');
    expect(() => dev.readFlat(arena, 64, 0, sizes)).toThrow(/gone/);
    dev.close();
    expect(() => dev.readFlat(arena, 64, 0, sizes)).toThrow(TunClosedError);
  });

  it('writeFlat writes arena[offsets[i] .. +lengths[i]) and counts bad entries without stopping', () => {
    const dev = new MemoryTun();
    const arena = new Uint8Array(300);
    arena.set(pkt(20, 7), 10);
    arena.set(pkt(30, 8), 250);
    const offsets = Int32Array.of(10, -1, 290, 250, 0, 300);
    const lengths = Int32Array.of(20, 20, 11, 30, 0, 1);
    expect(dev.writeFlat(arena, offsets, lengths, 6)).toBe(2);
    const w = dev.takeWritten();
    expect(w.map((p) => [p.length, p[1]])).toEqual([[20, 7], [30, 8]]);
    expect(dev.stats()).toMatchObject({ txPackets: 2, txBytes: 50, txErrors: 4 });
    // A copy, not a view: later arena reuse does not change what was written.
    arena.fill(0, 10, 30);
    dev.writeFlat(arena, offsets, lengths, 1);
    expect(dev.takeWritten()[0]![1]).toBe(0);
    expect(w[0]![1]).toBe(7);
  });

  it('writeFlat honours count, txQueueLimit and link state, and rejects bad arguments', () => {
    const dev = new MemoryTun({ txQueueLimit: 1 });
    const arena = new Uint8Array(100).fill(0x45);
    const offsets = Int32Array.of(0, 20, 40);
    const lengths = Int32Array.of(20, 20, 20);
    expect(dev.writeFlat(arena, offsets, lengths, 0)).toBe(0);
    expect(dev.writeFlat(arena, offsets, lengths, -3)).toBe(0);
    expect(dev.writeFlat(arena, offsets, lengths, 99)).toBe(1);
    expect(dev.stats()).toMatchObject({ txPackets: 1, txDropsQueueFull: 2 });
    dev.takeWritten();
    dev.down();
    expect(dev.writeFlat(arena, offsets, lengths, 1)).toBe(0);
    expect(dev.stats().txErrors).toBe(1);
    expect(() => dev.writeFlat(arena, [0] as unknown as Int32Array, lengths, 1)).toThrow(TunError);
    dev.close();
    expect(() => dev.writeFlat(arena, offsets, lengths, 1)).toThrow(TunClosedError);
  });

  it('with offload, moves a virtio_net_hdr per packet next to the arena', () => {
    const dev = new MemoryTun({ offload: true, batchSize: 4 });
    expect(dev.offload).toBe(true);
    const h = Uint8Array.of(1, 4, 60, 0, 0xa0, 5, 40, 0, 16, 0);
    dev.inject(pkt(100, 1), h);
    dev.inject(pkt(50, 2));
    const arena = new Uint8Array(4 * 200);
    const sizes = new Int32Array(4);
    const vnet = new Uint8Array(40).fill(0xee);
    expect(dev.readFlat(arena, 200, 28, sizes, vnet)).toBe(2);
    expect(vnet.subarray(0, 10)).toEqual(h);
    expect(vnet.subarray(10, 20)).toEqual(new Uint8Array(10)); // injected without: all zero
    expect(vnet[20]).toBe(0xee); // untouched beyond the batch
    // Only as many packets as headers fit.
    dev.inject(pkt(10, 3));
    dev.inject(pkt(10, 4));
    expect(dev.readFlat(arena, 200, 28, sizes, new Uint8Array(10))).toBe(1);
    expect(dev.pending).toBe(1);
    // Writes record the header each packet went out behind (zero when none given).
    const out = Uint8Array.of(7, 7, 7, 7);
    expect(dev.writeFlat(arena, Int32Array.of(28, 228), Int32Array.of(100, 50), 2, h)).toBe(2);
    expect(dev.writtenVnet).toEqual([h, new Uint8Array(10)]);
    expect(dev.takeWritten()).toHaveLength(2);
    expect(dev.writtenVnet).toHaveLength(0);
    expect(() => dev.inject(out, Uint8Array.of(1, 2))).toThrow(TunError);
    expect(() => dev.readFlat(arena, 200, 28, sizes, [1] as unknown as Uint8Array)).toThrow(TunError);
    expect(() => dev.writeFlat(arena, Int32Array.of(0), Int32Array.of(1), 1, [1] as unknown as Uint8Array)).toThrow(TunError);
  });
});

describe('MemoryTun gather writes (writeFlat with parts)', () => {
  /** An arena whose byte i is i*7 mod 256, so every piece is recognisable. */
  const patterned = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
  /** The bytes the pieces j in [from, to) stand for, concatenated. */
  const concat = (arena: Uint8Array, offsets: Int32Array, lengths: Int32Array, from: number, to: number) =>
    Uint8Array.from(Array.from({ length: to - from }, (_, q) => [...arena.subarray(offsets[from + q]!, offsets[from + q]! + lengths[from + q]!)]).flat());

  it('writes packets of 1, 3 and 64 pieces, each as the concatenation of its pieces; the result counts pieces', () => {
    const dev = new MemoryTun({ offload: true });
    const arena = patterned(8192);
    // 1 piece, then 3 pieces out of order in the arena, then 64 pieces of 16 bytes.
    const offs = [100, 3000, 40, 2000, ...Array.from({ length: 64 }, (_, i) => 4096 + i * 32)];
    const lens = [60, 20, 8, 500, ...Array.from({ length: 64 }, () => 16)];
    const offsets = Int32Array.from(offs);
    const lengths = Int32Array.from(lens);
    const parts = Int32Array.of(1, 3, 64);
    const vnet = new Uint8Array(30);
    vnet[10] = 1; // packet 1: NEEDS_CSUM
    vnet[20] = 1; vnet[21] = 5; // packet 2: a UDP super-packet header
    expect(dev.writeFlat(arena, offsets, lengths, 3, vnet, parts)).toBe(68);
    expect(dev.written).toEqual([
      concat(arena, offsets, lengths, 0, 1),
      concat(arena, offsets, lengths, 1, 4),
      concat(arena, offsets, lengths, 4, 68),
    ]);
    expect(dev.written.map((p) => p.length)).toEqual([60, 528, 1024]);
    expect(dev.writtenVnet).toEqual([vnet.subarray(0, 10), vnet.subarray(10, 20), vnet.subarray(20, 30)]);
    expect(dev.stats()).toMatchObject({ txPackets: 3, txBytes: 60 + 528 + 1024, txErrors: 0 });
    // Copies: reusing the arena does not change what was written.
    arena.fill(0);
    expect(dev.written[1]![0]).toBe((3000 * 7) & 0xff);
  });

  it('a UDP GSO header is refused like the kernel refuses it when the device cannot take UDP GSO (udpGso: false)', () => {
    const arena = patterned(200);
    const gso = Uint8Array.of(1, 5, 28, 0, 64, 0, 20, 0, 6, 0);
    const tcp = Uint8Array.of(1, 0, 0, 0, 0, 0, 20, 0, 16, 0);
    const vnet = new Uint8Array(20);
    vnet.set(gso, 0);
    vnet.set(tcp, 10);
    const offs = Int32Array.of(0, 100);
    const lens = Int32Array.of(92, 60);
    const old = new MemoryTun({ offload: true, udpGso: false });
    expect(old.udpGso).toBe(false);
    expect(old.writeFlat(arena, offs, lens, 2, vnet)).toBe(1);
    expect(old.writeFlat(arena, offs, lens, 2, vnet, Int32Array.of(1, 1))).toBe(1);
    expect(old.stats()).toMatchObject({ txPackets: 2, txErrors: 2 });
    expect(old.writtenVnet).toEqual([tcp, tcp]);
    const now = new MemoryTun({ offload: true });
    expect(now.udpGso).toBe(true);
    expect(now.writeFlat(arena, offs, lens, 2, vnet)).toBe(2);
    expect(now.stats()).toMatchObject({ txPackets: 2, txErrors: 0 });
    expect(new MemoryTun({ udpGso: true }).udpGso).toBe(false); // only with offload
  });

  it('without vnet (or with too few headers) packets go out behind all-zero headers', () => {
    const dev = new MemoryTun({ offload: true });
    const arena = patterned(100);
    const h = Uint8Array.of(1, 0, 0, 0, 0, 0, 20, 0, 6, 0);
    expect(dev.writeFlat(arena, Int32Array.of(0, 10, 20, 30), Int32Array.of(10, 10, 10, 10), 2, h, Int32Array.of(2, 2))).toBe(4);
    expect(dev.writtenVnet).toEqual([h, new Uint8Array(10)]);
    expect(dev.written).toEqual([arena.slice(0, 20), arena.slice(20, 40)]);
  });

  it('bad packets (0 or 65 parts, a piece outside the arena) count txErrors once and the next packets still go out', () => {
    const dev = new MemoryTun();
    const arena = patterned(4096);
    // Pieces: [0] good, [1..65] 65 pieces of a packet that is too many, [66,67] good,
    // [68,69] second piece outside the arena, [70] empty piece, [71] negative offset, [72,73] good.
    const offs: number[] = [0, ...Array.from({ length: 65 }, (_, i) => i), 100, 200, 300, 4090, 400, -1, 500, 600];
    const lens: number[] = [10, ...Array.from({ length: 65 }, () => 1), 5, 6, 10, 7, 0, 4, 8, 9];
    const parts = Int32Array.of(1, 0, 65, 2, 2, 1, 1, -3, 2);
    const offsets = Int32Array.from(offs);
    const lengths = Int32Array.from(lens);
    expect(dev.writeFlat(arena, offsets, lengths, parts.length, undefined, parts)).toBe(1 + 2 + 2);
    expect(dev.written).toEqual([
      concat(arena, offsets, lengths, 0, 1),
      concat(arena, offsets, lengths, 66, 68),
      concat(arena, offsets, lengths, 72, 74),
    ]);
    // 0 parts, 65 parts, a piece past the arena end, an empty piece, a negative offset, -3 parts.
    expect(dev.stats()).toMatchObject({ txPackets: 3, txBytes: 10 + 11 + 17, txErrors: 6 });
  });

  it('a packet whose pieces run past offsets/lengths counts once and ends the call', () => {
    const dev = new MemoryTun();
    const arena = patterned(256);
    const offsets = Int32Array.of(0, 10, 20, 30, 40);
    const lengths = Int32Array.of(10, 10, 10, 10); // shorter: 4 usable pieces
    expect(dev.writeFlat(arena, offsets, lengths, 4, undefined, Int32Array.of(2, 3, 1, 1))).toBe(2);
    expect(dev.written).toEqual([arena.slice(0, 20)]);
    expect(dev.stats()).toMatchObject({ txPackets: 1, txErrors: 1 });
    // count is packets (bounded by parts), not clamped by the piece arrays.
    expect(dev.writeFlat(arena, offsets, lengths, 99, undefined, Int32Array.of(4))).toBe(4);
    expect(dev.written.at(-1)).toEqual(arena.slice(0, 40));
  });

  it('gathered packets meet the same kernel limits, queue and link state; bad parts are ERR_TUN_ARGUMENT', () => {
    const dev = new MemoryTun({ txQueueLimit: 2 });
    const arena = new Uint8Array(70000).fill(0x45);
    // 65536 bytes in two pieces: a txErrors in MemoryTun, as for one piece.
    expect(dev.writeFlat(arena, Int32Array.of(0, 32768), Int32Array.of(32768, 32768), 1, undefined, Int32Array.of(2))).toBe(0);
    expect(dev.stats().txErrors).toBe(1);
    // 65535 bytes is fine.
    expect(dev.writeFlat(arena, Int32Array.of(0, 32768), Int32Array.of(32768, 32767), 1, undefined, Int32Array.of(2))).toBe(2);
    const offsets = Int32Array.of(0, 10, 20, 30, 40, 50);
    const lengths = Int32Array.of(10, 10, 10, 10, 10, 10);
    const parts = Int32Array.of(2, 2, 2);
    expect(dev.writeFlat(arena, offsets, lengths, 0, undefined, parts)).toBe(0);
    expect(dev.writeFlat(arena, offsets, lengths, -1, undefined, parts)).toBe(0);
    expect(dev.writeFlat(arena, offsets, lengths, Number.NaN, undefined, parts)).toBe(0);
    expect(dev.writeFlat(arena, offsets, lengths, 3, undefined, parts)).toBe(2); // queue holds 2
    expect(dev.stats()).toMatchObject({ txPackets: 2, txDropsQueueFull: 2 });
    dev.takeWritten();
    dev.down();
    expect(dev.writeFlat(arena, offsets, lengths, 3, undefined, parts)).toBe(0);
    expect(dev.stats().txErrors).toBe(1 + 3);
    dev.up();
    for (const bad of [[1, 1], new Uint32Array(2), new Int16Array(2)]) {
      expect(() => dev.writeFlat(arena, offsets, lengths, 1, undefined, bad as unknown as Int32Array)).toThrowError(
        expect.objectContaining({ code: 'ERR_TUN_ARGUMENT' }) as Error,
      );
    }
    dev.close();
    expect(() => dev.writeFlat(arena, offsets, lengths, 1, undefined, parts)).toThrow(TunClosedError);
  });
});
