import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  TCP_FLAG,
  TCP_HEADER_LEN,
  TCP_NO_MSS,
  TCP_OPTIONS_MALFORMED,
  TcpHeader,
  type TcpRepr,
  emitTcpHeader,
  formatTcpHeader,
  parseTcpHeader,
  tcpHeaderLength,
} from './tcp.js';
import { WireError } from './errors.js';
import { addressSum4, addressSum6, pseudoHeaderSum4, pseudoHeaderSum6 } from './checksum.js';
import { dirty, hex, placed } from './test-helpers.js';

const ADDRS4 = hex('c0 00 02 01  c6 33 64 02'); // 192.0.2.1, 198.51.100.2
const ADDRS6 = hex(`
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 # 2001:db8::1
  00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02 # 64:ff9b::c633:6402
`);
const PSEUDO4 = pseudoHeaderSum4(ADDRS4, 0, 4, 6, 30);
const PSEUDO6 = pseudoHeaderSum6(ADDRS6, 0, 16, 6, 30);

const SEGMENT = hex(`
  30 39 00 50   # source port 12345, destination port 80
  00 00 00 64   # sequence number 100
  00 00 00 c8   # acknowledgment number 200
  70 12 ff ff   # data offset 7 (28 bytes), SYN+ACK, window 65535
  fd b0 00 00   # checksum (IPv4 pseudo-header), urgent pointer 0
  02 04 05 b4   # option MSS 1460
  01 03 03 07   # NOP, window scale 7
  68 69         # data "hi"
`);

const REPR: TcpRepr = {
  srcPort: 12345,
  dstPort: 80,
  seqNumber: 100,
  ackNumber: 200,
  flags: TCP_FLAG.SYN | TCP_FLAG.ACK,
  window: 0xffff,
  urgentPointer: 0,
  options: hex('02 04 05 b4 01 03 03 07'),
  payloadLength: 2,
};

function checked(buf: Uint8Array, off = 0, len?: number): TcpHeader {
  const v = TcpHeader.check(buf, off, len);
  if (v instanceof WireError) throw new Error(v.toString());
  return v;
}

