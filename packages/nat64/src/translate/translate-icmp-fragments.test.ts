// F5 with fragments: ICMP errors whose inner packet is a fragment the
// translator sent. A later fragment has no ports; the datagram's entry (made
// when its first fragment left) gives the session's addresses, unknown ones
// are dropped and counted. An inner Fragment header becomes the inner IPv4
// fragment fields and back (RFC 7915 §4.3, §5.3).
import { formatIpv4, parseIpv6 } from '@sixgate/addressing';
import { sum, u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { fill, fragHdr, icmp, ipv4, ipv6, split4, split6, udp, valid4, valid6 } from './test-packets.js';
import { CLIENT, fwd, harness, type Harness, many, openUdp, run, SERVER4, SERVER6 } from './test-setup.js';

const POOL_ADDR = '198.51.100.1';

function one(h: Harness, pkt: Uint8Array): Uint8Array {
  const list = many(h, run(h, pkt).r);
  expect(list).toHaveLength(1);
  return list[0]!;
}

/** The client's 2008-byte UDP datagram 1212 → 53 in three IPv6 fragments (1000, 1000, 8 data bytes), as translated to IPv4. */
function sent6to4(h: Harness, id = 0x01020304): { v6: Uint8Array[]; v4: Uint8Array[] } {
  const v6 = split6(ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, fill(2000)) }), 1000, id);
  return { v6, v4: v6.map((f) => fwd(run(h, f))) };
}

/** The server's 2008-byte UDP datagram to the session in IPv4 fragments of 800 bytes, as translated to IPv6. */
function sent4to6(h: Harness): { v4: Uint8Array[]; v6: Uint8Array[] } {
  const port4 = openUdp(h);
  const v4 = split4(ipv4({ proto: 17, src: SERVER4, dst: POOL_ADDR, id: 0x5151, payload: udp(53, port4, fill(2000)) }), 800);
  return { v4, v6: v4.map((f) => fwd(run(h, f))) };
}

describe('ICMPv4 error quoting a later IPv4 fragment (4→6)', () => {
  it('11/0 about the second fragment → ICMPv6 3/0 whose inner packet is the client’s IPv6 fragment', () => {
    const h = harness();
    const { v6, v4 } = sent6to4(h);
    const f1 = v4[1]!;
    expect([u16(f1, 4), u16(f1, 6)]).toEqual([0x0304, 0x2000 | 125]);
    const err = ipv4({ proto: 1, ttl: 40, src: SERVER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, f1.subarray(0, 120)) });
    const o = one(h, err);
    expect([o[40], o[41]]).toEqual([3, 0]);
    expect(o.subarray(8, 24)).toEqual(parseIpv6(SERVER6));
    expect(o.subarray(24, 40)).toEqual(parseIpv6(CLIENT));
    expect(valid6(o)).toBe(true);
    const inner = o.subarray(48);
    expect(inner.length).toBe(40 + 8 + 100);
    expect(u16(inner, 4)).toBe(8 + 1000); // payload length of the quoted fragment
    expect([inner[6], inner[7]]).toEqual([44, 63]); // Fragment header; TTL copied, not decremented
    expect(inner.subarray(8, 24)).toEqual(parseIpv6(CLIENT));
    expect(inner.subarray(24, 40)).toEqual(parseIpv6(SERVER6));
    expect(inner[40]).toBe(17);
    expect(u16(inner, 42)).toBe(1000 | 1); // offset 1000, M = 1
    expect(u32(inner, 44)).toBe(0x01020304); // the full 32-bit identification again
    expect(inner.subarray(48)).toEqual(v6[1]!.subarray(48, 148));
    expect(h.tr.snapshot().icmpErrorsTranslated).toBe(1);
  });

  it('3/4 about the last fragment (MF = 0) → 2/0 with offset 2000, M = 0', () => {
    const h = harness();
    const { v4 } = sent6to4(h);
    const o = one(h, ipv4({ proto: 1, src: SERVER4, dst: POOL_ADDR, payload: icmp(3, 4, 576, v4[2]!) }));
    expect([o[40], o[41]]).toEqual([2, 0]);
    expect(u16(o, 48 + 42)).toBe(2000); // offset 2000, M = 0
  });

  it.each([
    { name: 'another identification', patch: (b: Uint8Array) => (b[5] ^= 1) },
    { name: 'another destination', patch: (b: Uint8Array) => (b[19] ^= 1) },
  ])('an unknown datagram ($name) is dropped as icmp-error-no-session', ({ patch }) => {
    const h = harness();
    const { v4 } = sent6to4(h);
    const inner = v4[1]!.slice(0, 60);
    patch(inner);
    const r = run(h, ipv4({ proto: 1, src: SERVER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, inner) })).r;
    expect(r).toEqual({ kind: 'drop', reason: 'icmp-error-no-session' });
  });

  it('the entry expires with the fragment lifetime', () => {
    const h = harness({ fragmentTimeoutMs: 1000 });
    const { v4 } = sent6to4(h);
    h.clock.advance(1001);
    const r = run(h, ipv4({ proto: 1, src: SERVER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, v4[1]!.subarray(0, 60)) })).r;
    expect(r).toEqual({ kind: 'drop', reason: 'icmp-error-no-session' });
  });
});

