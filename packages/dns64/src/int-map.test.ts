import { describe, expect, it } from 'vitest';
import { IntMap } from './int-map.js';

/** A small deterministic PRNG (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('IntMap', () => {
  it('agrees with a Map under random adds, replacements and deletes, across growth and wrap-around', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rng(seed);
      const m = new IntMap<number>(16);
      const model = new Map<number, number>();
      // A small key space makes collisions, long probe runs and runs that wrap the table's end common.
      const space = seed === 5 ? 2 ** 32 : 64 + seed * 100;
      for (let step = 0; step < 20_000; step++) {
        const key = Math.floor(r() * space);
        const op = r();
        if (op < 0.45) {
          m.set(key, step);
          model.set(key, step);
        } else if (op < 0.9) {
          expect(m.delete(key)).toBe(model.delete(key));
        } else {
          expect(m.get(key)).toBe(model.get(key));
          expect(m.has(key)).toBe(model.has(key));
        }
        if (step % 997 === 0) {
          expect(m.size).toBe(model.size);
          for (const [k, v] of model) expect(m.get(k)).toBe(v);
          const seen = new Map<number, number>();
          m.forEach((v, k) => seen.set(k, v));
          expect(seen).toEqual(model);
        }
      }
    }
  });

  it('does not grow under churn at a steady size (one query in, one out)', () => {
    const m = new IntMap<string>(16);
    const r = rng(9);
    const live: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const k = Math.floor(r() * 2 ** 32);
      if (m.has(k)) continue;
      m.set(k, 'x');
      live.push(k);
      if (live.length > 3) expect(m.delete(live.shift()!)).toBe(true);
    }
    expect(m.size).toBe(3);
    expect(m.capacity).toBe(16);
  });

  it('keeps keys as unsigned 32-bit numbers', () => {
    const m = new IntMap<number>();
    m.set(0xffffffff, 1);
    m.set(0, 2);
    expect(m.get(-1)).toBe(1); // -1 >>> 0
    expect(m.get(0xffffffff)).toBe(1);
    expect(m.get(0)).toBe(2);
    expect(m.get(1)).toBeUndefined();
    expect(m.delete(0xffffffff)).toBe(true);
    expect(m.delete(0xffffffff)).toBe(false);
    expect(m.size).toBe(1);
  });
});
