// Property tests (STYLE §9): arbitrary bytes never throw and results stay in
// bounds; valid random packets translate to packets whose checksums verify;
// a 6→4→6 round trip keeps the payload.
import { buildIpv4Udp, buildIpv6Icmp, buildIpv6Tcp, buildIpv6Udp, type Packet, TCP_FLAG } from '@sixgate/testkit';
import { formatIpv6 } from '@sixgate/addressing';
import { finish, setU16, sum, u16 } from '@sixgate/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Outcome } from './outcome.js';
import { checksum4, valid4, valid6 } from './test-packets.js';
import { CLIENT, harness, type Harness, SERVER6 } from './test-setup.js';

const ROOM = { headroom: 64, tailroom: 16 };

/** Asserts an outcome points inside the buffers it names. */
function inBounds(r: Outcome, buf: Uint8Array, out: Uint8Array): void {
  if (r.kind === 'forward') {
    expect(r.offset).toBeGreaterThanOrEqual(0);
    expect(r.offset + r.length).toBeLessThanOrEqual(buf.length);
    expect(r.length).toBeGreaterThanOrEqual(20);
  } else if (r.kind === 'reply') {
    expect(r.offset + r.length).toBeLessThanOrEqual(out.length);
  } else if (r.kind === 'forward-many') {
    for (let i = 0; i < r.count; i++) expect(r.offsets[i]! + r.lengths[i]!).toBeLessThanOrEqual(out.length);
  }
}

