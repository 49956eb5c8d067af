import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UDP_HEADER_LEN, UdpHeader, type UdpRepr, emitUdpHeader, formatUdpHeader, parseUdpHeader } from './udp.js';
import { WireError } from './errors.js';
import { addressSum4, addressSum6, pseudoHeaderSum4, pseudoHeaderSum6 } from './checksum.js';
import { dirty, hex, placed } from './test-helpers.js';

const ADDRS4 = hex('c0 00 02 01  c6 33 64 02'); // 192.0.2.1, 198.51.100.2
const ADDRS6 = hex(`
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 # 2001:db8::1
  00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02 # 64:ff9b::c633:6402
`);
const PSEUDO4 = pseudoHeaderSum4(ADDRS4, 0, 4, 17, 12);
const PSEUDO6 = pseudoHeaderSum6(ADDRS6, 0, 16, 17, 12);

const DATAGRAM = hex(`
  30 39 00 35   # source port 12345, destination port 53
  00 0c 45 93   # length 12, checksum (IPv4 pseudo-header 192.0.2.1 > 198.51.100.2)
  de ad be ef   # data
`);

const REPR: UdpRepr = { srcPort: 12345, dstPort: 53, payloadLength: 4 };

function checked(buf: Uint8Array, off = 0, len?: number): UdpHeader {
  const v = UdpHeader.check(buf, off, len);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('UdpHeader', () => {
  it('deconstruct', () => {
    const v = checked(placed(DATAGRAM, 3, 2), 3, 14);
    expect(v.srcPort).toBe(12345);
    expect(v.dstPort).toBe(53);
    expect(v.length).toBe(12);
    expect(v.len).toBe(12);
    expect(v.checksum).toBe(0x4593);
    expect(v.payloadOffset).toBe(11);
    expect(v.payload()).toEqual(hex('de ad be ef'));
    expect(v.verifyChecksum(PSEUDO4)).toBe(true);
    expect(v.computeChecksum(PSEUDO4)).toBe(0x4593);
    expect(v.verifyChecksum(PSEUDO6)).toBe(false);
    expect(v.computeChecksum(PSEUDO6)).toBe(0xd9da);
  });

  it('construct', () => {
    const buf = dirty(12);
    const v = new UdpHeader(buf);
    v.srcPort = 12345;
    v.dstPort = 53;
    v.length = 12;
    buf.set(hex('de ad be ef'), 8);
    v.fillChecksum(PSEUDO4);
    expect(buf).toEqual(DATAGRAM);
  });

  it('parse', () => {
    expect(parseUdpHeader(checked(DATAGRAM))).toEqual(REPR);
  });

  it('emit without and with a pseudo-header sum', () => {
    const buf = dirty(13);
    buf.set(hex('de ad be ef'), 9);
    expect(emitUdpHeader(REPR, buf, 1)).toBe(UDP_HEADER_LEN);
    expect(buf.subarray(1)).toEqual(hex('30 39 00 35 00 0c 00 00 de ad be ef'));
    emitUdpHeader(REPR, buf, 1, PSEUDO4);
    expect(buf.subarray(1)).toEqual(DATAGRAM);
    expect(buf[0]).toBe(0xa5);
  });

  it('a computed zero checksum is sent as 0xffff', () => {
    // Choose the data word so that the full sum is 0xffff (computed checksum 0).
    const buf = hex('00 01 00 02 00 0a 00 00 00 00');
    const v = new UdpHeader(buf);
    const partial = 0x0001 + 0x0002 + 0x000a + 0x000a; // ports, length, pseudo length
    buf[8] = (0xffff - partial - 17) >>> 8;
    buf[9] = (0xffff - partial - 17) & 0xff;
    v.fillChecksum(17 + 10);
    expect(v.checksum).toBe(0xffff);
    expect(v.verifyChecksum(17 + 10)).toBe(true);
  });

  it('port setters and pseudo-header swap keep the checksum valid; zero stays zero', () => {
    const v = checked(DATAGRAM.slice());
    v.setSrcPortUpdatingChecksum(40000);
    v.setDstPortUpdatingChecksum(5353);
    expect(v.verifyChecksum(PSEUDO4)).toBe(true);
    v.adjustChecksum(addressSum4(0xc0000201, 0xc6336402), addressSum6(ADDRS6, 0, 16));
    expect(v.verifyChecksum(PSEUDO6)).toBe(true);
    v.checksum = 0;
    v.setSrcPortUpdatingChecksum(1);
    v.adjustChecksum(1, 2);
    expect(v.checksum).toBe(0);
  });

  it('format', () => {
    expect(formatUdpHeader(checked(DATAGRAM))).toBe('UDP 12345 > 53 len=12 csum=0x4593');
  });

  it.each([
    { name: 'truncated', buf: DATAGRAM.subarray(0, 7), code: 'truncated' },
    { name: 'length < 8', buf: hex('30 39 00 35 00 07 00 00 de ad be ef'), code: 'bad-length' },
    { name: 'length overflow', buf: hex('30 39 00 35 00 0d 00 00 de ad be ef'), code: 'bad-length' },
  ])('rejects $name', ({ buf, code }) => {
    expect((UdpHeader.check(buf) as WireError).code).toBe(code);
  });

  it('check never throws; parse(emit(x)) == x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.integer({ min: -2, max: 32 }), fc.integer({ min: -2, max: 32 }), (b, off, len) => {
        const r = UdpHeader.check(b, off, len);
        return r instanceof WireError || (r.off + r.len <= b.length && r.payload().length === r.length - 8);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ srcPort: fc.integer({ min: 0, max: 0xffff }), dstPort: fc.integer({ min: 0, max: 0xffff }), payloadLength: fc.nat(40) }),
        fc.integer({ min: 0, max: 0xffff }),
        (repr, pseudo) => {
          const buf = dirty(8 + repr.payloadLength);
          emitUdpHeader(repr, buf, 0, pseudo);
          const v = checked(buf);
          expect(parseUdpHeader(v)).toEqual(repr);
          expect(v.verifyChecksum(pseudo)).toBe(true);
        },
      ),
    );
  });
});
