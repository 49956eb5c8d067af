import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIpv4 } from '@sixgate/addressing';
import {
  IPV4_HEADER_LEN,
  IPV4_NO_SOURCE_ROUTE,
  IPV4_OPTIONS_MALFORMED,
  Ipv4Header,
  type Ipv4Repr,
  emitIpv4Header,
  formatIpv4Header,
  parseIpv4Header,
} from './ipv4.js';
import { WireError } from './errors.js';
import { sum, verify } from './checksum.js';
import { dirty, hex, placed } from './test-helpers.js';

const PACKET = hex(`
  45 00 00 20   # version 4, IHL 5, TOS 0, total length 32
  12 34 40 00   # identification 0x1234, DF, offset 0
  40 11 3c 62   # TTL 64, protocol UDP, header checksum
  c0 00 02 01   # source 192.0.2.1
  c6 33 64 02   # destination 198.51.100.2
  30 39 00 35 00 0c 00 00 de ad be ef  # payload (12 bytes)
`);

const WITH_LSRR = hex(`
  47 00 00 24   # version 4, IHL 7, total length 36
  12 34 00 00   # identification 0x1234, no flags
  40 11 be 2c   # TTL 64, UDP, checksum
  c0 00 02 01   # source 192.0.2.1
  c6 33 64 02   # destination 198.51.100.2
  83 07 04 c6   # LSRR, length 7, pointer 4 (unexpired), route 198.51.100.1 ...
  33 64 01 00   # ... end of route, EOL
  01 02 03 04 05 06 07 08  # payload
`);

const REPR: Ipv4Repr = {
  srcAddr: parseIpv4('192.0.2.1'),
  dstAddr: parseIpv4('198.51.100.2'),
  protocol: 17,
  ttl: 64,
  tos: 0,
  identification: 0x1234,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  options: new Uint8Array(0),
  payloadLength: 12,
};

