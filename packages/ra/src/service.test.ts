import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv6 } from '@sixgate/addressing';
import { hex } from '@sixgate/testkit';
import type { Announcement, Conflict, Timers } from './advertiser.js';
import { buildRouterAdvert, buildRouterSolicit } from './message.js';
import { linkNetworks, RaService, rdnssFor, usableLinkLocal, type LinkSocket } from './service.js';
import type { Received } from './socket.js';

class FakeSocket implements LinkSocket {
  sent: { dst: string; src: string | null; bytes: Uint8Array }[] = [];
  closed = false;
  onMessage?: (m: Received) => void;
  listen(onMessage: (m: Received) => void): void {
    this.onMessage = onMessage;
  }
  send(message: Uint8Array, destination: Uint8Array, source: Uint8Array | null): number {
    this.sent.push({ dst: formatIpv6(destination), src: source ? formatIpv6(source) : null, bytes: message.slice() });
    return 0;
  }
  close(): void {
    this.closed = true;
  }
  deliver(bytes: Uint8Array, source: string, hopLimit = 255, truncated = false): void {
    this.onMessage!({ bytes, length: bytes.length, source: parseIpv6(source), destination: parseIpv6('ff02::2'), hopLimit, truncated });
  }
}

const timers = (): Timers & { fire(): void } => {
  const q: (() => void)[] = [];
  return { now: () => 1_000, setTimeout: (fn) => q.push(fn), clearTimeout: () => undefined, fire: () => q.splice(0).forEach((f) => f()) };
};

function setup(ifaces = ['lan0']) {
  const sockets = new Map<string, FakeSocket>();
  const conflicts: Conflict[] = [];
  const t = timers();
  const ann: Announcement = { pref64: { prefix: parseIpv6('64:ff9b::'), length: 96 }, rdnss: [parseIpv6('2001:db8::53')], dnssl: [], prefixes: [], routerLifetime: 0 };
  const svc = new RaService(
    { interfaces: ifaces, timing: { minInterval: 200, maxInterval: 600 }, announcement: () => ann },
    {
      timers: t,
      random: () => 0,
      openSocket: (n) => {
        if (n === 'missing0') throw Object.assign(new Error('if_nametoindex: No such device'), { errno: 19 });
        if (n === 'noraw0') throw Object.assign(new Error('socket: Operation not permitted'), { errno: 1 });
        const s = new FakeSocket();
        sockets.set(n, s);
        return s;
      },
      interfaceAddresses: (n) => (n === 'bare0' ? [] : [parseIpv6('fe80::1'), parseIpv6('2001:db8::53')]),
      onConflict: (c) => conflicts.push(c),
    },
  );
  return { svc, sockets, conflicts, t };
}

describe('RaService', () => {
  it('sends from the link-local address to ff02::1 on start', () => {
    const { svc, sockets } = setup();
    svc.start();
    expect(sockets.get('lan0')!.sent).toMatchObject([{ dst: 'ff02::1', src: 'fe80::1' }]);
    expect(svc.status()[0]).toMatchObject({ interface: 'lan0', running: true, pref64: [{ prefix: '64:ff9b::/96', lifetime: 1800 }], rdnss: [{ addresses: ['2001:db8::53'], lifetime: 1800 }] });
  });

  it('counts an interface without a link-local address as a send error', () => {
    const { svc } = setup(['bare0']);
    svc.start();
    expect(svc.totals()).toMatchObject({ rasSent: 0, sendErrors: 1 });
  });

  it('answers a valid solicitation and counts invalid ones by reason', () => {
    const { svc, sockets, t } = setup();
    svc.start();
    const s = sockets.get('lan0')!;
    s.deliver(buildRouterSolicit(hex`020000000002`), 'fe80::2');
    s.deliver(buildRouterSolicit(), 'fe80::3', 64);
    s.deliver(hex`85 00 0000 0000`, 'fe80::4');
    s.deliver(new Uint8Array(1500), 'fe80::5', 255, true);
    s.deliver(hex`87 00 0000 00000000`, 'fe80::6');
    t.fire();
    expect(s.sent.map((x) => x.dst).filter((d) => d !== 'ff02::1')).toEqual(['fe80::2']);
    expect(svc.status()[0]!.counters.invalid).toEqual({ 'hop limit not 255': 1, short: 1, oversized: 1, 'unexpected type': 1 });
    expect(svc.totals()).toMatchObject({ rsReceived: 1, rsAnswered: 1 });
  });

  it('reports a foreign PREF64 once, ignores our own RAs', () => {
    const { svc, sockets, conflicts } = setup();
    svc.start();
    const s = sockets.get('lan0')!;
    const ra = buildRouterAdvert({ curHopLimit: 64, managed: false, other: false, routerLifetime: 0, reachableTime: 0, retransTimer: 0, prefixes: [], pref64: [{ prefix: parseIpv6('2001:db8:bad::'), length: 96, lifetime: 600 }], rdnss: [], dnssl: [] });
    s.deliver(ra, 'fe80::1'); // our own address: not foreign
    expect(svc.conflicts()).toEqual([]);
    s.deliver(ra, 'fe80::99');
    s.deliver(ra, 'fe80::99');
    s.deliver(ra, '2001:db8::99'); // not link-local: invalid
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ router: 'fe80::99', announced: '2001:db8:bad::/96' });
    expect(svc.totals()).toMatchObject({ foreignPref64: 2, foreign: [{ interface: 'lan0', router: 'fe80::99', prefix: '2001:db8:bad::/96', count: 2 }] });
    expect(svc.status()[0]!.counters.invalid).toEqual({ 'source not link-local': 1 });
  });

  it('changes nothing when a new interface cannot be opened', () => {
    const { svc, sockets } = setup();
    svc.start();
    const opts = { interfaces: ['lan0', 'lan1', 'missing0'], timing: { minInterval: 200, maxInterval: 600 }, announcement: () => ({ rdnss: [], dnssl: [], prefixes: [], routerLifetime: 0 }) };
    expect(() => svc.update(opts)).toThrow(/No such device/);
    expect(svc.interfaces).toEqual(['lan0']);
    // Without CAP_NET_RAW the error says what is missing.
    expect(() => svc.update({ ...opts, interfaces: ['lan0', 'noraw0'] })).toThrow(/router advertisements on noraw0: socket: Operation not permitted \(a raw ICMPv6 socket needs CAP_NET_RAW/);
    expect(svc.interfaces).toEqual(['lan0']);
    expect(sockets.get('lan1')!.closed).toBe(true);
  });

  it('withdraws a removed interface and closes its socket', () => {
    const { svc, sockets } = setup(['lan0', 'lan1']);
    svc.start();
    svc.update({ interfaces: ['lan0'], timing: { minInterval: 200, maxInterval: 600 }, announcement: () => ({ pref64: { prefix: parseIpv6('64:ff9b::'), length: 96 }, rdnss: [], dnssl: [], prefixes: [], routerLifetime: 0 }) });
    const l1 = sockets.get('lan1')!;
    expect(l1.closed).toBe(true);
    expect(l1.sent).toHaveLength(4);
    expect(svc.interfaces).toEqual(['lan0']);
    svc.stop(false);
    expect(sockets.get('lan0')!.closed).toBe(true);
  });
});

