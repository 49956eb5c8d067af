// F5 with fragments: ICMP errors whose inner packet is a fragment the
// translator sent. A later fragment has no ports; the datagram's entry (made
// when its first fragment left) gives the session's addresses, unknown ones
// are dropped and counted. An inner Fragment header becomes the inner IPv4
// fragment fields and back (RFC 7915 §4.3, §5.3); an inner IPv4 first
// fragment gets a Fragment header again. The expected checksums in the
// literal packets were computed apart from the translator (RFC 1071 sums over
// the bytes shown); elsewhere the oracle is the packet the sender made.
import { formatIpv4, parseIpv6 } from '@sixgate/addressing';
import { sum, u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { fill, fragHdr, hex, icmp, ipv4, ipv6, placed, split4, split6, udp, valid4, valid6 } from './test-packets.js';
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
    { name: 'another identification', patch: (b: Uint8Array) => (b[5] = b[5]! ^ 1) },
    { name: 'another destination', patch: (b: Uint8Array) => (b[19] = b[19]! ^ 1) },
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

/** The router that reports in the ICMPv4 errors below (documentation address). */
const ROUTER4 = '203.0.113.7';

/** The inner IPv6 packet an ICMPv6 error should quote: `pkt` cut to `n` bytes, hop limit one less (the IPv4 fragment's TTL). */
function quoted6(pkt: Uint8Array, n: number): Uint8Array {
  const q = pkt.slice(0, n);
  q[7] = q[7]! - 1;
  return q;
}

/** The client's ping of `size` data bytes (ICMPv6 echo id 0x4242 seq 1) in IPv6 fragments of `chunk`, as translated (held whole, then released). */
function ping6to4(h: Harness, size: number, chunk: number): { v6: Uint8Array[]; v4: Uint8Array[] } {
  const v6 = split6(ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, 0x42420001, fill(size)) }), chunk, 0xdeadbeef);
  let v4: Uint8Array[] = [];
  for (const f of v6) {
    const r = run(h, f).r;
    if (r.kind === 'forward-many') v4 = many(h, r);
  }
  return { v6, v4 };
}

