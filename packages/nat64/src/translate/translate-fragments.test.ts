// Rows D (fragmentation, DF and MTU) of reference/nat64-behaviours.md.
import { parseIpv6 } from '@sixgate/addressing';
import { pseudoHeaderSum6, sum, u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { fill, fragHdr, ipv4, ipv6, reassemble6 as reassemble, split6, udp, valid4, valid6 } from './test-packets.js';
import { CLIENT, fwd, harness, type Harness, many, openUdp, replied, run, SERVER4, SERVER6 } from './test-setup.js';

/** An IPv4 UDP packet of `total` bytes from the server to pool4#port4. */
function v4udp(port4: number, total: number, o: { df?: boolean; mf?: boolean; id?: number } = {}): Uint8Array {
  return ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', id: o.id ?? 1234, df: o.df ?? false, mf: o.mf ?? false, payload: udp(53, port4, total - 28) });
}

function setup(opts: Parameters<typeof harness>[0] = {}): { h: Harness; port4: number } {
  const h = harness(opts);
  return { h, port4: openUdp(h) };
}

describe('D1/D4: IPv4 DF=1 and the IPv6 link MTU', () => {
  it('D1: 1261 B with DF=1 and ipv6Mtu 1280 → ICMPv4 3/4 MTU 1260, ≤ 576 B', () => {
    const { h, port4 } = setup({ ipv6Mtu: 1280 });
    const pkt = v4udp(port4, 1261, { df: true });
    const o = replied(h, run(h, pkt).r);
    expect([o[20], o[21]]).toEqual([3, 4]);
    expect(u16(o, 26)).toBe(1260);
    expect(o.length).toBe(576);
    expect(o.subarray(28)).toEqual(pkt.subarray(0, 548));
    expect(valid4(o)).toBe(true);
  });

  it('D1: the same as an MF fragment', () => {
    const { h, port4 } = setup({ ipv6Mtu: 1280 });
    const o = replied(h, run(h, v4udp(port4, 1261, { df: true, mf: true })).r);
    expect(u16(o, 26)).toBe(1260);
  });

  it.each([{ lowest: 1280 }, { lowest: 1402 }])('D4: lowestIpv6Mtu $lowest, DF=1 1261 B, link MTU 1500 → one 1281 B packet', ({ lowest }) => {
    const { h, port4 } = setup({ lowestIpv6Mtu: lowest });
    const o = fwd(run(h, v4udp(port4, 1261, { df: true })));
    expect(o.length).toBe(1281);
    expect(o[6]).toBe(17);
    expect(valid6(o)).toBe(true);
  });
});

describe('D2/D3/D6/D10: IPv4 DF=0 split into IPv6 fragments', () => {
  it('D2: 1261 B → 1280 B (M=1) + 57 B (offset 1232), Frag ID = IPv4 ID, checksum of the whole', () => {
    const { h, port4 } = setup();
    const frags = many(h, run(h, v4udp(port4, 1261, { id: 1234 })).r);
    expect(frags.map((f) => f.length)).toEqual([1280, 57]);
    expect(frags.map((f) => u16(f, 42))).toEqual([0 | 1, 1232]);
    expect(frags.map((f) => u32(f, 44))).toEqual([1234, 1234]);
    expect(frags.map((f) => [f[6], f[40]])).toEqual([[44, 17], [44, 17]]);
    const whole = reassemble(frags);
    expect(whole.length).toBe(1241);
    const f0 = frags[0]!;
    expect(sum(whole, 0, whole.length, pseudoHeaderSum6(f0, 8, 24, 17, whole.length))).toBe(0xffff);
    expect(h.tr.snapshot().fragmentsMade).toBe(2);
  });

  it('D3: lowestIpv6Mtu 1402 → 1400 B (data a multiple of 8) + 59 B (offset 1352)', () => {
    const { h, port4 } = setup({ lowestIpv6Mtu: 1402 });
    const frags = many(h, run(h, v4udp(port4, 1383)).r);
    expect(frags.map((f) => f.length)).toEqual([1400, 59]);
    expect(u16(frags[1]!, 42)).toBe(1352);
  });

  it('D6: a 1268 B non-final fragment (MF, ID 4321) → 1280 B + 64 B, both M=1', () => {
    const { h, port4 } = setup();
    const frags = many(h, run(h, v4udp(port4, 1268, { id: 4321, mf: true })).r);
    expect(frags.map((f) => f.length)).toEqual([1280, 64]);
    expect(frags.map((f) => u16(f, 42))).toEqual([1, 1232 | 1]);
    expect(frags.map((f) => u32(f, 44))).toEqual([4321, 4321]);
  });

  it('D10: 1480 B DF=0: lowestIpv6Mtu 1280 fragments (1232 B first), 1500 gives one 1500 B packet', () => {
    const a = setup();
    const frags = many(a.h, run(a.h, v4udp(a.port4, 1480)).r);
    expect(frags[0]!.length - 48).toBe(1232);
    const b = setup({ lowestIpv6Mtu: 1500 });
    const o = fwd(run(b.h, v4udp(b.port4, 1480)));
    expect(o.length).toBe(1500);
    expect(o[6]).toBe(17);
  });

  it('out too small for the fragments is a counted drop', () => {
    const { h, port4 } = setup();
    const p = v4udp(port4, 1400);
    const buf = new Uint8Array(64 + p.length);
    buf.set(p, 64);
    expect(h.tr.translate(buf, 64, p.length, new Uint8Array(600), 0)).toEqual({ kind: 'drop', reason: 'out-too-small' });
  });
});

describe('D5/D7: fragments across the translator', () => {
  it('D5: a small IPv4 first fragment (MF, ID 1234) → IPv6 fragment with ID 1234, M=1; DF ignored', () => {
    const { h, port4 } = setup();
    const o = fwd(run(h, v4udp(port4, 100, { id: 1234, mf: true, df: true })));
    expect(o[6]).toBe(44);
    expect(o[40]).toBe(17);
    expect(u16(o, 42)).toBe(1);
    expect(u32(o, 44)).toBe(1234);
    expect(o.length).toBe(48 + 80);
  });

  it('D5: the following IPv4 fragment (no ports) follows the first fragment’s session', () => {
    const { h, port4 } = setup();
    fwd(run(h, v4udp(port4, 100, { id: 77, mf: true })));
    const second = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', id: 77, fragOff: 80, payload: fill(40) });
    const o = fwd(run(h, second));
    expect(o.subarray(8, 24)).toEqual(parseIpv6(SERVER6));
    expect(o.subarray(24, 40)).toEqual(parseIpv6(CLIENT));
    expect([o[6], o[40]]).toEqual([44, 17]);
    expect(u16(o, 42)).toBe(80);
    expect(u32(o, 44)).toBe(77);
    expect(o.subarray(48)).toEqual(fill(40));
  });

  it('a non-first IPv4 fragment without its first fragment is dropped and counted (hold disabled)', () => {
    const { h } = setup({ heldFragments: 0 });
    const second = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', id: 78, fragOff: 80, payload: fill(40) });
    expect(run(h, second).r).toEqual({ kind: 'drop', reason: 'fragment-no-session' });
  });

  it.each([{ m: true }, { m: false }])('D7: IPv6 fragment ID 0x01020408 offset 80 M=$m → IPv4 ID 0x0408, DF=0, MF=M', ({ m }) => {
    const h = harness();
    const first = ipv6({ nh: 44, upper: 17, ext: fragHdr(17, 0, true, 0x01020408), src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 72) });
    const f0 = fwd(run(h, first));
    expect(u16(f0, 4)).toBe(0x0408);
    expect(u16(f0, 6)).toBe(0x2000);
    const next = ipv6({ nh: 44, ext: fragHdr(17, 80, m, 0x01020408), src: CLIENT, dst: SERVER6, payload: fill(1232) });
    const o = fwd(run(h, next));
    expect(u16(o, 4)).toBe(0x0408);
    expect(u16(o, 6)).toBe((m ? 0x2000 : 0) | 10);
    expect(o[9]).toBe(17);
    expect(u32(o, 12)).toBe(u32(f0, 12));
    expect(o.length).toBe(20 + 1232);
    expect(o.subarray(20)).toEqual(fill(1232));
    expect(valid4(o)).toBe(true);
  });
});