describe('rdnssFor', () => {
  const link = [parseIpv6('fe80::1'), parseIpv6('2001:db8:1::1'), parseIpv6('fd00::1')];
  const text = (a: Uint8Array[]) => a.map((x) => formatIpv6(x));
  it('a wildcard listener serves the global and unique-local addresses', () => {
    expect(text(rdnssFor([{ address: '::', port: 53 }], link))).toEqual(['2001:db8:1::1', 'fd00::1']);
  });
  it('falls back to the link-local address', () => {
    expect(text(rdnssFor([{ address: '::', port: 53 }], [parseIpv6('fe80::1')]))).toEqual(['fe80::1']);
  });
  it('a specific listener counts only on its link', () => {
    expect(text(rdnssFor([{ address: '2001:db8:1::1', port: 53 }, { address: '2001:db8:9::1', port: 53 }], link))).toEqual(['2001:db8:1::1']);
  });
  it('none for IPv4-only listeners or another port', () => {
    expect(rdnssFor([{ address: '0.0.0.0', port: 53 }, { address: '::', port: 5353 }], link)).toEqual([]);
  });
});

describe('usableLinkLocal', () => {
  const table = [
    'fe800000000000000000000000000001 02 40 20 c0     a0', // tentative (0x40) and permanent
    '20010db8000000000000000000000053 02 40 00 80     a0',
    'fe800000000000000000000000000009 03 40 20 88     b0', // dadfailed
    'fe800000000000000000000000000002 02 40 20 80     a0',
    'fe800000000000000000000000000003 04 40 20 80     a00',
  ].join('\n');
  it('skips addresses still in DAD or failed, and other interfaces', () => {
    expect(formatIpv6(usableLinkLocal('a0', table)!)).toBe('fe80::2');
    expect(usableLinkLocal('b0', table)).toBeUndefined();
    expect(usableLinkLocal('c0', table)).toBeUndefined();
    expect(usableLinkLocal('a0', 'garbage\n\n12 34')).toBeUndefined();
  });
});

describe('linkNetworks', () => {
  it('lists address/length of one interface, masked, skipping malformed lines', () => {
    const table = ['20010db8000100000000000000000053 02 40 00 80     a0', 'fe800000000000000000000000000001 02 40 20 80     a0', '20010db8000900000000000000000001 03 30 00 80     b0', 'zz 02 40 00 80 a0', '20010db8000100000000000000000001 02 99 00 80     a0'].join('\n');
    expect(linkNetworks('a0', table).map((n) => `${formatIpv6(n.bytes)}/${n.length}`)).toEqual(['2001:db8:1::/64', 'fe80::/64']);
    expect(linkNetworks('b0', table).map((n) => `${formatIpv6(n.bytes)}/${n.length}`)).toEqual(['2001:db8:9::/48']);
    expect(linkNetworks('c0', table)).toEqual([]);
  });
});
