import { describe, expect, it } from 'vitest';
import { useApp } from '../test/helper.js';

describe('GET /api/v1/ra', () => {
  const ctx = useApp();

  it('needs the token', async () => {
    const res = await ctx.app.inject({ url: '/api/v1/ra' });
    expect(res.statusCode).toBe(401);
  });

  it('returns the links, their announcement and the conflicts', async () => {
    ctx.ports.raValue = {
      enabled: true,
      links: [
        {
          interface: 'lan0',
          running: true,
          pref64: [{ prefix: '2001:db8:64::/96', lifetime: 1800 }, { prefix: '64:ff9b::/96', lifetime: 0 }],
          rdnss: [{ addresses: ['2001:db8::53'], lifetime: 1800 }],
          dnssl: [],
          prefixes: [],
          routerLifetime: 0,
          lastSent: '2026-12-06T01:00:00.000Z',
          counters: { rasSent: 3, rasSolicitedUnicast: 1, rsReceived: 1, rsAnswered: 1, rsRateLimited: 0, sendErrors: 0, rasReceived: 1, foreignPref64: 1, foreignRdnss: 0, invalid: { 'hop limit not 255': 2 } },
        },
      ],
      conflicts: [{ kind: 'pref64', interface: 'lan0', router: 'fe80::99', announced: '2001:db8:bad::/96', ours: '2001:db8:64::/96', firstSeen: '2026-12-06T01:00:00.000Z', lastSeen: '2026-12-06T01:00:00.000Z', expires: '2026-12-06T01:30:00.000Z', count: 1 }],
    };
    const res = await ctx.call('GET', '/api/v1/ra');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(ctx.ports.raValue);
  });
});

describe('RA metrics', () => {
  const ctx = useApp();
  it('renders RA counters and foreign PREF64 sightings with labels, zero while RAs are off', async () => {
    const off = (await ctx.call('GET', '/metrics')).body;
    expect(off).toMatch(/^sixgate_ra_sent_total 0$/m);
    expect(off).not.toMatch(/^sixgate_ra_foreign_pref64_total\{/m);
    ctx.ports.statsValue = {
      ...ctx.ports.statsValue,
      ra: { rasSent: 7, rasSolicitedUnicast: 1, rsReceived: 2, rsAnswered: 2, rsRateLimited: 0, sendErrors: 0, rasReceived: 1, foreignPref64: 4, foreignRdnss: 0, conflicts: 1, foreign: [{ interface: 'lan0', router: 'fe80::99', prefix: '2001:db8:bad::/96', count: 4 }] },
    };
    const text = (await ctx.call('GET', '/metrics')).body;
    expect(text).toMatch(/^sixgate_ra_sent_total 7$/m);
    expect(text).toMatch(/^sixgate_ra_rs_answered_total 2$/m);
    expect(text).toMatch(/^sixgate_ra_foreign_pref64_total\{interface="lan0",router="fe80::99",prefix="2001:db8:bad::\/96"\} 4$/m);
    expect(text).toMatch(/^sixgate_ra_conflicts 1$/m);
  });
});