describe('D8/D9: IPv6 too big for the IPv4 MTU', () => {
  it('D8: 1421 B with ipv4Mtu 1400 → ICMPv6 2/0 MTU 1420, 1280 B', () => {
    const h = harness({ ipv4Mtu: 1400 });
    const pkt = ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 1421 - 48) });
    const o = replied(h, run(h, pkt).r);
    expect([o[40], o[41]]).toEqual([2, 0]);
    expect(u32(o, 44)).toBe(1420);
    expect(o.length).toBe(1280);
    expect(valid6(o)).toBe(true);
  });

  it('D8: a 1429 B fragment too', () => {
    const h = harness({ ipv4Mtu: 1400 });
    const pkt = ipv6({ nh: 44, upper: 17, ext: fragHdr(17, 0, true, 5), src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 1429 - 56) });
    expect(u32(replied(h, run(h, pkt).r), 44)).toBe(1420);
  });

  it('D9: ipv4Mtu 1000 → MTU clamped to 1280', () => {
    const h = harness({ ipv4Mtu: 1000 });
    const o = replied(h, run(h, ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 1281 - 48) })).r);
    expect(u32(o, 44)).toBe(1280);
  });
});

describe('G4: IPv4 UDP checksum 0', () => {
  it('unfragmented: computed (NAT64 amend), never sent as 0', () => {
    const { h, port4 } = setup();
    const pkt = v4udp(port4, 60);
    pkt[26] = 0;
    pkt[27] = 0;
    const o = fwd(run(h, pkt));
    expect(u16(o, 46)).not.toBe(0);
    expect(valid6(o)).toBe(true);
    expect(h.tr.snapshot().udpZeroChecksumFixed).toBe(1);
  });

  it('fragmented: the first fragment is held for the whole datagram (translate-reassembly.test.ts)', () => {
    const { h, port4 } = setup();
    const pkt = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', mf: true, payload: udp(53, port4, 40), keepChecksum: true });
    expect(run(h, pkt).r).toEqual({ kind: 'drop', reason: 'fragment-held' });
  });

  it('fragmented with the hold disabled: dropped with a counter', () => {
    const { h, port4 } = setup({ heldFragments: 0 });
    const pkt = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', mf: true, payload: udp(53, port4, 40), keepChecksum: true });
    expect(run(h, pkt).r).toEqual({ kind: 'drop', reason: 'udp-zero-checksum-fragment' });
  });

  it('G5: a computed 0 goes out as 0xffff', () => {
    // Vary two data bytes until the computed checksum is 0; it must leave as 0xffff.
    const { h, port4 } = setup();
    let hit = false;
    for (let x = 0; x < 65536 && !hit; x++) {
      const data = new Uint8Array([x >> 8, x & 0xff, 0, 0]);
      const pkt = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, data), keepChecksum: true });
      const r = run(h, pkt);
      const o = fwd(r);
      const c = u16(o, 46);
      if (c === 0xffff) {
        hit = true;
        expect(valid6(o)).toBe(true);
      }
    }
    expect(hit).toBe(true);
  });
});

