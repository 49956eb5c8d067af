import { formatIpv4, formatIpv6 } from '@sixgate/addressing';
import { u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import type { Outcome } from './outcome.js';
import { icmp, ipv4, ipv6, tcp, udp, valid4, valid6 } from './test-packets.js';
import { CLIENT, harness, SERVER6, type Harness, run as runX } from './test-setup.js';

function run(h: Harness, pkt: Uint8Array, headroom = 64): { r: Outcome; buf: Uint8Array } {
  return runX(h, pkt, headroom);
}

function fwd(r: Outcome, buf: Uint8Array): Uint8Array {
  if (r.kind !== 'forward') throw new Error(`expected forward, got ${r.kind} ${'reason' in r ? r.reason : ''}`);
  return buf.slice(r.offset, r.offset + r.length);
}

describe('6→4 UDP (H1, C1, G1)', () => {
  it('translates the first packet and creates the binding', () => {
    const h = harness();
    const pkt = ipv6({ nh: 17, tc: 0xb8, hop: 64, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 20) });
    const { r, buf } = run(h, pkt);
    const o = fwd(r, buf);
    expect(o.length).toBe(20 + 28);
    expect(o[0]).toBe(0x45);
    expect(o[1]).toBe(0xb8); // TOS = Traffic Class
    expect(u16(o, 2)).toBe(48);
    expect(u16(o, 4)).not.toBe(0); // random ID, DF=0 (≤ 1260)
    expect(u16(o, 6)).toBe(0);
    expect(o[8]).toBe(63);
    expect(o[9]).toBe(17);
    expect(formatIpv4(u32(o, 12))).toBe('198.51.100.1');
    expect(formatIpv4(u32(o, 16))).toBe('192.0.2.33');
    expect(u16(o, 22)).toBe(53);
    expect(valid4(o)).toBe(true);
    const [s] = h.st.listSessions({ limit: 10, offset: 0 }, h.tr.prefix).items;
    expect(s?.ipv6Client).toBe('[2001:db8::2]:1212');
    expect(s?.ipv4Local).toBe(`198.51.100.1:${u16(o, 20)}`);
    expect(s?.expiresInMs).toBe(300_000);
    expect(h.tr.snapshot().packetsOut4).toBe(1);
  });

  it('H2/B1: the IPv4 reply goes back to the client with prefix + source', () => {
    const h = harness();
    const { r, buf } = run(h, ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 20) }));
    const port4 = u16(fwd(r, buf), 20);
    const reply = ipv4({ proto: 17, tos: 163, ttl: 50, src: '192.0.2.33', dst: '198.51.100.1', payload: udp(53, port4, 30) });
    const back = run(h, reply, 28);
    const o = fwd(back.r, back.buf);
    expect(back.r.kind === 'forward' && back.r.offset).toBe(28 - 20);
    expect(o.length).toBe(40 + 38);
    expect(o[0]! >> 4).toBe(6);
    expect(((o[0]! & 15) << 4) | (o[1]! >> 4)).toBe(163); // Traffic Class = TOS
    expect(u32(o, 0) & 0xfffff).toBe(0); // flow label 0
    expect(u16(o, 4)).toBe(38);
    expect(o[6]).toBe(17);
    expect(o[7]).toBe(49);
    expect(formatIpv6(o, 8)).toBe(SERVER6);
    expect(formatIpv6(o, 24)).toBe(CLIENT);
    expect(u16(o, 40)).toBe(53);
    expect(u16(o, 42)).toBe(1212);
    expect(valid6(o)).toBe(true);
  });

  it('G2: a wrong UDP checksum stays exactly as wrong (same ones-complement error)', () => {
    const good = ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 20) });
    const bad = good.slice();
    const cs = u16(bad, 46);
    const damaged = cs === 0xfffe ? 1 : cs + 1;
    bad[46] = damaged >> 8;
    bad[47] = damaged & 0xff;
    const a = run(harness(), good);
    const b = run(harness(), bad);
    const oa = fwd(a.r, a.buf);
    const ob = fwd(b.r, b.buf);
    expect(valid4(oa)).toBe(true);
    expect(valid4(ob)).toBe(false);
    const ca = u16(oa, 26);
    const cb = u16(ob, 26);
    expect((cb - ca + 0xffff) % 0xffff).toBe((damaged - cs + 0xffff) % 0xffff);
  });
});