describe('robustness', () => {
  it('arbitrary bytes (IPv4- or IPv6-looking) never throw and stay in bounds', () => {
    const h = harness();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x6f, 0x00), fc.nat(64), (bytes, first, head) => {
        const buf = new Uint8Array(head + bytes.length + 8);
        buf.set(bytes, head);
        if (bytes.length > 0) buf[head] = first;
        const out = new Uint8Array(1500);
        const r = h.tr.translate(buf, head, bytes.length, out, 0);
        inBounds(r, buf, out);
      }),
      { numRuns: 2000 },
    );
  });

  it('valid packets with random bytes flipped never throw and stay in bounds', () => {
    const h = harness();
    const seed6 = buildIpv6Udp({ src: CLIENT, dst: SERVER6, sport: 1212, dport: 53, payload: new Uint8Array(40), ...ROOM });
    const r0 = h.tr.translate(seed6.buf.slice(), 64, seed6.len, new Uint8Array(2000), 0);
    expect(r0.kind).toBe('forward');
    const port4 = 1024; // not necessarily the session's: both hits and misses are fine here
    const seed4 = buildIpv4Udp({ src: '192.0.2.33', dst: '198.51.100.1', sport: 53, dport: port4, payload: new Uint8Array(40), ...ROOM });
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (v6, flips) => {
        const seed = v6 ? seed6 : seed4;
        const buf = seed.buf.slice();
        for (const [i, v] of flips) if (i < seed.len) buf[64 + i] = v;
        const out = new Uint8Array(1500);
        inBounds(h.tr.translate(buf, 64, seed.len, out, 0), buf, out);
      }),
      { numRuns: 2000 },
    );
  });

  it('any out buffer size or offset: never throws, never writes outside `out`', () => {
    const h = harness();
    const p6 = buildIpv6Udp({ src: CLIENT, dst: SERVER6, hopLimit: 1, payload: new Uint8Array(900), ...ROOM });
    const big4 = buildIpv4Udp({ src: '192.0.2.33', dst: '198.51.100.1', df: false, ttl: 1, payload: new Uint8Array(1400), ...ROOM });
    fc.assert(
      fc.property(fc.boolean(), fc.nat(3000), fc.nat(3000), (v6, size, outOff) => {
        const p = v6 ? p6 : big4;
        const buf = p.buf.slice();
        const out = new Uint8Array(size);
        const r = h.tr.translate(buf, p.off, p.len, out, outOff);
        inBounds(r, buf, out);
        if (r.kind === 'reply') expect(r.offset).toBe(outOff);
      }),
      { numRuns: 1000 },
    );
  });

  it('ICMP errors with random inner bytes never throw', () => {
    const h = harness();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 200 }), (type, code, inner) => {
        const p = buildIpv6Icmp({ src: CLIENT, dst: SERVER6, type, code, payload: inner, ...ROOM });
        const out = new Uint8Array(1500);
        inBounds(h.tr.translate(p.buf, p.off, p.len, out, 0), p.buf, out);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('valid random packets', () => {
  const flow = fc.record({
    proto: fc.constantFrom('udp', 'tcp', 'icmp'),
    sport: fc.integer({ min: 1, max: 65535 }),
    dport: fc.integer({ min: 1, max: 65535 }),
    hop: fc.integer({ min: 2, max: 255 }),
    tc: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 1400 }),
    dstLow: fc.integer({ min: 1, max: 254 }),
  });

  function build6(f: fc.infer<typeof flow>): Packet {
    const base = { src: CLIENT, dst: `64:ff9b:1::c000:2${f.dstLow.toString(16).padStart(2, '0')}`, hopLimit: f.hop, tc: f.tc, payload: f.data, ...ROOM };
    if (f.proto === 'udp') return buildIpv6Udp({ ...base, sport: f.sport, dport: f.dport });
    if (f.proto === 'tcp') return buildIpv6Tcp({ ...base, sport: f.sport, dport: f.dport, flags: TCP_FLAG.SYN });
    return buildIpv6Icmp({ ...base, id: f.sport, seq: f.dport });
  }

  it('6→4 checksums verify, fields follow RFC 7915, and the 6→4→6 round trip keeps the payload', () => {
    fc.assert(
      fc.property(flow, (f) => {
        const h: Harness = harness();
        const p = build6(f);
        const orig = p.bytes.slice(); // translation is in place
        const r = h.tr.translate(p.buf, p.off, p.len, h.out, 0);
        expect(r.kind).toBe('forward');
        if (r.kind !== 'forward') return;
        const o = p.buf.slice(r.offset, r.offset + r.length);
        expect(valid4(o)).toBe(true);
        expect(o[1]).toBe(f.tc);
        expect(o[8]).toBe(f.hop - 1);
        expect(o.length).toBe(p.len - 20);
        // The server answers: swap addresses and ports (or echo reply), same data.
        const back = reverse(o);
        const r2 = h.tr.translate(back.buf, back.off, back.len, h.out, 0);
        expect(r2.kind).toBe('forward');
        if (r2.kind !== 'forward') return;
        const o6 = back.buf.slice(r2.offset, r2.offset + r2.length);
        expect(valid6(o6)).toBe(true);
        expect(formatIpv6(o6, 24)).toBe(CLIENT);
        expect(formatIpv6(o6, 8)).toBe(formatIpv6(orig, 24));
        const hdr = f.proto === 'tcp' ? 20 : 8;
        expect(o6.subarray(40 + hdr)).toEqual(orig.subarray(40 + hdr));
        if (f.proto === 'icmp') expect(u16(o6, 44)).toBe(f.sport);
        else expect(u16(o6, 42)).toBe(f.sport);
      }),
      { numRuns: 300 },
    );
  });
});

/** The IPv4 answer to translated packet `o`: addresses and ports swapped, ICMP echo → reply, SYN → SYN/ACK. */
function reverse(o: Uint8Array): Packet {
  const buf = new Uint8Array(64 + o.length + 16);
  buf.set(o, 64);
  const b = buf.subarray(64, 64 + o.length);
  const proto = o[9]!;
  b.set(o.subarray(16, 20), 12);
  b.set(o.subarray(12, 16), 16);
  b[8] = 64;
  if (proto === 1) b[20] = 0;
  else {
    b.set(o.subarray(22, 24), 20);
    b.set(o.subarray(20, 22), 22);
    if (proto === 6) b[33] = TCP_FLAG.SYN | TCP_FLAG.ACK;
  }
  checksum4(b, 0, 20, proto, o.length);
  setU16(b, 10, 0);
  setU16(b, 10, finish(sum(b, 0, 20)));
  return { buf, off: 64, len: o.length, bytes: b };
}