describe('out-of-order fragments (held until the first fragment)', () => {
  it('6→4: a later fragment arriving first is held, then sent right after its first fragment', () => {
    const h = harness();
    const later = ipv6({ nh: 44, ext: fragHdr(17, 80, false, 0x0badcafe), src: CLIENT, dst: SERVER6, payload: fill(40) });
    expect(run(h, later).r).toEqual({ kind: 'drop', reason: 'fragment-held' });
    const first = ipv6({ nh: 44, upper: 17, ext: fragHdr(17, 0, true, 0x0badcafe), src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 72) });
    const [a, b, ...rest] = many(h, run(h, first).r);
    expect(rest).toEqual([]);
    expect(u16(a!, 6)).toBe(0x2000);
    expect(u16(b!, 6)).toBe(10);
    expect(u16(b!, 4)).toBe(0xcafe);
    expect(u32(b!, 12)).toBe(u32(a!, 12));
    expect(b!.subarray(20)).toEqual(fill(40));
    expect(valid4(a!) && valid4(b!)).toBe(true);
  });

  it('4→6: the same for IPv4 fragments', () => {
    const { h, port4 } = setup();
    const later = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', id: 99, fragOff: 80, payload: fill(24) });
    expect(run(h, later).r).toEqual({ kind: 'drop', reason: 'fragment-held' });
    const [a, b] = many(h, run(h, v4udp(port4, 100, { id: 99, mf: true })).r);
    expect(u16(a!, 42)).toBe(1);
    expect(u16(b!, 42)).toBe(80);
    expect(b!.subarray(24, 40)).toEqual(parseIpv6(CLIENT));
    expect(b!.subarray(48)).toEqual(fill(24));
  });

  it('held fragments expire on tick() and are counted', () => {
    const h = harness({ fragmentTimeoutMs: 1000 });
    const later = ipv6({ nh: 44, ext: fragHdr(17, 80, false, 7), src: CLIENT, dst: SERVER6, payload: fill(16) });
    run(h, later);
    h.clock.advance(1001);
    h.tr.tick();
    expect(h.tr.snapshot().drops['fragment-expired']).toBe(1);
    const first = ipv6({ nh: 44, upper: 17, ext: fragHdr(17, 0, true, 7), src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 72) });
    expect(run(h, first).r.kind).toBe('forward');
  });

  it('the hold is bounded: beyond heldFragments the fragment is dropped', () => {
    const h = harness({ heldFragments: 2 });
    const reasons = [1, 2, 3].map((id) => run(h, ipv6({ nh: 44, ext: fragHdr(17, 80, false, id), src: CLIENT, dst: SERVER6, payload: fill(16) })).r);
    expect(reasons.map((r) => (r.kind === 'drop' ? r.reason : r.kind))).toEqual(['fragment-held', 'fragment-held', 'fragment-no-session']);
  });
});

