import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIpv6 } from '@sixgate/addressing';
import { IPV6_HEADER_LEN, Ipv6Header, type Ipv6Repr, emitIpv6Header, formatIpv6Header, parseIpv6Header } from './ipv6.js';
import { WireError } from './errors.js';
import { sum } from './checksum.js';
import { dirty, hex, placed } from './test-helpers.js';

const PACKET = hex(`
  6b a1 23 45                                       # version 6, traffic class 0xba, flow label 0x12345
  00 0c 11 40                                       # payload length 12, next header UDP, hop limit 64
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # source 2001:db8::1
  00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02   # destination 64:ff9b::c633:6402
  30 39 00 35 00 0c 00 00 de ad be ef               # payload (12 bytes)
`);

const REPR: Ipv6Repr = {
  srcAddr: parseIpv6('2001:db8::1'),
  dstAddr: parseIpv6('64:ff9b::c633:6402'),
  nextHeader: 17,
  hopLimit: 64,
  trafficClass: 0xba,
  flowLabel: 0x12345,
  payloadLength: 12,
};

function checked(buf: Uint8Array, off = 0, len?: number): Ipv6Header {
  const v = Ipv6Header.check(buf, off, len);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('Ipv6Header', () => {
  it('deconstruct', () => {
    const v = checked(placed(PACKET, 5, 3), 5, PACKET.length + 3);
    expect(v.version).toBe(6);
    expect(v.trafficClass).toBe(0xba);
    expect(v.flowLabel).toBe(0x12345);
    expect(v.payloadLength).toBe(12);
    expect(v.len).toBe(52);
    expect(v.nextHeader).toBe(17);
    expect(v.hopLimit).toBe(64);
    expect(v.srcAddr()).toEqual(REPR.srcAddr);
    expect(v.dstAddr()).toEqual(REPR.dstAddr);
    expect(v.srcAddrOffset).toBe(13);
    expect(v.dstAddrOffset).toBe(29);
    expect(v.payloadOffset).toBe(45);
    expect(v.payload()).toEqual(PACKET.subarray(40));
  });

  it('construct', () => {
    const buf = dirty(PACKET.length);
    const v = new Ipv6Header(buf);
    v.version = 6;
    buf[0] = 0x6f; buf[1] = 0xff; // dirty the neighbouring bits, then set each field
    v.trafficClass = 0xba;
    v.flowLabel = 0x12345;
    v.payloadLength = 12;
    v.nextHeader = 17;
    v.hopLimit = 64;
    v.setSrcAddr(REPR.srcAddr);
    v.setDstAddr(Uint8Array.of(0, ...REPR.dstAddr), 1);
    buf.set(PACKET.subarray(40), 40);
    expect(buf).toEqual(PACKET);
  });

  it('parse', () => {
    expect(parseIpv6Header(checked(PACKET))).toEqual(REPR);
  });

  it('emit writes all 40 bytes into a dirty buffer', () => {
    const buf = dirty(2 + PACKET.length);
    expect(emitIpv6Header(REPR, buf, 2)).toBe(IPV6_HEADER_LEN);
    expect(buf.subarray(2, 42)).toEqual(PACKET.subarray(0, 40));
    expect(buf.subarray(42)).toEqual(dirty(12));
  });

  it('pseudo-header sum', () => {
    const v = checked(PACKET);
    expect(v.pseudoHeaderSum(17, 12)).toBe(sum(hex('20010db8000000000000000000000001 0064ff9b0000000000000000c6336402 0000000c 00000011'), 0, 40));
  });

  it('formats for logs', () => {
    expect(formatIpv6Header(checked(PACKET))).toBe('IPv6 2001:db8::1 > 64:ff9b::c633:6402 udp hlim=64 plen=12 tc=0xba flow=0x12345');
  });

  it('reset re-points one view', () => {
    const v = new Ipv6Header();
    expect(Ipv6Header.check(PACKET, 0, PACKET.length, v)).toBe(v);
    expect(v.len).toBe(52);
  });
});

describe('Ipv6Header.check rejects', () => {
  const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = PACKET.slice();
    f(b);
    return b;
  };
  it.each([
    { name: 'empty', buf: new Uint8Array(0), len: 0, code: 'truncated' },
    { name: 'truncated header', buf: PACKET, len: 39, code: 'truncated' },
    { name: 'len past buffer', buf: PACKET, len: 53, code: 'truncated' },
    { name: 'bad version', buf: mutate((b) => (b[0] = 0x4b)), len: 52, code: 'bad-version' },
    { name: 'payload length overflow', buf: mutate((b) => (b[5] = 13)), len: 52, code: 'bad-length' },
    { name: 'payload length past a short len', buf: PACKET, len: 51, code: 'bad-length' },
  ])('$name', ({ buf, len, code }) => {
    const r = Ipv6Header.check(buf, 0, len);
    expect(r).toBeInstanceOf(WireError);
    expect((r as WireError).code).toBe(code);
  });

  it('never throws on arbitrary bytes and offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: -4, max: 110 }), fc.integer({ min: -4, max: 110 }), (b, off, len) => {
        const r = Ipv6Header.check(b, off, len);
        if (r instanceof Ipv6Header) return r.off + r.len <= b.length && r.payload().length === r.payloadLength;
        return r instanceof WireError;
      }),
    );
  });

  it('parse(emit(x)) == x', () => {
    const reprArb = fc.record({
      srcAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      dstAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      nextHeader: fc.integer({ min: 0, max: 255 }),
      hopLimit: fc.integer({ min: 0, max: 255 }),
      trafficClass: fc.integer({ min: 0, max: 255 }),
      flowLabel: fc.integer({ min: 0, max: 0xfffff }),
      payloadLength: fc.integer({ min: 0, max: 64 }),
    });
    fc.assert(
      fc.property(reprArb, (repr) => {
        const buf = dirty(40 + repr.payloadLength);
        emitIpv6Header(repr, buf, 0);
        expect(parseIpv6Header(checked(buf))).toEqual(repr);
      }),
    );
  });
});

describe('Ipv6Header.checkEmbedded (ICMPv6 error quotes)', () => {
  it('accepts a truncated packet', () => {
    const v = Ipv6Header.checkEmbedded(PACKET, 0, 44) as Ipv6Header;
    expect(v).toBeInstanceOf(Ipv6Header);
    expect(v.len).toBe(44);
    expect(v.payloadLength).toBe(12);
    expect(v.payload()).toEqual(PACKET.subarray(40, 44));
  });
  it('trims to 40 + Payload Length', () => {
    expect((Ipv6Header.checkEmbedded(placed(PACKET, 0, 8), 0, 60) as Ipv6Header).len).toBe(52);
  });
  it('rejects truncated and bad version', () => {
    expect((Ipv6Header.checkEmbedded(PACKET, 0, 39) as WireError).code).toBe('truncated');
    expect((Ipv6Header.checkEmbedded(Uint8Array.of(0x45, ...PACKET.subarray(1)), 0, 52) as WireError).code).toBe('bad-version');
  });
  it('never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: -4, max: 110 }), fc.integer({ min: -4, max: 110 }), (b, off, len) => {
        const r = Ipv6Header.checkEmbedded(b, off, len);
        return r instanceof WireError || r.off + r.len <= b.length;
      }),
    );
  });
});