describe('ICMPv4 error quoting a first IPv4 fragment (4→6)', () => {
  it('11/0 about the whole first fragment → ICMPv6 3/0 whose inner packet is the client’s first fragment, Fragment header included (literal)', () => {
    const h = harness();
    // The client's 24-byte UDP datagram 1212 → 53 in two fragments of 16 and 8 data bytes, ID 0x01020304.
    const v6 = split6(ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, fill(16)) }), 16, 0x01020304);
    expect(v6[0]).toEqual(
      hex(`
        60000000 0018 2c 40                   # payload 24, Fragment header, hop 64
        20010db8 00000000 00000000 00000002   # 2001:db8::2
        0064ff9b 00010000 00000000 c0000221   # 64:ff9b:1::192.0.2.33
        11 00 0001 01020304                   # UDP, offset 0, M = 1, ID 0x01020304
        04bc 0035 0018 6916                   # 1212 → 53, length 24, checksum of the whole datagram
        030a1118 1f262d34                     # first 8 data bytes
      `),
    );
    const v4 = v6.map((f) => fwd(run(h, f)));
    expect(v4[0]).toEqual(
      hex(`
        4500 0024 0304 2000 3f 11 6c6f        # total 36, ID 0x0304 (§5.1.1), MF, TTL 63
        c6336401 c0000221                     # 198.51.100.1 → 192.0.2.33
        ee47 0035 0018 8311                   # pool4 port 0xee47, checksum for the IPv4 pseudo-header
        030a1118 1f262d34
      `),
    );
    const err = ipv4({ proto: 1, ttl: 40, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, v4[0]!) });
    const o = one(h, err);
    expect(o).toEqual(
      hex(`
        60000000 0048 3a 27                   # ICMPv6, payload 72, hop 39
        0064ff9b 00010000 00000000 cb007107   # prefix + the router (F11)
        20010db8 00000000 00000000 00000002   # the client
        03 00 32e1 00000000                   # 3/0, checksum over the 72 bytes and the pseudo-header
        60000000 0018 2c 3f                   # inner: payload 24 = Fragment header + 16, TTL 63 copied
        20010db8 00000000 00000000 00000002
        0064ff9b 00010000 00000000 c0000221
        11 00 0001 01020304                   # Fragment header: UDP, offset 0, M = 1, the client's ID
        04bc 0035 0018 6916                   # the client's port and checksum again
        030a1118 1f262d34
      `),
    );
    expect(o.subarray(48)).toEqual(quoted6(v6[0]!, v6[0]!.length));
    expect(valid6(o)).toBe(true);
    expect(h.tr.snapshot().icmpErrorsTranslated).toBe(1);
  });

  it('3/4 about a 1420-byte first fragment → capped at 1280 bytes, inner Payload Length still that of the whole fragment', () => {
    const h = harness();
    const v6 = split6(ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, fill(2000)) }), 1400, 0x0a0b0c0d);
    const v4 = v6.map((f) => fwd(run(h, f)));
    expect(u16(v4[0]!, 2)).toBe(1420);
    const o = one(h, ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(3, 4, 1400, v4[0]!) }));
    expect(o.length).toBe(1280);
    expect(u16(o, 4)).toBe(1240);
    expect([o[40], o[41], u32(o, 44)]).toEqual([2, 0, 1420]); // MTU 1400 + 20
    const inner = o.subarray(48);
    expect(u16(inner, 4)).toBe(8 + 1400);
    expect([inner[6], inner[40], u16(inner, 42), u32(inner, 44)]).toEqual([44, 17, 1, 0x0a0b0c0d]);
    expect(inner).toEqual(quoted6(v6[0]!, 1232));
    expect(valid6(o)).toBe(true);
  });

  it('11/0 with an RFC 4884 extension: the Fragment header counts in the padded length (156 → 160 bytes, length 20)', () => {
    const h = harness();
    const v6 = split6(ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, fill(2000)) }), 1000, 0x01020304);
    const v4 = v6.map((f) => fwd(run(h, f)));
    const ext = new Uint8Array([0x20, 0, 0, 0, 0, 8, 1, 1, 1, 2, 3, 4]);
    const body = new Uint8Array([...v4[0]!.subarray(0, 128), ...ext]); // 128 bytes quoted: length 32 (4-byte units)
    const o = one(h, ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 32 << 16, body) }));
    expect(o.length).toBe(48 + 160 + 12);
    expect(o[44]).toBe(20); // 40 + 8 + 108 = 156, padded to 160, in 8-byte units
    expect(o.subarray(48, 48 + 156)).toEqual(quoted6(v6[0]!, 156));
    expect(o.subarray(48 + 156, 48 + 160)).toEqual(new Uint8Array(4));
    expect(o.subarray(48 + 160)).toEqual(ext);
    expect(valid6(o)).toBe(true);
  });

  it('a fragmented ping (held whole): the inner ICMPv6 checksum is the client’s, over the whole message’s length', () => {
    const h = harness();
    const { v6, v4 } = ping6to4(h, 3000, 1448);
    expect(v4.map((f) => u16(f, 6))).toEqual([0x2000, 0x2000 | 181, 362]);
    const o = one(h, ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, v4[0]!.subarray(0, 548)) }));
    const inner = o.subarray(48);
    expect(u16(inner, 4)).toBe(8 + 1448);
    expect([inner[40], u16(inner, 42), u32(inner, 44)]).toEqual([58, 1, 0xdeadbeef]);
    expect([inner[48], u16(inner, 52)]).toEqual([128, 0x4242]); // echo request, the client's identifier
    expect(inner).toEqual(quoted6(v6[0]!, 48 + 528)); // checksum included
    expect(valid6(o)).toBe(true);
  });

  it('no entry (an IPv4 router cut the unfragmented packet): Fragment ID = the IPv4 ID (§4.1), ports and checksum the client’s', () => {
    const h = harness();
    const orig = ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, fill(200)) });
    const sent = fwd(run(h, orig));
    expect(u16(sent, 6)).toBe(0); // DF = 0, not a fragment when it left
    const id4 = u16(sent, 4);
    const pieces = split4(sent, 96);
    const o = one(h, ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, pieces[0]!) }));
    const inner = o.subarray(48);
    expect(inner.length).toBe(48 + 96);
    expect([u16(inner, 4), inner[6], inner[7]]).toEqual([8 + 96, 44, 63]);
    expect(inner.subarray(8, 24)).toEqual(parseIpv6(CLIENT));
    expect([inner[40], inner[41], u16(inner, 42), u32(inner, 44)]).toEqual([17, 0, 1, id4]);
    expect(inner.subarray(48)).toEqual(orig.subarray(40, 40 + 96));
    expect(valid6(o)).toBe(true);
  });

  it('the entry expired (session still there): Fragment ID falls back to the 16 bits the IPv4 fragment carries', () => {
    const h = harness({ fragmentTimeoutMs: 1000 });
    const { v6, v4 } = sent6to4(h);
    h.clock.advance(1001);
    const o = one(h, ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, v4[0]!.subarray(0, 60)) }));
    const inner = o.subarray(48);
    expect([inner[6], u16(inner, 42), u32(inner, 44)]).toEqual([44, 1, 0x0304]);
    expect(inner.subarray(48)).toEqual(v6[0]!.subarray(48, 88));
  });

  it.each([
    { name: 'out 103 bytes: the ports do not fit', size: 103, result: 'out-too-small' },
    { name: 'out 104 bytes: header, Fragment header and 8 transport bytes', size: 104, result: 'forward-many' },
  ])('$name', ({ size, result }) => {
    const h = harness();
    const { v4 } = sent6to4(h);
    const p = placed(ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, v4[0]!.subarray(0, 120)) }));
    const out = new Uint8Array(size);
    const r = h.tr.translate(p.buf, p.off, p.len, out, 0);
    expect(r.kind === 'drop' ? r.reason : r.kind).toBe(result);
    if (r.kind !== 'forward-many') return;
    expect(r.lengths[0]).toBe(104);
    expect([u16(out, 4), u16(out, 48 + 4), u16(out, 96)]).toEqual([64, 8 + 1000, 1212]);
    expect(valid6(out)).toBe(true);
  });

  it.each([
    { name: 'another source port (no session)', reason: 'icmp-error-no-session', patch: (b: Uint8Array) => (b[21] = b[21]! ^ 1) },
    { name: 'a quote cut inside the ports', reason: 'icmp-error-inner', cut: 22 },
    { name: 'an unknown transport (DCCP)', reason: 'icmp-error-inner', patch: (b: Uint8Array) => (b[9] = 33) },
  ])('a first fragment with $name → $reason', ({ reason, patch, cut }) => {
    const h = harness();
    const { v4 } = sent6to4(h);
    const inner = v4[0]!.slice(0, cut ?? 60);
    patch?.(inner);
    const r = run(h, ipv4({ proto: 1, src: ROUTER4, dst: POOL_ADDR, payload: icmp(11, 0, 0, inner) })).r;
    expect(r).toEqual({ kind: 'drop', reason });
    expect(h.tr.snapshot().icmpErrorsTranslated).toBe(0);
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

  it('1/4 from the client about the whole first fragment → ICMPv4 3/3 whose inner packet is the server’s first fragment, MF and ID (literal)', () => {
    const h = harness();
    const port4 = openUdp(h);
    expect(port4).toBe(0xee47);
    // The server's 24-byte UDP datagram 53 → 0xee47 in two IPv4 fragments of 16 and 8 data bytes.
    const v4 = split4(ipv4({ proto: 17, src: SERVER4, dst: POOL_ADDR, id: 0x6262, payload: udp(53, port4, fill(16)) }), 16);
    expect(v4[0]).toEqual(
      hex(`
        4500 0024 6262 2000 40 11 0c11        # total 36, ID 0x6262, MF, TTL 64
        c0000221 c6336401                     # 192.0.2.33 → 198.51.100.1
        0035 ee47 0018 8311                   # checksum over the IPv4 pseudo-header and all 24 bytes
        030a1118 1f262d34
      `),
    );
    const v6 = v4.map((f) => fwd(run(h, f)));
    expect(v6[0]).toEqual(
      hex(`
        60000000 0018 2c 3f
        0064ff9b 00010000 00000000 c0000221
        20010db8 00000000 00000000 00000002
        11 00 0001 00006262                   # Fragment header: offset 0, M = 1, ID 0x6262 (§4.1)
        0035 04bc 0018 6916                   # the client's port, checksum for the IPv6 pseudo-header
        030a1118 1f262d34
      `),
    );
    const o = one(h, ipv6({ nh: 58, hop: 40, src: CLIENT, dst: SERVER6, payload: icmp(1, 4, 0, v6[0]!) }));
    expect(o.length).toBe(64);
    // Outer header: ID pseudo-random, so checked by field and by its sum.
    expect([u16(o, 0), u16(o, 2), u16(o, 6), o[8], o[9]]).toEqual([0x4500, 64, 0, 39, 1]);
    expect(formatIpv4(u32(o, 12))).toBe(POOL_ADDR); // the client reports: its pool4 address
    expect(formatIpv4(u32(o, 16))).toBe(SERVER4);
    expect(sum(o, 0, 20)).toBe(0xffff);
    expect(o.subarray(20)).toEqual(
      hex(`
        03 03 2ada 00000000                   # 3/3, checksum over the 44 bytes
        4500 0024 6262 2000 3f 11 0d11        # inner: total 36, ID 0x6262, MF, offset 0, TTL 63 (hop limit, not decremented)
        c0000221 c6336401
        0035 ee47 0018 8311                   # the pool4 port and the server's checksum again
        030a1118 1f262d34
      `),
    );
    expect(valid4(o)).toBe(true);
  });

  it('a fragmented echo reply (held whole 4→6): the inner ICMPv4 checksum is the server’s, without the whole length’s pseudo-header', () => {
    const h = harness();
    const r0 = run(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, 0x42420001, 8) }));
    const ping = fwd(r0);
    const id4 = u16(ping, 24);
    const v4 = split4(ipv4({ proto: 1, src: SERVER4, dst: formatIpv4(u32(ping, 12)), id: 0x1234, payload: icmp(0, 0, (id4 << 16) | 1, fill(3000)) }), 1200);
    let v6: Uint8Array[] = [];
    for (const f of v4) {
      const r = run(h, f).r;
      if (r.kind === 'forward-many') v6 = many(h, r);
    }
    expect(v6.map((f) => u16(f, 42))).toEqual([1, 1200 | 1, 2400]);
    expect(v6[0]![48]).toBe(129);
    // A router on the IPv6 side reports: the source is the translator's own address (no RFC 6791 pool).
    const o = one(h, ipv6({ nh: 58, src: '2001:db8::1', dst: SERVER6, payload: icmp(3, 0, 0, v6[0]!.subarray(0, 1232)) }));
    expect(o.length).toBe(576);
    expect(formatIpv4(u32(o, 12))).toBe(POOL_ADDR);
    const inner = o.subarray(28);
    expect([u16(inner, 2), u16(inner, 4), u16(inner, 6), inner[8], inner[9]]).toEqual([1220, 0x1234, 0x2000, 63, 1]);
    expect(sum(inner, 0, 20)).toBe(0xffff);
    expect(inner.subarray(20)).toEqual(v4[0]!.subarray(20, 548)); // type 0, identifier and checksum the server's
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
    inner[47] = inner[47]! ^ 1; // another identification
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