describe('fragments of hairpinned flows (RFC 6146 §3.8)', () => {
  const OWN6 = '64:ff9b:1::c633:6401';
  const SERVER_B = '2001:db8::80';
  function hairpinSetup(): Harness {
    const h = harness();
    h.st.addStatic(17, parseIpv6(SERVER_B), 80, 0xc6336401, 8080);
    return h;
  }

  it('a first and a later fragment both reach the other IPv6 host, same addresses, same identification', () => {
    const h = hairpinSetup();
    const first = ipv6({ nh: 44, upper: 17, ext: fragHdr(17, 0, true, 0x1234abcd), src: CLIENT, dst: OWN6, payload: udp(1212, 8080, 72) });
    const f0 = fwd(run(h, first));
    expect(f0[0]! >> 4).toBe(6);
    expect(f0.subarray(24, 40)).toEqual(parseIpv6(SERVER_B));
    expect(f0[6]).toBe(44);
    expect(u16(f0, 42)).toBe(1); // offset 0, M = 1
    expect(u16(f0, 50)).toBe(80); // the static binding's IPv6 port
    const next = ipv6({ nh: 44, ext: fragHdr(17, 80, false, 0x1234abcd), src: CLIENT, dst: OWN6, hop: 9, payload: fill(40) });
    const f1 = fwd(run(h, next));
    expect(f1[0]! >> 4).toBe(6);
    expect(f1.subarray(8, 40)).toEqual(f0.subarray(8, 40)); // prefix + client's pool4 address → server B
    expect(f1[6]).toBe(44);
    expect(f1[40]).toBe(17);
    expect(u16(f1, 42)).toBe(80); // offset 80, M = 0
    expect(u32(f1, 44)).toBe(u32(f0, 44));
    expect(f1[7]).toBe(8); // one hop through the translator
    expect(u16(f1, 4)).toBe(8 + 40);
    expect(f1.subarray(48)).toEqual(fill(40));
    const s = h.tr.snapshot();
    expect(s.hairpinned).toBe(2);
    expect(s.packetsOut4).toBe(0);
    expect(s.drops['fragment-no-session']).toBe(0);
  });

  it('a later fragment arriving first is held, then hairpinned right after its first fragment', () => {
    const h = hairpinSetup();
    // One 96-byte UDP datagram in two fragments (80 + 16 bytes); the second arrives first.
    const [first, next] = split6(ipv6({ nh: 17, src: CLIENT, dst: OWN6, payload: udp(1212, 8080, 88) }), 80, 77);
    next![7] = 9;
    expect(run(h, next!).r).toEqual({ kind: 'drop', reason: 'fragment-held' });
    const [f0, f1, ...rest] = many(h, run(h, first!).r);
    expect(rest).toEqual([]);
    expect(f0!.subarray(24, 40)).toEqual(parseIpv6(SERVER_B));
    expect(u16(f0!, 42)).toBe(1);
    expect(u16(f0!, 50)).toBe(80);
    expect(f1![0]! >> 4).toBe(6);
    expect(f1!.subarray(8, 40)).toEqual(f0!.subarray(8, 40));
    expect([f1![6], f1![40]]).toEqual([44, 17]);
    expect(u16(f1!, 42)).toBe(80); // offset 80, M = 0
    expect(u32(f1!, 44)).toBe(77);
    expect(f1![7]).toBe(8); // one hop through the translator
    expect(u16(f1!, 4)).toBe(8 + 16);
    expect(f1!.subarray(48)).toEqual(next!.subarray(48));
    // Both halves verify together: the UDP checksum over the reassembled datagram.
    const whole = reassemble([f0!, f1!]);
    expect(sum(whole, 0, whole.length, pseudoHeaderSum6(f0!, 8, 24, 17, whole.length))).toBe(0xffff);
    const s = h.tr.snapshot();
    expect(s.hairpinned).toBe(2);
    expect(s.packetsOut4).toBe(0);
    expect(s.packetsOut6).toBe(2);
    expect(s.drops['fragment-no-session']).toBe(0);
  });
});
