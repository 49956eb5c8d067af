import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildIpv4Udp,
  buildIpv6Tcp,
  buildIpv6Udp,
  vnetHeader as hdr,
  vnetField as field,
  ipv4ChecksumOk,
  l4ChecksumOk,
  partialize,
  nicComplete,
  nicSegment,
} from '@sixgate/testkit';
import { VNET_F_NEEDS_CSUM, VNET_GSO_NONE, VNET_GSO_TCPV4, VNET_GSO_UDP_L4, VNET_HDR_LEN } from '@sixgate/tun';
import { Coalescer, MAX_SEGMENTS } from './coalesce.js';
import { CLIENT, SERVER4, SERVER6, loopHarness } from './loop-harness.js';

// Every check cuts the super-packets the way the kernel does (testkit nic.ts,
// checksums from scratch) and compares with the same datagrams sent through a
// loop that does not coalesce.

const setup = (coalesce: boolean, batchSize = 64, udpGso = true) => loopHarness({ coalesce, batchSize, udpGso });
type Setup = ReturnType<typeof setup>;

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const PARTIAL6 = hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 40, 6);
const PARTIAL4 = hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 20, 6);

/** Client → server datagrams of the given payload sizes, with a partial checksum as a local sender leaves it. */
const up = (sizes: number[], sport = 5000, opts: { partial?: boolean } = {}): [Uint8Array, Uint8Array?][] =>
  sizes.map((n, i) => {
    const p = buildIpv6Udp({ src: CLIENT, dst: SERVER6, sport, dport: 443, payload: bytes(n, i) }).bytes;
    return opts.partial === false ? [p] : [partialize(p), PARTIAL6];
  });

/** Injects all packets, then pumps once per batch; returns what was written and the headers. */
function run(s: Setup, packets: [Uint8Array, Uint8Array?][]): { out: Uint8Array[]; hdrs: Uint8Array[] } {
  for (const [p, h] of packets) s.dev.inject(p, h);
  while (s.dev.pending > 0) s.loop.pump();
  const hdrs = s.dev.writtenVnet.slice();
  s.dev.writtenVnet.length = 0;
  return { out: s.dev.takeWritten(), hdrs };
}

/** What reaches the wire: super-packets cut, partial checksums completed. */
const wire = (r: { out: Uint8Array[]; hdrs: Uint8Array[] }): Uint8Array[] =>
  r.out.flatMap((p, i) => (r.hdrs[i]![1] === VNET_GSO_UDP_L4 ? nicSegment(p, r.hdrs[i]!) : [nicComplete(p, r.hdrs[i]!)]));

/** An IPv4 packet with its Identification and header checksum zeroed (coalescing renumbers the IDs). */
const withoutId = (p: Uint8Array): Uint8Array => {
  const q = p.slice();
  if (q[0]! >> 4 === 4) q.fill(0, 4, 6).fill(0, 10, 12);
  return q;
};

/** Datagrams by flow (family, addresses and ports), in order, IDs masked: what must not change. */
const byFlow = (packets: Uint8Array[]): Record<string, Uint8Array[]> => {
  const m: Record<string, Uint8Array[]> = {};
  for (const p of packets) {
    const v4 = p[0]! >> 4 === 4;
    const key = Buffer.from(v4 ? p.subarray(12, 24) : p.subarray(8, 44)).toString('hex');
    (m[key] ??= []).push(withoutId(p));
  }
  return m;
};