describe('TcpHeader', () => {
  it('deconstruct', () => {
    const v = checked(placed(SEGMENT, 6, 4), 6, 30);
    expect(v.srcPort).toBe(12345);
    expect(v.dstPort).toBe(80);
    expect(v.seqNumber).toBe(100);
    expect(v.ackNumber).toBe(200);
    expect(v.headerLength).toBe(28);
    expect(v.flags).toBe(0x12);
    expect([v.fin, v.syn, v.rst, v.psh, v.ack, v.urg]).toEqual([false, true, false, false, true, false]);
    expect(v.window).toBe(0xffff);
    expect(v.checksum).toBe(0xfdb0);
    expect(v.urgentPointer).toBe(0);
    expect(v.options()).toEqual(REPR.options);
    expect(v.payloadOffset).toBe(34);
    expect(v.payload()).toEqual(hex('68 69'));
    expect(v.mssOffset()).toBe(6 + 22);
    expect(v.mss).toBe(1460);
    expect(v.verifyChecksum(PSEUDO4)).toBe(true);
    expect(v.computeChecksum(PSEUDO4)).toBe(0xfdb0);
  });

  it('construct', () => {
    const buf = dirty(30);
    const v = new TcpHeader(buf);
    v.srcPort = 12345;
    v.dstPort = 80;
    v.seqNumber = 100;
    v.ackNumber = 200;
    v.headerLength = 28;
    v.flags = TCP_FLAG.SYN | TCP_FLAG.ACK;
    v.window = 0xffff;
    v.urgentPointer = 0;
    buf.set(hex('02 04 05 b4 01 03 03 07 68 69'), 20);
    v.fillChecksum(PSEUDO4);
    expect(buf).toEqual(SEGMENT);
  });

  it('parse', () => {
    expect(parseTcpHeader(checked(SEGMENT))).toEqual(REPR);
  });

  it('emit without and with a pseudo-header sum', () => {
    const buf = dirty(31);
    buf.set(hex('68 69'), 29);
    expect(emitTcpHeader(REPR, buf, 1)).toBe(28);
    expect(buf[17]).toBe(0);
    expect(buf[18]).toBe(0);
    emitTcpHeader(REPR, buf, 1, PSEUDO4);
    expect(buf.subarray(1)).toEqual(SEGMENT);
    expect(buf[0]).toBe(0xa5);
  });

  it('emit pads options with EOL', () => {
    const repr = { ...REPR, options: hex('02 04 05 b4 01'), payloadLength: 0 };
    expect(tcpHeaderLength(repr)).toBe(28);
    const buf = dirty(28);
    emitTcpHeader(repr, buf);
    expect(buf.subarray(20)).toEqual(hex('02 04 05 b4 01 00 00 00'));
  });

  it('updating setters and pseudo-header swap keep the checksum valid', () => {
    const v = checked(SEGMENT.slice());
    v.setSrcPortUpdatingChecksum(61000);
    v.setDstPortUpdatingChecksum(443);
    v.setSeqNumberUpdatingChecksum(0xfffffff0);
    v.setAckNumberUpdatingChecksum(7);
    expect(v.verifyChecksum(PSEUDO4)).toBe(true);
    v.adjustChecksum(addressSum4(0xc0000201, 0xc6336402), addressSum6(ADDRS6, 0, 16));
    expect(v.verifyChecksum(PSEUDO6)).toBe(true);
    expect(v.checksum).toBe(v.computeChecksum(PSEUDO6));
  });

  it('clamps MSS at even and odd offsets', () => {
    const v = checked(SEGMENT.slice());
    expect(v.clampMss(1500)).toBe(false);
    expect(v.clampMss(1220)).toBe(true);
    expect(v.mss).toBe(1220);
    expect(v.verifyChecksum(PSEUDO4)).toBe(true);
    // NOP first: the MSS value starts at an odd offset.
    const odd = SEGMENT.slice();
    odd.set(hex('01 02 04 05 b4 03 03 07'), 20);
    const w = checked(odd);
    w.fillChecksum(PSEUDO4);
    expect(w.mssOffset()).toBe(23);
    expect(w.clampMss(1200)).toBe(true);
    expect(w.mss).toBe(1200);
    expect(w.verifyChecksum(PSEUDO4)).toBe(true);
  });

  it('setMssUpdatingChecksum rewrites in either direction', () => {
    const v = checked(SEGMENT.slice());
    expect(v.setMssUpdatingChecksum(9000)).toBe(true);
    expect(v.mss).toBe(9000);
    expect(v.verifyChecksum(PSEUDO4)).toBe(true);
  });

  it('MSS rewrite == full recompute at any option alignment (property)', () => {
    fc.assert(
      fc.property(fc.nat(3), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 9 }), (nops, from, to, data) => {
        const opts = [...new Array<number>(nops).fill(1), 2, 4, from >>> 8, from & 0xff];
        const hl = 20 + ((opts.length + 3) & ~3);
        const buf = new Uint8Array(hl + data.length);
        buf[12] = (hl >>> 2) << 4;
        buf[13] = TCP_FLAG.SYN;
        buf.set(opts, 20);
        buf.set(data, hl);
        const v = checked(buf);
        v.fillChecksum(PSEUDO4);
        expect(v.setMssUpdatingChecksum(to)).toBe(true);
        expect(v.mss).toBe(to);
        expect(v.verifyChecksum(PSEUDO4)).toBe(true);
      }),
    );
  });

  it.each([
    { name: 'no options', opts: '', want: TCP_NO_MSS },
    { name: 'EOL before MSS', opts: '00 00 00 00 02 04 05 b4', want: TCP_NO_MSS },
    { name: 'other options only', opts: '01 01 04 02 03 03 07 00', want: TCP_NO_MSS },
    { name: 'MSS with length 3', opts: '02 03 05 01', want: TCP_OPTIONS_MALFORMED },
    { name: 'option length 0', opts: '08 00 00 00', want: TCP_OPTIONS_MALFORMED },
    { name: 'option past the header', opts: '01 01 01 08', want: TCP_OPTIONS_MALFORMED },
    { name: 'kind in the last byte', opts: '01 01 01 02', want: TCP_OPTIONS_MALFORMED },
  ])('mssOffset: $name', ({ opts, want }) => {
    const o = hex(opts);
    const buf = new Uint8Array(20 + o.length);
    buf[12] = ((20 + o.length) >>> 2) << 4;
    buf.set(o, 20);
    const v = checked(buf);
    expect(v.mssOffset()).toBe(want);
    expect(v.mss).toBe(-1);
    expect(v.clampMss(536)).toBe(false);
  });

  it('format', () => {
    expect(formatTcpHeader(checked(SEGMENT))).toBe('TCP 12345 > 80 [S.] seq=100 ack=200 win=65535 len=2 mss=1460');
  });

  it.each([
    { name: 'truncated', buf: SEGMENT.subarray(0, 19), code: 'truncated' },
    { name: 'data offset < 5', buf: Uint8Array.of(...SEGMENT.subarray(0, 12), 0x40, ...SEGMENT.subarray(13)), code: 'bad-header-length' },
    { name: 'data offset past the segment', buf: SEGMENT.subarray(0, 24), code: 'bad-header-length' },
  ])('rejects $name', ({ buf, code }) => {
    expect((TcpHeader.check(buf) as WireError).code).toBe(code);
  });

  it('check never throws; walks stay in bounds; parse(emit(x)) == x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -2, max: 82 }), fc.integer({ min: -2, max: 82 }), (b, off, len) => {
        const r = TcpHeader.check(b, off, len);
        if (r instanceof WireError) return true;
        const at = r.mssOffset();
        return r.off + r.len <= b.length && (at < 0 || at + 2 <= r.off + r.headerLength);
      }),
    );
    const reprArb = fc.record({
      srcPort: fc.integer({ min: 0, max: 0xffff }),
      dstPort: fc.integer({ min: 0, max: 0xffff }),
      seqNumber: fc.integer({ min: 0, max: 0xffffffff }),
      ackNumber: fc.integer({ min: 0, max: 0xffffffff }),
      flags: fc.integer({ min: 0, max: 0xff }),
      window: fc.integer({ min: 0, max: 0xffff }),
      urgentPointer: fc.integer({ min: 0, max: 0xffff }),
      options: fc.integer({ min: 0, max: 10 }).map((n) => new Uint8Array(n * 4).fill(1)),
      payloadLength: fc.nat(40),
    });
    fc.assert(
      fc.property(reprArb, fc.integer({ min: 0, max: 0xffff }), (repr, pseudo) => {
        const buf = dirty(tcpHeaderLength(repr) + repr.payloadLength);
        emitTcpHeader(repr, buf, 0, pseudo);
        const v = checked(buf);
        expect(parseTcpHeader(v)).toEqual(repr);
        expect(v.verifyChecksum(pseudo)).toBe(true);
        expect(TCP_HEADER_LEN).toBe(20);
      }),
    );
  });
});
