import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildIpv4Tcp,
  buildIpv4Udp,
  buildIpv6Tcp,
  buildIpv6Udp,
  vnetHeader as hdr,
  vnetField as field,
  onesSum as ones,
  l4ChecksumOk,
  partialize,
  nicComplete,
  nicSegment,
} from '@sixgate/testkit';
import { VNET_F_DATA_VALID, VNET_F_NEEDS_CSUM, VNET_GSO_NONE, VNET_GSO_TCPV4, VNET_GSO_TCPV6 } from '@sixgate/tun';
import { TCP_FLAG } from '@sixgate/testkit';
import { CLIENT, SERVER4, SERVER6, loopHarness } from './loop-harness.js';

// The checks here never use offload.ts's own helpers: checksums are computed
// from scratch (RFC 1071) and segmentation is done the way a NIC doing TSO
// would (@sixgate/testkit nic.ts), so a shared mistake cannot cancel out.

const MSS = 1440;

const setup = (offload: boolean) => loopHarness({ offload });

type Setup = ReturnType<typeof setup>;

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** Runs packets through the loop; returns what was written and the headers it went out with. */
function run(s: Setup, packets: [Uint8Array, Uint8Array?][]): { out: Uint8Array[]; hdrs: Uint8Array[] } {
  for (const [p, h] of packets) s.dev.inject(p, h);
  while (s.dev.pending > 0) s.loop.pump();
  const hdrs = s.dev.writtenVnet.slice();
  return { out: s.dev.takeWritten(), hdrs };
}

/**
 * Opens a TCP connection client → server through the translator; returns
 * the pool4 address and port the client got (from the translated SYN).
 */
function handshake(s: Setup, sport = 40000): { pool: string; port: number } {
  const syn = buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport, dport: 80, seq: 1000, flags: TCP_FLAG.SYN, mss: MSS }).bytes;
  const [o] = run(s, [[syn]]).out;
  expect(o?.[0]).toBe(0x45);
  const pool = `${o![12]}.${o![13]}.${o![14]}.${o![15]}`;
  const port = (o![20]! << 8) | o![21]!;
  const synAck = buildIpv4Tcp({ src: SERVER4, dst: pool, sport: 80, dport: port, seq: 5000, ack: 1001, flags: TCP_FLAG.SYN | TCP_FLAG.ACK, mss: MSS }).bytes;
  expect(run(s, [[synAck]]).out).toHaveLength(1);
  const ack = buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport, dport: 80, seq: 1001, ack: 5001, flags: TCP_FLAG.ACK }).bytes;
  expect(run(s, [[ack]]).out).toHaveLength(1);
  return { pool, port };
}

const data6 = (payload: Uint8Array, flags = TCP_FLAG.ACK | TCP_FLAG.PSH, sport = 40000) =>
  buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport, dport: 80, seq: 1001, ack: 5001, flags, payload }).bytes;
const data4 = (c: { pool: string; port: number }, payload: Uint8Array, df = true, flags = TCP_FLAG.ACK | TCP_FLAG.PSH) =>
  buildIpv4Tcp({ src: SERVER4, dst: c.pool, sport: 80, dport: c.port, seq: 5001, ack: 1001, flags, payload, df, identification: 0x100 }).bytes;

