// Datagrams held until complete (fragment-hold.ts, release.ts): fragmented
// ICMP echo (the ICMPv6 checksum covers the whole message's length, RFC 7915
// §4.2/§5.2, RFC 8200 §8.1) and fragmented IPv4 UDP with checksum 0 (G4:
// computed over the whole datagram). Every checksum is checked here on the
// translated fragments put back together, with the pseudo-header where the
// family has one.
import { formatIpv4, parseIpv6 } from '@sixgate/addressing';
import { finish, pseudoHeaderSum6, setU16, sum, u16, u32 } from '@sixgate/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FRAGMENTS, type Outcome } from './outcome.js';
import { fill, fragHdr, icmp, ipv4, ipv6, reassemble4, reassemble6, split4, split6, udp } from './test-packets.js';
import { CLIENT, harness, type Harness, many, openUdp, replied, run, SERVER4, SERVER6 } from './test-setup.js';

const FRAG_ID = 0xdeadbeef;

/** `ping -s 3000` from the client: ICMPv6 echo request id 0x4242 seq 1, 3008-byte message, in 1448/1448/112-byte fragments. */
function ping6(size = 3000, chunk = 1448, id = FRAG_ID): Uint8Array[] {
  const whole = ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, 0x42420001, fill(size)) });
  return split6(whole, chunk, id);
}

/** Translates `frags` in the order of `order`; returns every outcome (forward-many copied out). */
function feed(h: Harness, frags: Uint8Array[], order: number[]): { reasons: string[]; out: Uint8Array[] } {
  const reasons: string[] = [];
  let out: Uint8Array[] = [];
  for (const i of order) {
    const r = run(h, frags[i]!).r;
    reasons.push(r.kind === 'drop' ? r.reason : r.kind);
    if (r.kind === 'forward-many') out = many(h, r);
  }
  return { reasons, out };
}

/** Whether IPv4 header checksums of `frags` verify. */
function headersOk(frags: Uint8Array[]): boolean {
  return frags.every((f) => sum(f, 0, 20) === 0xffff);
}

/** The ICMP session's pool4 address and identifier, from a small ping. */
function openPing(h: Harness): { addr4: string; id4: number } {
  const r = run(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, 0x42420001, 8) }));
  if (r.r.kind !== 'forward') throw new Error('ping not forwarded');
  const o = r.buf.subarray(r.r.offset);
  return { addr4: formatIpv4(u32(o, 12)), id4: u16(o, 24) };
}

/** The server's echo reply of `size` data bytes to the session, cut into IPv4 fragments of `chunk` bytes. */
function pong4(h: Harness, size: number, chunk: number): Uint8Array[] {
  const { addr4, id4 } = openPing(h);
  return split4(ipv4({ proto: 1, src: SERVER4, dst: addr4, id: 0x1234, payload: icmp(0, 0, (id4 << 16) | 1, fill(size)) }), chunk);
}

/** The server's UDP datagram of `size` data bytes with checksum 0, in IPv4 fragments of `chunk` bytes. */
function udpZero4(h: Harness, size: number, chunk: number): Uint8Array[] {
  const port4 = openUdp(h);
  const pkt = ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', id: 0x0bad, payload: udp(53, port4, fill(size)), keepChecksum: true });
  expect(u16(pkt, 26)).toBe(0);
  return split4(pkt, chunk);
}

const ORDERS = [
  { name: 'in order', order: [0, 1, 2] },
  { name: 'reversed', order: [2, 1, 0] },
  { name: 'first fragment last', order: [1, 2, 0] },
  { name: 'last fragment first', order: [2, 0, 1] },
];

