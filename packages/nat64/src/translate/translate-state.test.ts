// Rows H (stateful NAT64, RFC 6146) at the translator level, plus policy,
// limits and prefix changes. Packets from @sixgate/testkit.
import { parseIpv4, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { buildIpv4Tcp, buildIpv4Udp, buildIpv6Icmp, buildIpv6Tcp, buildIpv6Udp, type Packet, TCP_FLAG } from '@sixgate/testkit';
import { finish, pseudoHeaderSum6, sum, u16, u32 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { Policy, parsePolicyRules } from '../policy.js';
import { TCP, UDP } from '../state/api.js';
import { valid4, valid6 } from './test-packets.js';
import { CLIENT, harness, type Harness, OWN6, SERVER4, SERVER6 } from './test-setup.js';

const POOL_ADDR = '198.51.100.1';
const ROOM = { headroom: 64, tailroom: 64 };

function tr(h: Harness, p: Packet): ReturnType<Harness['tr']['translate']> {
  return h.tr.translate(p.buf, p.off, p.len, h.out, 0);
}
function fwdOf(h: Harness, p: Packet): Uint8Array {
  const r = tr(h, p);
  if (r.kind !== 'forward') throw new Error(`expected forward, got ${r.kind} ${'reason' in r ? r.reason : ''}`);
  return p.buf.slice(r.offset, r.offset + r.length);
}
const v6udp = (sport = 1212, dport = 53, src = CLIENT, dst = SERVER6): Packet => buildIpv6Udp({ src, dst, sport, dport, payload: new Uint8Array(12), ...ROOM });
const v4udp = (dport: number, src = SERVER4, sport = 53): Packet => buildIpv4Udp({ src, dst: POOL_ADDR, sport, dport, payload: new Uint8Array(12), ...ROOM });

describe('H: stateful behaviour through the translator', () => {
  it('H3: IPv4 to pool4 with no binding is dropped silently (no-binding)', () => {
    const h = harness();
    const r = tr(h, v4udp(40000));
    expect(r).toEqual({ kind: 'drop', reason: 'no-binding' });
    expect(h.tr.snapshot().drops['no-binding']).toBe(1);
  });

  it('H4: v6 SYN → transitory 4 min; v4 SYN/ACK → established 7440 s', () => {
    const h = harness();
    const syn = fwdOf(h, buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 5000, dport: 80, flags: TCP_FLAG.SYN, ...ROOM }));
    const life = (): number => h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).items[0]!.expiresInMs;
    expect(life()).toBe(240_000);
    fwdOf(h, buildIpv4Tcp({ src: SERVER4, dst: POOL_ADDR, sport: 80, dport: u16(syn, 20), flags: TCP_FLAG.SYN | TCP_FLAG.ACK, ...ROOM }));
    expect(life()).toBe(7_440_000);
  });

  it('H5: an IPv4 SYN with no binding is held; after 6 s tick() answers ICMPv4 3/3 quoting it', () => {
    const h = harness();
    const syn = buildIpv4Tcp({ src: SERVER4, dst: POOL_ADDR, sport: 80, dport: 2600, flags: TCP_FLAG.SYN, ...ROOM });
    const original = syn.bytes.slice();
    expect(tr(h, syn)).toEqual({ kind: 'drop', reason: 'syn-held' });
    expect(h.tr.tick()).toEqual([]);
    h.clock.advance(6_001);
    const replies = h.tr.tick();
    expect(replies).toHaveLength(1);
    const o = replies[0]!;
    expect([o[20], o[21]]).toEqual([3, 3]);
    expect(u32(o, 16)).toBe(parseIpv4(SERVER4));
    expect(o.subarray(28)).toEqual(original);
    expect(valid4(o)).toBe(true);
    const s = h.tr.snapshot();
    expect(s.expiredSynReplies).toBe(1);
    expect(s.drops['syn-held']).toBe(1);
  });

  it('H6: a v6 SYN within 6 s completes the simultaneous open on the awaited port', () => {
    const h = harness();
    expect(tr(h, buildIpv4Tcp({ src: '192.0.2.5', dst: POOL_ADDR, sport: 2601, dport: 2600, flags: TCP_FLAG.SYN, ...ROOM })).kind).toBe('drop');
    const o = fwdOf(h, buildIpv6Tcp({ src: '2001:db8::5', dst: '64:ff9b:1::c000:205', sport: 2600, dport: 2601, flags: TCP_FLAG.SYN, ...ROOM }));
    expect(u16(o, 20)).toBe(2600);
    expect(u32(o, 12)).toBe(parseIpv4(POOL_ADDR));
    expect(valid4(o)).toBe(true);
  });

  it('H7: hairpin to a static binding arrives at the other IPv6 host from prefix + pool4#mapped port', () => {
    const h = harness();
    h.st.addStatic(UDP, parseIpv6('2001:db8::80'), 80, parseIpv4(POOL_ADDR), 8080);
    const p = buildIpv6Udp({ src: CLIENT, dst: OWN6, sport: 1212, dport: 8080, payload: new Uint8Array(20), ...ROOM });
    const o = fwdOf(h, p);
    expect(o[0]! >> 4).toBe(6);
    expect(o.subarray(24, 40)).toEqual(parseIpv6('2001:db8::80'));
    expect(u16(o, 42)).toBe(80);
    expect(o[7]).toBe(63); // one hop through the translator, not two
    expect(o.subarray(8, 20)).toEqual(parseIpv6(OWN6).subarray(0, 12));
    const [client] = h.st.listSessions({ limit: 10, offset: 0 }, h.tr.prefix).items.filter((s) => s.ipv6Client.startsWith('[2001:db8::2]'));
    expect(client!.ipv4Local).toBe(`${POOL_ADDR}:${u16(o, 40)}`);
    expect(valid6(o)).toBe(true);
    expect(h.tr.snapshot().hairpinned).toBe(1);
  });

  it('H7 under the well-known prefix with a non-global pool4: hairpinning still works', () => {
    const h = harness({ prefix: parseNat64Prefix('64:ff9b::/96') });
    h.st.addStatic(UDP, parseIpv6('2001:db8::80'), 80, parseIpv4(POOL_ADDR), 8080);
    const o = fwdOf(h, buildIpv6Udp({ src: CLIENT, dst: '64:ff9b::c633:6401', sport: 1212, dport: 8080, ...ROOM }));
    expect(o.subarray(24, 40)).toEqual(parseIpv6('2001:db8::80'));
    expect(o.subarray(8, 24)).toEqual(parseIpv6('64:ff9b::c633:6401'));
    // …while other non-global destinations stay refused (A2).
    expect(tr(h, buildIpv6Udp({ src: CLIENT, dst: '64:ff9b::c633:6409', ...ROOM }))).toEqual({ kind: 'drop', reason: 'non-global-ipv4' });
  });

  it('H8: hairpin with no binding → ICMPv6 1/4 from the translator', () => {
    const h = harness();
    const p = buildIpv6Udp({ src: CLIENT, dst: OWN6, sport: 1212, dport: 9999, ...ROOM });
    const r = tr(h, p);
    expect(r.kind === 'reply' && r.reason).toBe('hairpin-no-binding');
    if (r.kind !== 'reply') return;
    const o = h.out.subarray(r.offset, r.offset + r.length);
    expect([o[40], o[41]]).toEqual([1, 4]);
    expect(o.subarray(8, 24)).toEqual(parseIpv6(OWN6));
  });

  it('H12: address-dependent filtering refuses an unknown remote with ICMPv4 3/13', () => {
    const h = harness({}, { addressDependentFiltering: true });
    const port4 = u16(fwdOf(h, v6udp()), 20);
    expect(tr(h, v4udp(port4)).kind).toBe('forward');
    const r = tr(h, v4udp(port4, '192.0.2.99'));
    expect(r.kind === 'reply' && r.reason).toBe('filtered');
    if (r.kind !== 'reply') return;
    expect([h.out[r.offset + 20], h.out[r.offset + 21]]).toEqual([3, 13]);
  });

  it('H13: dropExternallyInitiatedTcp drops an IPv4 SYN to a static binding silently', () => {
    const h = harness({}, { dropExternallyInitiatedTcp: true });
    h.st.addStatic(TCP, parseIpv6('2001:db8::80'), 80, parseIpv4(POOL_ADDR), 8080);
    expect(tr(h, buildIpv4Tcp({ src: SERVER4, dst: POOL_ADDR, sport: 4000, dport: 8080, flags: TCP_FLAG.SYN, ...ROOM }))).toEqual({
      kind: 'drop',
      reason: 'external-tcp',
    });
  });

  it('H15: after 5 min idle the UDP session and binding are gone', () => {
    const h = harness();
    const port4 = u16(fwdOf(h, v6udp()), 20);
    h.clock.advance(299_000);
    h.tr.tick();
    expect(tr(h, v4udp(port4)).kind).toBe('forward');
    h.clock.advance(300_001);
    h.tr.tick();
    expect(tr(h, v4udp(port4))).toEqual({ kind: 'drop', reason: 'no-binding' });
    expect(h.st.listBib()).toEqual([]);
  });
});

