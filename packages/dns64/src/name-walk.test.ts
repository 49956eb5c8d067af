// The one DNS name walker: plain and compressed names, pointers that loop or
// point forward, oversize labels and names, truncation — and the text form.
// Every dns64 reader goes through it (probeQuery, parseQuery, walkRecords,
// compressOwners), so these cases hold for all of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NAME_BAD_LABEL,
  NAME_BAD_POINTER,
  NAME_POINTER,
  NAME_TOO_LONG,
  NAME_TRUNCATED,
  NO_POINTERS,
  nameText,
  walkName,
} from './name-walk.js';

/** Labels as wire bytes (no root). */
const labels = (...ls: string[]): number[] => ls.flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]);
/** A message: 12 header bytes, then `body`. */
const msg = (...body: number[]): Uint8Array => Uint8Array.from([...new Array<number>(12).fill(0), ...body]);

describe('walkName', () => {
  it('plain names: the offset after the root label', () => {
    const m = msg(...labels('www', 'example', 'org'), 0, 0xaa);
    expect(walkName(m, 12, m.length, NO_POINTERS)).toBe(12 + 17);
    expect(walkName(msg(0), 12, 13, NO_POINTERS)).toBe(13);
  });

  it('a compressed name ends after its first pointer, which must point back past the header', () => {
    // 12: a.example.org   27: www + pointer to 14 ("example.org")
    const m = msg(...labels('a', 'example', 'org'), 0, ...labels('www'), 0xc0, 14);
    expect(walkName(m, 27, m.length, 0)).toBe(33);
    expect(walkName(msg(0xc0, 12 + 2), 12, 14, 0)).toBe(NAME_BAD_POINTER); // points at itself + 2: forward
  });

  it('pointer loops and garbage: to itself, forward, into the header, at the message start offset', () => {
    expect(walkName(msg(0xc0, 12), 12, 14, 0)).toBe(NAME_BAD_POINTER); // itself: a loop
    const two = msg(...labels('a'), 0xc0, 16, 0xc0, 12); // 14 → 16 → 12 → 14 …: a loop, forward first
    expect(walkName(two, 12, two.length, 0)).toBe(NAME_BAD_POINTER);
    expect(walkName(two, 16, two.length, 0)).toBe(18); // 16 → 12 points back: fine in place
    expect(walkName(msg(0, 0xc0, 3), 13, 15, 0)).toBe(NAME_BAD_POINTER); // into the header
    // A message at offset 100 of an arena: pointers count from there.
    const arena = new Uint8Array(100 + 20);
    arena.set(msg(...labels('a'), 0, 0xc0, 12), 100);
    expect(walkName(arena, 100 + 15, arena.length, 100)).toBe(100 + 17);
    arena[100 + 16] = 15; // now it points at itself, counted from the message start
    expect(walkName(arena, 100 + 15, arena.length, 100)).toBe(NAME_BAD_POINTER);
  });

  it('no pointers where none may be (a question)', () => {
    expect(walkName(msg(...labels('a'), 0xc0, 12), 12, 16, NO_POINTERS)).toBe(NAME_POINTER);
  });

  it('reserved label types 01 and 10 (extended labels, RFC 6891 §5)', () => {
    expect(walkName(msg(0x41, 0x61, 0), 12, 15, 0)).toBe(NAME_BAD_LABEL);
    expect(walkName(msg(0x80, 0x61, 0), 12, 15, 0)).toBe(NAME_BAD_LABEL);
  });

  it('oversize: a label of 64 is a reserved type, a name of 256 octets is too long, 255 is fine', () => {
    expect(walkName(msg(64, ...new Array<number>(64).fill(0x61), 0), 12, 12 + 66, NO_POINTERS)).toBe(NAME_BAD_LABEL);
    const l63 = [63, ...new Array<number>(63).fill(0x61)];
    const n255 = [...l63, ...l63, ...l63, 61, ...new Array<number>(61).fill(0x62), 0]; // 64·3 + 62 + 1 = 255
    expect(walkName(msg(...n255), 12, 12 + 255, NO_POINTERS)).toBe(12 + 255);
    const n256 = [...l63, ...l63, ...l63, 62, ...new Array<number>(62).fill(0x62), 0];
    expect(walkName(msg(...n256), 12, 12 + 256, NO_POINTERS)).toBe(NAME_TOO_LONG);
    // Labels alone past 255 stop the walk before the root is found.
    const long = msg(...l63, ...l63, ...l63, ...l63, 0);
    expect(walkName(long, 12, long.length, NO_POINTERS)).toBe(NAME_TOO_LONG);
  });

  it('truncation: no root, a label past the end, half a pointer, nothing at all', () => {
    expect(walkName(msg(...labels('abc')), 12, 16, NO_POINTERS)).toBe(NAME_TRUNCATED);
    expect(walkName(msg(9, 0x61), 12, 14, NO_POINTERS)).toBe(NAME_TRUNCATED);
    expect(walkName(msg(...labels('a'), 0xc0), 12, 15, 0)).toBe(NAME_TRUNCATED);
    expect(walkName(msg(), 12, 12, NO_POINTERS)).toBe(NAME_TRUNCATED);
    // `end` bounds the walk even when the buffer goes on.
    const m = msg(...labels('example'), 0);
    expect(walkName(m, 12, m.length - 1, NO_POINTERS)).toBe(NAME_TRUNCATED);
  });

  it('any bytes: a code or an offset inside [off, end], never a throw, never a read at or past end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (body, pointers) => {
        const m = msg(...body);
        const guarded = new Proxy(m, {
          get(t, k) {
            if (typeof k === 'string' && /^\d+$/.test(k) && Number(k) >= m.length) throw new RangeError(`read at ${k}`);
            return Reflect.get(t, k) as unknown;
          },
        });
        const r = walkName(guarded, 12, m.length, pointers ? 0 : NO_POINTERS);
        expect(r < 0 ? r >= NAME_BAD_POINTER : r > 12 && r <= m.length && r - 12 <= 255 + (pointers ? 1 : 0)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('nameText', () => {
  const text = (...b: number[]): string => {
    const m = msg(...b);
    const end = walkName(m, 12, m.length, NO_POINTERS);
    if (end < 0) throw new Error(`walk ${end}`);
    return nameText(m, 12, end);
  };

  it('lower case, dots between labels, the root as ""', () => {
    expect(text(...labels('WWW', 'Example', 'ORG'), 0)).toBe('www.example.org');
    expect(text(0)).toBe('');
  });

  it('escapes ".", "\\" and unusual bytes, so different names never share a text', () => {
    expect(text(...labels('a.b'), 0)).toBe('a\\046b');
    expect(text(...labels('a', 'b'), 0)).toBe('a.b');
    expect(text(3, 0x5c, 0x20, 0xff, 0)).toBe('\\092\\032\\255');
  });

  it('matches the per-character reading for any labels, up to a 255-byte name of escaped bytes', () => {
    const reference = (ls: number[][]): string =>
      ls.map((l) => l.map((b) => {
        const c = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
        return c === 0x2e || c === 0x5c || c < 0x21 || c > 0x7e ? `\\${String(c).padStart(3, '0')}` : String.fromCharCode(c);
      }).join('')).join('.');
    const label = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 63 });
    fc.assert(
      fc.property(fc.array(label, { maxLength: 8 }), (ls) => {
        const wire = ls.flatMap((l) => [l.length, ...l]);
        fc.pre(wire.length + 1 <= 255);
        expect(text(...wire, 0)).toBe(reference(ls));
      }),
      { numRuns: 2000 },
    );
    // 63 + 63 + 63 + 61 bytes of 0xff: 255 wire bytes with the root, 1 003 characters of text.
    const worst = Array.from({ length: 4 }, () => Array<number>(63).fill(0xff));
    worst[3]!.length = 61;
    expect(text(...worst.flatMap((l) => [l.length, ...l]), 0)).toBe(reference(worst));
  });
});
