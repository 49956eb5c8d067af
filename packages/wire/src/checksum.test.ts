import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setU16, setU32, u16, u32 } from './bytes.js';
import {
  addressSum4,
  addressSum4At,
  addressSum6,
  adjust,
  combine,
  finish,
  fold,
  normalizeUdp,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  pseudoSwap4to6,
  pseudoSwap6to4,
  sum,
  sumU32,
  update16,
  update32,
  verify,
} from './checksum.js';

/** Reference RFC 1071 sum, written the slow obvious way. */
function refSum(bytes: number[]): number {
  let acc = 0;
  for (let i = 0; i < bytes.length; i += 2) acc += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (acc > 0xffff) acc = (acc % 0x10000) + Math.floor(acc / 0x10000);
  return acc;
}

/** Equal as ones'-complement numbers (0 and 0xffff are both zero). */
function eq1c(a: number, b: number): boolean {
  return a === b || (a % 0xffff === 0 && b % 0xffff === 0);
}

describe('sum', () => {
  it('matches the RFC 1071 §3 example', () => {
    // 00 01 f2 03 f4 f5 f6 f7 -> sum 0xddf2 (RFC 1071 §3, with carries folded)
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(sum(b, 0, 8)).toBe(0xddf2);
    expect(finish(sum(b, 0, 8))).toBe(0x220d);
  });

  it('pads an odd trailing byte with zero', () => {
    expect(sum(Uint8Array.of(0x12, 0x34, 0x56), 0, 3)).toBe(0x1234 + 0x5600);
  });

  it('honours start, end and initial', () => {
    const b = Uint8Array.of(0xff, 0x00, 0x01, 0x00, 0x02, 0xff);
    expect(sum(b, 1, 5)).toBe(0x0001 + 0x0002);
    expect(sum(b, 1, 5, 0x10)).toBe(0x13);
    expect(sum(b, 3, 3, 7)).toBe(7);
  });

  it('equals the reference on arbitrary data, including > 64 KiB', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffff }), (b, init) => {
        return sum(b, 0, b.length, init) === fold(refSum(Array.from(b)) + init);
      }),
    );
    const big = new Uint8Array(70001).fill(0xff);
    expect(sum(big, 0, big.length)).toBe(refSum(Array.from(big)));
  });

  it('the wide (32-bit word) path equals the reference at every alignment and parity', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 520, maxLength: 1600 }),
        fc.nat(7),
        fc.nat(9),
        fc.nat(9),
        fc.integer({ min: 0, max: 0xffff }),
        (data, shift, s, cut, init) => {
          const b = data.subarray(shift); // byteOffset 0..7: every 4-byte alignment
          const end = b.length - cut;
          return sum(b, s, end, init) === fold(refSum(Array.from(b.subarray(s, end))) + init);
        },
      ),
    );
  });

  it('fold, combine and sumU32', () => {
    expect(fold(0x1ffff)).toBe(0x1);
    expect(fold(0xffffffff)).toBe(0xffff);
    expect(combine(0xffff, 0x0001)).toBe(0x0001);
    expect(sumU32(0xc0000201)).toBe(fold(0xc000 + 0x0201));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const a2 = a.length % 2 === 0 ? a : Uint8Array.of(...a, 0);
        const cat = Uint8Array.of(...a2, ...b);
        return sum(cat, 0, cat.length) === combine(sum(a2, 0, a2.length), sum(b, 0, b.length));
      }),
    );
  });

  it('verify accepts a filled-in checksum', () => {
    const b = Uint8Array.of(0x45, 0x00, 0x00, 0x1c, 0, 0);
    setU16(b, 4, finish(sum(b, 0, 6)));
    expect(verify(b, 0, 6)).toBe(true);
    b[0] = 0x46;
    expect(verify(b, 0, 6)).toBe(false);
  });
});