describe('policy and limits → ICMPv6 1/1 to the client', () => {
  it('with the real Policy: a deny rule refuses new flows (each attempt is a hit, established packets are not), and setPolicy swaps rules', () => {
    const h = harness();
    const port4 = u16(fwdOf(h, v6udp(1000)), 20);
    const deny = new Policy(parsePolicyRules([{ id: 'no-dns', action: 'deny', destination4: '192.0.2.0/24', protocol: 'udp', ports: '53' }]));
    h.tr.setPolicy(deny);
    expect(tr(h, v6udp(1000)).kind).toBe('forward'); // existing session: not asked
    expect(tr(h, v4udp(port4)).kind).toBe('forward');
    for (let i = 0; i < 3; i++) expect(tr(h, v6udp(1001)).kind).toBe('reply');
    expect(deny.hits()).toEqual([{ id: 'no-dns', action: 'deny', hits: 3 }]);
    expect(tr(h, v6udp(1001, 123)).kind).toBe('forward'); // other port
    h.tr.setPolicy(new Policy([]));
    expect(tr(h, v6udp(1001)).kind).toBe('forward');
  });

  it('an empty policy is never consulted', () => {
    const h = harness();
    const calls = { n: 0 };
    h.tr.setPolicy({ check: () => (calls.n++, 0), rules: () => [] });
    expect(tr(h, v6udp()).kind).toBe('forward');
    expect(calls.n).toBe(0);
  });

  it('a deny rule answers 1/1 and creates no session; other destinations pass', () => {
    const h = harness();
    h.policy.deny.add(parseIpv4(SERVER4));
    const r = tr(h, v6udp());
    expect(r.kind === 'reply' && r.reason).toBe('policy-deny');
    if (r.kind === 'reply') expect([h.out[r.offset + 40], h.out[r.offset + 41]]).toEqual([1, 1]);
    expect(h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).total).toBe(0);
    expect(tr(h, v6udp(1212, 53, CLIENT, '64:ff9b:1::c000:222')).kind).toBe('forward');
  });

  it.each([
    { name: 'pool exhausted', reason: 'pool-exhausted', state: {}, pool: true },
    { name: 'session limit', reason: 'session-limit', state: { maxSessions: 1 }, pool: false },
    { name: 'client session limit', reason: 'client-session-limit', state: { maxSessionsPerClient: 1 }, pool: false },
  ] as const)('$name → $reason with ICMPv6 1/1; existing flows continue', ({ reason, state, pool }) => {
    const h = pool ? harnessWithPorts() : harness({}, state);
    const port4 = u16(fwdOf(h, v6udp(1000)), 20);
    const r = tr(h, v6udp(1001));
    expect(r.kind === 'reply' && r.reason).toBe(reason);
    expect(h.tr.snapshot().drops[reason]).toBe(1);
    expect(tr(h, v4udp(port4)).kind).toBe('forward');
    expect(tr(h, v6udp(1000)).kind).toBe('forward');
  });
});

