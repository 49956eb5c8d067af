import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix, formatIpv4 } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { ICMP, StateFail, UDP, TCP, TCP_SYN, type Pool4Range, type StateOptions } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';

class FakeClock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

const PREFIX = parseNat64Prefix('64:ff9b::/96');
const POOL: Pool4Range[] = [{ cidr: parseIpv4Cidr('198.51.100.0/30') }];

function make(over: Partial<StateOptions> = {}, pool: Pool4Range[] = POOL): { st: Nat64State; clock: FakeClock } {
  const clock = new FakeClock();
  const st = new Nat64State(defaultStateOptions(pool, { portSecret: new Uint8Array(8).fill(7), ...over }), clock);
  return { st, clock };
}

const out = (st: Nat64State, proto: number, src6: string, port6: number, dst: string, dport: number, flags = 0): number =>
  st.outbound(proto as 6, parseIpv6(src6), 0, port6, parseIpv4(dst), dport, flags);

const sessionsOf = (st: Nat64State) => st.listSessions({ limit: 100, offset: 0 }, PREFIX).items;

describe('H1/H2/H3: UDP and ICMP sessions', () => {
  it('H1: the first UDP packet creates a binding and an established session with the UDP lifetime', () => {
    const { st } = make();
    const h = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(st.isPool4(st.addr4(h))).toBe(true);
    expect(st.port4(h)).toBeGreaterThanOrEqual(1024);
    expect(st.port6(h)).toBe(1212);
    expect(formatIpv4(st.remote4(h))).toBe('192.0.2.4');
    expect(st.remotePort(h)).toBe(53);
    expect(sessionsOf(st)).toEqual([
      {
        protocol: 'udp',
        ipv6Client: '[2001:db8::2]:1212',
        ipv6Server: '[64:ff9b::c000:204]:53',
        ipv4Local: `${formatIpv4(st.addr4(h))}:${st.port4(h)}`,
        ipv4Remote: '192.0.2.4:53',
        state: 'established',
        expiresInMs: 300_000,
      },
    ]);
    expect(st.listBib()).toHaveLength(1);
    expect(st.verify()).toEqual([]);
  });

  it('H1: an ICMP echo gets the 60 s lifetime and the identifier as its port', () => {
    const { st } = make();
    const h = out(st, ICMP, '2001:db8::2', 1212, '192.0.2.4', 1212);
    expect(h).toBeGreaterThanOrEqual(0);
    const [s] = sessionsOf(st);
    expect(s?.expiresInMs).toBe(60_000);
    expect(s?.protocol).toBe('icmp');
    // 4→6 reply: the identifier on the IPv4 side is port4 on both ends.
    const id4 = st.port4(h);
    expect(st.inbound(ICMP, parseIpv4('192.0.2.4'), id4, st.addr4(h), id4, 0, new Uint8Array(0))).toBe(h);
    expect(st.remotePort(h)).toBe(id4);
  });

  it('H2: the IPv4 reply finds the same session and the IPv6 client', () => {
    const { st } = make();
    const h = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53);
    const a4 = st.addr4(h);
    const p4 = st.port4(h);
    expect(st.findInbound(UDP, parseIpv4('192.0.2.4'), 53, a4, p4)).toBe(h);
    expect(st.inbound(UDP, parseIpv4('192.0.2.4'), 53, a4, p4, 0, new Uint8Array(0))).toBe(h);
    const a6 = new Uint8Array(20).fill(0xa5);
    st.copyAddr6(h, a6, 2);
    expect(Array.from(a6.subarray(2, 18))).toEqual(Array.from(parseIpv6('2001:db8::2')));
    expect(a6[0]).toBe(0xa5);
    expect(a6[18]).toBe(0xa5);
    const b6 = new Uint8Array(16);
    expect(st.findBinding4(UDP, a4, p4, b6, 0)).toBe(1212);
    expect(b6).toEqual(parseIpv6('2001:db8::2'));
    expect(st.findOutbound(UDP, parseIpv6('2001:db8::2'), 0, 1212, parseIpv4('192.0.2.4'), 53)).toBe(h);
    expect(st.findOutbound(UDP, parseIpv6('2001:db8::2'), 0, 1212, parseIpv4('192.0.2.4'), 54)).toBe(-1);
  });

  it('H3: IPv4 to pool4 without a binding is refused with noBinding (UDP, ICMP, TCP non-SYN)', () => {
    const { st } = make();
    const pool = parseIpv4('198.51.100.1');
    expect(st.inbound(UDP, parseIpv4('192.0.2.4'), 53, pool, 4000, 0, new Uint8Array(0))).toBe(StateFail.noBinding);
    expect(st.inbound(ICMP, parseIpv4('192.0.2.4'), 7, pool, 7, 0, new Uint8Array(0))).toBe(StateFail.noBinding);
    expect(st.inbound(TCP, parseIpv4('192.0.2.4'), 80, pool, 4000, 0x10, new Uint8Array(0))).toBe(StateFail.noBinding);
    expect(st.findBinding4(UDP, pool, 4000, new Uint8Array(16), 0)).toBe(-1);
    expect(st.stats().sessions.total).toBe(0);
  });

  it('endpoint-independent mapping: one binding per IPv6 transport address, one session per remote', () => {
    const { st } = make();
    const a = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53);
    const b = out(st, UDP, '2001:db8::2', 1212, '192.0.2.5', 53);
    const c = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 54);
    expect(new Set([a, b, c]).size).toBe(3);
    expect([st.addr4(b), st.port4(b)]).toEqual([st.addr4(a), st.port4(a)]);
    expect([st.addr4(c), st.port4(c)]).toEqual([st.addr4(a), st.port4(a)]);
    expect(st.listBib()).toEqual([expect.objectContaining({ sessions: 3, static: false, protocol: 'udp', ipv6: '[2001:db8::2]:1212' })]);
    // Endpoint-independent filtering (default): any remote may use the binding.
    const d = st.inbound(UDP, parseIpv4('203.0.113.9'), 9999, st.addr4(a), st.port4(a), 0, new Uint8Array(0));
    expect(d).toBeGreaterThanOrEqual(0);
    expect(st.stats().sessions.udp).toBe(4);
    expect(st.verify()).toEqual([]);
  });
});