describe('G2: wrong checksums stay exactly as wrong for TCP and ICMP echo, both directions', () => {
  /** Adds 1 (ones' complement) to the 16-bit field at `at`. */
  function damage(p: Uint8Array, at: number): Uint8Array {
    const b = p.slice();
    const v = u16(b, at);
    const d = v === 0xfffe ? 1 : v + 1;
    b[at] = d >> 8;
    b[at + 1] = d & 0xff;
    return b;
  }
  const delta = (a: number, b: number): number => (b - a + 0xffff) % 0xffff;

  it.each([
    { name: 'TCP 6→4', pkt: () => ipv6({ nh: 6, src: CLIENT, dst: SERVER6, payload: tcp(40000, 80, 0x02) }), at: 56, outAt: 36 },
    { name: 'ICMPv6 echo 6→4', pkt: () => ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, 0x00070001, 16) }), at: 42, outAt: 22 },
  ])('$name', ({ pkt, at, outAt }) => {
    const good = pkt();
    const ra = run(harness(), good);
    const rb = run(harness(), damage(good, at));
    const oa = fwd(ra.r, ra.buf);
    const ob = fwd(rb.r, rb.buf);
    expect(valid4(oa)).toBe(true);
    expect(valid4(ob)).toBe(false);
    expect(delta(u16(oa, outAt), u16(ob, outAt))).toBe(1);
  });

  it('ICMPv4 echo reply 4→6', () => {
    const h1 = harness();
    const h2 = harness();
    const req = ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, 0x00070001, 16) });
    const r1 = run(h1, req);
    const r2 = run(h2, req);
    const id4 = u16(fwd(r1.r, r1.buf), 24);
    expect(u16(fwd(r2.r, r2.buf), 24)).toBe(id4); // same state secret, same mapping
    const rep = ipv4({ proto: 1, src: '192.0.2.33', dst: '198.51.100.1', payload: icmp(0, 0, (id4 << 16) | 1, 16) });
    const ra = run(h1, rep);
    const rb = run(h2, damage(rep, 22));
    const oa = fwd(ra.r, ra.buf);
    const ob = fwd(rb.r, rb.buf);
    expect(valid6(oa)).toBe(true);
    expect(valid6(ob)).toBe(false);
    expect(delta(u16(oa, 42), u16(ob, 42))).toBe(1);
  });
});

describe('6→4 / 4→6 TCP', () => {
  it('SYN out, SYN-ACK back, checksums verify both ways, MSS clamped', () => {
    const h = harness();
    const mss = new Uint8Array([2, 4, 0x23, 0x28, 1, 1, 1, 0]); // MSS 9000, NOPs, EOL
    const { r, buf } = run(h, ipv6({ nh: 6, src: CLIENT, dst: SERVER6, payload: tcp(40000, 80, 0x02, { options: mss }) }));
    const o = fwd(r, buf);
    expect(o[9]).toBe(6);
    expect(u16(o, 20 + 22)).toBe(1460); // ipv4Mtu 1500 − 40
    expect(valid4(o)).toBe(true);
    const port4 = u16(o, 20);
    const synack = ipv4({ proto: 6, src: '192.0.2.33', dst: '198.51.100.1', payload: tcp(80, port4, 0x12, { options: mss }) });
    const back = run(h, synack);
    const o6 = fwd(back.r, back.buf);
    expect(u16(o6, 42)).toBe(40000);
    expect(u16(o6, 40 + 22)).toBe(1220); // lowestIpv6Mtu 1280 − 60
    expect(valid6(o6)).toBe(true);
    expect(h.tr.snapshot().mssClamped).toBe(2);
  });

  it('an MSS option at an odd offset (after a 3-byte option) is clamped with checksums that verify both ways', () => {
    // Found by translate-fuzz.test.ts: the value straddles two checksum words.
    const h = harness();
    const odd = new Uint8Array([3, 3, 7, 2, 4, 0x23, 0x28, 0]); // window scale, MSS 9000 at option offset 3, EOL
    const { r, buf } = run(h, ipv6({ nh: 6, src: CLIENT, dst: SERVER6, payload: tcp(40001, 80, 0x02, { options: odd }) }));
    const o = fwd(r, buf);
    expect(u16(o, 20 + 25)).toBe(1460);
    expect(valid4(o)).toBe(true);
    const synack = ipv4({ proto: 6, src: '192.0.2.33', dst: '198.51.100.1', payload: tcp(80, u16(o, 20), 0x12, { options: odd }) });
    const back = run(h, synack);
    const o6 = fwd(back.r, back.buf);
    expect(u16(o6, 40 + 25)).toBe(1220);
    expect(valid6(o6)).toBe(true);
    expect(h.tr.snapshot().mssClamped).toBe(2);
  });

  it('a non-SYN without a session is dropped as tcp-no-session', () => {
    const h = harness();
    const { r } = run(h, ipv6({ nh: 6, src: CLIENT, dst: SERVER6, payload: tcp(40000, 80, 0x10) }));
    expect(r).toEqual({ kind: 'drop', reason: 'tcp-no-session' });
  });
});

