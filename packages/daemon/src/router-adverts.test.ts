import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv6, parseIpv6Cidr } from '@sixgate/addressing';
import { defaultConfig, type Config } from '@sixgate/config';
import { buildRouterAdvert, parseRouterAdvert, type LinkSocket } from '@sixgate/ra';
import pino from 'pino';
import { announcementFor, dnsServesLink, RouterAdverts, routerLifetime } from './router-adverts.js';
import { raFindings } from './router-adverts-check.js';

const log = pino({ level: 'silent' });
const cfgWith = (over: Partial<Config['ra']>, prefix = '64:ff9b::/96'): Config => {
  const c = defaultConfig();
  return { ...c, prefix, ra: { ...c.ra, ...over } };
};

function harness() {
  const sent: { ifname: string; dst: string; pref64: string[] }[] = [];
  const deps = {
    timers: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined },
    openSocket: (ifname: string): LinkSocket => {
      if (ifname === 'missing0') throw new Error('if_nametoindex: No such device');
      return {
        listen: () => undefined,
        close: () => undefined,
        send: (msg, dst) => {
          const r = parseRouterAdvert(msg, msg.length, { source: parseIpv6('fe80::1'), hopLimit: 255 });
          if (!r.ok) throw new Error(r.reason);
          sent.push({ ifname, dst: formatIpv6(dst), pref64: r.message.pref64.map((p) => `${formatIpv6(p.prefix)}/${p.length} ${p.lifetime}`) });
          return 0;
        },
      };
    },
    interfaceAddresses: () => [parseIpv6('fe80::1'), parseIpv6('2001:db8::1')],
  };
  return { sent, deps };
}

describe('router advertisements in the daemon', () => {
  it('takes PREF64 from prefix and RDNSS from the DNS64 listeners on the link', () => {
    const a = announcementFor(cfgWith({ dnssl: ['example.org'] }, '2001:db8:64::/96'), [{ address: '::', port: 53 }], [parseIpv6('fe80::1'), parseIpv6('2001:db8::1')]);
    expect(formatIpv6(a.pref64!.prefix)).toBe('2001:db8:64::');
    expect(a.pref64!.length).toBe(96);
    expect(a.rdnss.map((x) => formatIpv6(x))).toEqual(['2001:db8::1']);
    expect(a.dnssl).toEqual(['example.org']);
    expect(a.routerLifetime).toBe(0);
    expect(announcementFor(cfgWith({ rdnss: false }), [{ address: '::', port: 53 }], [parseIpv6('2001:db8::1')]).rdnss).toEqual([]);
  });

  it('announces RDNSS only on a link whose clients dns64.clients admits', () => {
    const lan = [parseIpv6Cidr('2001:db8:1::/64'), parseIpv6Cidr('fe80::/64')];
    expect(dnsServesLink([], lan)).toBe(true); // the default ACL admits the host's own subnets
    expect(dnsServesLink(['2001:db8:1::/64'], lan)).toBe(true);
    expect(dnsServesLink(['2001:db8::/32'], lan)).toBe(true); // a wider client prefix
    expect(dnsServesLink(['2001:db8:1:0:8000::/65'], lan)).toBe(true); // part of the link
    expect(dnsServesLink(['2001:db8:2::/64', '192.0.2.0/24'], lan)).toBe(false);
    expect(dnsServesLink(['2001:db8:1::7'], lan)).toBe(true); // one host of the link
    expect(dnsServesLink(['2001:db8:2::/64'], [])).toBe(false);
    const c = cfgWith({});
    const refused = { ...c, dns64: { ...c.dns64, clients: ['2001:db8:2::/64'] } };
    const addrs = [parseIpv6('fe80::1'), parseIpv6('2001:db8:1::1')];
    expect(announcementFor(refused, [{ address: '::', port: 53 }], addrs, lan).rdnss).toEqual([]);
    expect(announcementFor(c, [{ address: '::', port: 53 }], addrs, lan).rdnss.map((x) => formatIpv6(x))).toEqual(['2001:db8:1::1']);
    // The health warning names the link.
    const { deps } = harness();
    const ra = new RouterAdverts({ ...refused, ra: { ...refused.ra, interfaces: ['lan0'] } }, () => [{ address: '::', port: 53 }], log, { ...deps, linkNetworks: () => lan });
    ra.start();
    expect(ra.warnings()).toEqual(['no RDNSS announced on lan0: dns64.clients admits none of its networks']);
    expect(ra.view().links[0]!.rdnss).toEqual([]);
    ra.stop(false);
  });

  it('claims to be a default router only when asked', () => {
    expect(routerLifetime(cfgWith({}).ra)).toBe(0);
    expect(routerLifetime(cfgWith({ defaultRouter: true }).ra)).toBe(1800);
    expect(routerLifetime(cfgWith({ defaultRouter: true, maxInterval: 1800, minInterval: 600 }).ra)).toBe(5400);
    expect(routerLifetime(cfgWith({ routerLifetime: 300 }).ra)).toBe(300);
  });

  it('does nothing with no interfaces (the default)', () => {
    const { sent, deps } = harness();
    const ra = new RouterAdverts(cfgWith({}), () => [], log, deps);
    ra.start();
    expect(ra.enabled).toBe(false);
    expect(sent).toEqual([]);
    expect(ra.view()).toEqual({ enabled: false, links: [], conflicts: [] });
    expect(ra.stats()).toBeUndefined();
  });

  it('announces a new prefix at once with the old one withdrawn; undo announces the old one again', () => {
    const { sent, deps } = harness();
    const prev = cfgWith({ interfaces: ['lan0'] });
    const ra = new RouterAdverts(prev, () => [{ address: '::', port: 53 }], log, deps);
    ra.start();
    expect(sent.at(-1)!.pref64).toEqual(['64:ff9b::/96 1800']);
    const next = { ...prev, prefix: '2001:db8:64::/96' };
    ra.apply(next);
    expect(sent.at(-1)!.pref64).toEqual(['2001:db8:64::/96 1800', '64:ff9b::/96 0']);
    ra.apply(prev); // the transaction's undo
    expect(ra.view().links[0]!.pref64[0]).toEqual({ prefix: '64:ff9b::/96', lifetime: 1800 });
  });

  it('a config naming a missing interface fails and keeps the old announcement', () => {
    const { deps } = harness();
    const prev = cfgWith({ interfaces: ['lan0'] });
    const ra = new RouterAdverts(prev, () => [], log, deps);
    ra.start();
    expect(() => ra.apply({ ...prev, prefix: '2001:db8:64::/96', ra: { ...prev.ra, interfaces: ['lan0', 'missing0'] } })).toThrow(/No such device/);
    expect(ra.view().links.map((l) => l.interface)).toEqual(['lan0']);
    expect(ra.view().links[0]!.pref64).toEqual([{ prefix: '64:ff9b::/96', lifetime: 1800 }]);
  });

  it('withdraws on a real stop, keeps quiet on a restart', () => {
    const a = harness();
    const r1 = new RouterAdverts(cfgWith({ interfaces: ['lan0'] }), () => [], log, a.deps);
    r1.start();
    r1.stop(true);
    expect(a.sent.slice(1).map((s) => s.pref64)).toEqual([['64:ff9b::/96 0'], ['64:ff9b::/96 0'], ['64:ff9b::/96 0']]);
    const b = harness();
    const r2 = new RouterAdverts(cfgWith({ interfaces: ['lan0'] }), () => [], log, b.deps);
    r2.start();
    r2.stop(false);
    expect(b.sent).toHaveLength(1);
  });
});

