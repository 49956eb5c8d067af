import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex, toHex } from './hex.js';

describe('hex', () => {
  it('ignores whitespace and # and // comments', () => {
    const b = hex(`
      45 00 00 14   # version, IHL, TOS, total length
      00 00 // identification
      4000          # flags
    `);
    expect(Array.from(b)).toEqual([0x45, 0, 0, 0x14, 0, 0, 0x40, 0]);
  });

  it('works as a tagged template with interpolated bytes and text', () => {
    const inner = Uint8Array.of(0xde, 0xad);
    expect(hex`01 ${inner} ${'ff'} # trailing`).toEqual(Uint8Array.of(1, 0xde, 0xad, 0xff));
    expect(hex`AbCd`).toEqual(Uint8Array.of(0xab, 0xcd));
  });

  it('throws on odd length and stray characters', () => {
    expect(() => hex('abc')).toThrow(/odd/);
    expect(() => hex('zz')).toThrow(/unexpected/);
    expect(hex('')).toEqual(new Uint8Array(0));
  });

  it('toHex round-trips', () => {
    expect(toHex(Uint8Array.of(0, 0x0f, 0xff))).toBe('000fff');
    expect(toHex(Uint8Array.of(1, 2), ' ')).toBe('01 02');
    fc.assert(fc.property(fc.uint8Array(), (b) => { expect(hex(toHex(b, " "))).toEqual(b); }));
  });
});
