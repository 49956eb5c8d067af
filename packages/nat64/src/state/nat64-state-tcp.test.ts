import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { StateFail, TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type StateOptions } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';

class FakeClock {
  t = 5_000;
  now(): number {
    return this.t;
  }
}

const PREFIX = parseNat64Prefix('64:ff9b::/96');
const SERVER = parseIpv4('192.0.2.5');
const POOL1 = parseIpv4('198.51.100.1');

function make(over: Partial<StateOptions> = {}): { st: Nat64State; clock: FakeClock } {
  const clock = new FakeClock();
  const pool4 = [{ cidr: parseIpv4Cidr('198.51.100.0/30') }];
  return { st: new Nat64State(defaultStateOptions(pool4, { portSecret: new Uint8Array(8).fill(3), ...over }), clock), clock };
}

const v6 = (st: Nat64State, flags: number, port6 = 2600, dport = 2601): number => st.outbound(TCP, parseIpv6('2001:db8::5'), 0, port6, SERVER, dport, flags);
const v4 = (st: Nat64State, h: number, flags: number, pkt = new Uint8Array(0)): number => st.inbound(TCP, SERVER, 2601, st.addr4(h), st.port4(h), flags, pkt);
const only = (st: Nat64State): { state: string; expiresInMs: number } => {
  const { items } = st.listSessions({ limit: 10, offset: 0 }, PREFIX);
  expect(items).toHaveLength(1);
  return { state: items[0]!.state, expiresInMs: items[0]!.expiresInMs };
};

describe('H4: TCP state machine (RFC 6146 §3.5.2.2)', () => {
  it('v6 SYN → V6 INIT (4 min); v4 SYN → ESTABLISHED (7440 s); v6 RST → TRANS (4 min); v6 SYN → ESTABLISHED', () => {
    const { st, clock } = make();
    const h = v6(st, TCP_SYN);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(only(st)).toEqual({ state: 'v6-init', expiresInMs: 240_000 });
    clock.t += 1000;
    expect(v4(st, h, TCP_SYN | TCP_ACK)).toBe(h);
    expect(only(st)).toEqual({ state: 'established', expiresInMs: 7_440_000 });
    clock.t += 1000;
    expect(v6(st, TCP_RST)).toBe(h);
    expect(only(st)).toEqual({ state: 'trans', expiresInMs: 240_000 });
    clock.t += 1000;
    expect(v6(st, TCP_SYN)).toBe(h);
    expect(only(st)).toEqual({ state: 'established', expiresInMs: 7_440_000 });
    expect(st.stats().sessions).toMatchObject({ tcp: 1, 'tcp-established': 1, 'tcp-trans': 0 });
  });

  it('FIN both ways → V4 FIN + V6 FIN RCV with the transitory lifetime, not refreshed, then expiry', () => {
    const { st, clock } = make();
    const h = v6(st, TCP_SYN);
    v4(st, h, TCP_SYN | TCP_ACK);
    expect(v4(st, h, TCP_FIN | TCP_ACK)).toBe(h);
    expect(only(st).state).toBe('v4-fin-rcv');
    clock.t += 10;
    expect(v6(st, TCP_FIN | TCP_ACK)).toBe(h);
    expect(only(st)).toEqual({ state: 'v4-fin-v6-fin-rcv', expiresInMs: 240_000 });
    clock.t += 100_000;
    expect(v6(st, TCP_ACK)).toBe(h);
    expect(only(st).expiresInMs).toBe(140_000);
    clock.t += 140_000;
    st.tick();
    expect(st.stats()).toMatchObject({ bindings: 0, sessions: { tcp: 0 } });
  });

  it('v6 FIN first, then v4 FIN', () => {
    const { st } = make();
    const h = v6(st, TCP_SYN);
    v4(st, h, TCP_SYN | TCP_ACK);
    v6(st, TCP_FIN | TCP_ACK);
    expect(only(st).state).toBe('v6-fin-rcv');
    v4(st, h, TCP_FIN | TCP_ACK);
    expect(only(st).state).toBe('v4-fin-v6-fin-rcv');
  });

  it('V6 INIT expires after 4 min without an answer; ESTABLISHED after 7440 s idle', () => {
    const { st, clock } = make();
    v6(st, TCP_SYN);
    clock.t += 239_999;
    st.tick();
    expect(st.stats().sessions.tcp).toBe(1);
    clock.t += 1;
    st.tick();
    expect(st.stats().sessions.tcp).toBe(0);
    const h = v6(st, TCP_SYN);
    v4(st, h, TCP_SYN | TCP_ACK);
    clock.t += 7_439_999;
    st.tick();
    expect(st.stats().sessions.tcp).toBe(1);
    clock.t += 1;
    st.tick();
    expect(st.stats().sessions.tcp).toBe(0);
  });

  it('6→4 non-SYN without a session is tcpNoSession and creates nothing', () => {
    const { st } = make();
    expect(v6(st, TCP_ACK)).toBe(StateFail.tcpNoSession);
    expect(v6(st, TCP_FIN)).toBe(StateFail.tcpNoSession);
    expect(st.stats().bindings).toBe(0);
  });

  it('4→6 non-SYN to a binding without that session is tcpNoSession', () => {
    const { st } = make();
    const h = v6(st, TCP_SYN);
    expect(st.inbound(TCP, parseIpv4('192.0.2.77'), 80, st.addr4(h), st.port4(h), TCP_ACK, new Uint8Array(0))).toBe(StateFail.tcpNoSession);
  });

  it('V4 SYN to a static binding opens V4 INIT; the v6 SYN-ACK makes it ESTABLISHED', () => {
    const { st } = make();
    st.addStatic(TCP, parseIpv6('2001:db8::80'), 80, POOL1, 80);
    const h = st.inbound(TCP, SERVER, 40000, POOL1, 80, TCP_SYN, new Uint8Array(0));
    expect(h).toBeGreaterThanOrEqual(0);
    expect(only(st)).toEqual({ state: 'v4-init', expiresInMs: 240_000 });
    expect(st.outbound(TCP, parseIpv6('2001:db8::80'), 0, 80, SERVER, 40000, TCP_SYN | TCP_ACK)).toBe(h);
    expect(only(st).state).toBe('established');
  });
});