describe('offload: partial checksums (NEEDS_CSUM)', () => {
  it('6→4 TCP leaves with NEEDS_CSUM whose completion equals the translation of the complete packet', () => {
    const a = setup(true);
    const b = setup(false);
    handshake(a);
    handshake(b);
    const full = data6(bytes(700, 1));
    const { out, hdrs } = run(a, [[partialize(full), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 40, 16)]]);
    expect(out).toHaveLength(1);
    expect(hdrs[0]![0]).toBe(VNET_F_NEEDS_CSUM);
    expect([field(hdrs[0]!, 6), field(hdrs[0]!, 8)]).toEqual([20, 16]);
    const done = nicComplete(out[0]!, hdrs[0]!);
    expect(l4ChecksumOk(done)).toBe(true);
    // Equal but for the IPv4 ID the translator picks at random for packets without DF (and the header checksum over it).
    const want = run(b, [[full]]).out[0]!.slice();
    for (const i of [4, 5, 10, 11]) want[i] = done[i]!;
    expect(done).toEqual(want);
    expect(a.loop.offload!.counters.csumPartial).toBe(1);
  });

  it('4→6 and 6→4 UDP keep NEEDS_CSUM with the right csum_offset', () => {
    const a = setup(true);
    const u6 = buildIpv6Udp({ src: CLIENT, dst: SERVER6, sport: 5000, dport: 53, payload: bytes(33, 3) }).bytes;
    const r = run(a, [[partialize(u6), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 40, 6)]]);
    expect([field(r.hdrs[0]!, 6), field(r.hdrs[0]!, 8)]).toEqual([20, 6]);
    expect(l4ChecksumOk(nicComplete(r.out[0]!, r.hdrs[0]!))).toBe(true);
    const o = r.out[0]!;
    const back = buildIpv4Udp({ src: SERVER4, dst: `${o[12]}.${o[13]}.${o[14]}.${o[15]}`, sport: 53, dport: (o[20]! << 8) | o[21]!, payload: bytes(77, 9) }).bytes;
    const r2 = run(a, [[partialize(back), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 20, 6)]]);
    expect(r2.out[0]![0]! >> 4).toBe(6);
    expect([field(r2.hdrs[0]!, 6), field(r2.hdrs[0]!, 8)]).toEqual([40, 6]);
    expect(l4ChecksumOk(nicComplete(r2.out[0]!, r2.hdrs[0]!))).toBe(true);
  });

  it('DATA_VALID (a NIC verified the checksum) is an ordinary complete packet both ways, and with GSO a counted drop', () => {
    const a = setup(true);
    const b = setup(false);
    const c = handshake(a);
    handshake(b);
    // What a NIC with receive checksum offload hands over, forwarded into the device.
    const valid = hdr(VNET_F_DATA_VALID, VNET_GSO_NONE, 0, 0, 0);
    const up = data6(bytes(300, 4));
    const r = run(a, [[up, valid]]);
    expect(r.out).toHaveLength(1);
    expect(r.hdrs[0]!.every((x) => x === 0)).toBe(true);
    expect(l4ChecksumOk(r.out[0]!)).toBe(true);
    const want = run(b, [[up]]).out[0]!.slice();
    for (const i of [4, 5, 10, 11]) want[i] = r.out[0]![i]!;
    expect(r.out[0]).toEqual(want);
    const down = run(a, [[data4(c, bytes(500, 5)), valid]]);
    expect(down.out).toHaveLength(1);
    expect(down.out[0]![0]! >> 4).toBe(6);
    expect(l4ChecksumOk(down.out[0]!)).toBe(true);
    expect(a.loop.offload!.counters.badHeader).toBe(0);
    expect(run(a, [[partialize(data6(bytes(3000, 6))), hdr(VNET_F_DATA_VALID, VNET_GSO_TCPV6, MSS, 0, 0)]]).out).toHaveLength(0);
    expect(a.loop.offload!.counters.badHeader).toBe(1);
  });

  it('an IPv4 packet without DF that 4→6 must fragment has its checksum completed first; the fragments carry a right one', () => {
    const a = setup(true);
    const u6 = buildIpv6Udp({ src: CLIENT, dst: SERVER6, sport: 5001, dport: 9, payload: bytes(10, 0) }).bytes;
    const o = run(a, [[u6]]).out[0]!;
    const big = buildIpv4Udp({ src: SERVER4, dst: `${o[12]}.${o[13]}.${o[14]}.${o[15]}`, sport: 9, dport: (o[20]! << 8) | o[21]!, payload: bytes(1400, 5), df: false }).bytes;
    const r = run(a, [[partialize(big), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 20, 6)]]);
    expect(r.out.length).toBe(2);
    expect(r.hdrs.every((h) => h.every((x) => x === 0))).toBe(true);
    // Reassemble the IPv6 fragments and check the UDP checksum over the whole datagram.
    const parts = r.out.map((p) => ({ off: ((p[42]! << 8) | p[43]!) & 0xfff8, data: p.subarray(48) }));
    const total = Math.max(...parts.map((x) => x.off + x.data.length));
    const whole = new Uint8Array(40 + total);
    whole.set(r.out[0]!.subarray(0, 40));
    whole[6] = 17;
    for (const x of parts) whole.set(x.data, 40 + x.off);
    expect(l4ChecksumOk(whole)).toBe(true);
    expect(a.loop.offload!.counters.csumCompleted).toBe(1);
  });
});

