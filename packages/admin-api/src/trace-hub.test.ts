import { parseNat64Prefix } from '@sixgate/addressing';
import type { TraceRecord } from './ports.js';
import { buildIpv4Udp, buildIpv6Udp } from '@sixgate/testkit';
import { describe, expect, it } from 'vitest';
import { TraceHub } from './trace-hub.js';

const prefix = parseNat64Prefix('2001:db8:64::/96');
const v6 = buildIpv6Udp({ src: '2001:db8:1::2', dst: '2001:db8:64::c633:6402', sport: 1000, dport: 53, payload: new Uint8Array(4) }).bytes;
const v4 = buildIpv4Udp({ src: '198.51.100.2', dst: '203.0.113.1', sport: 53, dport: 2000, payload: new Uint8Array(4) }).bytes;

describe('TraceHub', () => {
  it('is inactive without subscribers and active with one', () => {
    const hub = new TraceHub();
    expect(hub.active).toBe(false);
    const off = hub.subscribe({ packets: false }, () => undefined);
    expect(hub.active).toBe(true);
    expect(hub.wantsPackets).toBe(false);
    off();
    expect(hub.active).toBe(false);
  });

  it('filters by client and destination and carries bytes only for pcap subscribers', () => {
    const hub = new TraceHub();
    const all: TraceRecord[] = [];
    const mine: TraceRecord[] = [];
    const other: TraceRecord[] = [];
    hub.subscribe({ packets: true }, (r) => all.push(r));
    hub.subscribe({ client: '2001:db8:1::/64', dst: '198.51.100.0/24', packets: false }, (r) => mine.push(r));
    hub.subscribe({ client: '2001:db8:2::/64', packets: false }, (r) => other.push(r));
    hub.packet(prefix, v6, 'forward', undefined, v4);
    hub.packet(prefix, v4, 'drop', 'no-binding', undefined);
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ source: 'nat64', direction: '6to4', client: '2001:db8:1::2', dst: '198.51.100.2', protocol: 'udp', decision: 'forward' });
    expect(all[0]!.before).toEqual(v6);
    expect(all[1]).toMatchObject({ direction: '4to6', dst: '198.51.100.2', decision: 'drop', reason: 'no-binding' });
    expect(mine).toHaveLength(1);
    expect(mine[0]!.before).toBeUndefined();
    expect(other).toHaveLength(0);
  });

  it('traces DNS64 queries by client', () => {
    const hub = new TraceHub();
    const got: TraceRecord[] = [];
    hub.subscribe({ client: '2001:db8:1::/64', packets: false }, (r) => got.push(r));
    const q = { qname: 'www.example.net', qtype: 28, decision: 'synthesized', rcode: 0, transport: 'udp', durationMs: 1.5 };
    hub.query({ ...q, client: '2001:db8:1::2' });
    hub.query({ ...q, client: '2001:db8:9::2' });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ source: 'dns64', client: '2001:db8:1::2', dst: 'www.example.net', decision: 'synthesized' });
  });
});
