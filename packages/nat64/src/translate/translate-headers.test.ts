// Rows A (address mapping), B (IPv4 → IPv6 header) and C (IPv6 → IPv4 header)
// of reference/nat64-behaviours.md, with literal packets.
import { formatIpv4, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { hex, icmp, ipv4, ipv6, tcp, udp, valid4, valid6 } from './test-packets.js';
import { CLIENT, fwd, harness, openUdp, OWN6, replied, run, SERVER4, SERVER6 } from './test-setup.js';

describe('A1: RFC 6052 embedding through the translator', () => {
  it.each([
    { name: '/32', prefix: '2001:db8::/32', addr: '2001:db8:c000:221::' },
    { name: '/40', prefix: '2001:db8:100::/40', addr: '2001:db8:1c0:2:21::' },
    { name: '/48', prefix: '2001:db8:122::/48', addr: '2001:db8:122:c000:2:2100::' },
    { name: '/56', prefix: '2001:db8:122:300::/56', addr: '2001:db8:122:3c0:0:221::' },
    { name: '/64', prefix: '2001:db8:122:344::/64', addr: '2001:db8:122:344:c0:2:2100:0' },
    { name: '/96', prefix: '2001:db8:122:344::/96', addr: '2001:db8:122:344::c000:221' },
  ])('$name: $addr ↔ 192.0.2.33 both ways', ({ prefix, addr }) => {
    const h = harness({ prefix: parseNat64Prefix(prefix) });
    const o = fwd(run(h, ipv6({ nh: 17, src: CLIENT, dst: addr, payload: udp(1212, 53, 4) })));
    expect(formatIpv4(u32(o, 16))).toBe(SERVER4);
    const back = fwd(run(h, ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', payload: udp(53, u16(o, 20), 4) })));
    expect(back.subarray(8, 24)).toEqual(parseIpv6(addr));
    expect(valid6(back)).toBe(true);
  });

  it('an address with the u octet set is not under the prefix', () => {
    const h = harness({ prefix: parseNat64Prefix('2001:db8::/32') });
    const { r } = run(h, ipv6({ nh: 17, src: CLIENT, dst: '2001:db8:c000:221:100::', payload: udp(1, 2, 4) }));
    expect(r).toEqual({ kind: 'drop', reason: 'not-nat64-destination' });
  });
});

describe('A2: well-known prefix and non-global IPv4 (RFC 6052 §3.1)', () => {
  const WKP = parseNat64Prefix('64:ff9b::/96');
  it.each([
    { name: '10/8', dst: '64:ff9b::a01:203' },
    { name: '192.168/16', dst: '64:ff9b::c0a8:101' },
    { name: 'TEST-NET-1', dst: '64:ff9b::c000:221' },
  ])('6→4 to $name is refused', ({ dst }) => {
    const h = harness({ prefix: WKP });
    expect(run(h, ipv6({ nh: 17, src: CLIENT, dst, payload: udp(1, 2, 4) })).r).toEqual({ kind: 'drop', reason: 'non-global-ipv4' });
    expect(h.tr.snapshot().drops['non-global-ipv4']).toBe(1);
  });

  it('wkpStrict off translates them (labs)', () => {
    const h = harness({ prefix: WKP, wkpStrict: false });
    expect(run(h, ipv6({ nh: 17, src: CLIENT, dst: '64:ff9b::a01:203', payload: udp(1, 2, 4) })).r.kind).toBe('forward');
  });

  it('ipv4only.arpa 192.0.0.170 is allowed under the well-known prefix', () => {
    const h = harness({ prefix: WKP });
    const o = fwd(run(h, ipv6({ nh: 17, src: CLIENT, dst: '64:ff9b::c000:aa', payload: udp(1, 2, 4) })));
    expect(formatIpv4(u32(o, 16))).toBe('192.0.0.170');
  });

  it('4→6 from a non-global source is refused under the well-known prefix', () => {
    const h = harness({ prefix: WKP, wkpStrict: false });
    const port4 = u16(fwd(run(h, ipv6({ nh: 17, src: CLIENT, dst: '64:ff9b::a01:203', payload: udp(1212, 53, 4) }))), 20);
    const strict = harness({ prefix: WKP });
    // Same state content is not shared; check the source rule on a fresh strict translator.
    const r = run(strict, ipv4({ proto: 17, src: '10.1.2.3', dst: '198.51.100.1', payload: udp(53, port4, 4) })).r;
    expect(r).toEqual({ kind: 'drop', reason: 'non-global-ipv4' });
  });
});

describe('A3: destinations never translated', () => {
  it.each([
    { name: '0/8', dst: '64:ff9b:1::1:203' },
    { name: 'loopback', dst: '64:ff9b:1::7f00:1' },
    { name: 'link-local', dst: '64:ff9b:1::a9fe:101' },
    { name: 'multicast', dst: '64:ff9b:1::e000:1' },
    { name: 'limited broadcast', dst: '64:ff9b:1::ffff:ffff' },
  ])('$name is dropped', ({ dst }) => {
    const h = harness();
    expect(run(h, ipv6({ nh: 17, src: CLIENT, dst, payload: udp(1, 2, 4) })).r).toEqual({ kind: 'drop', reason: 'forbidden-destination' });
  });

  it.each([
    { name: 'loopback', src: '127.0.0.1' },
    { name: '0/8', src: '0.0.0.1' },
    { name: 'multicast', src: '224.0.0.5' },
  ])('4→6 from $name is dropped', ({ src }) => {
    const h = harness();
    const port4 = openUdp(h);
    expect(run(h, ipv4({ proto: 17, src, dst: '198.51.100.1', payload: udp(53, port4, 4) })).r).toEqual({ kind: 'drop', reason: 'forbidden-source' });
  });

  it('IPv6 multicast or loopback sources are dropped', () => {
    const h = harness();
    expect(run(h, ipv6({ nh: 17, src: '::1', dst: SERVER6, payload: udp(1, 2, 4) })).r).toEqual({ kind: 'drop', reason: 'forbidden-source' });
    expect(run(h, ipv6({ nh: 17, src: 'ff02::1', dst: SERVER6, payload: udp(1, 2, 4) })).r).toEqual({ kind: 'drop', reason: 'forbidden-source' });
  });

  it('4→6 to an address outside pool4 is not ours', () => {
    const h = harness();
    expect(run(h, ipv4({ proto: 17, dst: '198.51.100.9', payload: udp(1, 2, 4) })).r).toEqual({ kind: 'drop', reason: 'not-pool4-destination' });
  });
});

describe('B: IPv4 → IPv6 header (RFC 7915 §4.1)', () => {
  it.each([{ tos: 240 }, { tos: 2 }, { tos: 163 }])('B1: TOS $tos is copied to the Traffic Class, no Fragment header', ({ tos }) => {
    for (const df of [false, true]) {
      const h = harness();
      const port4 = openUdp(h);
      const o = fwd(run(h, ipv4({ proto: 17, tos, df, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 100) })));
      expect(((o[0]! & 15) << 4) | (o[1]! >> 4)).toBe(tos);
      expect(o[6]).toBe(17);
      expect(u16(o, 4)).toBe(108);
      expect(o.length).toBe(148);
    }
  });

  it('B2: options are dropped; the IPv6 packet equals the option-less case', () => {
    const h = harness();
    const port4 = openUdp(h);
    const opts = hex(`
      82 0b 0000 0000 0000 000000   # Security, 11 bytes
      83 07 08 c0000201             # LSRR, pointer 8 > length 7: expired
      07 07 04 00000000             # Record Route
      01 01 00                      # NOP NOP EOL
    `);
    const plain = fwd(run(h, ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 40) })));
    const withOpts = fwd(run(h, ipv4({ proto: 17, options: opts, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 40) })));
    expect(opts.length % 4).toBe(0);
    expect(withOpts).toEqual(plain);
  });

  it('B3: an unexpired LSRR → ICMPv4 3/5 back, nothing translated', () => {
    const h = harness();
    const port4 = openUdp(h);
    const pkt = ipv4({ proto: 17, options: hex('83 07 04 c0000201 00'), src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 8) });
    const { r } = run(h, pkt);
    const o = replied(h, r);
    expect([o[20], o[21]]).toEqual([3, 5]);
    expect(o.subarray(28)).toEqual(pkt);
    expect(valid4(o)).toBe(true);
    expect(h.tr.snapshot().drops['source-route']).toBe(1);
  });

  it('B5: a wrong header checksum is dropped silently', () => {
    const h = harness();
    const port4 = openUdp(h);
    const pkt = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 8) });
    pkt[10] = pkt[10]! ^ 1;
    expect(run(h, pkt).r).toEqual({ kind: 'drop', reason: 'bad-ipv4-checksum' });
  });

  it('B6: an unknown transport (DCCP 33) has no NAT64 state: dropped with its own reason', () => {
    const h = harness();
    openUdp(h);
    expect(run(h, ipv4({ proto: 33, src: SERVER4, dst: '198.51.100.1', payload: new Uint8Array(16) })).r).toEqual({
      kind: 'drop',
      reason: 'unsupported-protocol',
    });
  });

  it('B7: zeroizeTrafficClass sets the Traffic Class to 0', () => {
    const h = harness({ zeroizeTrafficClass: true });
    const port4 = openUdp(h);
    const o = fwd(run(h, ipv4({ proto: 17, tos: 163, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 8) })));
    expect(((o[0]! & 15) << 4) | (o[1]! >> 4)).toBe(0);
  });
});