describe('UDP coalescing on write', () => {
  it('sends a run of same-flow datagrams 6→4 as one UDP GSO super-packet that cuts into the datagrams a plain loop sends', () => {
    const a = setup(true);
    const b = setup(false);
    const sizes = Array<number>(10).fill(64);
    const ra = run(a, up(sizes));
    const rb = run(b, up(sizes));
    expect(ra.out.length).toBe(1);
    const h = ra.hdrs[0]!;
    expect([h[0], h[1], field(h, 2), field(h, 4), field(h, 6), field(h, 8)]).toEqual([VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 28, 64, 20, 6]);
    expect(ra.out[0]!.length).toBe(28 + 10 * 64);
    expect(ipv4ChecksumOk(ra.out[0]!)).toBe(true);
    const segs = wire(ra);
    const plain = wire(rb);
    expect(segs.length).toBe(10);
    expect(segs.map(withoutId)).toEqual(plain.map(withoutId));
    // The kernel numbers the segments from the first one's Identification.
    const id0 = (segs[0]![4]! << 8) | segs[0]![5]!;
    segs.forEach((s, i) => {
      expect((s[4]! << 8) | s[5]!).toBe((id0 + i) & 0xffff);
      expect(ipv4ChecksumOk(s)).toBe(true);
      expect(l4ChecksumOk(s)).toBe(true);
    });
    expect(a.loop.coalescer!.counters).toEqual({ udpSuperPackets: 1, udpSegments: 10 });
    expect(a.loop.counters.written).toBe(10);
    expect(a.dev.stats().txPackets).toBe(1);
  });

  it('sends a run 4→6 as one super-packet whose segments equal the plain loop\'s byte for byte', () => {
    const a = setup(true);
    const b = setup(false);
    const first = (s: Setup) => run(s, up([8])).out[0]!;
    const o = first(a);
    expect(withoutId(first(b))).toEqual(withoutId(o));
    const down = [1200, 1200, 1200, 1200, 700].map((n, i): [Uint8Array, Uint8Array] => [
      partialize(buildIpv4Udp({ src: SERVER4, dst: `${o[12]}.${o[13]}.${o[14]}.${o[15]}`, sport: 443, dport: (o[20]! << 8) | o[21]!, payload: bytes(n, 40 + i) }).bytes),
      PARTIAL4,
    ]);
    const ra = run(a, down);
    const rb = run(b, down);
    expect(ra.out.length).toBe(1);
    const h = ra.hdrs[0]!;
    expect([h[1], field(h, 2), field(h, 4), field(h, 6), field(h, 8)]).toEqual([VNET_GSO_UDP_L4, 48, 1200, 40, 6]);
    const segs = wire(ra);
    expect(segs).toEqual(wire(rb));
    expect(segs.map((s) => s.length)).toEqual([1248, 1248, 1248, 1248, 748]);
    expect(segs.every(l4ChecksumOk)).toBe(true);
  });

  it('groups a flow\'s datagrams across other flows; a run ends at a longer datagram and after a shorter one', () => {
    const a = setup(true);
    const mixed = [...up([100, 100]), ...up([100, 100], 5001), ...up([100, 100, 40, 100]), ...up([50, 100])];
    const r = run(a, mixed);
    // 5000: [100,100,100,100,40] [100,50] [100]; 5001: [100,100] — each written where its first datagram was.
    expect(r.hdrs.map((h) => (h[1] === VNET_GSO_UDP_L4 ? `gso${field(h, 4)}` : 'one'))).toEqual(['gso100', 'gso100', 'gso100', 'one']);
    expect(r.out.map((p) => p.length - 28)).toEqual([440, 200, 150, 100]); // payload bytes
    expect(byFlow(wire(r))).toEqual(byFlow(wire(run(setup(false), mixed))));
  });

  it('groups interleaved flows; never merges TCP, or with coalesce off', () => {
    const a = setup(true);
    const inter = [0, 1, 2, 3, 4, 5].flatMap((i) => up([64], 5000 + (i % 3)));
    const r = run(a, inter);
    expect(r.hdrs.map((h) => h[1])).toEqual([VNET_GSO_UDP_L4, VNET_GSO_UDP_L4, VNET_GSO_UDP_L4]);
    expect(r.out.map((p) => p.length)).toEqual([28 + 128, 28 + 128, 28 + 128]);
    expect(byFlow(wire(r))).toEqual(byFlow(wire(run(setup(false), inter))));
    const tcp = [0, 1, 2].map((i): [Uint8Array] => [buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 6000, dport: 80, flags: 0x02, seq: i, payload: bytes(0, 0) }).bytes]);
    expect(run(a, tcp).hdrs.every((h) => h[1] === VNET_GSO_NONE)).toBe(true);
    const off = setup(false);
    expect(run(off, up([64, 64, 64])).out.length).toBe(3);
    expect(off.loop.coalescer).toBeUndefined();
  });

  it('on a kernel without UDP GSO on TUN writes it stays off, and every datagram still goes out', () => {
    const old = setup(true, 64, false);
    expect(old.loop.coalescer).toBeUndefined();
    const r = run(old, up([64, 64, 64, 64]));
    expect(r.out.length).toBe(4);
    expect(r.hdrs.every((h) => h[1] === VNET_GSO_NONE)).toBe(true);
    expect(old.dev.stats()).toMatchObject({ txPackets: 4, txErrors: 0 });
    expect(wire(r).map(withoutId)).toEqual(wire(run(setup(false), up([64, 64, 64, 64]))).map(withoutId));
  });

  it('merges complete checksums only when they verify; a corrupted datagram leaves alone with its bad checksum', () => {
    const a = setup(true);
    const pk = up([64, 64, 64, 64, 64], 5000, { partial: false });
    pk[2]![0][60] = pk[2]![0][60]! ^ 0xff; // payload corrupted after the checksum was computed
    const r = run(a, pk);
    expect(r.out.length).toBe(3); // [0,1] [2] [3,4]
    expect(r.hdrs.map((h) => h[1])).toEqual([VNET_GSO_UDP_L4, VNET_GSO_NONE, VNET_GSO_UDP_L4]);
    const w = wire(r);
    expect(w.map(l4ChecksumOk)).toEqual([true, true, false, true, true]);
  });

  it(`caps a super-packet at ${MAX_SEGMENTS} datagrams and 64 KiB`, () => {
    const a = setup(true, 128);
    const r = run(a, up(Array<number>(100).fill(16)));
    expect(r.hdrs.map((h) => h[1])).toEqual([VNET_GSO_UDP_L4, VNET_GSO_UDP_L4]);
    expect(wire(r).length).toBe(100);
    expect(r.out[0]!.length).toBe(28 + MAX_SEGMENTS * 16);
    const big = run(a, up(Array<number>(50).fill(1400), 5002));
    // 28 + 46 × 1400 = 64,428 bytes fits; 47 would not.
    expect(big.out.map((p) => p.length)).toEqual([28 + 46 * 1400, 28 + 4 * 1400]);
    expect(wire(big).every((s) => s.length === 1428 && l4ChecksumOk(s))).toBe(true);
  });

  it('keeps headers of the packets around a merged run in their places', () => {
    const a = setup(true);
    const tcpSyn: [Uint8Array] = [buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 6001, dport: 80, flags: 0x02, seq: 1, payload: bytes(0, 0) }).bytes];
    const r = run(a, [...up([30]), tcpSyn, ...up([64, 64, 64], 5003), ...up([20], 5004)]);
    expect(r.hdrs.map((h) => [h[0], h[1], field(h, 6)])).toEqual([
      [VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 20],
      [0, VNET_GSO_NONE, 0],
      [VNET_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 20],
      [VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 20],
    ]);
    expect(wire(r).every(l4ChecksumOk)).toBe(true);
  });

  it('property: any mix of flows and sizes reaches the wire as the plain loop sends it, flow by flow', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ flow: fc.integer({ min: 0, max: 5 }), size: fc.integer({ min: 1, max: 1400 }), partial: fc.boolean() }), { minLength: 1, maxLength: 80 }), (spec) => {
        const pk = spec.flatMap((x) => up([x.size], 5000 + x.flow, { partial: x.partial }));
        const a = setup(true);
        const b = setup(false);
        const wa = wire(run(a, pk));
        const wb = wire(run(b, pk));
        // Flows may change places, a flow's datagrams never do.
        expect(wa).toHaveLength(wb.length);
        expect(byFlow(wa)).toEqual(byFlow(wb));
        expect(wa.every((s) => l4ChecksumOk(s) && ipv4ChecksumOk(s))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('Coalescer.plan on hand-made results', () => {
  /** Lays `packets` into one buffer back to back with their headers; returns the plan's inputs. */
  function lay(packets: Uint8Array[], headers: Uint8Array[]) {
    const buf = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
    const wOff = new Int32Array(packets.length);
    const wLen = new Int32Array(packets.length);
    const vout = new Uint8Array(packets.length * VNET_HDR_LEN);
    let o = 0;
    packets.forEach((p, i) => {
      buf.set(p, o);
      wOff[i] = o;
      wLen[i] = p.length;
      vout.set(headers[i]!, i * VNET_HDR_LEN);
      o += p.length;
    });
    return { buf, wOff, wLen, vout, parts: new Int32Array(packets.length) };
  }
  const v4 = (mut?: (p: Uint8Array) => void, opts: { mf?: boolean; fragmentOffset?: number } = {}): Uint8Array => {
    const p = partialize(buildIpv4Udp({ src: '198.51.100.1', dst: SERVER4, sport: 1, dport: 2, payload: bytes(32, 1), ...opts }).bytes);
    mut?.(p);
    return p;
  };

  it('leaves fragments, options, extension headers, empty payloads, wrong lengths and odd offload headers alone', () => {
    const c = new Coalescer();
    const cases: [Uint8Array, Uint8Array][] = [
      [v4(undefined, { mf: true }), PARTIAL4],
      [v4(undefined, { fragmentOffset: 8 }), PARTIAL4],
      [v4((p) => (p[0] = 0x46)), PARTIAL4],
      [v4((p) => (p[3] = p[3]! + 1)), PARTIAL4],
      [v4((p) => (p[25] = p[25]! - 1)), PARTIAL4],
      [partialize(buildIpv4Udp({ src: '198.51.100.1', dst: SERVER4, sport: 1, dport: 2 }).bytes), PARTIAL4],
      [v4(), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 20, 16)],
      [v4(), hdr(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 32, 20, 6, 28)],
      [partialize(buildIpv6Udp({ src: CLIENT, dst: SERVER6, payload: bytes(32, 1), ext: [{ type: 0 }] }).bytes), PARTIAL6],
    ];
    for (const [p, h] of cases) {
      const l = lay([p, v4(), v4()].slice(0), [h, PARTIAL4, PARTIAL4]);
      const before = l.buf.slice();
      const n = c.plan(l.buf, l.wOff, l.wLen, l.vout, 3, l.parts);
      // The odd one stays alone; the two plain ones after it merge.
      expect(n).toBe(2);
      expect(Array.from(l.parts.subarray(0, 2))).toEqual([1, 2]);
      expect(l.buf.subarray(0, p.length)).toEqual(before.subarray(0, p.length));
      expect(l.vout.subarray(0, VNET_HDR_LEN)).toEqual(h);
    }
  });

  it('keeps each flow in order: a fragment between the same hosts ends their runs, one between other hosts does not', () => {
    const c = new Coalescer();
    const toB = (p: Uint8Array) => void (p[21] = 3); // another source port
    const [a0, b0, a1, frag, b1, a2, a3] = [v4(), v4(toB), v4(), v4(undefined, { mf: true }), v4(toB), v4(), v4()];
    const l = lay([a0!, b0!, a1!, frag!, b1!, a2!, a3!], Array<Uint8Array>(7).fill(PARTIAL4));
    const o = Array.from(l.wOff);
    expect(c.plan(l.buf, l.wOff, l.wLen, l.vout, 7, l.parts)).toBe(5);
    expect(Array.from(l.parts.subarray(0, 5))).toEqual([2, 1, 1, 1, 2]);
    // [a0 a1] b0 frag b1 [a2 a3]: a run's members follow its head without their headers.
    expect(Array.from(l.wOff)).toEqual([o[0], o[2]! + 28, o[1], o[3], o[4], o[5], o[6]! + 28]);
    expect(Array.from(l.wLen)).toEqual([60, 32, 60, 60, 60, 60, 32]);
    expect([0, 1, 2, 3, 4].map((p) => l.vout[p * VNET_HDR_LEN + 1])).toEqual([VNET_GSO_UDP_L4, VNET_GSO_NONE, VNET_GSO_NONE, VNET_GSO_NONE, VNET_GSO_UDP_L4]);
    const far = v4((p) => void (p[15] = 99), { mf: true });
    const l2 = lay([a0!, far, a1!], [PARTIAL4, PARTIAL4, PARTIAL4]);
    expect(c.plan(l2.buf, l2.wOff, l2.wLen, l2.vout, 3, l2.parts)).toBe(2);
    expect(Array.from(l2.parts.subarray(0, 2))).toEqual([2, 1]);
  });

  it('returns k and changes nothing when nothing merges', () => {
    const c = new Coalescer();
    const l = lay([v4(), v4((p) => (p[8] = 9))], [PARTIAL4, PARTIAL4]);
    const before = { buf: l.buf.slice(), wOff: l.wOff.slice(), wLen: l.wLen.slice(), vout: l.vout.slice() };
    expect(c.plan(l.buf, l.wOff, l.wLen, l.vout, 2, l.parts)).toBe(2);
    expect({ buf: l.buf, wOff: l.wOff, wLen: l.wLen, vout: l.vout }).toEqual(before);
  });
});