describe('fragmented ICMP echo 6→4 (ping -s 3000)', () => {
  it.each(ORDERS)('$name: held until complete, then three IPv4 fragments whose ICMPv4 checksum verifies', ({ order }) => {
    const h = harness();
    const frags = ping6();
    const { reasons, out } = feed(h, frags, order);
    expect(reasons).toEqual(['fragment-held', 'fragment-held', 'forward-many']);
    expect(out.map((f) => u16(f, 2))).toEqual([1468, 1468, 132]);
    expect(out.map((f) => u16(f, 4))).toEqual([0xbeef, 0xbeef, 0xbeef]); // §5.1.1: low 16 bits of the Identification
    expect(out.map((f) => u16(f, 6))).toEqual([0x2000, 0x2000 | (1448 / 8), 2896 / 8]); // DF = 0, MF, offsets in order
    expect(out.map((f) => f[9])).toEqual([1, 1, 1]);
    expect(out.map((f) => f[8])).toEqual([63, 63, 63]);
    expect(out.map((f) => formatIpv4(u32(f, 16)))).toEqual([SERVER4, SERVER4, SERVER4]);
    expect(new Set(out.map((f) => u32(f, 12))).size).toBe(1);
    expect(headersOk(out)).toBe(true);
    const icmp4 = reassemble4(out);
    expect(icmp4.length).toBe(3008);
    expect([icmp4[0], icmp4[1], u16(icmp4, 6)]).toEqual([8, 0, 1]);
    // The checksum, computed independently over the whole ICMPv4 message (no pseudo-header).
    const cs = u16(icmp4, 2);
    setU16(icmp4, 2, 0);
    expect(cs).toBe(finish(sum(icmp4, 0, icmp4.length)));
    expect(icmp4.subarray(8)).toEqual(fill(3000));
    const s = h.tr.snapshot();
    expect(s.drops['fragment-held']).toBe(2);
    expect(s.packetsOut4).toBe(3);
    expect(s.packetsIn6).toBe(3);
  });

  it('the same flow keeps its identifier: a small ping afterwards uses the same pool4 id', () => {
    const h = harness();
    const { out } = feed(h, ping6(), [0, 1, 2]);
    expect(u16(reassemble4(out), 4)).toBe(openPing(h).id4);
  });

  it('8000-byte ping in 6 fragments, middle ones shuffled', () => {
    const h = harness();
    const frags = ping6(8000);
    expect(frags.length).toBe(6);
    const { reasons, out } = feed(h, frags, [3, 0, 5, 1, 4, 2]);
    expect(reasons.at(-1)).toBe('forward-many');
    expect(out.length).toBe(6);
    const m = reassemble4(out);
    expect(sum(m, 0, m.length)).toBe(0xffff);
    expect(m.length).toBe(8008);
  });

  it('a refused first fragment takes its datagram with it (policy deny → ICMPv6 1/1, rest counted under the reason)', () => {
    const h = harness();
    h.policy.deny.add(0xc0000221);
    const frags = ping6();
    run(h, frags[1]!);
    run(h, frags[2]!);
    const o = replied(h, run(h, frags[0]!).r);
    expect([o[40], o[41]]).toEqual([1, 1]);
    expect(h.tr.snapshot().drops['policy-deny']).toBe(3);
    // Nothing left behind: the same fragments again are held from scratch.
    expect(run(h, frags[1]!).r).toEqual({ kind: 'drop', reason: 'fragment-held' });
  });
});