describe('ICMP echo (E1, E2, H1)', () => {
  it('ICMPv6 echo request → ICMPv4 8/0 with the identifier through the BIB, and the reply back', () => {
    const h = harness();
    const { r, buf } = run(h, ipv6({ nh: 58, src: CLIENT, dst: SERVER6, payload: icmp(128, 0, (0x4321 << 16) | 7, 56) }));
    const o = fwd(r, buf);
    expect(o[9]).toBe(1);
    expect(o[20]).toBe(8);
    expect(o[21]).toBe(0);
    expect(u16(o, 26)).toBe(7); // sequence kept
    expect(valid4(o)).toBe(true);
    const id4 = u16(o, 24);
    const [s] = h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).items;
    expect(s?.expiresInMs).toBe(60_000);
    const rep = ipv4({ proto: 1, src: '192.0.2.33', dst: '198.51.100.1', payload: icmp(0, 0, (id4 << 16) | 7, 56) });
    const back = run(h, rep);
    const o6 = fwd(back.r, back.buf);
    expect(o6[6]).toBe(58);
    expect(o6[40]).toBe(129);
    expect(u16(o6, 44)).toBe(0x4321);
    expect(valid6(o6)).toBe(true);
  });
});

describe('hop limit / TTL expiry (B4, C7)', () => {
  it('C7: hop limit 1 → ICMPv6 3/0 from prefix + own address', () => {
    const h = harness();
    const pkt = ipv6({ nh: 17, hop: 1, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 20) });
    const { r } = run(h, pkt);
    expect(r.kind).toBe('reply');
    if (r.kind !== 'reply') return;
    const o = h.out.slice(r.offset, r.offset + r.length);
    expect(r.reason).toBe('ttl-expired');
    expect(formatIpv6(o, 8)).toBe('64:ff9b:1::c633:6401');
    expect(formatIpv6(o, 24)).toBe(CLIENT);
    expect(o[40]).toBe(3);
    expect(o[41]).toBe(0);
    expect(o.subarray(48)).toEqual(pkt);
    expect(valid6(o)).toBe(true);
    expect(h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).total).toBe(0);
  });

  it('C7: no time exceeded for an ICMPv6 error', () => {
    const h = harness();
    const inner = ipv6({ nh: 17, src: SERVER6, dst: CLIENT, payload: udp(53, 1212, 4) });
    const { r } = run(h, ipv6({ nh: 58, hop: 1, src: CLIENT, dst: SERVER6, payload: icmp(1, 4, 0, inner) }));
    expect(r).toEqual({ kind: 'drop', reason: 'ttl-expired' });
  });

  it('B4: TTL 1 → ICMPv4 11/0 from the own IPv4 address, quoting the packet', () => {
    const h = harness();
    run(h, ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 20) }));
    const pkt = ipv4({ proto: 17, ttl: 1, src: '192.0.2.33', dst: '198.51.100.1', payload: udp(53, 1, 4) });
    const { r } = run(h, pkt);
    expect(r.kind).toBe('reply');
    if (r.kind !== 'reply') return;
    const o = h.out.slice(r.offset, r.offset + r.length);
    expect(formatIpv4(u32(o, 12))).toBe('198.51.100.1');
    expect(formatIpv4(u32(o, 16))).toBe('192.0.2.33');
    expect([o[20], o[21]]).toEqual([11, 0]);
    expect(o.subarray(28)).toEqual(pkt);
    expect(valid4(o)).toBe(true);
  });
});
