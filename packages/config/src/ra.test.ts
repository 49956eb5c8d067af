// The `ra` section: defaults change nothing for existing users; RFC 4861 §6.2.1 interval rules.
import { describe, expect, it } from 'vitest';
import { configIssues, defaultConfig } from './validate.js';

const withRa = (ra: Record<string, unknown>) => ({ ...defaultConfig(), ra: { ...defaultConfig().ra, ...ra } });

describe('ra config', () => {
  it('announces on no interface by default, as no default router', () => {
    expect(defaultConfig().ra).toEqual({ interfaces: [], minInterval: 200, maxInterval: 600, routerLifetime: 0, defaultRouter: false, rdnss: true, dnssl: [], prefixes: [] });
  });
  it('accepts a full section', () => {
    expect(configIssues(withRa({ interfaces: ['lan0', 'br-lan.10'], minInterval: 3, maxInterval: 4, dnssl: ['example.org'], prefixes: [{ prefix: '2001:db8:1::/64' }] }))).toEqual([]);
  });
  it.each([
    ['min above 0.75 × max', { minInterval: 500 }, 'ra.minInterval'],
    ['max below 4', { maxInterval: 3 }, 'ra.maxInterval'],
    ['min below 3', { minInterval: 2 }, 'ra.minInterval'],
    ['interface twice', { interfaces: ['lan0', 'lan0'] }, 'ra.interfaces'],
    ['interface name with a slash', { interfaces: ['a/b'] }, 'ra.interfaces[0]'],
    ['interface name too long', { interfaces: ['a23456789012345x'] }, 'ra.interfaces[0]'],
    ['bad search domain', { dnssl: ['bad..name'] }, 'ra.dnssl[0]'],
    ['bad prefix', { prefixes: [{ prefix: '2001:db8::zz/64' }] }, 'ra.prefixes[0].prefix'],
    ['preferred above valid', { prefixes: [{ prefix: '2001:db8::/64', validLifetime: 10, preferredLifetime: 20 }] }, 'ra.prefixes[0].preferredLifetime'],
    ['unknown key', { interval: 5 }, 'ra.interval'],
    ['router lifetime above 9000', { routerLifetime: 9001 }, 'ra.routerLifetime'],
  ])('rejects %s', (_what, ra, path) => {
    const issues = configIssues(withRa(ra));
    expect(issues.map((i) => i.path)).toContain(path);
  });
});
