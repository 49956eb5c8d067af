// Untrusted bytes through every entry point: check() never throws, and what a
// checked view offers (payload, walks, parse, format) stays in bounds and never
// throws either (STYLE §9; smoltcp fuzz/fuzz_targets/packet_parser.rs).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from './errors.js';
import { Ipv4Header, formatIpv4Header, parseIpv4Header } from './ipv4.js';
import { Ipv6Header, formatIpv6Header, parseIpv6Header } from './ipv6.js';
import { Ipv6Extensions, walkIpv6 } from './ipv6-ext.js';
import { Ipv6FragmentHeader, formatIpv6FragmentHeader, parseIpv6FragmentHeader } from './fragment.js';
import { UdpHeader, formatUdpHeader, parseUdpHeader } from './udp.js';
import { TcpHeader, formatTcpHeader, parseTcpHeader } from './tcp.js';
import { Icmpv4Header, formatIcmpv4Header, parseIcmpv4Header } from './icmpv4.js';
import { Icmpv6Header, formatIcmpv6Header, parseIcmpv6Header } from './icmpv6.js';

/** Bytes biased towards plausible headers: a version nibble of 4 or 6 up front. */
const packetArb = fc
  .tuple(fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x6f, 0x00), fc.uint8Array({ maxLength: 120 }))
  .map(([first, rest]) => Uint8Array.of(first, ...rest));

const inBounds = (v: { off: number; len: number; buf: Uint8Array }, sub: Uint8Array): boolean =>
  sub.byteOffset >= v.buf.byteOffset + v.off && sub.byteOffset + sub.length <= v.buf.byteOffset + v.off + v.len;

describe('fuzz: untrusted bytes', () => {
  it('IP layer: check, checkEmbedded, walk, parse, format', () => {
    const ext = new Ipv6Extensions();
    fc.assert(
      fc.property(packetArb, fc.nat(4), (b, off) => {
        const len = Math.max(0, b.length - off);
        for (const r of [Ipv4Header.check(b, off, len, undefined, 'ignore'), Ipv4Header.checkEmbedded(b, off, len)]) {
          if (r instanceof WireError) continue;
          expect(inBounds(r, r.payload())).toBe(true);
          expect(inBounds(r, r.options())).toBe(true);
          expect(r.sourceRouteOffset()).toBeLessThan(r.off + r.headerLength);
          parseIpv4Header(r);
          formatIpv4Header(r);
        }
        for (const r of [Ipv6Header.check(b, off, len), Ipv6Header.checkEmbedded(b, off, len)]) {
          if (r instanceof WireError) continue;
          expect(inBounds(r, r.payload())).toBe(true);
          parseIpv6Header(r);
          formatIpv6Header(r);
          const x = walkIpv6(r, ext);
          if (x instanceof WireError) continue;
          expect(x.upperOffset).toBeLessThanOrEqual(r.off + r.len);
          expect(x.fragmentHeaderOffset + 8).toBeLessThanOrEqual(r.off + r.len);
          expect(x.segmentsLeftOffset).toBeLessThan(r.off + r.len);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('upper layers: check, payload, option walks, parse, format', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(4), (b, off) => {
        const len = Math.max(0, b.length - off);
        const f = Ipv6FragmentHeader.check(b, off, len);
        if (!(f instanceof WireError)) {
          expect(inBounds(f, f.payload())).toBe(true);
          parseIpv6FragmentHeader(f);
          formatIpv6FragmentHeader(f);
        }
        const u = UdpHeader.check(b, off, len);
        if (!(u instanceof WireError)) {
          expect(inBounds(u, u.payload())).toBe(true);
          parseUdpHeader(u);
          formatUdpHeader(u);
        }
        const t = TcpHeader.check(b, off, len);
        if (!(t instanceof WireError)) {
          expect(inBounds(t, t.payload())).toBe(true);
          expect(inBounds(t, t.options())).toBe(true);
          const at = t.mssOffset();
          if (at >= 0) expect(at + 2).toBeLessThanOrEqual(t.off + t.headerLength);
          parseTcpHeader(t);
          formatTcpHeader(t);
        }
        for (const c of [Icmpv4Header.check(b, off, len, undefined, 'ignore'), Icmpv6Header.check(b, off, len)]) {
          if (c instanceof WireError) continue;
          expect(inBounds(c, c.payload())).toBe(true);
          if (c instanceof Icmpv4Header) {
            parseIcmpv4Header(c);
            formatIcmpv4Header(c);
          } else {
            parseIcmpv6Header(c);
            formatIcmpv6Header(c);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('odd arguments: NaN, negative and fractional offsets and lengths', () => {
    const b = Uint8Array.of(0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2);
    for (const off of [Number.NaN, -1, 0.5, 1e9, Infinity]) {
      for (const len of [Number.NaN, -1, 0.5, 20, 1e9, Infinity]) {
        for (const check of [
          () => Ipv4Header.check(b, off, len),
          () => Ipv4Header.checkEmbedded(b, off, len),
          () => Ipv6Header.check(b, off, len),
          () => Ipv6Header.checkEmbedded(b, off, len),
          () => UdpHeader.check(b, off, len),
          () => TcpHeader.check(b, off, len),
          () => Icmpv4Header.check(b, off, len),
          () => Icmpv6Header.check(b, off, len),
          () => Ipv6FragmentHeader.check(b, off, len),
        ]) {
          expect(check).not.toThrow();
        }
      }
    }
  });
});
