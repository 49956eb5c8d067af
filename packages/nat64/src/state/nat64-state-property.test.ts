import { parseIpv4Cidr, parseIpv6 } from '@sixgate/addressing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ICMP, TCP, UDP, type Proto } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

const PROTOS: Proto[] = [TCP, UDP, ICMP];
const CLIENTS = [1, 2, 3].map((i) => parseIpv6(`2001:db8::${i}`));
const REMOTES = [0xc0000201, 0xc0000202, 0xcb007101];
const POOL_BASE = 0xc6336400; // 198.51.100.0/31

// TCP flags drawn mostly from the ones that drive the state machine.
const flags = fc.oneof(fc.constantFrom(0x02, 0x12, 0x10, 0x11, 0x04, 0x14), fc.nat(0x1f));
const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('out' as const), p: fc.nat(2), c: fc.nat(2), port: fc.nat(3), r: fc.nat(2), rp: fc.nat(2), flags }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('in' as const), p: fc.nat(2), r: fc.nat(2), rp: fc.nat(2), a: fc.nat(1), port: fc.nat(5), flags }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('tick' as const), ms: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 400_000 })) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('static' as const), p: fc.nat(2), c: fc.nat(2), port: fc.nat(5), remove: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('restore' as const) }) },
);

function options(adf: boolean): ReturnType<typeof defaultStateOptions> {
  const ports: [number, number] = [1000, 1003];
  return defaultStateOptions([{ cidr: parseIpv4Cidr('198.51.100.0/31'), ports: { tcp: ports, udp: ports, icmp: ports } }], {
    maxSessions: 24,
    maxSessionsPerClient: 9,
    maxHeldSyns: 3,
    addressDependentFiltering: adf,
    timeouts: { udp: 300_000, tcpEstablished: 7_440_000, tcpTransitory: 240_000, icmp: 60_000, tcpIncomingSyn: 6_000 },
  });
}

describe('Nat64State invariants under random operations', () => {
  it('keep bindings, sessions, counts, timers and both lookups consistent', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 150, size: 'max' }), fc.boolean(), (ops, adf) => {
        const clock = new FakeClock();
        let st = new Nat64State(options(adf), clock);
        for (const o of ops) {
          if (o.k === 'out') {
            const proto = PROTOS[o.p]!;
            const dport = proto === ICMP ? 1000 + o.port : 80 + o.rp;
            const h = st.outbound(proto, CLIENTS[o.c]!, 0, 1000 + o.port, REMOTES[o.r]!, dport, o.flags);
            if (h >= 0) {
              expect(st.findOutbound(proto, CLIENTS[o.c]!, 0, 1000 + o.port, REMOTES[o.r]!, dport)).toBe(h);
              expect(st.findInbound(proto, st.remote4(h), st.remotePort(h), st.addr4(h), st.port4(h))).toBe(h);
              expect(st.isPool4(st.addr4(h))).toBe(true);
            }
          } else if (o.k === 'in') {
            const proto = PROTOS[o.p]!;
            const port4 = 998 + o.port;
            const rp = proto === ICMP ? port4 : 80 + o.rp;
            const h = st.inbound(proto, REMOTES[o.r]!, rp, POOL_BASE + o.a, port4, o.flags, new Uint8Array(4));
            if (h >= 0) {
              expect(st.findInbound(proto, REMOTES[o.r]!, rp, POOL_BASE + o.a, port4)).toBe(h);
              const a6 = new Uint8Array(16);
              st.copyAddr6(h, a6, 0);
              expect(st.findOutbound(proto, a6, 0, st.port6(h), st.remote4(h), proto === ICMP ? st.port6(h) : st.remotePort(h))).toBe(h);
            }
          } else if (o.k === 'tick') {
            clock.t += o.ms;
            st.tick();
          } else if (o.k === 'static') {
            const proto = PROTOS[o.p]!;
            const id = `${['tcp', 'udp', 'icmp'][o.p]}-198.51.100.1-${998 + o.port}`;
            if (o.remove) st.removeStatic(id);
            else {
              try {
                st.addStatic(proto, CLIENTS[o.c]!, 80, POOL_BASE + 1, 998 + o.port);
              } catch (e) {
                expect((e as { code: string }).code).toBe('ERR_STATE_CONFLICT');
              }
            }
          } else if (o.k === 'flush') {
            st.flush('flushed');
          } else {
            const snap = JSON.parse(JSON.stringify(st.snapshot())) as unknown;
            const before = st.stats();
            const statics = st.listBib().filter((b) => b.static);
            st = new Nat64State(options(adf), clock);
            for (const b of statics) {
              const [, a6, p6] = /^\[(.+)\]:(\d+)$/.exec(b.ipv6)!;
              const [a4, p4] = b.ipv4.split(':');
              st.addStatic(PROTOS[['tcp', 'udp', 'icmp'].indexOf(b.protocol)]!, parseIpv6(a6!), Number(p6), POOL_BASE + (a4 === '198.51.100.1' ? 1 : 0), Number(p4));
            }
            expect(st.restore(snap)).toBe(before.sessions.total);
            expect(st.stats()).toEqual(before);
          }
          const broken = st.verify();
          expect(broken).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
