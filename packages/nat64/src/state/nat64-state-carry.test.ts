/**
 * Carry-over of sessions into rebuilt state tables (`carryFrom`/`carryStep`):
 * the new state serves packets from the commit on, flows only in the old
 * state move over when a packet asks for them or in bounded chunks, nothing
 * is lost and no mapping changes.
 */
import { parseIpv4, parseIpv4Cidr, parseIpv6 } from '@sixgate/addressing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ICMP, StateFail, TCP, TCP_ACK, TCP_SYN, UDP, type StateOptions } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';

const POOL = parseIpv4Cidr('198.51.100.0/30');
const SERVER = parseIpv4('192.0.2.33') | 0;

function clock(): { t: number; now: () => number } {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

function client(i: number): Uint8Array {
  const a = parseIpv6('2001:db8::');
  a[14] = (i >> 8) & 0xff;
  a[15] = i & 0xff;
  return a;
}

function make(c: { now: () => number }, over: Partial<StateOptions> = {}): Nat64State {
  return new Nat64State(defaultStateOptions([{ cidr: POOL }], { portSecret: new Uint8Array(8).fill(3), ...over }), c);
}

/** Opens `n` flows of each protocol on `st`; returns their keys. */
function fill(st: Nat64State, n: number): { proto: 6 | 17 | 1; c: number; port: number; addr4: number; port4: number }[] {
  const flows = [];
  for (let i = 0; i < n; i++) {
    for (const proto of [UDP, TCP, ICMP] as const) {
      const port = 1000 + i;
      const h = st.outbound(proto, client(i % 7), 0, port, SERVER + (i % 3), proto === ICMP ? port : 80, proto === TCP ? TCP_SYN : 0);
      expect(h).toBeGreaterThanOrEqual(0);
      if (proto === TCP) st.inbound(TCP, SERVER + (i % 3), 80, st.addr4(h), st.port4(h), TCP_SYN | TCP_ACK, new Uint8Array(0));
      flows.push({ proto, c: i % 7, port, addr4: st.addr4(h), port4: st.port4(h) });
    }
  }
  return flows;
}

describe('carry-over into rebuilt tables', () => {
  it('keeps every mapping: packets find carried flows at once, the rest moves in chunks', () => {
    const c = clock();
    const old = make(c);
    const flows = fill(old, 200);
    expect(old.stats().sessions.total).toBe(600);
    c.t += 1000;
    const next = make(c);
    next.carryFrom(old);
    expect(next.carrying).toBe(true);
    expect(next.stats().sessions.total).toBe(600);
    // A packet of an old flow: same pool4 address and port, now in the new tables.
    const f = flows[31]!;
    const h = next.outbound(f.proto, client(f.c), 0, f.port, SERVER + (31 / 3 | 0) % 3, f.proto === ICMP ? f.port : 80, f.proto === TCP ? TCP_ACK : 0);
    expect(h).toBeGreaterThanOrEqual(0);
    expect([next.addr4(h), next.port4(h)]).toEqual([f.addr4, f.port4]);
    // An inbound packet of another one.
    const g = flows.find((x) => x.proto === UDP && x.c === 3)!;
    const gi = flows.indexOf(g) / 3;
    expect(next.inbound(UDP, SERVER + (gi % 3), 80, g.addr4, g.port4, 0, new Uint8Array(0))).toBeGreaterThanOrEqual(0);
    // New flows never take a port an old binding still holds.
    for (let i = 0; i < 50; i++) {
      const hn = next.outbound(UDP, client(100 + i), 0, 5000 + i, SERVER, 53, 0);
      expect(hn).toBeGreaterThanOrEqual(0);
      expect(flows.some((x) => x.proto === UDP && x.addr4 === next.addr4(hn) && x.port4 === next.port4(hn))).toBe(false);
    }
    // Chunks of at most 64 sessions until done.
    let steps = 0;
    while (!next.carryStep(64)) steps++;
    expect(steps).toBeGreaterThanOrEqual(600 / 64 - 2);
    expect(next.carrying).toBe(false);
    expect(next.verify()).toEqual([]);
    expect(next.stats().sessions.total).toBe(650);
    for (const x of flows) {
      const found = next.listBib().find((b) => b.ipv4 === `${[x.addr4 >>> 24, (x.addr4 >>> 16) & 255, (x.addr4 >>> 8) & 255, x.addr4 & 255].join('.')}:${x.port4}` && b.protocol === (x.proto === UDP ? 'udp' : x.proto === TCP ? 'tcp' : 'icmp'));
      expect(found).toBeDefined();
    }
  });

  it('keeps remaining lifetimes and TCP states; expiry still works during and after', () => {
    const c = clock();
    const old = make(c, { timeouts: { udp: 10_000, tcpEstablished: 100_000, tcpTransitory: 20_000, icmp: 5_000, tcpIncomingSyn: 6_000 } });
    fill(old, 30);
    c.t += 4_000; // UDP has 6 s left, ICMP 1 s
    const next = make(c, { timeouts: { udp: 10_000, tcpEstablished: 100_000, tcpTransitory: 20_000, icmp: 5_000, tcpIncomingSyn: 6_000 } });
    next.carryFrom(old);
    next.carryStep(20);
    c.t += 1_500;
    next.tick(); // ICMP sessions expire in both tables
    expect(next.stats().sessions.icmp).toBe(0);
    while (!next.carryStep(7));
    expect(next.verify()).toEqual([]);
    expect(next.stats().sessions.udp).toBe(30);
    expect(next.stats().sessions['tcp-established']).toBe(30);
    c.t += 5_000;
    next.tick();
    expect(next.stats().sessions.udp).toBe(0);
    expect(next.stats().sessions.tcp).toBe(30);
  });

  it('drops what no longer fits the new pool4 and limits', () => {
    const c = clock();
    const old = make(c);
    fill(old, 50);
    const next = new Nat64State(defaultStateOptions([{ cidr: parseIpv4Cidr('203.0.113.0/30') }], { maxSessions: 1000 }), c);
    next.carryFrom(old);
    while (!next.carryStep(10));
    expect(next.stats().sessions.total).toBe(0);
    expect(next.verify()).toEqual([]);
  });

  it('property: random packets, new flows, ticks and chunk sizes during a carry-over keep the tables consistent and lose no flow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.integer({ min: 0, max: 59 }), kind: fc.integer({ min: 0, max: 4 }), chunk: fc.integer({ min: 1, max: 40 }) }), { maxLength: 80 }),
        (ops) => {
          const c = clock();
          const old = make(c, { addressDependentFiltering: true });
          const flows = fill(old, 20);
          const next = make(c, { addressDependentFiltering: true });
          next.carryFrom(old);
          for (const o of ops) {
            const f = flows[o.i]!;
            const srv = SERVER + (Math.floor(o.i / 3) % 3);
            if (o.kind === 0) {
              const h = next.outbound(f.proto, client(f.c), 0, f.port, srv, f.proto === ICMP ? f.port : 80, f.proto === TCP ? TCP_ACK : 0);
              expect([next.addr4(h), next.port4(h)]).toEqual([f.addr4, f.port4]);
            } else if (o.kind === 1) {
              const h = next.inbound(f.proto, srv, f.proto === ICMP ? f.port4 : 80, f.addr4, f.port4, f.proto === TCP ? TCP_ACK : 0, new Uint8Array(0));
              expect(h).toBeGreaterThanOrEqual(0);
            } else if (o.kind === 2) {
              // A new remote for an old binding: same mapping (endpoint-independent), filtering admits only known addresses.
              const h = next.outbound(UDP, client(f.c), 0, f.proto === UDP ? f.port : 9000 + o.i, SERVER + 7, 53, 0);
              expect(h).toBeGreaterThanOrEqual(0);
              if (f.proto === UDP) expect([next.addr4(h), next.port4(h)]).toEqual([f.addr4, f.port4]);
              expect(next.inbound(UDP, SERVER + 9, 53, next.addr4(h), next.port4(h), 0, new Uint8Array(0))).toBe(StateFail.filtered);
            } else if (o.kind === 3) {
              next.carryStep(o.chunk);
            } else {
              c.t += 1000;
              next.tick();
            }
          }
          while (!next.carryStep(13));
          expect(next.verify()).toEqual([]);
          for (const f of flows) {
            const srv = SERVER + (Math.floor(flows.indexOf(f) / 3) % 3);
            expect(next.findInbound(f.proto, srv, f.proto === ICMP ? f.port4 : 80, f.addr4, f.port4)).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
