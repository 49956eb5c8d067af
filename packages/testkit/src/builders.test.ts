import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatIpv4, formatIpv6 } from '@sixgate/addressing';
import {
  IP_PROTOCOL,
  Icmpv4Header,
  Icmpv6Header,
  Ipv4Header,
  Ipv6Header,
  TCP_FLAG,
  TcpHeader,
  UdpHeader,
  WireError,
  walkIpv6,
} from './oracle/index.js';
import { buildIpv4, buildIpv4Icmp, buildIpv4Tcp, buildIpv4Udp } from './ipv4.js';
import { buildIpv6, buildIpv6Icmp, buildIpv6Tcp, buildIpv6Udp } from './ipv6.js';
import { fragmentIpv4, fragmentIpv6 } from './fragment.js';
import { hex } from './hex.js';
import type { Packet } from './packet.js';

const V6 = { src: '2001:db8::1', dst: '64:ff9b::c633:6402' };
const V4 = { src: '192.0.2.1', dst: '198.51.100.2' };

function ok<T>(r: T | WireError): T {
  if (r instanceof WireError) throw new Error(r.toString());
  return r;
}

/** Checks an IPv6 packet end to end and returns its upper-layer view offset/length. */
function check6(p: Packet): { ip: Ipv6Header; proto: number; at: number; n: number } {
  const ip = ok(Ipv6Header.check(p.buf, p.off, p.len));
  expect(ip.len).toBe(p.len);
  const x = ok(walkIpv6(ip));
  const n = ip.off + ip.len - x.upperOffset;
  if (x.upperProtocol === IP_PROTOCOL.UDP) {
    const u = ok(UdpHeader.check(p.buf, x.upperOffset, n));
    expect(u.verifyChecksum(ip.pseudoHeaderSum(17, n))).toBe(true);
  } else if (x.upperProtocol === IP_PROTOCOL.TCP) {
    const t = ok(TcpHeader.check(p.buf, x.upperOffset, n));
    expect(t.verifyChecksum(ip.pseudoHeaderSum(6, n))).toBe(true);
  } else if (x.upperProtocol === IP_PROTOCOL.ICMPV6) {
    const c = ok(Icmpv6Header.check(p.buf, x.upperOffset, n));
    expect(c.verifyChecksum(ip.pseudoHeaderSum(58, n))).toBe(true);
  }
  return { ip, proto: x.upperProtocol, at: x.upperOffset, n };
}

function check4(p: Packet): { ip: Ipv4Header; at: number; n: number } {
  const ip = ok(Ipv4Header.check(p.buf, p.off, p.len));
  expect(ip.len).toBe(p.len);
  const at = ip.payloadOffset;
  const n = ip.payloadLength;
  if (ip.protocol === 17 && !ip.isFragment) {
    const u = ok(UdpHeader.check(p.buf, at, n));
    if (u.checksum !== 0) expect(u.verifyChecksum(ip.pseudoHeaderSum())).toBe(true);
  } else if (ip.protocol === 6 && !ip.isFragment) {
    expect(ok(TcpHeader.check(p.buf, at, n)).verifyChecksum(ip.pseudoHeaderSum())).toBe(true);
  } else if (ip.protocol === 1 && !ip.isFragment) {
    ok(Icmpv4Header.check(p.buf, at, n));
  }
  return { ip, at, n };
}

