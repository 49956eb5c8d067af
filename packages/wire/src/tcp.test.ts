// TCP accessor: the MSS option walk on hand-made option lists, every refusal,
// and no read outside the segment's header.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TCP_NO_MSS, TCP_OPTIONS_MALFORMED, tcpMssOffset } from './tcp.js';
import { guard } from './test-helpers.js';

/** A TCP header with `opts` (padded with EOL to 4) at offset 5, followed by `data` bytes of 0xa5. */
function seg(opts: number[], data = 0, dataOffset?: number): { buf: Uint8Array; p: number; len: number } {
  const o = [...opts, 0, 0, 0].slice(0, (opts.length + 3) & ~3);
  const len = 20 + o.length + data;
  const buf = new Uint8Array(5 + len).fill(0xa5);
  buf.fill(0, 5, 25);
  buf[5 + 12] = (dataOffset ?? (20 + o.length) / 4) << 4;
  buf.set(o, 25);
  return { buf, p: 5, len };
}

const mss = (s: { buf: Uint8Array; p: number; len: number }, hdrEnd = s.p + s.len): number => {
  const r = tcpMssOffset(guard(s.buf, s.p, hdrEnd), s.p, s.len);
  return r >= 0 ? r - s.p : r;
};

describe('tcpMssOffset', () => {
  it('finds MSS first, after NOPs, after SACK-permitted and window scale', () => {
    expect(mss(seg([2, 4, 5, 0xb4]))).toBe(22);
    expect(mss(seg([1, 1, 2, 4, 5, 0xb4]))).toBe(24);
    expect(mss(seg([4, 2, 3, 3, 7, 1, 2, 4, 5, 0xb4]))).toBe(28);
  });

  it('no MSS: no options, EOL before it, a kind-2 option of another length (skipped)', () => {
    expect(mss(seg([]))).toBe(TCP_NO_MSS);
    expect(mss(seg([0, 2, 4, 5, 0xb4]))).toBe(TCP_NO_MSS);
    expect(mss(seg([2, 3, 5, 1]))).toBe(TCP_NO_MSS);
  });

  it('malformed: length below 2, past the header, a kind byte with no length byte', () => {
    expect(mss(seg([8, 1, 0, 0]))).toBe(TCP_OPTIONS_MALFORMED);
    expect(mss(seg([8, 10, 0, 0, 0, 0, 0, 0]))).toBe(TCP_OPTIONS_MALFORMED);
    expect(mss(seg([1, 1, 1, 8]))).toBe(TCP_OPTIONS_MALFORMED);
  });

  it('the options end at Data Offset × 4, and never past the segment (l4Len)', () => {
    // Data Offset says 24 bytes but the MSS sits at 24..28: outside the header.
    expect(mss(seg([1, 1, 1, 1, 2, 4, 5, 0xb4], 0, 6), 5 + 24)).toBe(TCP_NO_MSS);
    // Data Offset 15 (60 bytes) on a 24-byte segment: the walk stops at 24.
    const s = seg([1, 1, 1, 1], 0, 15);
    expect(mss(s)).toBe(TCP_NO_MSS);
    // Data Offset below 5: no options at all.
    expect(mss(seg([2, 4, 5, 0xb4], 0, 4), 5 + 20)).toBe(TCP_NO_MSS);
  });

  it('never reads outside the header, on any option bytes and data offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 15 }), fc.nat(60), (opts, doff, extra) => {
        const len = Math.min(20 + opts.length + extra, 20 + opts.length);
        const buf = new Uint8Array(20 + opts.length);
        buf.set(opts, 20);
        buf[12] = doff << 4;
        const r = tcpMssOffset(guard(buf, 0, len), 0, len);
        expect(r === TCP_NO_MSS || r === TCP_OPTIONS_MALFORMED || (r >= 22 && r + 2 <= Math.min(doff * 4, len))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
