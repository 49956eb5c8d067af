import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IPV6_FRAGMENT_HEADER_LEN,
  Ipv6FragmentHeader,
  type Ipv6FragmentRepr,
  emitIpv6FragmentHeader,
  formatIpv6FragmentHeader,
  parseIpv6FragmentHeader,
} from './fragment.js';
import { WireError } from './errors.js';
import { dirty, hex } from './test-helpers.js';

const HEADER = hex(`
  11 00 04 d1   # next header UDP, reserved, fragment offset 154 (1232 bytes), M
  12 34 56 78   # identification
  aa bb cc      # fragment data
`);

const REPR: Ipv6FragmentRepr = { nextHeader: 17, fragmentOffset: 154, moreFragments: true, identification: 0x12345678 };

function checked(buf: Uint8Array): Ipv6FragmentHeader {
  const v = Ipv6FragmentHeader.check(buf);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('Ipv6FragmentHeader', () => {
  it('deconstruct', () => {
    const v = checked(HEADER);
    expect(v.nextHeader).toBe(17);
    expect(v.reserved).toBe(0);
    expect(v.fragmentOffset).toBe(154);
    expect(v.moreFragments).toBe(true);
    expect(v.identification).toBe(0x12345678);
    expect(v.isAtomic).toBe(false);
    expect(v.payload()).toEqual(hex('aa bb cc'));
  });

  it('construct', () => {
    const buf = dirty(11);
    const v = new Ipv6FragmentHeader(buf);
    v.nextHeader = 17;
    v.reserved = 0;
    buf[3] = 0; // the Res bits are not a field of their own
    v.fragmentOffset = 154;
    v.moreFragments = true;
    v.identification = 0x12345678;
    buf.set(hex('aa bb cc'), 8);
    expect(buf).toEqual(HEADER);
    v.moreFragments = false;
    v.fragmentOffset = 0;
    expect(v.isAtomic).toBe(true);
  });

  it('parse', () => {
    expect(parseIpv6FragmentHeader(checked(HEADER))).toEqual(REPR);
  });

  it('emit', () => {
    const buf = dirty(10);
    expect(emitIpv6FragmentHeader(REPR, buf, 1)).toBe(IPV6_FRAGMENT_HEADER_LEN);
    expect(buf.subarray(1, 9)).toEqual(HEADER.subarray(0, 8));
    expect(buf[0]).toBe(0xa5);
    expect(buf[9]).toBe(0xa5);
  });

  it('format', () => {
    expect(formatIpv6FragmentHeader(checked(HEADER))).toBe('frag udp off=1232 M id=0x12345678');
  });

  it('rejects truncated', () => {
    expect(Ipv6FragmentHeader.check(HEADER, 0, 7)).toBe(Ipv6FragmentHeader.check(new Uint8Array(3)));
    expect((Ipv6FragmentHeader.check(HEADER, 4) as WireError).code).toBe('truncated');
    expect((Ipv6FragmentHeader.check(HEADER, 0, 12) as WireError).code).toBe('truncated');
  });

  it('check never throws; parse(emit(x)) == x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.integer({ min: -2, max: 22 }), (b, off) => {
        const r = Ipv6FragmentHeader.check(b, off);
        return r instanceof WireError || r.off + r.len <= b.length;
      }),
    );
    fc.assert(
      fc.property(
        fc.record({
          nextHeader: fc.integer({ min: 0, max: 255 }),
          fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
          moreFragments: fc.boolean(),
          identification: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        (repr) => {
          const buf = dirty(8);
          emitIpv6FragmentHeader(repr, buf);
          expect(parseIpv6FragmentHeader(checked(buf))).toEqual(repr);
        },
      ),
    );
  });
});