describe('IPv6 builders', () => {
  it('buildIpv6Udp: fields, defaults, headroom', () => {
    const p = buildIpv6Udp({ ...V6, sport: 5353, dport: 53, payload: hex('de ad be ef'), hopLimit: 7, tc: 0xb8, flowLabel: 0xabcde, headroom: 28, tailroom: 4 });
    expect(p.off).toBe(28);
    expect(p.len).toBe(52);
    expect(p.buf.length).toBe(28 + 52 + 4);
    expect(p.buf[0]).toBe(0xa5);
    expect(p.buf[p.buf.length - 1]).toBe(0xa5);
    expect(p.bytes).toEqual(p.buf.subarray(28, 80));
    const { ip, at } = check6(p);
    expect(formatIpv6(p.buf, ip.srcAddrOffset)).toBe('2001:db8::1');
    expect(formatIpv6(p.buf, ip.dstAddrOffset)).toBe('64:ff9b::c633:6402');
    expect([ip.hopLimit, ip.trafficClass, ip.flowLabel, ip.nextHeader]).toEqual([7, 0xb8, 0xabcde, 17]);
    const u = new UdpHeader(p.buf, at, 12);
    expect([u.srcPort, u.dstPort, u.length]).toEqual([5353, 53, 12]);
    expect(u.payload()).toEqual(hex('de ad be ef'));
  });

  it('matches a hand-written fixture byte for byte', () => {
    const p = buildIpv6Udp({ ...V6, sport: 12345, dport: 53, payload: hex('de ad be ef') });
    expect(p.bytes).toEqual(hex(`
      60 00 00 00 00 0c 11 40                         # version 6, payload length 12, UDP, hop limit 64
      20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 # source 2001:db8::1
      00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02 # destination 64:ff9b::c633:6402
      30 39 00 35 00 0c d9 da de ad be ef             # UDP 12345 > 53, length 12, checksum, data
    `));
  });

  it('buildIpv6Tcp: flags, seq/ack, MSS option', () => {
    const p = buildIpv6Tcp({ ...V6, sport: 40000, dport: 443, seq: 0xfffffff0, ack: 7, flags: TCP_FLAG.SYN | TCP_FLAG.ACK, mss: 1440, options: hex('01 03 03 07'), payload: hex('68 69') });
    const { at, n } = check6(p);
    const t = new TcpHeader(p.buf, at, n);
    expect([t.srcPort, t.dstPort, t.seqNumber, t.ackNumber, t.flags, t.headerLength, t.mss]).toEqual([40000, 443, 0xfffffff0, 7, 0x12, 28, 1440]);
    expect(t.payload()).toEqual(hex('68 69'));
  });

  it('buildIpv6Icmp: echo by default, errors quote a packet', () => {
    const echo = buildIpv6Icmp({ ...V6, id: 0x4242, seq: 9, payload: hex('00 01 02') });
    const e = check6(echo);
    const icmp = new Icmpv6Header(echo.buf, e.at, e.n);
    expect([icmp.type, icmp.code, icmp.identifier, icmp.sequenceNumber]).toEqual([128, 0, 0x4242, 9]);

    const inner = buildIpv6Udp({ src: V6.dst, dst: V6.src, payload: new Uint8Array(1300) });
    const ptb = buildIpv6Icmp({ src: '2001:db8:ffff::1', dst: V6.dst, type: 2, mtu: 1280, payload: inner.bytes.subarray(0, 1232 - 48) });
    const c = check6(ptb);
    const err = new Icmpv6Header(ptb.buf, c.at, c.n);
    expect([err.type, err.mtu, err.isError]).toEqual([2, 1280, true]);
    const quoted = ok(Ipv6Header.checkEmbedded(ptb.buf, err.payloadOffset, c.n - 8));
    expect(quoted.payloadLength).toBe(1308);
    const pp = buildIpv6Icmp({ ...V6, type: 4, code: 0, pointer: 43, payload: inner.bytes.subarray(0, 48) });
    const d = check6(pp);
    expect(new Icmpv6Header(pp.buf, d.at, d.n).pointer).toBe(43);
    const te = buildIpv6Icmp({ ...V6, type: 3, length4884: 6, payload: inner.bytes.subarray(0, 48) });
    expect(new Icmpv6Header(te.buf, check6(te).at, 56).rfc4884Length).toBe(6);
  });

  it('extension headers are walkable and the checksum still verifies', () => {
    const p = buildIpv6Udp({
      ...V6,
      ext: [{ type: 0 }, { type: 43, segmentsLeft: 2, length: 24 }, { type: 44, more: true, id: 7 }, { type: 60, length: 16 }, { type: 51 }],
      payload: hex('aa'),
      headroom: 3,
    });
    const ip = ok(Ipv6Header.check(p.buf, p.off, p.len));
    const x = ok(walkIpv6(ip));
    expect(x.upperProtocol).toBe(17);
    expect(x.upperOffset - p.off).toBe(40 + 8 + 24 + 8 + 16 + 16);
    expect(x.hasHopByHop).toBe(true);
    expect(x.segmentsLeftOffset - p.off).toBe(48 + 3);
    expect(x.fragmentHeaderOffset - p.off).toBe(72);
    expect(x.moreFragments).toBe(true);
    expect(x.extensionAfterFragment).toBe(true);
    check6(p);
  });

  it('buildIpv6 carries a raw payload', () => {
    const p = buildIpv6({ ...V6, nextHeader: 59 });
    expect(p.len).toBe(40);
    expect(ok(Ipv6Header.check(p.buf, p.off, p.len)).nextHeader).toBe(59);
  });

  it('mutators run before checksums are filled, unless keepChecksums', () => {
    const p = buildIpv6Udp({ ...V6 }, ({ ip, udp }) => {
      ip.hopLimit = 1;
      udp.dstPort = 5353;
    });
    const c = check6(p);
    expect(c.ip.hopLimit).toBe(1);
    expect(new UdpHeader(p.buf, c.at, c.n).dstPort).toBe(5353);

    const bad = buildIpv6Tcp({ ...V6 }, (ctx) => {
      ctx.tcp.checksum = 0xdead;
      ctx.keepChecksums = true;
    });
    const t = new TcpHeader(bad.buf, bad.off + 40, 20);
    expect(t.checksum).toBe(0xdead);
    expect(t.verifyChecksum(new Ipv6Header(bad.buf, bad.off).pseudoHeaderSum(6, 20))).toBe(false);
  });

  it('fragmentIpv6 splits after the unfragmentable part and reassembles to the original', () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const whole = buildIpv6Udp({ ...V6, ext: [{ type: 0 }], payload });
    const frags = fragmentIpv6(whole, 100, { id: 0xabc, headroom: 8 });
    expect(frags.length).toBe(4); // 308 bytes of UDP in 96-byte chunks
    const parts: Uint8Array[] = [];
    frags.forEach((f, k) => {
      expect(f.off).toBe(8);
      const ip = ok(Ipv6Header.check(f.buf, f.off, f.len));
      const x = ok(walkIpv6(ip));
      expect(x.hasHopByHop).toBe(true);
      expect(x.fragmentHeaderOffset - f.off).toBe(48);
      expect(x.fragmentOffset).toBe((k * 96) / 8);
      expect(x.moreFragments).toBe(k < 3);
      expect(x.isLaterFragment).toBe(k > 0);
      expect(x.upperProtocol).toBe(17);
      parts.push(f.buf.subarray(x.upperOffset, f.off + f.len));
    });
    const joined = Uint8Array.from(parts.flatMap((b) => Array.from(b)));
    expect(joined).toEqual(whole.bytes.subarray(48));
    // The first fragment's UDP header carries the whole datagram's checksum.
    const u = new UdpHeader(joined, 0, joined.length);
    const ip = new Ipv6Header(whole.buf, whole.off);
    expect(u.verifyChecksum(ip.pseudoHeaderSum(17, joined.length))).toBe(true);
  });
});