describe('C: IPv6 → IPv4 header (RFC 7915 §5.1)', () => {
  it('C1: 1280-byte IPv6 TCP → 1260-byte IPv4 with DF=0, random non-zero ID, IHL 5', () => {
    const h = harness();
    const pkt = ipv6({ nh: 6, tc: 0x28, hop: 30, src: CLIENT, dst: SERVER6, payload: tcp(40000, 80, 0x02, { data: 1220 }) });
    expect(pkt.length).toBe(1280);
    const o = fwd(run(h, pkt));
    expect(o.length).toBe(1260);
    expect(u16(o, 2)).toBe(1260);
    expect(o[0]).toBe(0x45);
    expect(o[1]).toBe(0x28);
    expect(u16(o, 4)).not.toBe(0);
    expect(u16(o, 6)).toBe(0); // DF=0, MF=0, offset 0
    expect(o[8]).toBe(29);
    expect(o[9]).toBe(6);
    expect(valid4(o)).toBe(true);
  });

  it('C2: 1281-byte IPv6 → 1261-byte IPv4 with DF=1 and ID 0', () => {
    const h = harness();
    const o = fwd(run(h, ipv6({ nh: 6, src: CLIENT, dst: SERVER6, payload: tcp(40000, 80, 0x02, { data: 1221 }) })));
    expect(o.length).toBe(1261);
    expect(u16(o, 6)).toBe(0x4000);
    expect(u16(o, 4)).toBe(0);
    expect(valid4(o)).toBe(true);
  });

  it('C3: HbH + DestOpt + Routing(SL 0) are skipped; protocol is the last NH', () => {
    const h = harness();
    const ext = hex(`
      3c 00 01 04 00000000   # Hop-by-Hop → DestOpt, PadN
      2b 00 01 04 00000000   # DestOpt → Routing, PadN
      11 00 04 00 00000000   # Routing type 4, Segments Left 0 → UDP
    `);
    const pkt = ipv6({ nh: 0, upper: 17, ext, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 20) });
    const o = fwd(run(h, pkt));
    expect(o[9]).toBe(17);
    expect(u16(o, 2)).toBe(20 + 28);
    expect(valid4(o)).toBe(true);
  });

  it('C4: Routing header with Segments Left 1 → ICMPv6 4/0 pointer 43', () => {
    const h = harness();
    const ext = hex('11 00 04 01 00000000');
    const pkt = ipv6({ nh: 43, upper: 17, ext, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 8) });
    const o = replied(h, run(h, pkt).r);
    expect([o[40], o[41]]).toEqual([4, 0]);
    expect(u32(o, 44)).toBe(43);
    expect(o.subarray(48)).toEqual(pkt);
    expect(valid6(o)).toBe(true);
  });

  it.each([
    { name: 'Hop-by-Hop', nh: 0 },
    { name: 'Destination Options', nh: 60 },
    { name: 'Routing', nh: 43 },
  ])('C5: $name after the Fragment header → ICMPv6 1/1 from the translator', ({ nh }) => {
    const h = harness();
    const ext = new Uint8Array([nh, 0, 0, 0, 0, 0, 0, 9, 17, 0, 1, 4, 0, 0, 0, 0]);
    const pkt = ipv6({ nh: 44, upper: 17, hop: 9, ext, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 8) });
    const o = replied(h, run(h, pkt).r);
    expect([o[40], o[41]]).toEqual([1, 1]);
    expect(o[7]).toBe(64); // fresh hop limit
    expect(o.subarray(8, 24)).toEqual(parseIpv6(OWN6));
    expect(o.subarray(48)).toEqual(pkt);
    expect(valid6(o)).toBe(true);
  });

  it('C6: No Next Header (59) has no NAT64 state: dropped as unsupported-protocol', () => {
    const h = harness();
    expect(run(h, ipv6({ nh: 59, src: CLIENT, dst: SERVER6, payload: new Uint8Array(0) })).r).toEqual({ kind: 'drop', reason: 'unsupported-protocol' });
  });

  it('C8: overrideTos replaces the Traffic Class', () => {
    const h = harness({ overrideTos: 0x20 });
    const o = fwd(run(h, ipv6({ nh: 17, tc: 0xb8, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 8) })));
    expect(o[1]).toBe(0x20);
  });

  it('ICMPv6 types without a translation (E4) are dropped silently and counted', () => {
    const h = harness();
    for (const t of [130, 131, 132, 135, 136, 137, 200]) {
      expect(run(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(t, 0, 0, 8) })).r).toEqual({ kind: 'drop', reason: 'icmp-untranslatable' });
    }
    expect(h.tr.snapshot().drops['icmp-untranslatable']).toBe(7);
  });
});