describe('H5/H6: simultaneous open', () => {
  it('H5: an IPv4 SYN without binding is held for 6 s and then returned (a copy of the packet)', () => {
    const { st, clock } = make();
    const pkt = Uint8Array.from([0x45, 1, 2, 3, 4, 5]);
    expect(st.inbound(TCP, SERVER, 2601, POOL1, 2600, TCP_SYN, pkt)).toBe(StateFail.synHeld);
    pkt[1] = 0xff;
    clock.t += 5_999;
    expect(st.tick()).toEqual([]);
    clock.t += 1;
    const expired = st.tick();
    expect(expired).toHaveLength(1);
    expect(Array.from(expired[0]!.packet)).toEqual([0x45, 1, 2, 3, 4, 5]);
    expect(st.tick()).toEqual([]);
    expect(st.stats().bindings).toBe(0);
  });

  it('H5: at most maxHeldSyns are held; a retransmission is not stored twice', () => {
    const { st, clock } = make({ maxHeldSyns: 10 });
    for (let i = 0; i < 10; i++) expect(st.inbound(TCP, SERVER, 3000 + i, POOL1, 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.synHeld);
    expect(st.inbound(TCP, SERVER, 3000, POOL1, 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.synHeld);
    expect(st.inbound(TCP, SERVER, 4000, POOL1, 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.synQueueFull);
    expect(st.memory().heldSyns).toBe(10);
    clock.t += 6_000;
    expect(st.tick()).toHaveLength(10);
    expect(st.inbound(TCP, SERVER, 4000, POOL1, 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.synHeld);
  });

  it('H5: maxHeldSyns 0 holds nothing (every unsolicited SYN is synQueueFull)', () => {
    const { st } = make({ maxHeldSyns: 0 });
    expect(st.inbound(TCP, SERVER, 2601, POOL1, 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.synQueueFull);
    expect(st.memory().heldSyns).toBe(0);
  });

  it('H5: SYN-ACK, or a SYN to a non-pool4 address, is not held', () => {
    const { st } = make();
    expect(st.inbound(TCP, SERVER, 2601, POOL1, 2600, TCP_SYN | TCP_ACK, new Uint8Array(1))).toBe(StateFail.noBinding);
    expect(st.inbound(TCP, SERVER, 2601, parseIpv4('203.0.113.1'), 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.noBinding);
    expect(st.memory().heldSyns).toBe(0);
  });

  it('H6: a v6 SYN within 6 s gets the awaited pool4 address/port and the held SYN is dropped', () => {
    const { st, clock } = make();
    expect(st.inbound(TCP, SERVER, 2601, POOL1, 2600, TCP_SYN, new Uint8Array(1))).toBe(StateFail.synHeld);
    clock.t += 3_000;
    const h = v6(st, TCP_SYN, 2600, 2601);
    expect(h).toBeGreaterThanOrEqual(0);
    expect([st.addr4(h), st.port4(h)]).toEqual([POOL1, 2600]);
    clock.t += 10_000;
    expect(st.tick()).toEqual([]);
    expect(v4(st, h, TCP_SYN | TCP_ACK)).toBe(h);
    expect(only(st).state).toBe('established');
  });
});

describe('H13: drop externally initiated TCP', () => {
  it('an IPv4 SYN to a static binding or to nothing is refused with externalTcp', () => {
    const { st } = make({ dropExternallyInitiatedTcp: true });
    st.addStatic(TCP, parseIpv6('2001:db8::80'), 80, POOL1, 80);
    expect(st.inbound(TCP, SERVER, 40000, POOL1, 80, TCP_SYN, new Uint8Array(0))).toBe(StateFail.externalTcp);
    expect(st.inbound(TCP, SERVER, 40000, POOL1, 81, TCP_SYN, new Uint8Array(0))).toBe(StateFail.externalTcp);
    expect(st.memory().heldSyns).toBe(0);
    // Outbound connections still work, and their answers come in.
    const h = v6(st, TCP_SYN);
    expect(v4(st, h, TCP_SYN | TCP_ACK)).toBe(h);
  });
});