describe('offload: TCP super-packets (GSO)', () => {
  it('6→4: one translation, out as a TCPV4 super-packet whose segments equal the translated real segments', () => {
    const a = setup(true);
    const b = setup(false);
    handshake(a);
    handshake(b);
    const payload = bytes(MSS * 3 + 500, 11);
    const sup = partialize(data6(payload));
    const { out, hdrs } = run(a, [[sup, hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, MSS, 40, 16, 60)]]);
    expect(out).toHaveLength(1);
    const o = out[0]!;
    const h = hdrs[0]!;
    expect(o.length).toBe(20 + 20 + payload.length);
    expect((o[2]! << 8) | o[3]!).toBe(o.length);
    expect(ones(o, 0, 20)).toBe(0xffff); // IPv4 header checksum after the length change
    expect([h[0], h[1], field(h, 2), field(h, 4), field(h, 6), field(h, 8)]).toEqual([VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 40, MSS, 20, 16]);
    const segs = nicSegment(o, h);
    expect(segs).toHaveLength(4);
    // The same bytes as real segments sent one by one without offload.
    const real = nicSegment(data6(payload), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, MSS, 40, 16, 60));
    const ref = run(b, real.map((p) => [p] as [Uint8Array])).out;
    expect(ref).toHaveLength(4);
    for (let j = 0; j < 4; j++) {
      expect(l4ChecksumOk(segs[j]!)).toBe(true);
      // IPv4 IDs: the translator sets 0 on DF packets; the NIC counts up from there. The last,
      // shorter segment (540 bytes) keeps the super-packet's DF=1 where alone it would get DF=0
      // and a random ID (RFC 7915 §5.1 ≤ 1260 rule; see README "Offload").
      const want = ref[j]!.slice();
      for (const i of [4, 5, 10, 11]) want[i] = segs[j]![i]!;
      if (j === 3) {
        expect(want[6]).toBe(0);
        want[6] = segs[j]![6]!;
      }
      expect(segs[j]).toEqual(want);
    }
    expect(a.loop.offload!.counters).toMatchObject({ gsoPackets: 1, gsoSegments: 4, softGso: 0, badHeader: 0 });
  });

  it('4→6 with DF: out as a TCPV6 super-packet with right lengths and checksums in every segment', () => {
    const a = setup(true);
    const c = handshake(a);
    const payload = bytes(MSS * 5, 17);
    const sup = partialize(data4(c, payload));
    const { out, hdrs } = run(a, [[sup, hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, 20, 16, 40)]]);
    expect(out).toHaveLength(1);
    const o = out[0]!;
    expect(o[0]! >> 4).toBe(6);
    expect((o[4]! << 8) | o[5]!).toBe(20 + payload.length);
    expect([hdrs[0]![1], field(hdrs[0]!, 2), field(hdrs[0]!, 4), field(hdrs[0]!, 6)]).toEqual([VNET_GSO_TCPV6, 60, MSS, 40]);
    const segs = nicSegment(o, hdrs[0]!);
    expect(segs).toHaveLength(5);
    const got = new Uint8Array(payload.length);
    segs.forEach((s, j) => {
      expect(l4ChecksumOk(s)).toBe(true);
      expect(s.length).toBeLessThanOrEqual(1500);
      got.set(s.subarray(60), j * MSS);
    });
    expect(got).toEqual(payload);
  });

  it('4→6 without DF: cut into segments in software, each translated alone with complete checksums; FIN only on the last', () => {
    const a = setup(true);
    const c = handshake(a);
    const gso = 1000;
    const payload = bytes(gso * 2 + 300, 23);
    const sup = partialize(data4(c, payload, false, TCP_FLAG.ACK | TCP_FLAG.PSH | TCP_FLAG.FIN));
    const { out, hdrs } = run(a, [[sup, hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, gso, 20, 16, 40)]]);
    expect(out).toHaveLength(3);
    expect(hdrs.every((h) => h.every((x) => x === 0))).toBe(true);
    let seq = 5001;
    out.forEach((p, j) => {
      expect(p[0]! >> 4).toBe(6);
      expect(l4ChecksumOk(p)).toBe(true);
      const dv = new DataView(p.buffer, p.byteOffset);
      expect(dv.getUint32(44)).toBe(seq);
      seq += p.length - 60;
      expect(p[53]! & TCP_FLAG.FIN).toBe(j === 2 ? TCP_FLAG.FIN : 0);
    });
    expect(a.loop.offload!.counters.softGso).toBe(1);
  });

  it('a super-packet whose first segment the translator refuses is answered once, as its segments would be', () => {
    const a = setup(true);
    handshake(a);
    // Segments of 1480 bytes of payload make 1520-byte IPv4 packets: bigger than the IPv4 MTU (1500).
    const sup = partialize(data6(bytes(1480 * 3, 1)));
    const { out, hdrs } = run(a, [[sup, hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, 1480, 40, 16, 60)]]);
    expect(out).toHaveLength(1);
    expect(out[0]![0]! >> 4).toBe(6);
    expect(out[0]![40]).toBe(2); // ICMPv6 Packet Too Big
    expect(new DataView(out[0]!.buffer, out[0]!.byteOffset).getUint32(44)).toBe(1520); // IPv4 MTU + 20
    expect(hdrs[0]!.every((x) => x === 0)).toBe(true);
  });
});

