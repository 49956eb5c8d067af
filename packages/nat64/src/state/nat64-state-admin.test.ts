import { parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { ICMP, TCP, TCP_ACK, TCP_SYN, UDP, type Pool4Range, type StateEvent, type StateOptions } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';

class FakeClock {
  t = 42_000;
  now(): number {
    return this.t;
  }
}

const PREFIX = parseNat64Prefix('64:ff9b::/96');
const POOL: Pool4Range[] = [{ cidr: parseIpv4Cidr('198.51.100.0/30') }];
const P1 = parseIpv4('198.51.100.1');

function make(over: Partial<StateOptions> = {}, pool = POOL, clock = new FakeClock()): { st: Nat64State; clock: FakeClock } {
  return { st: new Nat64State(defaultStateOptions(pool, { portSecret: new Uint8Array(8).fill(9), ...over }), clock), clock };
}

const udp = (st: Nat64State, host: number, port: number, dst = '192.0.2.4'): number => st.outbound(UDP, parseIpv6(`2001:db8::${host}`), 0, port, parseIpv4(dst), 53, 0);

describe('static BIB entries', () => {
  it('publishes an IPv6 server, with a stable id, and survives expiry of its sessions', () => {
    const { st, clock } = make();
    const e = st.addStatic(TCP, parseIpv6('2001:db8::80'), 8080, P1, 80);
    expect(e).toEqual({ id: 'tcp-198.51.100.1-80', protocol: 'tcp', ipv6: '[2001:db8::80]:8080', ipv4: '198.51.100.1:80', static: true, sessions: 0 });
    expect(st.addStatic(TCP, parseIpv6('2001:db8::80'), 8080, P1, 80)).toEqual(e);
    const h = st.inbound(TCP, parseIpv4('192.0.2.9'), 5555, P1, 80, TCP_SYN, new Uint8Array(0));
    expect(st.port6(h)).toBe(8080);
    clock.t += 240_000;
    st.tick();
    expect(st.listBib()).toEqual([e]);
    expect(st.verify()).toEqual([]);
  });

  it('refuses conflicts, non-pool4 addresses and bad arguments with coded errors', () => {
    const { st } = make();
    st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, P1, 53);
    expect(() => st.addStatic(UDP, parseIpv6('2001:db8::81'), 53, P1, 53)).toThrow(expect.objectContaining({ code: 'ERR_STATE_CONFLICT' }));
    expect(() => st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, P1, 54)).toThrow(expect.objectContaining({ code: 'ERR_STATE_CONFLICT' }));
    const h = udp(st, 2, 1000);
    expect(() => st.addStatic(UDP, parseIpv6('2001:db8::9'), 1, st.addr4(h), st.port4(h))).toThrow(expect.objectContaining({ code: 'ERR_STATE_CONFLICT' }));
    expect(() => st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, parseIpv4('203.0.113.1'), 53)).toThrow(expect.objectContaining({ code: 'ERR_STATE_NOT_POOL4' }));
    expect(() => st.addStatic(UDP, new Uint8Array(4), 53, P1, 99)).toThrow(expect.objectContaining({ code: 'ERR_STATE_ARGUMENT' }));
    expect(() => st.addStatic(UDP, parseIpv6('2001:db8::80'), 70000, P1, 99)).toThrow(expect.objectContaining({ code: 'ERR_STATE_ARGUMENT' }));
    expect(() => st.addStatic(41 as 6, parseIpv6('2001:db8::80'), 1, P1, 99)).toThrow(expect.objectContaining({ code: 'ERR_STATE_ARGUMENT' }));
  });

  it('a static port inside the dynamic range is never handed out; removeStatic frees it and drops its sessions', () => {
    const pool = [{ cidr: parseIpv4Cidr('198.51.100.1/32'), ports: { udp: [2000, 2001] as [number, number] } }];
    const { st } = make({}, pool);
    const e = st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, P1, 2000);
    const h = udp(st, 2, 1000);
    expect(st.port4(h)).toBe(2001);
    expect(udp(st, 3, 1000)).toBeLessThan(0);
    st.inbound(UDP, parseIpv4('192.0.2.9'), 1, P1, 2000, 0, new Uint8Array(0));
    expect(st.removeStatic('udp-198.51.100.1-2001')).toBe(false); // dynamic
    expect(st.removeStatic('nonsense')).toBe(false);
    expect(st.removeStatic('udp-300.1.1.1-2000')).toBe(false);
    expect(st.removeStatic(e.id)).toBe(true);
    expect(st.removeStatic(e.id)).toBe(false);
    expect(st.stats().sessions.udp).toBe(1);
    expect(st.port4(udp(st, 3, 1000))).toBe(2000);
    expect(st.verify()).toEqual([]);
  });
});

