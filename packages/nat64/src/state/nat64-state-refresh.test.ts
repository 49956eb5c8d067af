// `refreshOutbound` (api.ts): applying a 6→4 packet to a session found by
// `findOutbound` must leave the tables exactly as `outbound` would.
import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ICMP, TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, UDP, type Proto } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';

class FakeClock {
  t = 10_000;
  now(): number {
    return this.t;
  }
}

const PREFIX = parseNat64Prefix('64:ff9b::/96');
const CLIENT = parseIpv6('2001:db8::7');
const SERVER = parseIpv4('192.0.2.9');

function make(): { st: Nat64State; clock: FakeClock } {
  const clock = new FakeClock();
  const opts = defaultStateOptions([{ cidr: parseIpv4Cidr('198.51.100.0/30') }], { portSecret: new Uint8Array(8).fill(5) });
  return { st: new Nat64State(opts, clock), clock };
}

const out6 = (st: Nat64State, proto: Proto, flags: number, port6 = 4000): number => st.outbound(proto, CLIENT, 0, port6, SERVER, proto === ICMP ? port6 : 80, flags);
const find6 = (st: Nat64State, proto: Proto, port6 = 4000): number => st.findOutbound(proto, CLIENT, 0, port6, SERVER, proto === ICMP ? port6 : 80);
/** What the translator does with rules: find, then refresh or create. */
const viaFind = (st: Nat64State, proto: Proto, flags: number, port6 = 4000): number => {
  const h = find6(st, proto, port6);
  return h >= 0 ? st.refreshOutbound(h, flags) : out6(st, proto, flags, port6);
};
const view = (st: Nat64State): unknown => ({ sessions: st.listSessions({ limit: 100, offset: 0 }, PREFIX), stats: st.stats(), bib: st.listBib() });

describe('refreshOutbound: timer refresh', () => {
  it.each([
    { proto: UDP, name: 'UDP', life: 300_000 },
    { proto: ICMP, name: 'ICMP', life: 60_000 },
  ] as const)('$name: restarts the lifetime ($life ms) of the found session and returns its handle', ({ proto, life }) => {
    const { st, clock } = make();
    const h = out6(st, proto, 0);
    clock.t += 50_000;
    expect(st.listSessions({ limit: 1, offset: 0 }, PREFIX).items[0]!.expiresInMs).toBe(life - 50_000);
    expect(find6(st, proto)).toBe(h);
    expect(st.refreshOutbound(h, 0)).toBe(h);
    expect(st.listSessions({ limit: 1, offset: 0 }, PREFIX).items[0]!.expiresInMs).toBe(life);
    // The refreshed session outlives its old expiry.
    clock.t += life - 1;
    st.tick();
    expect(find6(st, proto)).toBe(h);
    clock.t += 1;
    st.tick();
    expect(find6(st, proto)).toBe(-1);
  });

  it('moves the session behind later ones in the timer order, as outbound does', () => {
    const a = make();
    const b = make();
    for (const x of [a, b]) {
      out6(x.st, UDP, 0, 4000);
      x.clock.t += 1000;
      out6(x.st, UDP, 0, 4001);
      x.clock.t += 1000;
    }
    out6(a.st, UDP, 0, 4000);
    expect(viaFind(b.st, UDP, 0, 4000)).toBe(find6(b.st, UDP, 4000));
    for (const x of [a, b]) {
      x.clock.t += 299_000;
      x.st.tick(); // 4001 expires, 4000 (refreshed 1 s later) stays
    }
    expect(view(b.st)).toEqual(view(a.st));
    expect(find6(b.st, UDP, 4000)).toBeGreaterThanOrEqual(0);
    expect(find6(b.st, UDP, 4001)).toBe(-1);
    expect(b.st.verify()).toEqual([]);
  });
});

describe('refreshOutbound: TCP transitions identical to outbound for an existing session', () => {
  it('SYN, SYN+ACK from v4, RST, SYN, FIN: same state and lifetime after each step', () => {
    const a = make();
    const b = make();
    const steps: [string, number][] = [['v6', TCP_SYN], ['v4', TCP_SYN | TCP_ACK], ['v6', TCP_ACK], ['v6', TCP_RST], ['v6', TCP_SYN], ['v6', TCP_FIN | TCP_ACK], ['v4', TCP_FIN | TCP_ACK], ['v6', TCP_ACK]];
    const states: string[] = [];
    for (const [dir, flags] of steps) {
      for (const [x, v6] of [[a, out6], [b, viaFind]] as const) {
        x.clock.t += 500;
        if (dir === 'v6') expect(v6(x.st, TCP, flags)).toBeGreaterThanOrEqual(0);
        else expect(x.st.inbound(TCP, SERVER, 80, x.st.addr4(find6(x.st, TCP)), x.st.port4(find6(x.st, TCP)), flags, new Uint8Array(0))).toBeGreaterThanOrEqual(0);
      }
      expect(view(b.st)).toEqual(view(a.st));
      states.push(b.st.listSessions({ limit: 1, offset: 0 }, PREFIX).items[0]!.state);
    }
    // The walk really went through the machine, not one state throughout.
    expect(states).toEqual(['v6-init', 'established', 'established', 'trans', 'established', 'v6-fin-rcv', 'v4-fin-v6-fin-rcv', 'v4-fin-v6-fin-rcv']);
  });

  it('property: any sequence of flags, directions and clock steps leaves both tables equal', () => {
    const flag = fc.integer({ min: 0, max: 0x3f });
    const event = fc.record({ v6: fc.boolean(), flags: flag, dt: fc.integer({ min: 0, max: 300_000 }), port: fc.integer({ min: 4000, max: 4002 }) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const a = make();
        const b = make();
        for (const e of events) {
          const ra: number[] = [];
          for (const [x, v6] of [[a, out6], [b, viaFind]] as const) {
            x.clock.t += e.dt;
            x.st.tick();
            if (e.v6) ra.push(v6(x.st, TCP, e.flags | (e.port === 4000 ? TCP_SYN : 0), e.port));
            else {
              const h = find6(x.st, TCP, e.port);
              ra.push(h < 0 ? -100 : x.st.inbound(TCP, SERVER, 80, x.st.addr4(h), x.st.port4(h), e.flags, new Uint8Array(0)));
            }
          }
          expect(ra[1]).toBe(ra[0]);
          expect(view(b.st)).toEqual(view(a.st));
        }
        expect(b.st.verify()).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('refreshOutbound: invalid handle', () => {
  it.each([-1, -7, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 1000])('%s → -1, tables untouched', (bad) => {
    const { st, clock } = make();
    out6(st, TCP, TCP_SYN);
    clock.t += 1000;
    const before = view(st);
    expect(st.refreshOutbound(bad, TCP_SYN | TCP_ACK)).toBe(-1);
    expect(view(st)).toEqual(before);
  });

  it('a handle whose session is gone (flushed, expired) → -1, no session revived', () => {
    const { st, clock } = make();
    const h = out6(st, UDP, 0);
    out6(st, UDP, 0, 4001);
    expect(st.flush('flushed')).toBe(2);
    expect(st.refreshOutbound(h, 0)).toBe(-1);
    expect(st.stats().sessions.total).toBe(0);
    const h2 = out6(st, UDP, 0);
    clock.t += 300_000;
    st.tick();
    expect(st.refreshOutbound(h2, 0)).toBe(-1);
    expect(st.stats().sessions.total).toBe(0);
    expect(st.verify()).toEqual([]);
  });
});