describe('fragmented ICMP echo 4→6 (the reply to ping -s 3000)', () => {
  it.each(ORDERS)('$name: IPv6 fragments whose ICMPv6 checksum verifies over the whole message with its pseudo-header', ({ order }) => {
    const h = harness();
    const frags = pong4(h, 3000, 1480);
    expect(frags.map((f) => f.length)).toEqual([1500, 1500, 68]);
    const { reasons, out } = feed(h, frags, order);
    expect(reasons).toEqual(['fragment-held', 'fragment-held', 'forward-many']);
    // 1500-byte IPv4 fragments become 1528-byte IPv6 ones, cut again at lowestIpv6Mtu 1280 (D6).
    expect(out.map((f) => f.length)).toEqual([1280, 296, 1280, 296, 96]);
    expect(out.map((f) => u16(f, 42))).toEqual([1, 1232 | 1, 1480 | 1, (1480 + 1232) | 1, 2960]);
    expect(out.map((f) => u32(f, 44))).toEqual([0x1234, 0x1234, 0x1234, 0x1234, 0x1234]);
    expect(out.every((f) => f[6] === 44 && f[40] === 58 && f[7] === 63)).toBe(true);
    const f0 = out[0]!;
    expect(f0.subarray(8, 24)).toEqual(parseIpv6(SERVER6));
    expect(f0.subarray(24, 40)).toEqual(parseIpv6(CLIENT));
    const m = reassemble6(out);
    expect(m.length).toBe(3008);
    expect([m[0], m[1], u16(m, 4), u16(m, 6)]).toEqual([129, 0, 0x4242, 1]);
    const cs = u16(m, 2);
    setU16(m, 2, 0);
    expect(cs).toBe(finish(sum(m, 0, m.length, pseudoHeaderSum6(f0, 8, 24, 58, m.length))));
    expect(m.subarray(8)).toEqual(fill(3000));
  });

  it('with lowestIpv6Mtu 1500 every IPv4 fragment stays one IPv6 fragment', () => {
    const h = harness({ lowestIpv6Mtu: 1500 });
    const { out } = feed(h, pong4(h, 3000, 1448), [0, 1, 2]);
    expect(out.map((f) => f.length)).toEqual([1496, 1496, 160]);
    const m = reassemble6(out);
    expect(sum(m, 0, m.length, pseudoHeaderSum6(out[0]!, 8, 24, 58, m.length))).toBe(0xffff);
  });
});