describe('pseudo-header sums', () => {
  // 192.0.2.1 -> 198.51.100.2
  const v4 = Uint8Array.of(192, 0, 2, 1, 198, 51, 100, 2);
  // 2001:db8::1 -> 64:ff9b::c633:6402
  const v6 = Uint8Array.of(
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0xc6, 0x33, 0x64, 0x02,
  );

  it('IPv4 pseudo-header equals the sum of the laid-out bytes', () => {
    const laid = Uint8Array.of(...v4, 0, 17, 0x01, 0x2c);
    expect(pseudoHeaderSum4(v4, 0, 4, 17, 300)).toBe(sum(laid, 0, laid.length));
    expect(addressSum4At(v4, 0, 4)).toBe(addressSum4(0xc0000201, 0xc6336402));
  });

  it('IPv6 pseudo-header equals the sum of the laid-out bytes', () => {
    const laid = Uint8Array.of(...v6, 0x00, 0x01, 0x00, 0x2c, 0, 0, 0, 58);
    expect(pseudoHeaderSum6(v6, 0, 16, 58, 0x1002c)).toBe(sum(laid, 0, laid.length));
    expect(addressSum6(v6, 0, 16)).toBe(sum(v6, 0, 32));
  });

  it('normalizeUdp maps only 0', () => {
    expect(normalizeUdp(0)).toBe(0xffff);
    expect(normalizeUdp(1)).toBe(1);
    expect(normalizeUdp(0xffff)).toBe(0xffff);
  });
});

/** Data with at least one non-zero word: the only case real headers produce (see checksum.ts). */
const dataArb = fc
  .uint8Array({ minLength: 4, maxLength: 80 })
  .map((b) => (b.length % 2 === 0 ? b : b.subarray(0, b.length - 1)))
  .filter((b) => b.some((x) => x !== 0));

describe('incremental update == full recompute (RFC 1624)', () => {
  it('update16', () => {
    fc.assert(
      fc.property(dataArb, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (data, pos, next) => {
        const b = Uint8Array.from(data);
        const at = (pos % (b.length >> 1)) * 2;
        const before = finish(sum(b, 0, b.length));
        const old = u16(b, at);
        setU16(b, at, next);
        fc.pre(b.some((x) => x !== 0));
        const full = finish(sum(b, 0, b.length));
        const inc = update16(before, old, next);
        return eq1c(inc, full) && verify(Uint8Array.of(...b, inc >>> 8, inc & 0xff), 0, b.length + 2);
      }),
    );
  });

  it('update32', () => {
    fc.assert(
      fc.property(
        dataArb.filter((b) => b.length >= 4),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (data, pos, next) => {
          const b = Uint8Array.from(data);
          const at = (pos % ((b.length - 2) >> 1)) * 2;
          const before = finish(sum(b, 0, b.length));
          const old = u32(b, at);
          setU32(b, at, next);
          fc.pre(b.some((x) => x !== 0));
          return eq1c(update32(before, old, next), finish(sum(b, 0, b.length)));
        },
      ),
    );
  });

  it('pseudo-header swap 6→4 and 4→6', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(6, 17),
        dataArb,
        (addrs6, src4, dst4, proto, seg) => {
          const len = seg.length;
          const v4 = new Uint8Array(8);
          setU32(v4, 0, src4);
          setU32(v4, 4, dst4);
          const c6 = finish(sum(seg, 0, len, pseudoHeaderSum6(addrs6, 0, 16, proto, len)));
          const c4 = finish(sum(seg, 0, len, pseudoHeaderSum4(v4, 0, 4, proto, len)));
          const to4 = pseudoSwap6to4(c6, addrs6, 0, 16, src4, dst4);
          const to6 = pseudoSwap4to6(c4, src4, dst4, addrs6, 0, 16);
          const viaAdjust = adjust(c6, addressSum6(addrs6, 0, 16), addressSum4(src4, dst4));
          return eq1c(to4, c4) && eq1c(to6, c6) && to4 === viaAdjust;
        },
      ),
    );
  });

  it('a swapped checksum verifies under the new pseudo-header', () => {
    const addrs6 = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const seg = Uint8Array.of(0x30, 0x39, 0x00, 0x35, 0x00, 0x0a, 0, 0, 0xab, 0xcd);
    const c6 = finish(sum(seg, 0, 10, pseudoHeaderSum6(addrs6, 0, 16, 17, 10)));
    const c4 = normalizeUdp(pseudoSwap6to4(c6, addrs6, 0, 16, 0xc0000201, 0xc6336402));
    setU16(seg, 6, c4);
    expect(verify(seg, 0, 10, addressSum4(0xc0000201, 0xc6336402) + 17 + 10)).toBe(true);
  });
});