describe('offload: bad headers are counted drops', () => {
  it('drops headers that do not fit the packet, GSO without NEEDS_CSUM, a family mismatch and gso_size 0', () => {
    const a = setup(true);
    handshake(a);
    const p = partialize(data6(bytes(3000, 2)));
    const bad = [
      hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 40, 4000),
      hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 65000, 16),
      hdr(0, VNET_GSO_TCPV6, MSS, 40, 16),
      hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, 40, 16),
      hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, 0, 40, 16),
      hdr(VNET_F_NEEDS_CSUM, 3, MSS, 40, 16),
    ];
    const r = run(a, bad.map((h) => [p, h] as [Uint8Array, Uint8Array]));
    expect(r.out).toHaveLength(0);
    expect(a.loop.offload!.counters.badHeader).toBe(bad.length);
    // Traffic goes on.
    expect(run(a, [[data6(bytes(10, 0))]]).out).toHaveLength(1);
  });

  it('random packets with random headers never throw and never stop the loop', () => {
    const a = setup(true);
    handshake(a);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.boolean(), (body, h, v6) => {
        const p = body.length > 0 ? body : new Uint8Array(1);
        p[0] = (v6 ? 0x60 : 0x45) | (p[0]! & 0x0f & (v6 ? 0x0f : 0));
        a.dev.inject(p, h);
        a.loop.pump();
        a.dev.takeWritten();
      }),
      { numRuns: 400 },
    );
    expect(run(a, [[data6(bytes(10, 0))]]).out).toHaveLength(1);
  });
});