describe('IPv4 builders', () => {
  it('buildIpv4Udp: fields, defaults, headroom', () => {
    const p = buildIpv4Udp({ ...V4, sport: 1000, dport: 53, payload: hex('01 02 03'), ttl: 3, tos: 0x10, identification: 77, headroom: 20 });
    expect(p.off).toBe(20);
    const { ip, at, n } = check4(p);
    expect([formatIpv4(ip.srcAddr), formatIpv4(ip.dstAddr)]).toEqual([V4.src, V4.dst]);
    expect([ip.ttl, ip.tos, ip.identification, ip.dontFragment, ip.moreFragments, ip.protocol]).toEqual([3, 0x10, 77, true, false, 17]);
    expect(new UdpHeader(p.buf, at, n).payload()).toEqual(hex('01 02 03'));
  });

  it('matches a hand-written fixture byte for byte', () => {
    const p = buildIpv4Udp({ ...V4, sport: 12345, dport: 53, payload: hex('de ad be ef') });
    expect(p.bytes).toEqual(hex(`
      45 00 00 20 12 34 40 00   # version 4, IHL 5, total 32, id 0x1234, DF
      40 11 3c 62               # TTL 64, UDP, header checksum
      c0 00 02 01 c6 33 64 02   # 192.0.2.1 > 198.51.100.2
      30 39 00 35 00 0c 45 93   # UDP 12345 > 53, length 12, checksum
      de ad be ef               # data
    `));
  });

  it('zeroChecksum sends UDP checksum 0', () => {
    const p = buildIpv4Udp({ ...V4, zeroChecksum: true, payload: hex('ff') });
    const { at, n } = check4(p);
    expect(new UdpHeader(p.buf, at, n).checksum).toBe(0);
  });

  it('buildIpv4Tcp with options in both layers', () => {
    const p = buildIpv4Tcp({ ...V4, options: hex('01 01 01 00'), mss: 1460, flags: TCP_FLAG.SYN, payload: hex('00') });
    const { ip, at, n } = check4(p);
    expect(ip.headerLength).toBe(24);
    expect(new TcpHeader(p.buf, at, n).mss).toBe(1460);
  });

  it('buildIpv4 options carry an unexpired LSRR', () => {
    const p = buildIpv4({ ...V4, protocol: 253, options: hex('83 07 04 c6 33 64 01'), payload: new Uint8Array(8) });
    const { ip } = check4(p);
    expect(ip.sourceRouteOffset() - p.off).toBe(20);
  });

  it('buildIpv4Icmp: echo and errors', () => {
    const echo = buildIpv4Icmp({ ...V4, identification: 5, id: 0x77, seq: 3, payload: hex('61 62') });
    const e = check4(echo);
    const icmp = ok(Icmpv4Header.check(echo.buf, e.at, e.n));
    expect([icmp.type, icmp.identifier, icmp.sequenceNumber, e.ip.identification]).toEqual([8, 0x77, 3, 5]);

    const inner = buildIpv4Udp({ src: V4.dst, dst: V4.src, payload: new Uint8Array(100) });
    const fn = buildIpv4Icmp({ src: '203.0.113.1', dst: V4.dst, type: 3, code: 4, mtu: 1400, payload: inner.bytes.subarray(0, 28) });
    const f = check4(fn);
    const err = ok(Icmpv4Header.check(fn.buf, f.at, f.n));
    expect([err.type, err.code, err.mtu]).toEqual([3, 4, 1400]);
    expect(ok(Ipv4Header.checkEmbedded(fn.buf, err.payloadOffset, 28)).totalLength).toBe(128);
    const pp = buildIpv4Icmp({ ...V4, type: 12, pointer: 9, length4884: 2, payload: inner.bytes.subarray(0, 28) });
    const q = check4(pp);
    const ppv = ok(Icmpv4Header.check(pp.buf, q.at, q.n));
    expect([ppv.pointer, ppv.rfc4884Length]).toEqual([9, 2]);
  });

  it('mutators keep packets valid unless keepChecksums', () => {
    const p = buildIpv4Udp({ ...V4 }, ({ ip, udp }) => {
      ip.ttl = 1;
      udp.srcPort = 9;
    });
    expect(check4(p).ip.ttl).toBe(1);
    const bad = buildIpv4Icmp({ ...V4 }, (c) => {
      c.ip.ttl = 9;
      c.keepChecksums = true;
    });
    expect((Ipv4Header.check(bad.buf, bad.off, bad.len) as WireError).code).toBe('bad-checksum');
  });

  it('fragmentIpv4 splits into valid fragments that reassemble', () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    const whole = buildIpv4Udp({ ...V4, payload, options: hex('01 01 01 01') });
    const frags = fragmentIpv4(whole, 300, { headroom: 4 });
    expect(frags.length).toBe(4); // 1008 bytes in 296-byte chunks
    const parts: number[] = [];
    frags.forEach((f, k) => {
      const ip = ok(Ipv4Header.check(f.buf, f.off, f.len));
      expect(ip.headerLength).toBe(24);
      expect(ip.dontFragment).toBe(false);
      expect(ip.moreFragments).toBe(k < 3);
      expect(ip.fragmentOffset).toBe((k * 296) / 8);
      expect(ip.identification).toBe(0x1234);
      parts.push(...ip.payload());
    });
    expect(Uint8Array.from(parts)).toEqual(whole.bytes.subarray(24));
    // A later fragment split again keeps its offset and MF.
    const again = fragmentIpv4(frags[1]!, 104);
    expect(again.map((f) => new Ipv4Header(f.buf, f.off).fragmentOffset)).toEqual([37, 50, 63]);
    expect(again.every((f) => new Ipv4Header(f.buf, f.off).moreFragments)).toBe(true);
  });
});