function checked(buf: Uint8Array, off = 0, len?: number): Ipv4Header {
  const v = Ipv4Header.check(buf, off, len);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('Ipv4Header', () => {
  it('deconstruct', () => {
    const v = checked(placed(PACKET, 7, 5), 7, PACKET.length + 5);
    expect(v.version).toBe(4);
    expect(v.headerLength).toBe(20);
    expect(v.tos).toBe(0);
    expect(v.totalLength).toBe(32);
    expect(v.len).toBe(32); // trailing link padding trimmed
    expect(v.identification).toBe(0x1234);
    expect(v.dontFragment).toBe(true);
    expect(v.moreFragments).toBe(false);
    expect(v.fragmentOffset).toBe(0);
    expect(v.isFragment).toBe(false);
    expect(v.ttl).toBe(64);
    expect(v.protocol).toBe(17);
    expect(v.checksum).toBe(0x3c62);
    expect(v.srcAddr).toBe(0xc0000201);
    expect(v.dstAddr).toBe(0xc6336402);
    expect(v.srcAddrOffset).toBe(7 + 12);
    expect(v.payloadLength).toBe(12);
    expect(v.payloadOffset).toBe(27);
    expect(Array.from(v.payload())).toEqual(Array.from(PACKET.subarray(20)));
    expect(v.options().length).toBe(0);
    expect(v.verifyChecksum()).toBe(true);
    expect(v.computeChecksum()).toBe(0x3c62);
    expect(v.sourceRouteOffset()).toBe(IPV4_NO_SOURCE_ROUTE);
  });

  it('construct', () => {
    const buf = dirty(PACKET.length);
    const v = new Ipv4Header(buf);
    v.version = 4;
    v.headerLength = 20;
    v.tos = 0;
    v.totalLength = 32;
    v.identification = 0x1234;
    v.flagsAndOffset = 0;
    v.dontFragment = true;
    v.moreFragments = true;
    v.moreFragments = false;
    v.fragmentOffset = 0;
    v.ttl = 64;
    v.protocol = 17;
    v.srcAddr = 0xc0000201;
    v.dstAddr = 0xc6336402;
    v.fillChecksum();
    buf.set(PACKET.subarray(20), 20);
    expect(buf).toEqual(PACKET);
  });

  it('parse', () => {
    expect(parseIpv4Header(checked(PACKET))).toEqual(REPR);
  });

  it('emit writes every header byte into a dirty buffer', () => {
    const buf = dirty(3 + PACKET.length);
    expect(emitIpv4Header(REPR, buf, 3)).toBe(IPV4_HEADER_LEN);
    expect(buf.subarray(3, 23)).toEqual(PACKET.subarray(0, 20));
    expect(buf.subarray(23)).toEqual(dirty(12)); // payload untouched
  });

  it('emit pads options to a multiple of 4', () => {
    const repr = { ...REPR, dontFragment: false, options: hex('83 07 04 c6 33 64 01'), payloadLength: 8 };
    const buf = dirty(WITH_LSRR.length);
    expect(emitIpv4Header(repr, buf)).toBe(28);
    buf.set(WITH_LSRR.subarray(28), 28);
    expect(buf).toEqual(WITH_LSRR);
  });

  it('fragment fields', () => {
    const v = new Ipv4Header(PACKET.slice());
    v.fragmentOffset = 0x1fff;
    v.moreFragments = true;
    expect(v.dontFragment).toBe(true);
    expect(v.fragmentOffset).toBe(0x1fff);
    expect(v.isFragment).toBe(true);
    expect(v.flagsAndOffset).toBe(0x7fff);
    v.dontFragment = false;
    expect(v.flagsAndOffset).toBe(0x3fff);
    expect(formatIpv4Header(v)).toContain('MF frag=65528');
  });

  it('updating-checksum setters keep the checksum valid', () => {
    const v = checked(PACKET.slice());
    v.setTtlUpdatingChecksum(63);
    v.setSrcAddrUpdatingChecksum(parseIpv4('203.0.113.9'));
    v.setDstAddrUpdatingChecksum(parseIpv4('192.0.2.200'));
    expect(v.ttl).toBe(63);
    expect(v.verifyChecksum()).toBe(true);
    expect(v.checksum).toBe(v.computeChecksum());
  });

  it('pseudo-header sum covers addresses, protocol and payload length', () => {
    const v = checked(PACKET);
    expect(v.pseudoHeaderSum()).toBe(sum(hex('c0000201 c6336402 0011 000c'), 0, 12));
  });

  it('finds an unexpired LSRR, ignores an expired one, flags malformed options', () => {
    const v = checked(WITH_LSRR.slice());
    expect(v.sourceRouteOffset()).toBe(20);
    v.buf[22] = 8; // pointer past the route: expired
    expect(v.sourceRouteOffset()).toBe(IPV4_NO_SOURCE_ROUTE);
    v.buf[20] = 137; // SSRR
    v.buf[22] = 4;
    expect(v.sourceRouteOffset()).toBe(20);
    v.buf.set(hex('01 01 01 44 09 05 00 00'), 20); // NOPs, then a timestamp option overflowing the header
    expect(v.sourceRouteOffset()).toBe(IPV4_OPTIONS_MALFORMED);
    v.buf.set(hex('01 01 01 01 01 01 01 83'), 20); // LSRR type in the last byte, no length
    expect(v.sourceRouteOffset()).toBe(IPV4_OPTIONS_MALFORMED);
    v.buf.set(hex('00 83 07 04 00 00 00 00'), 20); // EOL first: nothing after counts
    expect(v.sourceRouteOffset()).toBe(IPV4_NO_SOURCE_ROUTE);
  });

  it('formats for logs', () => {
    expect(formatIpv4Header(checked(PACKET))).toBe('IPv4 192.0.2.1 > 198.51.100.2 udp ttl=64 len=32 id=0x1234 DF');
  });

  it('reset re-points one view without allocation', () => {
    const v = new Ipv4Header();
    expect(Ipv4Header.check(PACKET, 0, PACKET.length, v)).toBe(v);
    const other = placed(PACKET, 10);
    expect(Ipv4Header.check(other, 10, PACKET.length, v)).toBe(v);
    expect(v.off).toBe(10);
  });
});

describe('Ipv4Header.check rejects', () => {
  const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = PACKET.slice();
    f(b);
    return b;
  };
  it.each([
    { name: 'empty', buf: new Uint8Array(0), len: 0, code: 'truncated' },
    { name: 'truncated header', buf: PACKET, len: 19, code: 'truncated' },
    { name: 'len past buffer', buf: PACKET, len: 33, code: 'truncated' },
    { name: 'bad version', buf: mutate((b) => (b[0] = 0x65)), len: 32, code: 'bad-version' },
    { name: 'IHL < 5', buf: mutate((b) => (b[0] = 0x44)), len: 32, code: 'bad-header-length' },
    { name: 'IHL past buffer', buf: mutate((b) => (b[0] = 0x4f)), len: 32, code: 'bad-header-length' },
    { name: 'total length overflow', buf: mutate((b) => (b[3] = 0x21)), len: 32, code: 'bad-length' },
    { name: 'total length < IHL', buf: mutate((b) => (b[3] = 0x13)), len: 32, code: 'bad-length' },
    { name: 'bad checksum', buf: mutate((b) => (b[8] = 0x3f)), len: 32, code: 'bad-checksum' },
  ])('$name', ({ buf, len, code }) => {
    const r = Ipv4Header.check(buf, 0, len);
    expect(r).toBeInstanceOf(WireError);
    expect((r as WireError).code).toBe(code);
  });

  it('ignores the checksum under policy "ignore"', () => {
    const b = PACKET.slice();
    b[8] = 0x3f;
    expect(Ipv4Header.check(b, 0, 32, undefined, 'ignore')).toBeInstanceOf(Ipv4Header);
  });

  it('never throws on arbitrary bytes and offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -4, max: 90 }), fc.integer({ min: -4, max: 90 }), (b, off, len) => {
        const r = Ipv4Header.check(b, off, len);
        if (r instanceof Ipv4Header) {
          // A checked view stays in bounds and its checksum verifies.
          return r.off + r.len <= b.length && verify(b, r.off, r.off + r.headerLength) && r.payload().length === r.payloadLength;
        }
        return r instanceof WireError;
      }),
    );
  });

  it('parse(emit(x)) == x', () => {
    const reprArb = fc.record({
      srcAddr: fc.integer({ min: 0, max: 0xffffffff }),
      dstAddr: fc.integer({ min: 0, max: 0xffffffff }),
      protocol: fc.integer({ min: 0, max: 255 }),
      ttl: fc.integer({ min: 0, max: 255 }),
      tos: fc.integer({ min: 0, max: 255 }),
      identification: fc.integer({ min: 0, max: 0xffff }),
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
      options: fc.integer({ min: 0, max: 10 }).map((n) => new Uint8Array(n * 4).fill(1)),
      payloadLength: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(reprArb, (repr) => {
        const buf = dirty(60 + repr.payloadLength);
        emitIpv4Header(repr, buf, 0);
        const v = Ipv4Header.check(buf, 0, buf.length);
        expect(v).toBeInstanceOf(Ipv4Header);
        expect(parseIpv4Header(v as Ipv4Header)).toEqual(repr);
      }),
    );
  });
});