describe('H14: port selection (RFC 6056 algorithm 3) and paired pooling', () => {
  it('is deterministic for one secret and both sockets of one host share the pool4 address', () => {
    const a = make().st;
    const b = make().st;
    const ha = [out(a, UDP, '2001:db8::2', 1000, '192.0.2.4', 53), out(a, UDP, '2001:db8::2', 1001, '192.0.2.4', 53)];
    const hb = [out(b, UDP, '2001:db8::2', 1000, '192.0.2.4', 53), out(b, UDP, '2001:db8::2', 1001, '192.0.2.4', 53)];
    expect(ha.map((h) => a.port4(h))).toEqual(hb.map((h) => b.port4(h)));
    expect(a.addr4(ha[0]!)).toBe(a.addr4(ha[1]!));
    expect(a.port4(ha[0]!)).not.toBe(a.port4(ha[1]!));
  });

  it('another secret gives other ports', () => {
    const ports = (secret: number): number[] => {
      const { st } = make({ portSecret: new Uint8Array(8).fill(secret) });
      return [0, 1, 2, 3].map((i) => st.port4(out(st, UDP, '2001:db8::2', 1000 + i, '192.0.2.4', 53)));
    };
    expect(ports(1)).not.toEqual(ports(2));
  });

  it('a collision takes the next free port and a client moves to another address only when its own is full', () => {
    const { st } = make({}, [{ cidr: parseIpv4Cidr('198.51.100.0/30'), ports: { udp: [2000, 2003] } }]);
    const hs = [0, 1, 2, 3].map((i) => out(st, UDP, '2001:db8::2', 1000 + i, '192.0.2.4', 53));
    const first = st.addr4(hs[0]!);
    expect(hs.map((h) => st.addr4(h))).toEqual([first, first, first, first]);
    expect(hs.map((h) => st.port4(h)).sort()).toEqual([2000, 2001, 2002, 2003]);
    const fifth = out(st, UDP, '2001:db8::2', 1004, '192.0.2.4', 53);
    expect(fifth).toBeGreaterThanOrEqual(0);
    expect(st.addr4(fifth)).not.toBe(first);
    expect(st.verify()).toEqual([]);
  });
});

