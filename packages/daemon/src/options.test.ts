import { applyPatch, defaultConfig } from '@sixgate/config';

const validateConfig = (patch: Record<string, unknown>) => applyPatch(defaultConfig(), patch);
import { describe, expect, it } from 'vitest';
import { changedKeys, dns64Options, pool4Ranges, routedPrefixes, stateOptions, translatorOptions } from './options.js';

const cfg = validateConfig({
  prefix: '2001:db8:64::/96',
  nat64: { pool4: ['203.0.113.0/28', '198.51.100.0/30'], ports: { udp: '2000-2999' }, timeouts: { udp: 30.5, icmp: 10 }, lowestIpv6Mtu: 1400 },
  dns64: { timeout: 1.5, tcp: { idleTimeout: 3 }, cache: { maxNegativeTtl: 60 } },
});

describe('config → room options', () => {
  it('maps pool4 and its port ranges', () => {
    const p = pool4Ranges(cfg);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatchObject({ cidr: { address: 0xcb007100, length: 28 }, ports: { udp: [2000, 2999], tcp: [1024, 65535] } });
  });

  it('turns seconds into milliseconds for the state tables', () => {
    const s = stateOptions(cfg);
    expect(s.timeouts).toEqual({ udp: 30_500, tcpEstablished: 7_440_000, tcpTransitory: 240_000, icmp: 10_000, tcpIncomingSyn: 6_000 });
    expect(s.maxSessions).toBe(cfg.nat64.maxSessions);
  });

  it('gives the translator the parsed prefix and MTUs', () => {
    const t = translatorOptions(cfg);
    expect(t.prefix.text).toBe('2001:db8:64::/96');
    expect(t.lowestIpv6Mtu).toBe(1400);
    expect(t.ipv6Mtu).toBe(cfg.nat64.mtu);
  });

  it('gives DNS64 the same prefix, the translator policy and ms timeouts', () => {
    const wt = () => false;
    const d = dns64Options(cfg, wt);
    expect(typeof d.prefix === 'string' ? d.prefix : d.prefix?.text).toBe('2001:db8:64::/96');
    expect(d.wouldTranslate).toBe(wt);
    expect(d.timeoutMs).toBe(1500);
    expect(d.tcp).toEqual({ idleTimeoutMs: 3000, maxConnections: 256, messageTimeoutMs: 5000, maxConnectionsPerClient: 16 });
    expect([d.upstreamCaseRandomization, d.upstreamPortUses, d.rateLimit?.response]).toEqual([true, 32, 'truncate']);
    expect(d.cache?.negativeTtl).toBe(60);
  });

  it('routes the prefix and every pool4 range', () => {
    expect(routedPrefixes(cfg)).toEqual(['2001:db8:64::/96', '203.0.113.0/28', '198.51.100.0/30']);
  });
});

describe('changedKeys', () => {
  it('lists changed leaves by dotted path, arrays compared whole', () => {
    const a = defaultConfig();
    const b = validateConfig({ prefix: '2001:db8:64::/96', nat64: { pool4: ['203.0.113.0/28'], timeouts: { udp: 60 } } });
    expect(changedKeys(a, b).sort()).toEqual(['nat64.pool4', 'nat64.timeouts.udp', 'prefix']);
    expect(changedKeys(a, structuredClone(a))).toEqual([]);
  });
});