describe('views', () => {
  it('listBib filters by protocol; listSessions pages with a total', () => {
    const { st } = make();
    for (let i = 1; i <= 5; i++) udp(st, i, 1000);
    st.outbound(ICMP, parseIpv6('2001:db8::1'), 0, 7, parseIpv4('192.0.2.4'), 7, 0);
    expect(st.listBib({ protocol: UDP })).toHaveLength(5);
    expect(st.listBib({ protocol: ICMP })).toHaveLength(1);
    expect(st.listBib()).toHaveLength(6);
    const page = st.listSessions({ protocol: UDP, limit: 2, offset: 3 }, PREFIX);
    expect(page.total).toBe(5);
    expect(page.items.map((i) => i.ipv6Client)).toEqual(['[2001:db8::4]:1000', '[2001:db8::5]:1000']);
    expect(st.listSessions({ limit: 0, offset: 0 }, PREFIX)).toEqual({ total: 6, items: [] });
    const icmp = st.listSessions({ protocol: ICMP, limit: 9, offset: 0 }, parseIpv6Cidr('2001:db8:64::/96')).items[0]!;
    expect(icmp.ipv6Server).toBe('[2001:db8:64::c000:204]:7');
    expect(() => st.listSessions({ limit: -1, offset: 0 }, PREFIX)).toThrow(expect.objectContaining({ code: 'ERR_STATE_ARGUMENT' }));
  });

  it('stats count sessions by protocol and TCP state, bindings and pool4 ports', () => {
    const { st } = make({}, [{ cidr: parseIpv4Cidr('198.51.100.0/31'), ports: { tcp: [1000, 1099], udp: [1000, 1009], icmp: [0, 9] } }]);
    udp(st, 1, 1);
    const t = st.outbound(TCP, parseIpv6('2001:db8::1'), 0, 2, parseIpv4('192.0.2.4'), 80, TCP_SYN);
    st.outbound(TCP, parseIpv6('2001:db8::1'), 0, 3, parseIpv4('192.0.2.4'), 80, TCP_SYN);
    st.inbound(TCP, parseIpv4('192.0.2.4'), 80, st.addr4(t), st.port4(t), TCP_SYN | TCP_ACK, new Uint8Array(0));
    expect(st.stats()).toEqual({
      sessions: {
        total: 3, tcp: 2, udp: 1, icmp: 0,
        'tcp-v6-init': 1, 'tcp-v4-init': 0, 'tcp-established': 1, 'tcp-v4-fin-rcv': 0, 'tcp-v6-fin-rcv': 0, 'tcp-v4-fin-v6-fin-rcv': 0, 'tcp-trans': 0,
      },
      bindings: 3,
      pool4Used: 3,
      pool4Size: 2 * (100 + 10 + 10),
    });
  });

  it('flush removes every session and dynamic binding, keeps static ones, and reports the reason', () => {
    const { st } = make();
    const events: StateEvent[] = [];
    st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, P1, 53);
    st.inbound(UDP, parseIpv4('192.0.2.9'), 1, P1, 53, 0, new Uint8Array(0));
    udp(st, 1, 1000);
    udp(st, 1, 1000, '192.0.2.5');
    st.onEvent = (e) => events.push(e);
    expect(st.flush('prefix-change')).toBe(3);
    expect(st.stats()).toMatchObject({ bindings: 1, sessions: { total: 0 }, pool4Used: 0 });
    expect(events.map((e) => [e.kind, e.reason])).toEqual(expect.arrayContaining([['session-removed', 'prefix-change'], ['bib-removed', 'prefix-change']]));
    expect(events.filter((e) => e.kind === 'session-removed')).toHaveLength(3);
    expect(events.filter((e) => e.kind === 'bib-removed')).toHaveLength(1);
    expect(st.verify()).toEqual([]);
  });
});

