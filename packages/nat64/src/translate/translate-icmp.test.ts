// Rows E (ICMP type/code mapping) and F (ICMP error payload) of
// reference/nat64-behaviours.md, plus H9/H10 (PMTU about a session).
import { formatIpv4, parseIpv6 } from '@sixgate/addressing';
import { u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { mapIcmp4Error, mapIcmp6Error, mapPointer4to6, mapPointer6to4, mtu4to6, mtu6to4 } from './icmp-map.js';
import { fill, icmp, ipv4, ipv6, udp, valid4, valid6 } from './test-packets.js';
import { CLIENT, harness, type Harness, many, openUdp, OWN4, run, SERVER4, SERVER6 } from './test-setup.js';

const POOL_ADDR = '198.51.100.1';

/** The IPv4 packet the translator sent for CLIENT#1212 → SERVER#53, `n` data bytes. */
const inner4 = (port4: number, n: number): Uint8Array => ipv4({ proto: 17, ttl: 63, src: POOL_ADDR, dst: SERVER4, payload: udp(port4, 53, n) });
/** The IPv6 packet the translator sent for SERVER#53 → CLIENT#1212, `n` data bytes. */
const inner6 = (n: number): Uint8Array => ipv6({ nh: 17, hop: 63, src: SERVER6, dst: CLIENT, payload: udp(53, 1212, n) });

/** ICMPv4 error from `src` to pool4. */
function err4(type: number, code: number, rest: number, body: Uint8Array, src = SERVER4): Uint8Array {
  return ipv4({ proto: 1, ttl: 40, src, dst: POOL_ADDR, payload: icmp(type, code, rest, body) });
}

/** ICMPv6 error from `src` to prefix + server. */
function err6(type: number, code: number, rest: number, body: Uint8Array, src = CLIENT): Uint8Array {
  return ipv6({ nh: 58, hop: 40, src, dst: SERVER6, payload: icmp(type, code, rest, body) });
}

function one(h: Harness, pkt: Uint8Array): Uint8Array {
  const list = many(h, run(h, pkt).r);
  expect(list).toHaveLength(1);
  return list[0]!;
}

describe('E: type/code tables (RFC 7915 §4.2, §5.2)', () => {
  it.each([
    { name: 'E5 3/0', t: 3, c: 0, e: [1, 0] }, { name: 'E5 3/1', t: 3, c: 1, e: [1, 0] }, { name: 'E5 3/5', t: 3, c: 5, e: [1, 0] },
    { name: 'E5 3/6', t: 3, c: 6, e: [1, 0] }, { name: 'E5 3/7', t: 3, c: 7, e: [1, 0] }, { name: 'E5 3/8', t: 3, c: 8, e: [1, 0] },
    { name: 'E5 3/11', t: 3, c: 11, e: [1, 0] }, { name: 'E5 3/12', t: 3, c: 12, e: [1, 0] },
    { name: 'E6 3/9', t: 3, c: 9, e: [1, 1] }, { name: 'E6 3/10', t: 3, c: 10, e: [1, 1] }, { name: 'E6 3/13', t: 3, c: 13, e: [1, 1] },
    { name: 'E6 3/15', t: 3, c: 15, e: [1, 1] }, { name: 'E6 3/3', t: 3, c: 3, e: [1, 4] }, { name: 'E6 3/14', t: 3, c: 14, e: null },
    { name: 'E7 3/2', t: 3, c: 2, e: [4, 1] }, { name: 'E8 3/4', t: 3, c: 4, e: [2, 0] },
    { name: 'E11 11/0', t: 11, c: 0, e: [3, 0] }, { name: 'E11 11/1', t: 11, c: 1, e: [3, 1] },
    { name: 'E10 12/0', t: 12, c: 0, e: [4, 0] }, { name: 'E10 12/1', t: 12, c: 1, e: null }, { name: 'E10 12/2', t: 12, c: 2, e: [4, 0] },
    { name: 'E3 4/0', t: 4, c: 0, e: null }, { name: 'E3 5/0', t: 5, c: 0, e: null },
  ])('ICMPv4 $name', ({ t, c, e }) => {
    const m = mapIcmp4Error(t, c);
    expect(m < 0 ? null : [m >> 8, m & 0xff]).toEqual(e);
  });

  it.each([
    { name: 'E12 1/0', t: 1, c: 0, e: [3, 1] }, { name: 'E12 1/2', t: 1, c: 2, e: [3, 1] }, { name: 'E12 1/3', t: 1, c: 3, e: [3, 1] },
    { name: 'E12 1/1', t: 1, c: 1, e: [3, 10] }, { name: 'E12 1/4', t: 1, c: 4, e: [3, 3] }, { name: 'E13 2/0', t: 2, c: 0, e: [3, 4] },
    { name: 'E14 3/0', t: 3, c: 0, e: [11, 0] }, { name: 'E14 3/1', t: 3, c: 1, e: [11, 1] },
    { name: 'E15 4/0', t: 4, c: 0, e: [12, 0] }, { name: 'E16 4/1', t: 4, c: 1, e: [3, 2] }, { name: 'E16 4/2', t: 4, c: 2, e: null },
    { name: 'E4 100/0', t: 100, c: 0, e: null },
  ])('ICMPv6 $name', ({ t, c, e }) => {
    const m = mapIcmp6Error(t, c);
    expect(m < 0 ? null : [m >> 8, m & 0xff]).toEqual(e);
  });

  it('E10: IPv4 pointers → IPv6 pointers, the rest dropped', () => {
    const got = [0, 1, 2, 3, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19].map(mapPointer4to6);
    expect(got).toEqual([0, 1, 4, 4, 7, 6, 8, 8, 8, 8, 24, 24, 24, 24]);
    expect([4, 5, 6, 7, 10, 11].map(mapPointer4to6)).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('E15: IPv6 pointers → IPv4 pointers, 2–3 and ≥ 40 dropped', () => {
    expect([0, 1, 4, 5, 6, 7, 8, 23, 24, 39].map(mapPointer6to4)).toEqual([0, 1, 2, 2, 9, 8, 12, 12, 16, 16]);
    expect([2, 3, 40, 41].map(mapPointer6to4)).toEqual([-1, -1, -1, -1]);
  });

  it('E8: MTU 1440/1496/1024/1600 → 1460/1500/1280/1500 (translator MTUs 1500)', () => {
    expect([1440, 1496, 1024, 1600].map((m) => mtu4to6(m, 1500, 1500, 1500))).toEqual([1460, 1500, 1280, 1500]);
    expect(mtu4to6(1300, 1500, 1500, 1500)).toBe(1320);
  });

  it('E9: MTU 0 uses the plateau below the inner total length', () => {
    expect(mtu4to6(0, 1500, 9000, 9000)).toBe(1492 + 20);
    expect(mtu4to6(0, 4000, 9000, 9000)).toBe(2002 + 20);
    expect(mtu4to6(0, 1000, 1500, 1500)).toBe(1280);
  });

  it('E13: PTB 1300/1360/1600 → 1280/1340/1480', () => {
    expect([1300, 1360, 1600].map((m) => mtu6to4(m, 1500, 1500))).toEqual([1280, 1340, 1480]);
    expect(mtu6to4(1400, 1500, 1500)).toBe(1380);
  });

  it('E3: informational ICMPv4 types are dropped silently and counted', () => {
    const h = harness();
    openUdp(h);
    for (const t of [6, 7, 9, 10, 13, 14, 15, 16, 17, 18, 42, 43]) {
      expect(run(h, ipv4({ proto: 1, src: SERVER4, dst: POOL_ADDR, payload: icmp(t, 0, 0, 8) })).r).toEqual({ kind: 'drop', reason: 'icmp-untranslatable' });
    }
  });
});

describe('ICMPv4 errors about a session → ICMPv6 (E, F, H9)', () => {
  it('F1: 400 B error → 440 B, inner translated, inner hop limit kept, outer decremented', () => {
    const h = harness();
    const port4 = openUdp(h);
    const e = err4(3, 3, 0, inner4(port4, 400 - 56));
    expect(e.length).toBe(400);
    const o = one(h, e);
    expect(o.length).toBe(440);
    expect([o[40], o[41]]).toEqual([1, 4]);
    expect(o[7]).toBe(39);
    expect(o.subarray(24, 40)).toEqual(parseIpv6(CLIENT));
    // inner IPv6: CLIENT#1212 → SERVER6#53, hop limit 63, valid UDP checksum
    const inner = o.subarray(48);
    expect(inner[7]).toBe(63);
    expect(inner.subarray(8, 24)).toEqual(parseIpv6(CLIENT));
    expect(inner.subarray(24, 40)).toEqual(parseIpv6(SERVER6));
    expect(u16(inner, 40)).toBe(1212);
    expect(u16(inner, 4)).toBe(400 - 48);
    expect(valid6(inner)).toBe(true);
    expect(valid6(o)).toBe(true);
    expect(h.tr.snapshot().icmpErrorsTranslated).toBe(1);
  });

  it.each([{ lowest: 1280 }, { lowest: 1500 }])('F2: a 1500 B error is capped at 1280 B (lowestIpv6Mtu $lowest)', ({ lowest }) => {
    const h = harness({ lowestIpv6Mtu: lowest });
    const port4 = openUdp(h);
    const o = one(h, err4(11, 0, 0, inner4(port4, 1500 - 56)));
    expect(o.length).toBe(1280);
    expect(u16(o, 4)).toBe(1240);
    expect([o[40], o[41]]).toEqual([3, 0]);
    expect(valid6(o)).toBe(true);
  });

  it('E7: 3/2 → 4/1 with pointer 6', () => {
    const h = harness();
    const o = one(h, err4(3, 2, 0, inner4(openUdp(h), 8)));
    expect([o[40], o[41], u32(o, 44)]).toEqual([4, 1, 6]);
  });

  it('E10: 12/0 pointer 8 → 4/0 pointer 7; pointer 5 is dropped', () => {
    const h = harness();
    const port4 = openUdp(h);
    const o = one(h, err4(12, 0, 8 << 24, inner4(port4, 8)));
    expect([o[40], o[41], u32(o, 44)]).toEqual([4, 0, 7]);
    expect(run(h, err4(12, 0, 5 << 24, inner4(port4, 8))).r).toEqual({ kind: 'drop', reason: 'icmp-untranslatable' });
  });

  it('H9: fragmentation needed (MTU 1400) → packet too big 1420; inner is the IPv6 original', () => {
    const h = harness();
    const o = one(h, err4(3, 4, 1400, inner4(openUdp(h), 100)));
    expect([o[40], o[41], u32(o, 44)]).toEqual([2, 0, 1420]);
    expect(u16(o, 48 + 40)).toBe(1212);
  });

  it('F5: an error about an ICMP error is dropped', () => {
    const h = harness();
    const port4 = openUdp(h);
    const nested = ipv4({ proto: 1, src: POOL_ADDR, dst: SERVER4, payload: icmp(3, 3, 0, inner4(port4, 8)) });
    expect(run(h, err4(3, 1, 0, nested)).r).toEqual({ kind: 'drop', reason: 'icmp-error-inner' });
  });

  it('an error about no session is dropped and counted', () => {
    const h = harness();
    openUdp(h);
    expect(run(h, err4(3, 1, 0, inner4(4444, 8))).r).toEqual({ kind: 'drop', reason: 'icmp-error-no-session' });
  });

  it.each([
    { name: 'on', better: true, src: '64:ff9b:1::c000:205' },
    { name: 'off', better: false, src: SERVER6 },
  ])('F11: sourceIcmpErrorsBetter $name', ({ better, src }) => {
    const h = harness({ sourceIcmpErrorsBetter: better });
    const o = one(h, err4(11, 0, 0, inner4(openUdp(h), 8), '192.0.2.5'));
    expect(o.subarray(8, 24)).toEqual(parseIpv6(src));
  });

  it.each([{ src: '127.0.0.1' }, { src: '0.0.0.0' }])('F6: outer source $src is still translated (source = prefix + inner destination)', ({ src }) => {
    const h = harness();
    const o = one(h, err4(3, 1, 0, inner4(openUdp(h), 8), src));
    expect(o.subarray(8, 24)).toEqual(parseIpv6(SERVER6));
    expect(valid6(o)).toBe(true);
  });

  it('F7: RFC 4884 length 33 (4-byte units) → 19 (8-byte units), extension copied opaquely', () => {
    const h = harness();
    const port4 = openUdp(h);
    const datagram = inner4(port4, 132 - 28);
    const ext = new Uint8Array([0x20, 0, 0, 0, 0, 8, 1, 1, 1, 2, 3, 4]);
    const body = new Uint8Array([...datagram, ...ext]);
    const o = one(h, err4(3, 1, 33 << 16, body));
    expect(o[44]).toBe(19);
    expect(o.subarray(48 + 152)).toEqual(ext);
    expect(valid6(o)).toBe(true);
  });

  it('F8: a 102 B datagram (+26 B pad) becomes 122 B + 6 B pad, length 16', () => {
    const h = harness();
    const port4 = openUdp(h);
    const datagram = inner4(port4, 102 - 28);
    const ext = fill(16);
    const body = new Uint8Array([...datagram, ...new Uint8Array(26), ...ext]);
    const o = one(h, err4(3, 1, 32 << 16, body));
    expect(o[44]).toBe(16);
    expect(o.subarray(48 + 122, 48 + 128)).toEqual(new Uint8Array(6));
    expect(o.subarray(48 + 128)).toEqual(ext);
  });

  it('F9: under the cap the extension survives whole and the datagram is cut to a unit multiple', () => {
    const h = harness();
    const port4 = openUdp(h);
    const datagram = inner4(port4, 1000 - 28);
    const ext = fill(300);
    const o = one(h, err4(3, 1, 250 << 16, new Uint8Array([...datagram, ...ext])));
    // 1020 B translated + 300 B extension > 1232 B available: cut to (1232 − 300) rounded down to 8.
    expect(o.length).toBe(48 + 928 + 300);
    expect(o[44]! * 8).toBe(928);
    expect(o.subarray(48 + 928)).toEqual(ext);
    expect(valid6(o)).toBe(true);
  });

  it('F9: an extension that cannot fit is dropped whole and the length zeroed', () => {
    const h = harness();
    const port4 = openUdp(h);
    const datagram = inner4(port4, 200 - 28);
    const ext = fill(1200);
    const o = one(h, err4(3, 1, 50 << 16, new Uint8Array([...datagram, ...ext])));
    expect(o[44]).toBe(0);
    expect(o.length).toBe(48 + 220);
  });
});

describe('ICMPv6 errors about a session → ICMPv4 (E, F, H10)', () => {
  it('F3: 400 B error → 360 B; inner IPv4 with DF=0 and TTL kept; source = pool4 address', () => {
    const h = harness();
    const port4 = openUdp(h);
    const e = err6(1, 4, 0, inner6(400 - 96));
    expect(e.length).toBe(400);
    const o = one(h, e);
    expect(o.length).toBe(360);
    expect([o[20], o[21]]).toEqual([3, 3]);
    expect(formatIpv4(u32(o, 12))).toBe(POOL_ADDR);
    expect(formatIpv4(u32(o, 16))).toBe(SERVER4);
    expect(o[8]).toBe(39);
    const inner = o.subarray(28);
    expect(u16(inner, 6)).toBe(0);
    expect(inner[8]).toBe(63);
    expect(formatIpv4(u32(inner, 12))).toBe(SERVER4);
    expect(formatIpv4(u32(inner, 16))).toBe(POOL_ADDR);
    expect(u16(inner, 22)).toBe(port4);
    expect(valid4(inner)).toBe(true);
    expect(valid4(o)).toBe(true);
  });

  it('F4: a 700 B error is capped at 576 B', () => {
    const h = harness();
    openUdp(h);
    const o = one(h, err6(3, 0, 0, inner6(700 - 96)));
    expect(o.length).toBe(576);
    expect([o[20], o[21]]).toEqual([11, 0]);
    expect(valid4(o)).toBe(true);
  });

  it('H10: packet too big 1400 → fragmentation needed 1380, inner port = pool4 mapping', () => {
    const h = harness();
    const port4 = openUdp(h);
    const o = one(h, err6(2, 0, 1400, inner6(100)));
    expect([o[20], o[21], u16(o, 26)]).toEqual([3, 4, 1380]);
    expect(u16(o, 28 + 22)).toBe(port4);
  });

  it('E15: parameter problem pointer 7 → 12/0 pointer 8', () => {
    const h = harness();
    openUdp(h);
    const o = one(h, err6(4, 0, 7, inner6(8)));
    expect([o[20], o[21], o[24]]).toEqual([12, 0, 8]);
  });

  // Inner Fragment headers (44) are translated: translate-icmp-fragments.test.ts.
  it.each([{ nh: 0 }, { nh: 43 }, { nh: 60 }])('F5: inner next header $nh is dropped', ({ nh }) => {
    const h = harness();
    openUdp(h);
    const inner = ipv6({ nh, src: SERVER6, dst: CLIENT, payload: new Uint8Array(16), keepChecksum: true });
    expect(run(h, err6(1, 0, 0, inner)).r).toEqual({ kind: 'drop', reason: 'icmp-error-inner' });
  });

  it.each([
    { name: 'RFC 6791 pool', pool: ['203.0.113.8'], src: '203.0.113.8' },
    { name: 'empty pool: own address', pool: [], src: OWN4 },
  ])('F10: an error from a router that is not the client is sourced from the $name', ({ pool, src }) => {
    const h = harness({ rfc6791Pool: pool });
    openUdp(h);
    const o = one(h, err6(1, 0, 0, inner6(8), '2001:db8:ffff::1'));
    expect(formatIpv4(u32(o, 12))).toBe(src);
  });

  it('F10: a multi-address RFC 6791 pool always yields one of its addresses', () => {
    const pool = ['203.0.113.8', '203.0.113.9', '203.0.113.10'];
    for (const router of ['2001:db8:ffff::1', '2001:db8:7fff::8000:1', '2001:db8:ffff:ffff::ffff']) {
      const h = harness({ rfc6791Pool: pool });
      openUdp(h);
      const o = one(h, err6(1, 0, 0, inner6(8), router));
      expect(pool).toContain(formatIpv4(u32(o, 12)));
      expect(valid4(o)).toBe(true);
    }
  });

  it('F10: a prefix pool (RFC 6791 §3) gives a usable address of the prefix, the same one for the same router every time', () => {
    const h = harness({ rfc6791Pool: ['203.0.113.16/28', '192.0.2.77'] });
    openUdp(h);
    const usable = new Set([...Array.from({ length: 14 }, (_, i) => `203.0.113.${17 + i}`), '192.0.2.77']);
    const chosen = new Map<string, string>();
    for (let r = 0; r < 64; r++) {
      const router = `2001:db8:ffff:${r.toString(16)}::1`;
      const o = one(h, err6(1, 0, 0, inner6(8), router));
      const src = formatIpv4(u32(o, 12));
      expect(usable.has(src), `${router} → ${src}`).toBe(true); // never .16 (network) or .31 (broadcast)
      expect(valid4(o)).toBe(true);
      chosen.set(router, src);
    }
    // Deterministic per router: a second error from each gives the same source (one hop, one address).
    for (const [router, src] of chosen) expect(formatIpv4(u32(one(h, err6(1, 0, 0, inner6(8), router)), 12))).toBe(src);
    // Spread: 64 routers over 15 addresses use most of them.
    expect(new Set(chosen.values()).size).toBeGreaterThanOrEqual(10);
  });

  it('F10: a /31 and a /32 pool use every address', () => {
    const h = harness({ rfc6791Pool: ['192.0.2.254/31'] });
    openUdp(h);
    const seen = new Set<string>();
    for (let r = 0; r < 32; r++) seen.add(formatIpv4(u32(one(h, err6(1, 0, 0, inner6(8), `2001:db8:ffff::${(r + 1).toString(16)}`)), 12)));
    expect([...seen].sort()).toEqual(['192.0.2.254', '192.0.2.255']);
  });

  it('F8: ICMPv6 datagram of 122 B (length 16) → ICMPv4 102 B + 26 B pad, length 32', () => {
    const h = harness();
    openUdp(h);
    const datagram = inner6(122 - 48);
    const ext = fill(8);
    const o = one(h, err6(1, 0, 16 << 24, new Uint8Array([...datagram, ...new Uint8Array(6), ...ext])));
    expect(o[25]).toBe(32);
    expect(o.subarray(28 + 102, 28 + 128)).toEqual(new Uint8Array(26));
    expect(o.subarray(28 + 128)).toEqual(ext);
    expect(valid4(o)).toBe(true);
  });
});