describe('sixgate check: router advertisements', () => {
  const advert = (prefix: string, rdnss: string[] = []) =>
    buildRouterAdvert({ curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTime: 0, retransTimer: 0, prefixes: [], pref64: [{ prefix: parseIpv6(prefix), length: 96, lifetime: 600 }], rdnss: rdnss.length ? [{ lifetime: 600, addresses: rdnss.map((a) => parseIpv6(a)) }] : [], dnssl: [] });
  /** A link where each router answers the solicitation with `ras`. */
  const link = (ras: { from: string; bytes: Uint8Array; hopLimit?: number }[], opts: { fail?: Error } = {}) => ({
    waitMs: 10,
    interfaceAddresses: () => [parseIpv6('fe80::1')],
    localAddresses: () => [parseIpv6('fe80::1')],
    openSocket: (): LinkSocket => {
      if (opts.fail) throw opts.fail;
      let deliver: ((m: Parameters<Parameters<LinkSocket['listen']>[0]>[0]) => void) | undefined;
      return {
        listen: (cb) => (deliver = cb),
        close: () => undefined,
        send: () => {
          for (const r of ras) deliver?.({ bytes: r.bytes, length: r.bytes.length, source: parseIpv6(r.from), destination: parseIpv6('fe80::1'), hopLimit: r.hopLimit ?? 255, truncated: false });
          return 0;
        },
      };
    },
  });
  const cfg = cfgWith({ interfaces: ['lan0'] }, '2001:db8:64::/96');

  it('checks nothing when RAs are off', async () => {
    expect(await raFindings(cfgWith({}), link([]))).toEqual([]);
  });
  it('is ok with no other router, or one with the same PREF64 and our resolver', async () => {
    expect(await raFindings(cfg, link([]))).toMatchObject([{ ok: true, what: 'router advertisements on lan0' }]);
    const c = { ...cfg, dns64: { ...cfg.dns64, listen: ['[2001:db8::53]:53'] } };
    expect(await raFindings(c, link([{ from: 'fe80::9', bytes: advert('2001:db8:64::', ['2001:db8::53']) }]))).toMatchObject([{ ok: true }]);
  });
  it('fails on another PREF64, naming the router', async () => {
    const [f] = await raFindings(cfg, link([{ from: 'fe80::9', bytes: advert('2001:db8:bad::') }, { from: 'fe80::1', bytes: advert('2001:db8:bad::') }]));
    expect(f).toMatchObject({ ok: false });
    expect(f!.detail).toContain('router fe80::9 announces PREF64 2001:db8:bad::/96 (sixgate: 2001:db8:64::/96)');
    expect(f!.detail).not.toContain('fe80::1 ');
  });
  it('fails on our PREF64 with another resolver', async () => {
    const c = { ...cfg, dns64: { ...cfg.dns64, listen: ['[2001:db8::53]:53'] } };
    const [f] = await raFindings(c, link([{ from: 'fe80::9', bytes: advert('2001:db8:64::', ['2001:db8::99']) }]));
    expect(f!.detail).toContain("announces sixgate's PREF64 with RDNSS 2001:db8::99");
  });
  it('ignores advertisements that fail validation', async () => {
    expect(await raFindings(cfg, link([{ from: 'fe80::9', bytes: advert('2001:db8:bad::'), hopLimit: 64 }]))).toMatchObject([{ ok: true }]);
  });
  it('names the fix when the socket cannot be opened', async () => {
    const [f] = await raFindings(cfg, link([], { fail: Object.assign(new Error('socket: Operation not permitted'), { errno: 1 }) }));
    expect(f).toMatchObject({ ok: false });
    expect(f!.detail).toContain('NET_RAW');
  });
});
