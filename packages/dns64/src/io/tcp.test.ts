import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader } from './tcp.js';

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

describe('FrameReader', () => {
  it('gives the same messages whatever the chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 50 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map((m) => frame(Buffer.from(m))));
          const r = new FrameReader();
          const out: Buffer[] = [];
          let o = 0;
          for (let i = 0; o < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            r.push(stream.subarray(o, o + n));
            o += n;
            for (let m = r.next(); m !== undefined; m = r.next()) out.push(m);
          }
          expect(out.map((b) => b.toString('hex'))).toEqual(msgs.map((m) => Buffer.from(m).toString('hex')));
          expect(r.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds an incomplete message and counts its bytes; a zero-length message is a message', () => {
    const r = new FrameReader();
    r.push(Buffer.from([0]));
    expect(r.next()).toBeUndefined();
    expect(r.buffered).toBe(1);
    r.push(Buffer.from([0, 0, 3, 1, 2]));
    expect(r.next()).toEqual(Buffer.alloc(0));
    expect(r.next()).toBeUndefined();
    expect(r.buffered).toBe(4);
    r.push(Buffer.from([3]));
    expect(r.next()).toEqual(Buffer.from([1, 2, 3]));
    r.push(Buffer.alloc(0));
    expect(r.buffered).toBe(0);
  });

  it('copies each byte a bounded number of times: 64 KiB in 1-byte chunks stays linear', () => {
    const r = new FrameReader();
    const msg = Buffer.alloc(65_535, 7);
    const stream = frame(msg);
    const t0 = process.hrtime.bigint();
    let got: Buffer | undefined;
    for (let i = 0; i < stream.length && got === undefined; i++) {
      r.push(stream.subarray(i, i + 1));
      got = r.next(); // as the server does after every chunk
    }
    expect(got?.length).toBe(65_535);
    expect(got!.equals(msg)).toBe(true);
    // Not a timing target: a generous bound that a copy per chunk (2 GB of copying) cannot meet.
    expect(Number(process.hrtime.bigint() - t0) / 1e9).toBeLessThan(4);
  });
});
