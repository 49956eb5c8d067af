// IPv6 accessor: the extension-header chain walk on hand-made chains — every
// status in chain order, fragments first and later, the limit — and no read
// outside [off, end).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IPV6_CHAIN_AFTER_FRAGMENT,
  IPV6_CHAIN_BAD,
  IPV6_CHAIN_OK,
  IPV6_CHAIN_SEGMENTS_LEFT,
  IPV6_CHAIN_TRUNCATED,
  IPV6_MAX_EXTENSIONS,
  Ipv6Chain,
  walkIpv6Chain,
} from './ipv6.js';
import { guard } from './test-helpers.js';

type Ext = { nh: 0 | 43 | 60; len?: number; segLeft?: number } | { nh: 44; offset?: number; more?: boolean };

/** IPv6 header + `exts` + `upper` bytes of upper layer (next header `last`) at offset 7. */
function chain(exts: Ext[], last = 17, upper = 8): { buf: Uint8Array; off: number; end: number } {
  const parts: number[] = [];
  exts.forEach((e, k) => {
    const next = exts[k + 1]?.nh ?? last;
    if (e.nh === 44) {
      const fo = ((e.offset ?? 0) << 3) | (e.more ? 1 : 0);
      parts.push(next, 0, fo >> 8, fo & 0xff, 1, 2, 3, 4);
    } else {
      const n = e.len ?? 8;
      const h = new Array<number>(n).fill(0);
      h[0] = next;
      h[1] = n / 8 - 1;
      if (e.nh === 43) h[3] = e.segLeft ?? 0;
      parts.push(...h);
    }
  });
  const payload = parts.length + upper;
  const buf = new Uint8Array(7 + 40 + payload + 5).fill(0xa5);
  buf.fill(0, 7, 47);
  buf[7] = 0x60;
  buf[7 + 4] = payload >> 8;
  buf[7 + 5] = payload & 0xff;
  buf[7 + 6] = exts[0]?.nh ?? last;
  buf.set(parts, 47);
  return { buf, off: 7, end: 47 + payload };
}

function walk(c: { buf: Uint8Array; off: number; end: number }, end = c.end): { s: number; x: Ipv6Chain } {
  const x = new Ipv6Chain();
  return { s: walkIpv6Chain(guard(c.buf, c.off, end), c.off, end, x), x };
}

describe('walkIpv6Chain', () => {
  it('no extension headers: the upper layer right after the fixed header', () => {
    const c = chain([]);
    const { s, x } = walk(c);
    expect(s).toBe(IPV6_CHAIN_OK);
    expect([x.nh, x.upper - c.off, x.frag, x.fragOffset, x.exts]).toEqual([17, 40, -1, 0, 0]);
  });

  it('steps over Hop-by-Hop, Destination Options and a Routing header with Segments Left 0', () => {
    const c = chain([{ nh: 0 }, { nh: 60, len: 16 }, { nh: 43, segLeft: 0 }], 6, 20);
    const { s, x } = walk(c);
    expect(s).toBe(IPV6_CHAIN_OK);
    expect([x.nh, x.upper - c.off, x.exts]).toEqual([6, 40 + 8 + 16 + 8, 3]);
  });

  it('a first fragment: Fragment header noted, the walk goes on to the upper layer', () => {
    const c = chain([{ nh: 0 }, { nh: 44, more: true }], 58);
    const { s, x } = walk(c);
    expect(s).toBe(IPV6_CHAIN_OK);
    expect([x.nh, x.upper - c.off, x.frag - c.off, x.fragOffset, x.exts]).toEqual([58, 56, 48, 0, 1]);
  });

  it('a later fragment: the walk stops after the Fragment header (the rest is data)', () => {
    const c = chain([{ nh: 44, offset: 185 }], 0, 16); // next header says HbH, but it is data
    const { s, x } = walk(c);
    expect(s).toBe(IPV6_CHAIN_OK);
    expect([x.nh, x.upper - c.off, x.fragOffset]).toEqual([0, 48, 185 * 8]);
  });

  it('Routing header with Segments Left ≠ 0: the status points at Segments Left', () => {
    const c = chain([{ nh: 0 }, { nh: 43, segLeft: 2, len: 24 }]);
    const { s, x } = walk(c);
    expect(s).toBe(IPV6_CHAIN_SEGMENTS_LEFT);
    expect(x.at - c.off).toBe(48 + 3);
  });

  it('an extension header after the Fragment header', () => {
    const c = chain([{ nh: 44, more: true }, { nh: 60 }]);
    const { s, x } = walk(c);
    expect(s).toBe(IPV6_CHAIN_AFTER_FRAGMENT);
    expect(x.at - c.off).toBe(48);
  });

  it('a second Fragment header, and more than the limit of extension headers', () => {
    expect(walk(chain([{ nh: 44, more: true }, { nh: 44 }])).s).toBe(IPV6_CHAIN_BAD);
    const many: Ext[] = new Array(IPV6_MAX_EXTENSIONS).fill({ nh: 60 });
    expect(walk(chain(many)).s).toBe(IPV6_CHAIN_OK);
    expect(walk(chain([...many, { nh: 60 }])).s).toBe(IPV6_CHAIN_BAD);
  });

  it('truncated: a header or its length runs past the end', () => {
    const c = chain([{ nh: 0 }, { nh: 60, len: 16 }], 17, 0);
    expect(walk(c, c.end - 1).s).toBe(IPV6_CHAIN_TRUNCATED);
    expect(walk(c, c.off + 40 + 8 + 4).s).toBe(IPV6_CHAIN_TRUNCATED);
    const f = chain([{ nh: 44 }], 17, 0);
    expect(walk(f, f.end - 1).s).toBe(IPV6_CHAIN_TRUNCATED);
  });

  it('never reads outside [off, end) and never points outside it, on any chain bytes', () => {
    const x = new Ipv6Chain();
    fc.assert(
      fc.property(fc.constantFrom(0, 43, 44, 60, 6, 17, 58, 51), fc.uint8Array({ maxLength: 120 }), fc.array(fc.constantFrom(0, 43, 44, 60, 6, 17, 58), { maxLength: 12 }), (first, body, nhs) => {
        const buf = new Uint8Array(40 + body.length);
        buf.set(body, 40);
        buf[6] = first;
        // Sprinkle plausible next-header values where headers would start.
        for (let i = 40, k = 0; i < buf.length && k < nhs.length; i += 8, k++) buf[i] = nhs[k]!;
        const s = walkIpv6Chain(guard(buf, 0, buf.length), 0, buf.length, x);
        if (s === IPV6_CHAIN_OK) {
          expect(x.upper).toBeLessThanOrEqual(buf.length);
          expect(x.frag + 8).toBeLessThanOrEqual(buf.length);
        } else if (s === IPV6_CHAIN_SEGMENTS_LEFT) expect(x.at).toBeLessThan(buf.length);
        else expect(x.at).toBeLessThanOrEqual(buf.length); // a header that would start at the end
      }),
      { numRuns: 2000 },
    );
  });
});