/** pool4 of one address with a single UDP port. */
function harnessWithPorts(): Harness {
  return harness({}, { pool4: [{ cidr: { address: parseIpv4('198.51.100.1'), length: 32 }, ports: { udp: [2000, 2000] } }] });
}

describe('setPrefix', () => {
  it('flushes sessions and translates under the new prefix only', () => {
    const h = harness();
    fwdOf(h, v6udp());
    expect(h.tr.setPrefix(parseNat64Prefix('2001:db8:64::/96'))).toBe(1);
    expect(h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).total).toBe(0);
    expect(tr(h, v6udp())).toEqual({ kind: 'drop', reason: 'not-nat64-destination' });
    const o = fwdOf(h, v6udp(1212, 53, CLIENT, '2001:db8:64::c000:221'));
    expect(u32(o, 16)).toBe(parseIpv4(SERVER4));
    const r = tr(h, buildIpv6Udp({ src: CLIENT, dst: '2001:db8:64::c000:221', hopLimit: 1, ...ROOM }));
    expect(r.kind).toBe('reply');
    if (r.kind === 'reply') expect(h.out.subarray(r.offset + 8, r.offset + 24)).toEqual(parseIpv6('2001:db8:64::c633:6401'));
  });
});

describe('H11: ICMP errors across a hairpin', () => {
  it('a packet too big (MTU 1200) from the hairpinned server reaches the client as PTB 1280 with the inner tuple remapped', () => {
    const h = harness();
    h.st.addStatic(UDP, parseIpv6('2001:db8::80'), 80, parseIpv4(POOL_ADDR), 8080);
    const toB = fwdOf(h, buildIpv6Udp({ src: CLIENT, dst: OWN6, sport: 1212, dport: 8080, payload: new Uint8Array(100), ...ROOM }));
    // B answers with a PTB quoting what it received (source prefix + pool4#mapped port).
    const ptb = buildIpv6Icmp({ src: '2001:db8::80', dst: OWN6, type: 2, code: 0, mtu: 1200, payload: toB, ...ROOM });
    ptb.buf.set(toB.subarray(8, 24), ptb.off + 24); // outer destination = the inner source
    const o6 = fixIcmp6(ptb);
    const r = h.tr.translate(o6.buf, o6.off, o6.len, h.out, 0);
    expect(r.kind).toBe('forward-many');
    if (r.kind !== 'forward-many') return;
    const o = h.out.subarray(r.offsets[0]!, r.offsets[0]! + r.lengths[0]!);
    expect([o[40], o[41], u32(o, 44)]).toEqual([2, 0, 1280]);
    expect(o.subarray(24, 40)).toEqual(parseIpv6(CLIENT));
    const inner = o.subarray(48);
    expect(inner.subarray(8, 24)).toEqual(parseIpv6(CLIENT));
    expect(u16(inner, 40)).toBe(1212);
    expect(inner.subarray(24, 40)).toEqual(parseIpv6(OWN6));
    expect(u16(inner, 42)).toBe(8080);
    expect(valid6(o)).toBe(true);
    expect(valid6(inner)).toBe(true);
  });
});

/** Recomputes the ICMPv6 checksum of a testkit packet after its addresses were edited. */
function fixIcmp6(p: Packet): Packet {
  const b = p.bytes;
  b[42] = 0;
  b[43] = 0;
  const c = finish(sum(b, 40, b.length, pseudoHeaderSum6(b, 8, 24, 58, b.length - 40)));
  b[42] = c >> 8;
  b[43] = c & 0xff;
  return p;
}

describe('H14: endpoint-independent mapping seen through the translator', () => {
  it('two flows from one socket share the pool4 address and port; another socket of the host keeps the address', () => {
    const h = harness();
    const a = fwdOf(h, v6udp(1212, 53));
    const b = fwdOf(h, v6udp(1212, 123, CLIENT, '64:ff9b:1::c000:222'));
    const c = fwdOf(h, v6udp(1213, 53));
    expect([u32(b, 12), u16(b, 20)]).toEqual([u32(a, 12), u16(a, 20)]);
    expect(u32(c, 12)).toBe(u32(a, 12));
    expect(u16(c, 20)).not.toBe(u16(a, 20));
  });
});