describe('ICMPv6 error quoting an IPv6 fragment (6→4)', () => {
  it('3/1 about a later fragment → ICMPv4 11/1 whose inner packet is the server’s IPv4 fragment', () => {
    const h = harness();
    const { v4, v6 } = sent4to6(h);
    const f1 = v6[1]!;
    expect([f1[6], u16(f1, 42), u32(f1, 44)]).toEqual([44, 800 | 1, 0x5151]);
    const o = one(h, ipv6({ nh: 58, hop: 40, src: CLIENT, dst: SERVER6, payload: icmp(3, 1, 0, f1.subarray(0, 148)) }));
    expect([o[20], o[21]]).toEqual([11, 1]);
    expect(formatIpv4(u32(o, 12))).toBe(POOL_ADDR); // the client itself reports: its pool4 address
    expect(formatIpv4(u32(o, 16))).toBe(SERVER4);
    expect(valid4(o)).toBe(true);
    const inner = o.subarray(28);
    expect(inner.length).toBe(20 + 100);
    expect(sum(inner, 0, 20)).toBe(0xffff);
    expect(u16(inner, 2)).toBe(20 + 800);
    expect(u16(inner, 4)).toBe(0x5151);
    expect(u16(inner, 6)).toBe(0x2000 | 100); // MF, offset 800
    expect([inner[8], inner[9]]).toEqual([63, 17]);
    expect(formatIpv4(u32(inner, 12))).toBe(SERVER4);
    expect(formatIpv4(u32(inner, 16))).toBe(POOL_ADDR);
    expect(inner.subarray(20)).toEqual(v4[1]!.subarray(20, 120));
  });

  it('about the first fragment (Fragment header, offset 0) → inner IPv4 first fragment with MF and the pool4 port', () => {
    const h = harness();
    const port4 = openUdp(h);
    const v4 = split4(ipv4({ proto: 17, src: SERVER4, dst: POOL_ADDR, id: 0x6262, payload: udp(53, port4, fill(2000)) }), 800);
    const f0 = fwd(run(h, v4[0]!));
    const o = one(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(3, 1, 0, f0.subarray(0, 148)) }));
    const inner = o.subarray(28);
    expect([u16(inner, 2), u16(inner, 4), u16(inner, 6)]).toEqual([820, 0x6262, 0x2000]);
    expect([u16(inner, 20), u16(inner, 22)]).toEqual([53, port4]);
    expect(sum(inner, 0, 20)).toBe(0xffff);
    expect(valid4(o)).toBe(true);
  });

  it('about a piece of an unfragmented DF=0 packet the translator cut (D2) → found too', () => {
    const h = harness();
    const port4 = openUdp(h);
    const pieces = many(h, run(h, ipv4({ proto: 17, src: SERVER4, dst: POOL_ADDR, id: 0x7373, payload: udp(53, port4, fill(1400)) })).r);
    expect(pieces).toHaveLength(2);
    const o = one(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(3, 1, 0, pieces[1]!.subarray(0, 100)) }));
    expect(u16(o, 28 + 6)).toBe(1232 / 8);
    expect(u16(o, 28 + 4)).toBe(0x7373);
  });

  it('an unknown later fragment is dropped as icmp-error-no-session', () => {
    const h = harness();
    const { v6 } = sent4to6(h);
    const inner = v6[1]!.slice(0, 100);
    inner[47] ^= 1; // another identification
    const r = run(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(3, 1, 0, inner) })).r;
    expect(r).toEqual({ kind: 'drop', reason: 'icmp-error-no-session' });
  });

  it.each([
    { name: 'a Fragment header cut short', inner: () => ipv6({ nh: 44, src: SERVER6, dst: CLIENT, payload: new Uint8Array(4), keepChecksum: true }) },
    { name: 'an extension header after the Fragment header', inner: () => ipv6({ nh: 44, ext: fragHdr(60, 0, true, 1), src: SERVER6, dst: CLIENT, payload: new Uint8Array(16), keepChecksum: true }) },
  ])('$name → icmp-error-inner', ({ inner }) => {
    const h = harness();
    openUdp(h);
    expect(run(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(1, 0, 0, inner()) })).r).toEqual({ kind: 'drop', reason: 'icmp-error-inner' });
  });
});