describe('builder properties', () => {
  const port = fc.integer({ min: 0, max: 0xffff });
  const payload = fc.uint8Array({ maxLength: 200 });
  const room = fc.record({ headroom: fc.nat(64), tailroom: fc.nat(8) });

  it('every IPv6 packet checks and verifies', () => {
    fc.assert(
      fc.property(fc.constantFrom('udp', 'tcp', 'icmp'), port, port, payload, room, (kind, sport, dport, data, r) => {
        const spec = { ...V6, ...r, sport, dport, payload: data };
        const p = kind === 'udp' ? buildIpv6Udp(spec) : kind === 'tcp' ? buildIpv6Tcp(spec) : buildIpv6Icmp({ ...V6, ...r, payload: data });
        expect(p.off).toBe(r.headroom);
        check6(p);
      }),
    );
  });

  it('every IPv4 packet checks and verifies', () => {
    fc.assert(
      fc.property(fc.constantFrom('udp', 'tcp', 'icmp'), port, port, payload, room, (kind, sport, dport, data, r) => {
        const spec = { ...V4, ...r, sport, dport, payload: data };
        const p = kind === 'udp' ? buildIpv4Udp(spec) : kind === 'tcp' ? buildIpv4Tcp(spec) : buildIpv4Icmp({ ...V4, ...r, payload: data });
        check4(p);
      }),
    );
  });
});
