import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesEqual, copyBytes, setU16, setU32, setU8, u16, u32, u8 } from './bytes.js';

describe('bytes', () => {
  it('reads big-endian', () => {
    const b = Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0xff, 0xfe, 0xfd, 0xfc);
    expect(u8(b, 0)).toBe(0x12);
    expect(u16(b, 1)).toBe(0x3456);
    expect(u32(b, 0)).toBe(0x12345678);
    expect(u32(b, 4)).toBe(0xfffefdfc);
  });

  it('writes big-endian into a 0xa5 buffer, touching only its bytes', () => {
    const b = new Uint8Array(10).fill(0xa5);
    setU8(b, 0, 0x1ff);
    setU16(b, 1, 0xabcd);
    setU32(b, 3, 0xdeadbeef);
    expect(Array.from(b)).toEqual([0xff, 0xab, 0xcd, 0xde, 0xad, 0xbe, 0xef, 0xa5, 0xa5, 0xa5]);
  });

  it('round-trips u16 and u32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), (a, b) => {
        const buf = new Uint8Array(6);
        setU16(buf, 0, a);
        setU32(buf, 2, b);
        return u16(buf, 0) === a && u32(buf, 2) === b;
      }),
    );
  });

  it('copies short and long ranges, overlapping too', () => {
    const a = Uint8Array.from({ length: 40 }, (_, i) => i);
    const b = new Uint8Array(40);
    copyBytes(b, 2, a, 0, 16);
    expect(bytesEqual(b, 2, a, 0, 16)).toBe(true);
    copyBytes(b, 0, a, 0, 40);
    expect(bytesEqual(a, 0, b, 0, 40)).toBe(true);
    copyBytes(a, 4, a, 0, 10); // overlapping forward move
    expect(Array.from(a.subarray(4, 14))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const c = Uint8Array.from({ length: 40 }, (_, i) => i);
    copyBytes(c.subarray(2), 0, c, 0, 16); // two views of one buffer, destination inside the source
    expect(Array.from(c.subarray(2, 18))).toEqual(Array.from({ length: 16 }, (_, i) => i));
    copyBytes(c, 0, c.subarray(10), 0, 30); // long, backward overlap
    expect(Array.from(c.subarray(0, 8))).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(bytesEqual(a, 0, b, 0, 5)).toBe(false);
  });
});
