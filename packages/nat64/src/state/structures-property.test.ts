/**
 * The O(1) structures of the state against simple models (fast-check):
 * the incrementally growing IndexTable, the held-SYN queue and the
 * address-dependent filtering counts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateFail } from './api.js';
import { AddrRefs } from './addr-refs.js';
import { IndexTable } from './index-table.js';
import { SynQueue } from './syn-queue.js';

/** Every entry stored under `hash` in either table (what a caller's probe loop can reach). */
function lookup(t: IndexTable, hash: number, entry: number): number {
  let found = 0;
  for (let sl: Int32Array | null = t.slots, mask = t.mask, pass = 0; sl !== null && pass < 2; sl = t.old, mask = t.oldMask, pass++) {
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = sl[2 * i]! - 1;
      if (e === -1) break;
      if (e >= 0 && sl[2 * i + 1] === hash && e === entry) found++;
    }
  }
  return found;
}

describe('IndexTable (incremental growth)', () => {
  it('property: finds exactly the live entries through any mix of inserts, removes and growths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 15 })), { maxLength: 1500 }),
        (ops) => {
          const t = new IndexTable(16);
          const model = new Map<number, number>();
          for (const [ins, entry, h] of ops) {
            // Few distinct hashes: long probe runs and many collisions.
            const hash = Math.imul(h, 0x9e3779b1);
            if (ins && !model.has(entry)) {
              t.insert(hash, entry);
              model.set(entry, hash);
            } else if (!ins) {
              expect(t.remove(model.get(entry) ?? hash, entry)).toBe(model.has(entry));
              model.delete(entry);
            }
          }
          expect(t.count).toBe(model.size);
          for (const [e, h] of model) expect(lookup(t, h, e)).toBe(1);
          // Load stays ≤ 1/2 in the current table.
          expect(t.count * 2).toBeLessThanOrEqual(t.mask + 1 + 2 * 8);
          t.settle();
          expect(t.old).toBeNull();
          for (const [e, h] of model) expect(lookup(t, h, e)).toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('grows incrementally: after the insert that doubles the table, the old one is still being emptied', () => {
    const t = new IndexTable(16);
    let growths = 0;
    let pending = 0;
    for (let i = 0; i < 100_000; i++) {
      const m0 = t.mask;
      t.insert(Math.imul(i, 0x9e3779b1), i);
      if (t.mask !== m0) {
        growths++;
        if (t.old !== null) pending++;
      }
    }
    expect(t.count).toBe(100_000);
    expect(growths).toBeGreaterThan(10);
    // Only the tiny first tables (8 slots or fewer left) finish within the growing insert.
    expect(pending).toBeGreaterThanOrEqual(growths - 1);
    for (let i = 0; i < 100_000; i += 997) expect(lookup(t, Math.imul(i, 0x9e3779b1), i)).toBe(1);
  });
});

describe('SynQueue', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('hold' as const), r: fc.integer({ min: 0, max: 5 }), p: fc.integer({ min: 0, max: 3 }), d: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('take' as const), r: fc.integer({ min: 0, max: 5 }), p: fc.integer({ min: 0, max: 3 }), exact: fc.boolean(), d: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('expire' as const), dt: fc.integer({ min: 0, max: 4000 }) }),
  );

  it('property: behaves like an array ordered by arrival (the old queue)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const q = new SynQueue(max);
        const model: { src4: number; sp: number; dst4: number; dp: number; exp: number; first: number }[] = [];
        let now = 0;
        const pkt = new Uint8Array(120);
        for (const o of ops) {
          if (o.k === 'hold') {
            // Remote addresses above 2^31 as int32, like the state passes them.
            const src4 = (0xc0000200 + o.r) | 0;
            const dst4 = (0xc6336400 + o.d) | 0;
            pkt[0] = o.r * 16 + o.p;
            q.at[0] = now + 6000;
            const r = q.hold(src4, 1000 + o.p, dst4, 2000 + o.d, pkt, 0, pkt.length);
            const dup = model.some((m) => m.src4 === src4 && m.sp === 1000 + o.p && m.dst4 === dst4 && m.dp === 2000 + o.d);
            if (dup) expect(r).toBe(StateFail.synHeld);
            else if (model.length >= max) expect(r).toBe(StateFail.synQueueFull);
            else {
              expect(r).toBe(StateFail.synHeld);
              model.push({ src4, sp: 1000 + o.p, dst4, dp: 2000 + o.d, exp: now + 6000, first: pkt[0] });
            }
          } else if (o.k === 'take') {
            const src4 = (0xc0000200 + o.r) | 0;
            const dst4 = (0xc6336400 + o.d) | 0;
            const i = model.findIndex((m) => m.src4 === src4 && m.sp === 1000 + o.p && (!o.exact || (m.dst4 === dst4 && m.dp === 2000 + o.d)));
            expect(q.take(src4, 1000 + o.p, o.exact, dst4, 2000 + o.d)).toBe(i >= 0);
            if (i >= 0) {
              expect([q.takenDst4, q.takenDstPort]).toEqual([model[i]!.dst4, model[i]!.dp]);
              model.splice(i, 1);
            }
          } else {
            now += o.dt;
            const out = q.expire(now);
            let n = 0;
            while (n < model.length && model[n]!.exp <= now) n++;
            const gone = model.splice(0, n);
            expect(out.map((e) => [e.packet.length, e.packet[0]])).toEqual(gone.map((m) => [80, m.first]));
          }
          expect(q.size).toBe(model.length);
        }
        expect(q.verify()).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('holds 100 000 SYNs from one remote and still takes and duplicates-checks in O(1)', () => {
    const q = new SynQueue(100_000);
    const pkt = new Uint8Array(60);
    q.at[0] = 1;
    let held = 0;
    for (let i = 0; i < 100_000; i++) if (q.hold(-1062731230, 4000, -966106111, 1024 + (i % 60_000), pkt, 0, 60) === StateFail.synHeld) held++;
    expect(held).toBe(100_000);
    expect(q.hold(-1062731230, 4000, -966106111, 1024, pkt, 0, 60)).toBe(StateFail.synHeld);
    expect(q.size).toBe(60_000);
    expect(q.take(-1062731230, 4000, false, 0, 0)).toBe(true);
    expect(q.takenDstPort).toBe(1024); // the oldest
    expect(q.take(-1062731230, 4000, true, -966106111, 50_000)).toBe(true);
    expect(q.size).toBe(59_998);
    expect(q.take(-1062731230, 4000, true, -966106111, 50_000)).toBe(false);
  });
});

describe('AddrRefs', () => {
  it('property: counts sessions per (binding, remote address) like a map', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: -3, max: 3 })), { maxLength: 600 }), (ops) => {
        const refs = new AddrRefs();
        const model = new Map<string, number>();
        for (const [add, b, a] of ops) {
          const r4 = (0xc0000200 + a) | 0;
          const k = `${b}/${r4}`;
          const n = model.get(k) ?? 0;
          if (add) {
            refs.add(b, r4);
            model.set(k, n + 1);
          } else if (n > 0) {
            refs.remove(b, r4);
            if (n === 1) model.delete(k);
            else model.set(k, n - 1);
          }
        }
        for (let b = 0; b <= 20; b++) {
          for (let a = -3; a <= 3; a++) {
            const r4 = (0xc0000200 + a) | 0;
            const n = model.get(`${b}/${r4}`) ?? 0;
            expect(refs.count(b, r4)).toBe(n);
            expect(refs.has(b, r4)).toBe(n > 0);
          }
        }
        expect(refs.size).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });
});
