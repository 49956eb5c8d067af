// IPv4 accessors: the header check and the options walk on hand-made bytes,
// including every refusal, and never a read outside [off, off+len).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IPV4_BAD_HEADER,
  IPV4_BAD_VERSION,
  IPV4_NO_SOURCE_ROUTE,
  IPV4_OPTIONS_MALFORMED,
  IPV4_TRUNCATED,
  ipv4EmbeddedHeaderLength,
  ipv4HeaderCheck,
  ipv4SourceRoute,
} from './ipv4.js';
import { guard } from './test-helpers.js';

/** A 20-byte header (+ options, padded with EOL to 4) with Total Length `total`, at offset 3 of a 0xa5-filled buffer. */
function header(o: number[] = [], total = 20 + ((o.length + 3) & ~3), first = 0x45 + ((o.length + 3) >> 2)): { buf: Uint8Array; off: number } {
  const opts = [...o, 0, 0, 0].slice(0, (o.length + 3) & ~3);
  const buf = new Uint8Array(3 + Math.max(total, 20 + opts.length) + 4).fill(0xa5);
  const h = [first, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2, ...opts];
  buf.set(h, 3);
  return { buf, off: 3 };
}

describe('ipv4HeaderCheck', () => {
  it('returns the header length of a valid header, with and without options', () => {
    const a = header();
    expect(ipv4HeaderCheck(a.buf, a.off, 20)).toBe(20);
    const b = header([1, 1, 1, 0], 30);
    expect(ipv4HeaderCheck(b.buf, b.off, 30)).toBe(24);
  });

  it('refuses in order: short, version, IHL < 5, IHL past len, Total Length < IHL, Total Length past len', () => {
    const a = header();
    expect(ipv4HeaderCheck(a.buf, a.off, 19)).toBe(IPV4_TRUNCATED);
    const v6 = header([], 20, 0x65);
    expect(ipv4HeaderCheck(v6.buf, v6.off, 20)).toBe(IPV4_BAD_VERSION);
    const ihl4 = header([], 20, 0x44);
    expect(ipv4HeaderCheck(ihl4.buf, ihl4.off, 20)).toBe(IPV4_BAD_HEADER);
    const ihl15 = header([], 40, 0x4f);
    expect(ipv4HeaderCheck(ihl15.buf, ihl15.off, 40)).toBe(IPV4_TRUNCATED);
    const short = header([1, 1, 1, 0], 22);
    expect(ipv4HeaderCheck(short.buf, short.off, 24)).toBe(IPV4_BAD_HEADER);
    const long = header([], 100);
    expect(ipv4HeaderCheck(long.buf, long.off, 99)).toBe(IPV4_TRUNCATED);
    expect(ipv4HeaderCheck(long.buf, long.off, 100)).toBe(20);
  });
});

describe('ipv4EmbeddedHeaderLength (the packet quoted in an ICMP error)', () => {
  it('accepts a quote cut short of Total Length, refuses bad version, IHL and short quotes', () => {
    const a = header([], 1400);
    expect(ipv4EmbeddedHeaderLength(a.buf, a.off, 28)).toBe(20);
    expect(ipv4EmbeddedHeaderLength(a.buf, a.off, 19)).toBe(-1);
    const v6 = header([], 20, 0x60);
    expect(ipv4EmbeddedHeaderLength(v6.buf, v6.off, 20)).toBe(-1);
    const ihl4 = header([], 20, 0x44);
    expect(ipv4EmbeddedHeaderLength(ihl4.buf, ihl4.off, 20)).toBe(-1);
    const ihl6 = header([1, 1, 1, 1], 24);
    expect(ipv4EmbeddedHeaderLength(ihl6.buf, ihl6.off, 23)).toBe(-1);
    expect(ipv4EmbeddedHeaderLength(ihl6.buf, ihl6.off, 24)).toBe(24);
  });
});

describe('ipv4SourceRoute (RFC 7915 §4.1)', () => {
  const route = (opts: number[]): number => {
    const h = header(opts);
    const r = ipv4SourceRoute(guard(h.buf, h.off, h.off + 20 + ((opts.length + 3) & ~3)), h.off, 20 + ((opts.length + 3) & ~3));
    return r >= 0 ? r - h.off : r;
  };

  it('finds an unexpired LSRR or SSRR after NOPs and other options', () => {
    expect(route([131, 7, 4, 192, 0, 2, 9, 0])).toBe(20);
    expect(route([1, 1, 137, 7, 4, 192, 0, 2, 9, 0, 0, 0])).toBe(22);
    expect(route([7, 7, 4, 0, 0, 0, 0, 131, 7, 8, 1, 2, 3, 4])).toBe(IPV4_NO_SOURCE_ROUTE); // RR, then an exhausted LSRR
    expect(route([7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 1, 2, 3, 4, 0, 0])).toBe(27);
  });

  it('an exhausted route (pointer > length) is no source route', () => {
    expect(route([131, 7, 8, 192, 0, 2, 9, 0])).toBe(IPV4_NO_SOURCE_ROUTE);
  });

  it('End of Option List stops the walk; what follows is padding', () => {
    expect(route([0, 131, 7, 4, 192, 0, 2, 9])).toBe(IPV4_NO_SOURCE_ROUTE);
  });

  it('malformed lengths: below 2, past the header, a lone kind byte at the end; LSRR shorter than 3', () => {
    expect(route([131, 1, 4, 0])).toBe(IPV4_OPTIONS_MALFORMED);
    expect(route([131, 9, 4, 0, 0, 0, 0, 0])).toBe(IPV4_OPTIONS_MALFORMED);
    expect(route([1, 1, 1, 7])).toBe(IPV4_OPTIONS_MALFORMED);
    expect(route([131, 2, 1, 0])).toBe(IPV4_NO_SOURCE_ROUTE); // length 2: no pointer byte, so no route; then NOP, EOL
  });

  it('never reads outside the header, on any option bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => b.subarray(0, b.length & ~3)), (opts) => {
        const buf = new Uint8Array(20 + opts.length);
        buf.set(opts, 20);
        const r = ipv4SourceRoute(guard(buf, 0, buf.length), 0, buf.length);
        expect(r === IPV4_NO_SOURCE_ROUTE || r === IPV4_OPTIONS_MALFORMED || (r >= 20 && r + 3 <= buf.length)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
