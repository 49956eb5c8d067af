import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ICMPV4_HEADER_LEN,
  ICMPV4_TYPE,
  ICMPV4_UNREACHABLE_CODE,
  Icmpv4Header,
  type Icmpv4Repr,
  emitIcmpv4Header,
  formatIcmpv4Header,
  icmpEchoRest,
  icmpv4MtuRest,
  icmpv4PointerRest,
  isIcmpv4Error,
  parseIcmpv4Header,
} from './icmpv4.js';
import { WireError } from './errors.js';
import { Ipv4Header } from './ipv4.js';
import { dirty, hex, placed } from './test-helpers.js';

const ECHO = hex(`
  08 00 7d 61   # type 8 (echo request), code 0, checksum
  12 34 00 01   # identifier 0x1234, sequence 1
  68 69         # data "hi"
`);

const FRAG_NEEDED = hex(`
  03 04 81 76   # type 3 (unreachable), code 4 (fragmentation needed), checksum
  00 00 05 78   # unused, RFC 4884 length 0, next-hop MTU 1400
  45 00 00 20 12 34 40 00 40 11 3c 62 c0 00 02 01 c6 33 64 02  # quoted IPv4 header 192.0.2.1 > 198.51.100.2
  30 39 00 35 00 0c 45 93                                       # quoted first 8 bytes (UDP header)
`);

const ECHO_REPR: Icmpv4Repr = { type: 8, code: 0, restOfHeader: icmpEchoRest(0x1234, 1), payloadLength: 2 };

function checked(buf: Uint8Array, off = 0, len?: number): Icmpv4Header {
  const v = Icmpv4Header.check(buf, off, len);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('Icmpv4Header', () => {
  it('deconstruct echo', () => {
    const v = checked(placed(ECHO, 4, 3), 4, 10);
    expect(v.type).toBe(ICMPV4_TYPE.ECHO_REQUEST);
    expect(v.code).toBe(0);
    expect(v.checksum).toBe(0x7d61);
    expect(v.identifier).toBe(0x1234);
    expect(v.sequenceNumber).toBe(1);
    expect(v.restOfHeader).toBe(0x12340001);
    expect(v.isError).toBe(false);
    expect(v.payloadOffset).toBe(12);
    expect(v.payload()).toEqual(hex('68 69'));
    expect(v.verifyChecksum()).toBe(true);
  });

  it('deconstruct an error with a quoted packet', () => {
    const v = checked(FRAG_NEEDED);
    expect(v.type).toBe(ICMPV4_TYPE.DEST_UNREACHABLE);
    expect(v.code).toBe(ICMPV4_UNREACHABLE_CODE.FRAGMENTATION_NEEDED);
    expect(v.mtu).toBe(1400);
    expect(v.rfc4884Length).toBe(0);
    expect(v.isError).toBe(true);
    const inner = Ipv4Header.checkEmbedded(v.buf, v.payloadOffset, v.len - ICMPV4_HEADER_LEN) as Ipv4Header;
    expect(inner).toBeInstanceOf(Ipv4Header);
    expect(inner.srcAddr).toBe(0xc0000201);
  });

  it('construct', () => {
    const buf = dirty(10);
    const v = new Icmpv4Header(buf);
    v.type = 8;
    v.code = 0;
    v.identifier = 0x1234;
    v.sequenceNumber = 1;
    buf.set(hex('68 69'), 8);
    v.fillChecksum();
    expect(buf).toEqual(ECHO);
    v.restOfHeader = 0;
    v.pointer = 20;
    v.rfc4884Length = 7;
    v.mtu = 576;
    expect(v.restOfHeader).toBe(icmpv4PointerRest(20, 7) | 576);
  });

  it('parse', () => {
    expect(parseIcmpv4Header(checked(ECHO))).toEqual(ECHO_REPR);
    expect(parseIcmpv4Header(checked(FRAG_NEEDED))).toEqual({ type: 3, code: 4, restOfHeader: icmpv4MtuRest(1400), payloadLength: 28 });
  });

  it('emit computes the checksum over the body in place', () => {
    const buf = dirty(11);
    buf.set(hex('68 69'), 9);
    expect(emitIcmpv4Header(ECHO_REPR, buf, 1)).toBe(ICMPV4_HEADER_LEN);
    expect(buf.subarray(1)).toEqual(ECHO);
    expect(buf[0]).toBe(0xa5);
  });

  it('rest-of-header helpers', () => {
    expect(icmpEchoRest(0xabcd, 0x0102)).toBe(0xabcd0102);
    expect(icmpv4MtuRest(1280, 17)).toBe(0x00110500);
    expect(icmpv4PointerRest(12, 2)).toBe(0x0c020000);
  });

  it('identifier rewrite keeps the checksum valid', () => {
    const v = checked(ECHO.slice());
    v.setIdentifierUpdatingChecksum(0xbeef);
    expect(v.identifier).toBe(0xbeef);
    expect(v.verifyChecksum()).toBe(true);
  });

  it('error classification', () => {
    expect([3, 4, 5, 11, 12].every(isIcmpv4Error)).toBe(true);
    expect([0, 8, 9, 10, 13, 14, 255].some(isIcmpv4Error)).toBe(false);
  });

  it('format', () => {
    expect(formatIcmpv4Header(checked(ECHO))).toBe('ICMPv4 type=8 code=0 id=0x1234 seq=1 len=10');
    expect(formatIcmpv4Header(checked(FRAG_NEEDED))).toBe('ICMPv4 type=3 code=4 mtu=1400 len=36');
  });

  it.each([
    { name: 'truncated', buf: ECHO.subarray(0, 7), code: 'truncated' },
    { name: 'bad checksum', buf: Uint8Array.of(...ECHO.subarray(0, 9), 0x6a), code: 'bad-checksum' },
  ])('rejects $name', ({ buf, code }) => {
    expect((Icmpv4Header.check(buf) as WireError).code).toBe(code);
  });

  it('policy "ignore" skips the checksum', () => {
    expect(Icmpv4Header.check(Uint8Array.of(...ECHO.subarray(0, 9), 0x6a), 0, 10, undefined, 'ignore')).toBeInstanceOf(Icmpv4Header);
  });

  it('check never throws; parse(emit(x)) == x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.integer({ min: -2, max: 32 }), fc.integer({ min: -2, max: 32 }), (b, off, len) => {
        const r = Icmpv4Header.check(b, off, len);
        return r instanceof WireError || (r.off + r.len <= b.length && r.verifyChecksum());
      }),
    );
    fc.assert(
      fc.property(
        fc.record({
          type: fc.integer({ min: 0, max: 255 }),
          code: fc.integer({ min: 0, max: 255 }),
          restOfHeader: fc.integer({ min: 0, max: 0xffffffff }),
          payloadLength: fc.nat(40),
        }),
        (repr) => {
          const buf = dirty(8 + repr.payloadLength);
          emitIcmpv4Header(repr, buf);
          expect(parseIcmpv4Header(checked(buf))).toEqual(repr);
        },
      ),
    );
  });
});
