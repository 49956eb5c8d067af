/**
 * The record stores (store.ts) against a simple model (fast-check): rows
 * allocated and freed in any order, through the growth to the reservation
 * and past it (doubling), keep their contents and are never handed out
 * twice; the first growth goes straight to the reservation, so no later
 * insert up to the limit copies the table.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { B_ADDR4, B_STRIDE, Bindings, Clients, MAX_RESERVED_ROWS, S_EXP64, S_REMOTE4, S_STRIDE, Sessions, reservedRows } from './store.js';

type Op = { alloc: true; value: number } | { alloc: false; pick: number };

const ops = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ alloc: fc.constant(true as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }) },
    { weight: 1, arbitrary: fc.record({ alloc: fc.constant(false as const), pick: fc.nat() }) },
  ),
  { maxLength: 600 },
);

/** Runs `seq` on a store through `alloc`/`free`/`write`/`read`, against a Map row → value. */
function check(seq: Op[], store: { alloc(): number; free(r: number): void; count: number; cap: number }, write: (r: number, v: number) => void, read: (r: number) => number): void {
  const model = new Map<number, number>();
  for (const op of seq) {
    if (op.alloc) {
      const r = store.alloc();
      expect(model.has(r)).toBe(false); // never a live row twice
      write(r, op.value);
      model.set(r, op.value);
    } else if (model.size > 0) {
      const rows = [...model.keys()];
      const r = rows[op.pick % rows.length]!;
      store.free(r);
      model.delete(r);
    }
    expect(store.count).toBe(model.size);
  }
  for (const [r, v] of model) expect(read(r)).toBe(v);
  expect(store.cap).toBeGreaterThanOrEqual(model.size);
}

describe('record stores (reserved growth)', () => {
  it('property: sessions keep every live row through growth to the reservation and past it', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: 300 }), (seq, limit) => {
        const s = new Sessions(4, limit);
        check(
          seq,
          s,
          (r, v) => {
            s.rec[r * S_STRIDE + S_REMOTE4] = v;
            s.exp[r * (S_STRIDE / 2) + S_EXP64] = v / 3;
          },
          (r) => {
            expect(s.exp[r * (S_STRIDE / 2) + S_EXP64]).toBe(s.rec[r * S_STRIDE + S_REMOTE4]! / 3);
            return s.rec[r * S_STRIDE + S_REMOTE4]!;
          },
        );
      }),
      { numRuns: 150 },
    );
  });

  it('property: bindings and clients keep every live row through growth', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: 300 }), (seq, limit) => {
        const b = new Bindings(4, limit);
        check(seq, b, (r, v) => {
          b.rec[r * B_STRIDE + B_ADDR4] = v;
          b.aidx[r] = ~v;
        }, (r) => {
          expect(b.aidx[r]).toBe(~b.rec[r * B_STRIDE + B_ADDR4]!);
          return b.rec[r * B_STRIDE + B_ADDR4]!;
        });
        const c = new Clients(4, limit);
        check(seq, c, (r, v) => {
          c.a6[4 * r + 3] = v;
        }, (r) => c.a6[4 * r + 3]!);
      }),
      { numRuns: 150 },
    );
  });

  it('the first growth goes to the reservation: no copy on the way to the limit', () => {
    const s = new Sessions(256, 100_000);
    const arrays = new Set<Int32Array>();
    for (let i = 0; i < 100_000; i++) {
      s.alloc();
      arrays.add(s.rec);
    }
    // The initial array and the reserved one: exactly one growth, at row 256 (a 256-row copy).
    expect(arrays.size).toBe(2);
    expect(s.cap).toBe(100_000);
    // Past the limit (static bindings, a carry-over from a larger table) it doubles.
    s.alloc();
    expect(s.cap).toBe(200_000);
    // Bytes count the rows used, not the reserved address space.
    expect(s.bytes).toBe(100_001 * (S_STRIDE * 4 + 4));
  });

  it('reserveAll takes the reservation up front: no growth at all up to the limit', () => {
    const s = new Sessions(256, 50_000);
    s.reserveAll();
    const rec = s.rec;
    expect(s.cap).toBe(50_000);
    for (let i = 0; i < 50_000; i++) s.alloc();
    expect(s.rec).toBe(rec);
    s.reserveAll(); // idempotent
    expect(s.rec).toBe(rec);
  });

  it('caps the reservation and never reserves less than the initial rows', () => {
    expect(reservedRows(256, 2 ** 30)).toBe(MAX_RESERVED_ROWS);
    expect(reservedRows(256, 10)).toBe(256);
    expect(reservedRows(256, 1_000_000)).toBe(1_000_000);
  });
});
