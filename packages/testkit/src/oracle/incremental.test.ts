// View-level incremental checksum updates equal a full recompute (STYLE §9;
// gvisor header/checksum_test.go): every …UpdatingChecksum setter and
// adjustChecksum, on random headers and random new values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IPV4_HEADER_LEN, Ipv4Header, emitIpv4Header } from './ipv4.js';
import { UdpHeader } from './udp.js';
import { TcpHeader } from './tcp.js';
import { Icmpv4Header } from './icmpv4.js';
import { Icmpv6Header } from './icmpv6.js';
import { addressSum4, addressSum6, pseudoHeaderSum4, pseudoHeaderSum6 } from './checksum.js';
import { setU32 } from './bytes.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 0xff });

/** Same value in ones'-complement terms (0x0000 and 0xffff are both zero). */
const same = (a: number, b: number): boolean => a === b || (a % 0xffff === 0 && b % 0xffff === 0);

describe('incremental == full recompute on views', () => {
  it('IPv4 TTL and addresses', () => {
    fc.assert(
      fc.property(u32, u32, u8, u8, u32, u32, (src, dst, ttl, newTtl, newSrc, newDst) => {
        const buf = new Uint8Array(IPV4_HEADER_LEN);
        emitIpv4Header(
          { srcAddr: src, dstAddr: dst, protocol: 6, ttl, tos: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, options: new Uint8Array(0), payloadLength: 0 },
          buf,
        );
        const v = new Ipv4Header(buf);
        v.setTtlUpdatingChecksum(newTtl);
        v.setSrcAddrUpdatingChecksum(newSrc);
        v.setDstAddrUpdatingChecksum(newDst);
        expect(same(v.checksum, v.computeChecksum())).toBe(true);
        expect(v.verifyChecksum()).toBe(true);
      }),
    );
  });

  it('UDP and TCP ports, TCP seq/ack, pseudo-header swap 6→4', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        u32,
        u32,
        fc.uint8Array({ maxLength: 64 }),
        fc.tuple(u16, u16, u32, u32),
        (addrs6, src4, dst4, data, [sp, dp, seq, ack]) => {
          const v4 = new Uint8Array(8);
          setU32(v4, 0, src4);
          setU32(v4, 4, dst4);
          const n = 20 + data.length;
          const seg = new Uint8Array(n);
          seg[12] = 5 << 4;
          seg.set(data, 20);
          const tcp = new TcpHeader(seg, 0, n);
          tcp.fillChecksum(pseudoHeaderSum6(addrs6, 0, 16, 6, n));
          tcp.setSrcPortUpdatingChecksum(sp);
          tcp.setDstPortUpdatingChecksum(dp);
          tcp.setSeqNumberUpdatingChecksum(seq);
          tcp.setAckNumberUpdatingChecksum(ack);
          tcp.adjustChecksum(addressSum6(addrs6, 0, 16), addressSum4(src4, dst4));
          const p4 = pseudoHeaderSum4(v4, 0, 4, 6, n);
          expect(tcp.verifyChecksum(p4)).toBe(true);
          expect(same(tcp.checksum, tcp.computeChecksum(p4))).toBe(true);

          const dg = new Uint8Array(8 + data.length);
          dg.set(data, 8);
          const udp = new UdpHeader(dg);
          udp.length = dg.length;
          udp.fillChecksum(pseudoHeaderSum6(addrs6, 0, 16, 17, dg.length));
          udp.setSrcPortUpdatingChecksum(sp);
          udp.setDstPortUpdatingChecksum(dp);
          udp.adjustChecksum(addressSum6(addrs6, 0, 16), addressSum4(src4, dst4));
          const u4 = pseudoHeaderSum4(v4, 0, 4, 17, dg.length);
          expect(udp.checksum).not.toBe(0); // UDP never carries a computed 0
          expect(udp.verifyChecksum(u4)).toBe(true);
          expect(same(udp.checksum, udp.computeChecksum(u4))).toBe(true);
        },
      ),
    );
  });

  it('ICMP echo identifiers and the ICMPv6 address adjust', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 40 }), u16, u16, (addrs, data, id4, id6) => {
        const m = new Uint8Array(8 + data.length);
        m[0] = 8;
        m.set(data, 8);
        const c4 = new Icmpv4Header(m);
        c4.fillChecksum();
        c4.setIdentifierUpdatingChecksum(id4);
        expect(c4.verifyChecksum()).toBe(true);

        const m6 = Uint8Array.from(m);
        m6[0] = 128;
        const c6 = new Icmpv6Header(m6);
        c6.fillChecksum(pseudoHeaderSum6(addrs, 0, 16, 58, m6.length));
        c6.setIdentifierUpdatingChecksum(id6);
        c6.adjustChecksum(addressSum6(addrs, 0, 16), addressSum6(addrs, 32, 48));
        expect(c6.verifyChecksum(pseudoHeaderSum6(addrs, 32, 48, 58, m6.length))).toBe(true);
      }),
    );
  });
});
