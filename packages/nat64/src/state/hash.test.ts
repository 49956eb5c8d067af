import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { halfSipHash24 } from './hash.js';
import { IndexTable } from './index-table.js';

describe('halfSipHash24', () => {
  it('matches the reference vector (key 00..07, empty message)', () => {
    const h = halfSipHash24(0x03020100, 0x07060504, new Uint8Array(0), 0);
    expect([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, h >>> 24]).toEqual([0xa9, 0x35, 0x9f, 0x5b]);
  });

  it('depends on every input byte, the length and the key', () => {
    const m = new Uint8Array(22).map((_, i) => i);
    const base = halfSipHash24(1, 2, m, 22);
    for (let i = 0; i < 22; i++) {
      const c = m.slice();
      c[i] = c[i]! ^ 1;
      expect(halfSipHash24(1, 2, c, 22)).not.toBe(base);
    }
    expect(halfSipHash24(1, 2, m, 21)).not.toBe(base);
    expect(halfSipHash24(1, 3, m, 22)).not.toBe(base);
  });
});

describe('IndexTable', () => {
  it('agrees with a Map under random inserts and removes, including heavy collisions and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { maxLength: 600 }), fc.integer({ min: 0, max: 7 }), (ops, hashBits) => {
        const t = new IndexTable(16);
        const model = new Map<number, number>();
        // Few hash bits force long runs and wrap-around shifts.
        const hashOf = (k: number): number => (Math.imul(k, 0x9e3779b1) >>> (32 - hashBits - 1)) | (k & 1 ? 0x100 : 0);
        for (const [add, k] of ops) {
          if (add && !model.has(k)) {
            t.insert(hashOf(k), k);
            model.set(k, hashOf(k));
          } else if (!add) {
            expect(t.remove(hashOf(k), k)).toBe(model.delete(k));
          }
        }
        expect(t.count).toBe(model.size);
        // The scan below reads one table: finish an incremental growth still under way first.
        t.settle();
        expect(t.old).toBeNull();
        const found = new Set<number>();
        for (let i = 0; i <= t.mask; i++) {
          const e = t.slots[2 * i]! - 1;
          if (e < 0) continue;
          found.add(e);
          // Every entry must be reachable from its home slot without crossing an empty slot.
          for (let j = t.slots[2 * i + 1]! & t.mask; j !== i; j = (j + 1) & t.mask) expect(t.slots[2 * j]).not.toBe(0);
        }
        expect([...found].sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });
});

/** The straightforward HalfSipHash-2-4 (one round per call), to check the optimised one against. */
function referenceHalfSip(k0: number, k1: number, msg: Uint8Array, len: number): number {
  const v = [k0 | 0, k1 | 0, 0x6c796765 ^ k0, 0x74656462 ^ k1];
  const rotl = (x: number, b: number): number => (x << b) | (x >>> (32 - b));
  const round = (): void => {
    v[0] = (v[0]! + v[1]!) | 0; v[1] = rotl(v[1]!, 5) ^ v[0]; v[0] = rotl(v[0], 16);
    v[2] = (v[2]! + v[3]!) | 0; v[3] = rotl(v[3]!, 8) ^ v[2];
    v[0] = (v[0] + v[3]) | 0; v[3] = rotl(v[3], 7) ^ v[0];
    v[2] = (v[2] + v[1]) | 0; v[1] = rotl(v[1], 13) ^ v[2]; v[2] = rotl(v[2], 16);
  };
  const words: number[] = [];
  for (let i = 0; i + 4 <= len; i += 4) words.push(msg[i]! | (msg[i + 1]! << 8) | (msg[i + 2]! << 16) | (msg[i + 3]! << 24));
  let b = len << 24;
  for (let i = len & ~3; i < len; i++) b |= msg[i]! << (8 * (i & 3));
  words.push(b);
  for (const m of words) {
    v[3] ^= m;
    round();
    round();
    v[0] ^= m;
  }
  v[2] ^= 0xff;
  for (let r = 0; r < 4; r++) round();
  return (v[1]! ^ v[3]!) >>> 0;
}

describe('halfSipHash24 against a plain implementation', () => {
  it('agrees for every length 0-40 and random keys and bytes', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.uint8Array({ minLength: 0, maxLength: 40 }), (k0, k1, msg) => {
        expect(halfSipHash24(k0, k1, msg, msg.length)).toBe(referenceHalfSip(k0, k1, msg, msg.length));
      }),
      { numRuns: 500 },
    );
  });
});