describe('Ipv4Header.checkEmbedded (ICMP error quotes)', () => {
  it('accepts a truncated packet without verifying the checksum', () => {
    const b = PACKET.slice(0, 28);
    b[10] = 0; // checksum not verified
    const v = Ipv4Header.checkEmbedded(b, 0, 28) as Ipv4Header;
    expect(v).toBeInstanceOf(Ipv4Header);
    expect(v.len).toBe(28);
    expect(v.totalLength).toBe(32);
    expect(v.payload().length).toBe(8);
  });
  it('trims to Total Length when more bytes follow', () => {
    expect((Ipv4Header.checkEmbedded(placed(PACKET, 0, 4), 0, 36) as Ipv4Header).len).toBe(32);
  });
  it.each([
    { name: 'truncated', bytes: PACKET.slice(0, 19), code: 'truncated' },
    { name: 'bad version', bytes: Uint8Array.of(0x65, ...PACKET.subarray(1)), code: 'bad-version' },
    { name: 'IHL past the quote', bytes: Uint8Array.of(0x4f, ...PACKET.subarray(1, 24)), code: 'bad-header-length' },
    { name: 'total < IHL', bytes: Uint8Array.of(...PACKET.subarray(0, 3), 0x10, ...PACKET.subarray(4)), code: 'bad-length' },
  ])('rejects $name', ({ bytes, code }) => {
    expect((Ipv4Header.checkEmbedded(bytes, 0, bytes.length) as WireError).code).toBe(code);
  });
  it('never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -4, max: 90 }), fc.integer({ min: -4, max: 90 }), (b, off, len) => {
        const r = Ipv4Header.checkEmbedded(b, off, len);
        return r instanceof WireError || (r.off + r.len <= b.length && r.payload().length <= r.len - r.headerLength);
      }),
    );
  });
});