describe('exhaustion and limits', () => {
  it('a /30 with a 4-port range holds 16 bindings; the 17th gets poolExhausted until one expires', () => {
    const { st, clock } = make({}, [{ cidr: parseIpv4Cidr('198.51.100.0/30'), ports: { udp: [5000, 5003], tcp: [5000, 5003], icmp: [5000, 5003] } }]);
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const h = out(st, UDP, `2001:db8::${i + 1}`, 4000, '192.0.2.4', 53);
      expect(h).toBeGreaterThanOrEqual(0);
      seen.add(`${st.addr4(h)}:${st.port4(h)}`);
    }
    expect(seen.size).toBe(16);
    expect(st.stats()).toMatchObject({ bindings: 16, pool4Used: 16, pool4Size: 48 });
    expect(out(st, UDP, '2001:db8::99', 4000, '192.0.2.4', 53)).toBe(StateFail.poolExhausted);
    // Existing flows are unaffected, TCP has its own ports.
    expect(out(st, UDP, '2001:db8::1', 4000, '192.0.2.4', 53)).toBeGreaterThanOrEqual(0);
    expect(out(st, UDP, '2001:db8::1', 4000, '192.0.2.5', 53)).toBeGreaterThanOrEqual(0);
    expect(out(st, TCP, '2001:db8::99', 4000, '192.0.2.4', 80, TCP_SYN)).toBeGreaterThanOrEqual(0);
    clock.t += 300_000;
    st.tick();
    expect(st.stats().pool4Used).toBe(0);
    expect(out(st, UDP, '2001:db8::99', 4000, '192.0.2.4', 53)).toBeGreaterThanOrEqual(0);
    expect(st.verify()).toEqual([]);
  });

  it('maxSessions refuses new flows with sessionLimit; existing flows continue', () => {
    const { st } = make({ maxSessions: 3 });
    const hs = [1, 2, 3].map((i) => out(st, UDP, `2001:db8::${i}`, 1000, '192.0.2.4', 53));
    expect(hs.every((h) => h >= 0)).toBe(true);
    expect(out(st, UDP, '2001:db8::4', 1000, '192.0.2.4', 53)).toBe(StateFail.sessionLimit);
    expect(out(st, UDP, '2001:db8::1', 1000, '192.0.2.9', 53)).toBe(StateFail.sessionLimit);
    expect(st.inbound(UDP, parseIpv4('192.0.2.9'), 1, st.addr4(hs[0]!), st.port4(hs[0]!), 0, new Uint8Array(0))).toBe(StateFail.sessionLimit);
    expect(out(st, UDP, '2001:db8::1', 1000, '192.0.2.4', 53)).toBe(hs[0]);
    expect(st.stats().bindings).toBe(3);
  });

  it('maxSessionsPerClient limits one IPv6 address, not the others', () => {
    const { st } = make({ maxSessionsPerClient: 2 });
    expect(out(st, UDP, '2001:db8::1', 1000, '192.0.2.4', 53)).toBeGreaterThanOrEqual(0);
    const h = out(st, TCP, '2001:db8::1', 1001, '192.0.2.4', 80, TCP_SYN);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(out(st, UDP, '2001:db8::1', 1002, '192.0.2.4', 53)).toBe(StateFail.clientSessionLimit);
    expect(st.inbound(TCP, parseIpv4('192.0.2.7'), 80, st.addr4(h), st.port4(h), TCP_SYN, new Uint8Array(0))).toBe(StateFail.clientSessionLimit);
    expect(out(st, UDP, '2001:db8::2', 1000, '192.0.2.4', 53)).toBeGreaterThanOrEqual(0);
    expect(st.stats().bindings).toBe(3);
    expect(st.verify()).toEqual([]);
  });
});

