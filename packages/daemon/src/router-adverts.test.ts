import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv6 } from '@sixgate/addressing';
import { defaultConfig, type Config } from '@sixgate/config';
import { parseRouterAdvert, type LinkSocket } from '@sixgate/ra';
import pino from 'pino';
import { announcementFor, RouterAdverts, routerLifetime } from './router-adverts.js';

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
