// The HA standby guard (ADR 8) at the translator level: a standby state
// translates the flows it holds and creates nothing — no binding, no session,
// no held SYN — so the pair's RFC 6146 state stays the active's alone.
import { parseIpv4, parseIpv6 } from '@sixgate/addressing';
import { buildIpv4Tcp, buildIpv4Udp, buildIpv6Icmp, buildIpv6Tcp, buildIpv6Udp, type Packet, TCP_FLAG } from '@sixgate/testkit';
import { u16 } from '@sixgate/wire';
import { describe, expect, it } from 'vitest';
import { StateFail, TCP, TCP_SYN, UDP } from '../state/api.js';
import { CLIENT, harness, type Harness, SERVER4, SERVER6 } from './test-setup.js';

const POOL_ADDR = '198.51.100.1';
const ROOM = { headroom: 64, tailroom: 64 };

const tr = (h: Harness, p: Packet) => h.tr.translate(p.buf, p.off, p.len, h.out, 0);
function fwdOf(h: Harness, p: Packet): Uint8Array {
  const r = tr(h, p);
  if (r.kind !== 'forward') throw new Error(`expected forward, got ${r.kind} ${'reason' in r ? r.reason : ''}`);
  return p.buf.slice(r.offset, r.offset + r.length);
}
const v6udp = (sport = 1212, dst = SERVER6): Packet => buildIpv6Udp({ src: CLIENT, dst, sport, dport: 53, payload: new Uint8Array(12), ...ROOM });
const v4udp = (dport: number, src = SERVER4, sport = 53): Packet => buildIpv4Udp({ src, dst: POOL_ADDR, sport, dport, payload: new Uint8Array(12), ...ROOM });
const totals = (h: Harness) => ({ sessions: h.st.stats().sessions['total'], bindings: h.st.stats().bindings, pool4Used: h.st.stats().pool4Used });

describe('HA standby guard', () => {
  it('a standby translates the flows it holds both ways and drops new ones (ha-standby), creating no state', () => {
    const h = harness();
    // A flow made while active (or synced from the active).
    const port4 = u16(fwdOf(h, v6udp(1000)), 20);
    const tcpOut = fwdOf(h, buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 5000, dport: 80, flags: TCP_FLAG.SYN, ...ROOM }));
    fwdOf(h, buildIpv4Tcp({ src: SERVER4, dst: POOL_ADDR, sport: 80, dport: u16(tcpOut, 20), flags: TCP_FLAG.SYN | TCP_FLAG.ACK, ...ROOM }));
    h.st.standby = true;
    const before = totals(h);

    // Its packets still pass, both directions.
    expect(tr(h, v6udp(1000)).kind).toBe('forward');
    expect(tr(h, v4udp(port4)).kind).toBe('forward');
    expect(tr(h, buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 5000, dport: 80, flags: TCP_FLAG.ACK, ...ROOM })).kind).toBe('forward');

    // New flows: another client port (new binding), same binding to a new remote (new session),
    // a V6 SYN, an ICMP echo, an unsolicited V4 SYN (would be held), a new remote into the binding.
    const refused: Packet[] = [
      v6udp(1001),
      v6udp(1000, '64:ff9b:1::c000:222'),
      buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 5001, dport: 80, flags: TCP_FLAG.SYN, ...ROOM }),
      buildIpv6Icmp({ src: CLIENT, dst: SERVER6, type: 128, id: 77, payload: new Uint8Array(8), ...ROOM }),
      buildIpv4Tcp({ src: SERVER4, dst: POOL_ADDR, sport: 80, dport: 40000, flags: TCP_FLAG.SYN, ...ROOM }),
      v4udp(port4, '192.0.2.99', 53),
    ];
    for (const p of refused) expect(tr(h, p)).toEqual({ kind: 'drop', reason: 'ha-standby' });
    expect(h.tr.snapshot().drops['ha-standby']).toBe(refused.length);
    expect(h.st.standbyRefused).toBe(refused.length);
    expect(totals(h)).toEqual(before);
    expect(h.st.verify()).toEqual([]);
    // No ICMP error went back to anyone.
    expect(h.tr.snapshot().icmpErrorsSent).toBe(0);

    // Packets that create nothing anyway keep their own reason.
    expect(tr(h, v4udp(40001))).toEqual({ kind: 'drop', reason: 'no-binding' });
    expect(tr(h, buildIpv6Tcp({ src: CLIENT, dst: SERVER6, sport: 5002, dport: 80, flags: TCP_FLAG.ACK, ...ROOM }))).toEqual({ kind: 'drop', reason: 'tcp-no-session' });

    // Active again: the same new flow is created.
    h.st.standby = false;
    expect(tr(h, v6udp(1001)).kind).toBe('forward');
    expect(h.st.stats().sessions['total']).toBe(before.sessions! + 1);
  });

  it('the state API answers StateFail.standby and leaves a carried binding consistent', () => {
    const h = harness();
    const c6 = parseIpv6('2001:db8::5');
    expect(h.st.outbound(UDP, c6, 0, 7, parseIpv4(SERVER4), 53, 0)).toBeGreaterThanOrEqual(0);
    h.st.standby = true;
    expect(h.st.outbound(UDP, c6, 0, 8, parseIpv4(SERVER4), 53, 0)).toBe(StateFail.standby);
    expect(h.st.outbound(TCP, c6, 0, 9, parseIpv4(SERVER4), 80, TCP_SYN)).toBe(StateFail.standby);
    expect(h.st.stats().sessions['total']).toBe(1);
    expect(h.st.verify()).toEqual([]);
  });
});