describe('H12: address-dependent filtering', () => {
  it('refuses remotes the binding never sent to, admits other ports of a contacted address', () => {
    const { st } = make({ addressDependentFiltering: true });
    const h = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53);
    const [a4, p4] = [st.addr4(h), st.port4(h)];
    expect(st.inbound(UDP, parseIpv4('192.0.2.9'), 53, a4, p4, 0, new Uint8Array(0))).toBe(StateFail.filtered);
    const other = st.inbound(UDP, parseIpv4('192.0.2.4'), 5353, a4, p4, 0, new Uint8Array(0));
    expect(other).toBeGreaterThanOrEqual(0);
    expect(st.stats().sessions.udp).toBe(2);
  });

  it('applies to static bindings too: an unsolicited remote is filtered until the server talks to it', () => {
    const { st } = make({ addressDependentFiltering: true });
    st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, parseIpv4('198.51.100.1'), 53);
    expect(st.inbound(UDP, parseIpv4('192.0.2.9'), 4000, parseIpv4('198.51.100.1'), 53, 0, new Uint8Array(0))).toBe(StateFail.filtered);
    expect(out(st, UDP, '2001:db8::80', 53, '192.0.2.9', 4000)).toBeGreaterThanOrEqual(0);
    expect(st.inbound(UDP, parseIpv4('192.0.2.9'), 4001, parseIpv4('198.51.100.1'), 53, 0, new Uint8Array(0))).toBeGreaterThanOrEqual(0);
  });

  it('off by default: the same packet creates a session', () => {
    const { st } = make();
    const h = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53);
    expect(st.inbound(UDP, parseIpv4('192.0.2.9'), 53, st.addr4(h), st.port4(h), 0, new Uint8Array(0))).toBeGreaterThanOrEqual(0);
  });
});

describe('H15: idle expiry', () => {
  it('a UDP session lives exactly 5:00 after its last packet; the binding dies with it; static never dies', () => {
    const { st, clock } = make();
    const stat = st.addStatic(UDP, parseIpv6('2001:db8::80'), 53, parseIpv4('198.51.100.2'), 53);
    const h = out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53);
    const s2 = st.inbound(UDP, parseIpv4('192.0.2.4'), 4444, parseIpv4('198.51.100.2'), 53, 0, new Uint8Array(0));
    expect(s2).toBeGreaterThanOrEqual(0);
    clock.t += 200_000;
    expect(out(st, UDP, '2001:db8::2', 1212, '192.0.2.4', 53)).toBe(h); // refresh
    clock.t += 299_999;
    expect(st.tick()).toEqual([]);
    expect(st.stats().sessions.udp).toBe(1);
    clock.t += 1;
    st.tick();
    expect(st.stats().sessions.udp).toBe(0);
    expect(st.listBib().map((b) => b.id)).toEqual([stat.id]);
    expect(st.findInbound(UDP, parseIpv4('192.0.2.4'), 53, st.addr4(h), st.port4(h))).toBe(-1);
    expect(st.verify()).toEqual([]);
  });

  it('ICMP expires after 60 s', () => {
    const { st, clock } = make();
    out(st, ICMP, '2001:db8::2', 7, '192.0.2.4', 7);
    clock.t += 59_999;
    st.tick();
    expect(st.stats().sessions.icmp).toBe(1);
    clock.t += 1;
    st.tick();
    expect(st.stats()).toMatchObject({ bindings: 0, pool4Used: 0 });
  });
});

describe('options validation', () => {
  it.each([
    { name: 'empty pool4', o: { pool4: [] } },
    { name: 'overlapping pool4', o: { pool4: [{ cidr: parseIpv4Cidr('198.51.100.0/30') }, { cidr: parseIpv4Cidr('198.51.100.2/31') }] } },
    { name: 'port range reversed', o: { pool4: [{ cidr: parseIpv4Cidr('198.51.100.0/30'), ports: { udp: [2000, 1000] as [number, number] } }] } },
    { name: 'port out of range', o: { pool4: [{ cidr: parseIpv4Cidr('198.51.100.0/30'), ports: { tcp: [1, 70000] as [number, number] } }] } },
    { name: 'pool too big', o: { pool4: [{ cidr: parseIpv4Cidr('10.0.0.0/8') }] } },
    { name: 'zero timeout', o: { timeouts: { udp: 0, tcpEstablished: 1, tcpTransitory: 1, icmp: 1, tcpIncomingSyn: 1 } } },
    { name: 'fractional limit', o: { maxSessions: 1.5 } },
    { name: 'short secret', o: { portSecret: new Uint8Array(4) } },
  ])('rejects $name with ERR_STATE_OPTIONS', ({ o }) => {
    expect(() => new Nat64State({ ...defaultStateOptions(POOL), ...o } as StateOptions, new FakeClock())).toThrow(expect.objectContaining({ code: 'ERR_STATE_OPTIONS' }));
  });
});