describe('events', () => {
  it('reports binding and session creation and expiry with text addresses', () => {
    const { st, clock } = make();
    const events: StateEvent[] = [];
    st.onEvent = (e) => events.push(e);
    const h = udp(st, 2, 1212);
    const ipv4 = `198.51.100.${st.addr4(h) & 3}:${st.port4(h)}`;
    clock.t += 300_000;
    st.tick();
    expect(events).toEqual([
      { kind: 'bib-created', at: 42_000, protocol: 'udp', ipv6: '[2001:db8::2]:1212', ipv4 },
      { kind: 'session-created', at: 42_000, protocol: 'udp', ipv6: '[2001:db8::2]:1212', ipv4, remote4: '192.0.2.4:53' },
      { kind: 'session-removed', at: 342_000, protocol: 'udp', ipv6: '[2001:db8::2]:1212', ipv4, remote4: '192.0.2.4:53', reason: 'expired' },
      { kind: 'bib-removed', at: 342_000, protocol: 'udp', ipv6: '[2001:db8::2]:1212', ipv4, reason: 'expired' },
    ]);
  });
});

describe('snapshot / restore', () => {
  function populated(): { st: Nat64State; clock: FakeClock; tcp: number } {
    const { st, clock } = make();
    st.addStatic(TCP, parseIpv6('2001:db8::80'), 80, P1, 80);
    st.inbound(TCP, parseIpv4('192.0.2.9'), 5555, P1, 80, TCP_SYN, new Uint8Array(0));
    udp(st, 1, 1000);
    clock.t += 1000;
    const tcp = st.outbound(TCP, parseIpv6('2001:db8::1'), 0, 2000, parseIpv4('192.0.2.4'), 443, TCP_SYN);
    st.inbound(TCP, parseIpv4('192.0.2.4'), 443, st.addr4(tcp), st.port4(tcp), TCP_SYN | TCP_ACK, new Uint8Array(0));
    st.outbound(ICMP, parseIpv6('2001:db8::3'), 0, 77, parseIpv4('192.0.2.4'), 77, 0);
    return { st, clock, tcp };
  }

  it('round-trips through JSON with remaining lifetimes, keeping established TCP', () => {
    const { st, clock } = populated();
    clock.t += 10_000;
    const json = JSON.stringify(st.snapshot());
    const before = st.listSessions({ limit: 99, offset: 0 }, PREFIX).items;
    const later = new FakeClock();
    later.t = 9_999_999;
    const { st: st2 } = make({}, POOL, later);
    st2.addStatic(TCP, parseIpv6('2001:db8::80'), 80, P1, 80);
    expect(st2.restore(JSON.parse(json))).toBe(4);
    const after = st2.listSessions({ limit: 99, offset: 0 }, PREFIX).items;
    const key = (x: { ipv6Client: string; ipv4Remote: string }): string => x.ipv6Client + x.ipv4Remote;
    expect([...after].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...before].sort((a, b) => key(a).localeCompare(key(b))));
    expect(st2.verify()).toEqual([]);
    // Timers keep running from the remaining lifetime.
    later.t += 50_000;
    st2.tick();
    expect(st2.stats().sessions).toMatchObject({ icmp: 0, udp: 1, tcp: 2, 'tcp-established': 1 });
  });

  it('skips what no longer fits: other pool4, missing static entry; rejects foreign input', () => {
    const { st } = populated();
    const snap = JSON.parse(JSON.stringify(st.snapshot())) as unknown;
    const { st: other } = make({}, [{ cidr: parseIpv4Cidr('203.0.113.0/30') }]);
    expect(other.restore(snap)).toBe(0);
    expect(other.stats().bindings).toBe(0);
    const { st: noStatic } = make();
    expect(noStatic.restore(snap)).toBe(3);
    expect(noStatic.listBib().some((b) => b.static)).toBe(false);
    expect(() => noStatic.restore({ format: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_STATE_SNAPSHOT' }));
    expect(() => noStatic.restore(null)).toThrow(expect.objectContaining({ code: 'ERR_STATE_SNAPSHOT' }));
    expect(() => noStatic.restore({ format: 'sixgate-nat64-state', version: 2, bindings: [], sessions: [] })).toThrow(expect.objectContaining({ code: 'ERR_STATE_SNAPSHOT' }));
    const broken = { format: 'sixgate-nat64-state', version: 1, bindings: [[17, 'not-an-ip', 1, '198.51.100.1', 1, 0], 'junk'], sessions: [[0, '192.0.2.1', 1, 3, 0, 100], [7, 'x', 1, 1, 1, 1], null] };
    expect(noStatic.restore(broken)).toBe(0);
    expect(noStatic.verify()).toEqual([]);
  });
});