describe('G4: fragmented IPv4 UDP with checksum 0 (computed after reassembly)', () => {
  it.each(ORDERS)('$name: the UDP checksum of the whole datagram is computed and written in the first fragment', ({ order }) => {
    const h = harness();
    const frags = udpZero4(h, 2000, 800);
    const { reasons, out } = feed(h, frags, order);
    expect(reasons).toEqual(['fragment-held', 'fragment-held', 'forward-many']);
    expect(out.map((f) => f.length)).toEqual([848, 848, 456]);
    expect(out.map((f) => u16(f, 42))).toEqual([1, 800 | 1, 1600]);
    const d = reassemble6(out);
    expect(d.length).toBe(2008);
    expect([u16(d, 0), u16(d, 2), u16(d, 4)]).toEqual([53, 1212, 2008]);
    const cs = u16(d, 6);
    expect(cs).not.toBe(0);
    setU16(d, 6, 0);
    const want = finish(sum(d, 0, d.length, pseudoHeaderSum6(out[0]!, 8, 24, 17, d.length)));
    expect(cs).toBe(want === 0 ? 0xffff : want);
    expect(d.subarray(8)).toEqual(fill(2000));
    expect(h.tr.snapshot().udpZeroChecksumFixed).toBe(1);
  });

  it('fragments with a non-zero checksum are not held (forwarded as they come)', () => {
    const h = harness();
    const port4 = openUdp(h);
    const frags = split4(ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', id: 9, payload: udp(53, port4, 2000) }), 800);
    expect(frags.map((f) => run(h, f).r.kind)).toEqual(['forward', 'forward', 'forward']);
  });

  it('hold full: the datagram is dropped and counted (udp-zero-checksum-fragment), its held fragments too', () => {
    const h = harness({ heldFragments: 2 });
    const { reasons } = feed(h, udpZero4(h, 2000, 800), [0, 1, 2]);
    expect(reasons).toEqual(['fragment-held', 'fragment-held', 'udp-zero-checksum-fragment']);
    const s = h.tr.snapshot();
    expect(s.drops['udp-zero-checksum-fragment']).toBe(3);
    expect(s.udpZeroChecksumFixed).toBe(0);
  });
});

describe('duplicates, overlaps and garbage among held fragments (RFC 5722)', () => {
  it('an exact duplicate is dropped and counted; the datagram still completes once', () => {
    const h = harness();
    const frags = ping6();
    const { reasons, out } = feed(h, frags, [1, 1, 0, 0, 2]);
    expect(reasons).toEqual(['fragment-held', 'fragment-duplicate', 'fragment-held', 'fragment-duplicate', 'forward-many']);
    expect(out.length).toBe(3);
    expect(h.tr.snapshot().drops['fragment-duplicate']).toBe(2);
  });

  it('an overlapping fragment discards the held datagram (counted), which then cannot complete', () => {
    const h = harness();
    const frags = ping6();
    run(h, frags[0]!);
    const overlap = ipv6({ nh: 44, ext: fragHdr(58, 1440, true, FRAG_ID), src: CLIENT, dst: SERVER6, payload: fill(16) });
    expect(run(h, overlap).r).toEqual({ kind: 'drop', reason: 'fragment-invalid' });
    expect(h.tr.snapshot().drops['fragment-invalid']).toBe(2);
    expect(feed(h, frags, [1, 2]).reasons).toEqual(['fragment-held', 'fragment-held']);
  });

  it.each([
    { name: 'M=1 with a length not a multiple of 8', frag: () => fragment(1448, true, 20) },
    { name: 'M=1 with no data', frag: () => fragment(1448, true, 0) },
    { name: 'a second last fragment with another end', frag: () => fragment(1448, false, 8) },
    { name: 'data beyond the last fragment’s end', frag: () => fragment(3008, true, 8) },
    { name: 'beyond 65515 bytes', frag: () => fragment(65512, false, 16) },
  ])('$name → fragment-invalid', ({ frag }) => {
    const h = harness();
    run(h, ping6()[2]!); // the last fragment: the datagram ends at 3008
    expect(run(h, frag()).r).toEqual({ kind: 'drop', reason: 'fragment-invalid' });
  });

  it('4→6: a duplicate IPv4 first fragment is dropped, not sent twice', () => {
    const h = harness();
    const frags = pong4(h, 3000, 1480);
    const { reasons, out } = feed(h, frags, [0, 0, 1, 2]);
    expect(reasons).toEqual(['fragment-held', 'fragment-duplicate', 'fragment-held', 'forward-many']);
    expect(out.length).toBe(5);
  });
});

/** A non-first ICMPv6 fragment of the ping6() datagram. */
function fragment(offset: number, m: boolean, len: number): Uint8Array {
  return ipv6({ nh: 44, ext: fragHdr(58, offset, m, FRAG_ID), src: CLIENT, dst: SERVER6, payload: fill(len) });
}

describe('bounds: memory and time', () => {
  it('hold full: a fragmented ping is dropped (fragment-hold-full), its held fragments too', () => {
    const h = harness({ heldFragments: 2 });
    expect(feed(h, ping6(), [0, 1, 2]).reasons).toEqual(['fragment-held', 'fragment-held', 'fragment-hold-full']);
    expect(h.tr.snapshot().drops['fragment-hold-full']).toBe(3);
    // The slots are free again: a 2-fragment ping goes through.
    expect(feed(h, ping6(1000, 512, 5), [1, 0]).reasons).toEqual(['fragment-held', 'forward-many']);
  });

  it('hold disabled: a fragmented ping is dropped at its first fragment', () => {
    const h = harness({ heldFragments: 0 });
    expect(run(h, ping6()[0]!).r).toEqual({ kind: 'drop', reason: 'fragment-hold-full' });
  });

  it('held fragments expire (counted); the datagram cannot complete afterwards', () => {
    const h = harness({ fragmentTimeoutMs: 1000 });
    const frags = ping6();
    feed(h, frags, [0, 1]);
    h.clock.advance(999);
    h.tr.tick();
    expect(h.tr.snapshot().drops['fragment-expired']).toBe(0);
    h.clock.advance(2);
    h.tr.tick();
    expect(h.tr.snapshot().drops['fragment-expired']).toBe(2);
    expect(run(h, frags[2]!).r).toEqual({ kind: 'drop', reason: 'fragment-held' });
  });

  it(`a datagram of more than MAX_FRAGMENTS fragments is dropped whole when the one past the bound arrives (fragment-hold-full)`, () => {
    // One datagram holds at most MAX_FRAGMENTS slots (it could not leave as one outcome, and a
    // bound per datagram keeps each lookup in the hold short whatever its size).
    const h = harness({ heldFragments: 100 });
    const frags = ping6(552, 8, 6); // 560-byte message in 70 fragments of 8 bytes
    expect(frags.length).toBe(70);
    const { reasons } = feed(h, frags, frags.map((_, i) => i));
    expect(reasons[MAX_FRAGMENTS]).toBe('fragment-hold-full');
    expect(h.tr.snapshot().drops['fragment-hold-full']).toBe(MAX_FRAGMENTS + 1);
    expect(h.tr.snapshot().drops['out-too-small']).toBe(0);
    expect(feed(h, ping6(), [0, 1, 2]).reasons.at(-1)).toBe('forward-many');
  });
});

describe('property: random fragment orders and duplicates', () => {
  /** Outcome kinds are in bounds and a complete datagram is released exactly once, verifying. */
  function check(kind: 'ping6' | 'pong4' | 'udp4', order: number[], dups: number[]): void {
    const h = harness();
    const frags = kind === 'ping6' ? ping6(3000, 1448) : kind === 'pong4' ? pong4(h, 3000, 1480) : udpZero4(h, 2000, 800);
    const seq = [...order];
    for (const d of dups) seq.splice(d % (seq.length + 1), 0, order[d % order.length]!);
    let released = 0;
    let pieces: Uint8Array[] = [];
    for (const i of seq) {
      const r: Outcome = run(h, frags[i]!).r;
      if (released === 0 && r.kind === 'forward-many') {
        released++;
        pieces = many(h, r);
      } else if (released === 0) expect(r.kind).toBe('drop');
      // After the release a late duplicate follows the datagram's entry like any later fragment.
      else if (r.kind !== 'drop') expect(i).not.toBe(0);
    }
    expect(released).toBe(1);
    expect(pieces.length).toBe(kind === 'pong4' ? 5 : 3);
    if (kind === 'ping6') {
      const m = reassemble4(pieces);
      expect(sum(m, 0, m.length)).toBe(0xffff);
    } else {
      const m = reassemble6(pieces);
      expect(sum(m, 0, m.length, pseudoHeaderSum6(pieces[0]!, 8, 24, kind === 'udp4' ? 17 : 58, m.length))).toBe(0xffff);
    }
  }

  it('every order of every kind, with duplicates anywhere, releases once and verifies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'ping6' | 'pong4' | 'udp4'>('ping6', 'pong4', 'udp4'),
        fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
        fc.array(fc.nat(20), { maxLength: 3 }),
        (kind, order, dups) => check(kind, order, dups),
      ),
      { numRuns: 300 },
    );
  });

  it('random fragments of one datagram (random offsets, lengths, M) never throw and stay in bounds', () => {
    const h = harness({ heldFragments: 16 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(400), fc.nat(120), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 12 }),
        fc.nat(3),
        (list, id) => {
          for (const [off8, len, m, four] of list) {
            const f = four
              ? ipv4({ proto: 1, src: SERVER4, dst: '198.51.100.1', id, mf: m, fragOff: off8 * 8, payload: fill(len), keepChecksum: true })
              : ipv6({ nh: 44, ext: fragHdr(58, off8 * 8, m, id), src: CLIENT, dst: SERVER6, payload: off8 === 0 ? icmp(128, 0, 0x42420001, len) : fill(len) });
            const r = run(h, f).r;
            if (r.kind === 'forward-many') for (let i = 0; i < r.count; i++) expect(r.offsets[i]! + r.lengths[i]!).toBeLessThanOrEqual(h.out.length);
          }
          h.clock.advance(20_000);
          h.tr.tick();
        },
      ),
      { numRuns: 500 },
    );
  });
});
