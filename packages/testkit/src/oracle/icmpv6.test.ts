import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ICMPV6_HEADER_LEN,
  ICMPV6_TYPE,
  Icmpv6Header,
  type Icmpv6Repr,
  emitIcmpv6Header,
  formatIcmpv6Header,
  icmpv6LengthRest,
  isIcmpv6Error,
  parseIcmpv6Header,
} from './icmpv6.js';
import { icmpEchoRest } from './icmpv4.js';
import { WireError } from './errors.js';
import { Ipv6Header } from './ipv6.js';
import { addressSum6, pseudoHeaderSum6 } from './checksum.js';
import { dirty, hex, placed } from './test-helpers.js';

// 2001:db8::1 and 64:ff9b::c633:6402, then 64:ff9b::c000:201 and 2001:db8::1.
const ADDRS = hex(`
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
  00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02
  00 64 ff 9b 00 00 00 00 00 00 00 00 c0 00 02 01
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
`);
const PSEUDO_ECHO = pseudoHeaderSum6(ADDRS, 0, 16, 58, 10);
const PSEUDO_PTB = pseudoHeaderSum6(ADDRS, 32, 48, 58, 56);

const ECHO = hex(`
  80 00 ad 2c   # type 128 (echo request), code 0, checksum (2001:db8::1 > 64:ff9b::c633:6402)
  12 34 00 01   # identifier 0x1234, sequence 1
  68 69         # data "hi"
`);

const PTB = hex(`
  02 00 35 70   # type 2 (packet too big), code 0, checksum (64:ff9b::c000:201 > 2001:db8::1)
  00 00 04 d0   # MTU 1232
  60 00 00 00 00 0c 11 40                         # quoted IPv6 header: payload 12, UDP, hop limit 64
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 #   source 2001:db8::1
  00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02 #   destination 64:ff9b::c633:6402
  30 39 00 35 00 0c d9 da                         # quoted UDP header
`);

const ECHO_REPR: Icmpv6Repr = { type: 128, code: 0, restOfHeader: icmpEchoRest(0x1234, 1), payloadLength: 2 };

function checked(buf: Uint8Array, off = 0, len?: number): Icmpv6Header {
  const v = Icmpv6Header.check(buf, off, len);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('Icmpv6Header', () => {
  it('deconstruct echo', () => {
    const v = checked(placed(ECHO, 2, 2), 2, 10);
    expect(v.type).toBe(ICMPV6_TYPE.ECHO_REQUEST);
    expect(v.code).toBe(0);
    expect(v.checksum).toBe(0xad2c);
    expect(v.identifier).toBe(0x1234);
    expect(v.sequenceNumber).toBe(1);
    expect(v.isError).toBe(false);
    expect(v.payloadOffset).toBe(10);
    expect(v.payload()).toEqual(hex('68 69'));
    expect(v.verifyChecksum(PSEUDO_ECHO)).toBe(true);
    expect(v.computeChecksum(PSEUDO_ECHO)).toBe(0xad2c);
  });

  it('deconstruct an error with a quoted packet', () => {
    const v = checked(PTB);
    expect(v.type).toBe(ICMPV6_TYPE.PACKET_TOO_BIG);
    expect(v.mtu).toBe(1232);
    expect(v.isError).toBe(true);
    expect(v.verifyChecksum(PSEUDO_PTB)).toBe(true);
    const inner = Ipv6Header.checkEmbedded(v.buf, v.payloadOffset, v.len - ICMPV6_HEADER_LEN) as Ipv6Header;
    expect(inner).toBeInstanceOf(Ipv6Header);
    expect(inner.len).toBe(48);
    expect(inner.payloadLength).toBe(12);
  });

  it('construct', () => {
    const buf = dirty(10);
    const v = new Icmpv6Header(buf);
    v.type = 128;
    v.code = 0;
    v.identifier = 0x1234;
    v.sequenceNumber = 1;
    buf.set(hex('68 69'), 8);
    v.fillChecksum(PSEUDO_ECHO);
    expect(buf).toEqual(ECHO);
    v.pointer = 0x01020304;
    expect(v.mtu).toBe(0x01020304);
    v.restOfHeader = 0;
    v.rfc4884Length = 3;
    expect(v.restOfHeader).toBe(icmpv6LengthRest(3));
  });

  it('parse', () => {
    expect(parseIcmpv6Header(checked(ECHO))).toEqual(ECHO_REPR);
    expect(parseIcmpv6Header(checked(PTB))).toEqual({ type: 2, code: 0, restOfHeader: 1232, payloadLength: 48 });
  });

  it('emit with and without the pseudo-header sum', () => {
    const buf = dirty(11);
    buf.set(hex('68 69'), 9);
    expect(emitIcmpv6Header(ECHO_REPR, buf, 1)).toBe(ICMPV6_HEADER_LEN);
    expect(buf.subarray(1, 5)).toEqual(hex('80 00 00 00'));
    emitIcmpv6Header(ECHO_REPR, buf, 1, PSEUDO_ECHO);
    expect(buf.subarray(1)).toEqual(ECHO);
    expect(buf[0]).toBe(0xa5);
  });

  it('identifier rewrite and address adjust keep the checksum valid', () => {
    const v = checked(ECHO.slice());
    v.setIdentifierUpdatingChecksum(7);
    expect(v.verifyChecksum(PSEUDO_ECHO)).toBe(true);
    v.adjustChecksum(addressSum6(ADDRS, 0, 16), addressSum6(ADDRS, 32, 48));
    expect(v.verifyChecksum(pseudoHeaderSum6(ADDRS, 32, 48, 58, 10))).toBe(true);
  });

  it('error classification', () => {
    expect([1, 2, 3, 4, 127].every(isIcmpv6Error)).toBe(true);
    expect([128, 129, 135, 255].some(isIcmpv6Error)).toBe(false);
  });

  it('format', () => {
    expect(formatIcmpv6Header(checked(ECHO))).toBe('ICMPv6 type=128 code=0 id=0x1234 seq=1 len=10');
    expect(formatIcmpv6Header(checked(PTB))).toBe('ICMPv6 type=2 code=0 mtu=1232 len=56');
  });

  it('rejects truncated', () => {
    expect((Icmpv6Header.check(ECHO, 0, 7) as WireError).code).toBe('truncated');
    expect((Icmpv6Header.check(ECHO, 3) as WireError).code).toBe('truncated');
  });

  it('check never throws; parse(emit(x)) == x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.integer({ min: -2, max: 32 }), fc.integer({ min: -2, max: 32 }), (b, off, len) => {
        const r = Icmpv6Header.check(b, off, len);
        return r instanceof WireError || r.off + r.len <= b.length;
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
        fc.integer({ min: 0, max: 0xffff }),
        (repr, pseudo) => {
          const buf = dirty(8 + repr.payloadLength);
          emitIcmpv6Header(repr, buf, 0, pseudo);
          const v = checked(buf);
          expect(parseIcmpv6Header(v)).toEqual(repr);
          expect(v.verifyChecksum(pseudo)).toBe(true);
        },
      ),
    );
  });
});
