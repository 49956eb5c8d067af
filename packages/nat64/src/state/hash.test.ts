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
