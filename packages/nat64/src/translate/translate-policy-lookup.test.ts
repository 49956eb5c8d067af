// With policy rules, a 6→4 packet costs one state lookup: the session found
// for the policy decision is refreshed by handle (StateApi.refreshOutbound),
// and the policy decides new flows only.
import { buildIpv4Tcp, buildIpv6Icmp, buildIpv6Tcp, buildIpv6Udp, type Packet, TCP_FLAG } from '@sixgate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { Policy, parsePolicyRules } from '../policy.js';
import type { StateApi } from '../state/api.js';
import { CLIENT, harness, type Harness, OWN4 as POOL_ADDR, SERVER4, SERVER6 } from './test-setup.js';

const ROOM = { headroom: 64, tailroom: 64 };
const v6udp = (sport: number): Packet => buildIpv6Udp({ src: CLIENT, dst: SERVER6, sport, dport: 53, payload: new Uint8Array(12), ...ROOM });
const v6tcp = (flags: number): Packet => buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 3000, dport: 80, flags, ...ROOM });
const ping = (id: number): Packet => buildIpv6Icmp({ src: CLIENT, dst: SERVER6, type: 128, code: 0, rest: (id << 16) | 1, body: new Uint8Array(8), ...ROOM });

/** A real Policy with rules (none matching 192.0.2.33) whose checks are counted. */
function rulesPolicy(): { policy: Policy; checks: () => number } {
  const policy = new Policy(parsePolicyRules([
    { id: 'no-doc3', action: 'deny', destination4: '203.0.113.0/24' },
    { id: 'no-ntp', action: 'deny', protocol: 'udp', ports: '123' },
  ]));
  const check = vi.spyOn(policy, 'check');
  return { policy, checks: () => check.mock.calls.length };
}

function spies(st: StateApi): Record<'find' | 'out' | 'refresh', () => number> {
  const find = vi.spyOn(st, 'findOutbound');
  const out = vi.spyOn(st, 'outbound');
  const refresh = vi.spyOn(st, 'refreshOutbound');
  return { find: () => find.mock.calls.length, out: () => out.mock.calls.length, refresh: () => refresh.mock.calls.length };
}

function send(h: Harness, p: Packet): string {
  const r = h.tr.translate(p.buf, p.off, p.len, h.out, 0);
  return r.kind === 'forward' ? 'forward' : `${r.kind} ${'reason' in r ? r.reason : ''}`;
}

describe('policy rules: one state lookup per established 6→4 packet', () => {
  it.each([
    { name: 'UDP', first: () => v6udp(1212), next: () => v6udp(1212) },
    { name: 'TCP', first: () => v6tcp(TCP_FLAG.SYN), next: () => v6tcp(TCP_FLAG.ACK) },
    { name: 'ICMP echo', first: () => ping(77), next: () => ping(77) },
  ])('$name: the policy decides the new flow once; then find + refresh, no outbound', ({ first, next }) => {
    const h = harness();
    const { policy, checks } = rulesPolicy();
    h.tr.setPolicy(policy);
    const n = spies(h.st);
    expect(send(h, first())).toBe('forward');
    expect({ checks: checks(), find: n.find(), out: n.out(), refresh: n.refresh() }).toEqual({ checks: 1, find: 1, out: 1, refresh: 0 });
    for (let i = 0; i < 5; i++) expect(send(h, next())).toBe('forward');
    expect({ checks: checks(), find: n.find(), out: n.out(), refresh: n.refresh() }).toEqual({ checks: 1, find: 6, out: 1, refresh: 5 });
    expect(h.st.stats().sessions.total).toBe(1);
  });

  it('a new flow of an established client is still checked (and denied by its rule)', () => {
    const h = harness();
    const { policy, checks } = rulesPolicy();
    h.tr.setPolicy(policy);
    expect(send(h, v6udp(1212))).toBe('forward');
    const ntp = buildIpv6Udp({ src: CLIENT, dst: SERVER6, sport: 1212, dport: 123, payload: new Uint8Array(12), ...ROOM });
    expect(send(h, ntp)).toBe('reply policy-deny');
    expect(send(h, v6udp(1212))).toBe('forward');
    expect(checks()).toBe(2);
    expect(policy.hits()).toEqual([{ id: 'no-doc3', action: 'deny', hits: 0 }, { id: 'no-ntp', action: 'deny', hits: 1 }]);
  });

  it('the refreshed session keeps its lifetime as with outbound: it outlives the first packet by 5 min', () => {
    const h = harness();
    h.tr.setPolicy(rulesPolicy().policy);
    expect(send(h, v6udp(1212))).toBe('forward');
    h.clock.advance(200_000);
    expect(send(h, v6udp(1212))).toBe('forward');
    h.clock.advance(200_000);
    h.st.tick();
    expect(h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).items[0]?.expiresInMs).toBe(100_000);
  });

  it('TCP through the translator: each packet leaves the session as without rules (RFC 6146 §3.5.2.2)', () => {
    const steps: [boolean, number][] = [[true, TCP_FLAG.SYN], [false, TCP_FLAG.SYN | TCP_FLAG.ACK], [true, TCP_FLAG.ACK], [true, TCP_FLAG.RST], [true, TCP_FLAG.ACK], [true, TCP_FLAG.FIN | TCP_FLAG.ACK]];
    const runs = [true, false].map((withRules) => {
      const h = harness();
      if (withRules) h.tr.setPolicy(rulesPolicy().policy);
      const seen: unknown[] = [];
      for (const [v6, f] of steps) {
        h.clock.advance(1000);
        const port4 = h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).items[0]?.ipv4Local.split(':')[1];
        const p = v6 ? v6tcp(f) : buildIpv4Tcp({ src: SERVER4, dst: POOL_ADDR, sport: 80, dport: Number(port4), flags: f, ...ROOM });
        expect(send(h, p)).toBe('forward');
        seen.push(h.st.listSessions({ limit: 1, offset: 0 }, h.tr.prefix).items[0]);
      }
      return seen;
    });
    expect(runs[0]!.map((x) => (x as { state: string }).state)).toEqual(['v6-init', 'established', 'established', 'trans', 'established', 'v6-fin-rcv']);
    expect(runs[0]).toEqual(runs[1]);
  });

  it('without rules the state is not searched before outbound', () => {
    const h = harness();
    h.tr.setPolicy(new Policy([]));
    const n = spies(h.st);
    for (let i = 0; i < 3; i++) expect(send(h, v6udp(1212))).toBe('forward');
    expect({ find: n.find(), out: n.out(), refresh: n.refresh() }).toEqual({ find: 0, out: 3, refresh: 0 });
  });
});
