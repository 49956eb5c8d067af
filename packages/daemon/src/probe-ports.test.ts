import { describe, expect, it } from 'vitest';
import { defaultConfig } from '@sixgate/config';
import { zeroStats } from '@sixgate/admin-api';
import { parsePolicyRules, Policy } from '@sixgate/nat64';
import { apiProbePorts, contextOf, countersOf, dnsTarget, refusing } from './probe-ports.js';
import { probeTargets } from './check.js';

describe('probe ports', () => {
  it.each([
    [['[::]:53'], { address: '::1', port: 53 }],
    [['0.0.0.0:5353'], { address: '127.0.0.1', port: 5353 }],
    [['[2001:db8:1::1]:53', '127.0.0.1:53'], { address: '2001:db8:1::1', port: 53 }],
  ])('the DNS64 listener a probe asks: %j', (listen, want) => {
    expect(dnsTarget(listen)).toEqual(want);
  });

  it('an empty listener list is an error, not a guess', () => {
    expect(() => dnsTarget([])).toThrow('dns64.listen is empty: there is no DNS64 listener to probe');
  });

  it('context and counters from the config and the Stats shape', () => {
    const cfg = defaultConfig();
    expect(contextOf(cfg)).toEqual({ prefix: '64:ff9b::/96', dns: { address: '::1', port: 53 }, tun: 'sixgate0', pool4: ['192.168.255.0/24'] });
    const s = zeroStats();
    s.nat64.drops = { 'pool-exhausted': 2 };
    s.nat64.packets = { '6to4': 5, '4to6': 4 };
    s.nat64.pool4 = { used: 3, size: 10, percent: 30 };
    expect(countersOf(s)).toEqual({ drops: { 'pool-exhausted': 2 }, packets6to4: 5, packets4to6: 4, pool4Used: 3, pool4Size: 10 });
  });

  it('names the refusing rule with and without a flow', async () => {
    const policy = new Policy(parsePolicyRules([{ id: 'no-smtp', action: 'deny', protocol: 'tcp', ports: '25' }, { id: 'partner', action: 'deny', destination4: '192.0.2.66/32' }]));
    expect(refusing(policy, '2001:db8:1::1', '192.0.2.66')).toBe('partner');
    expect(refusing(policy, '2001:db8:1::1', '192.0.2.10')).toBeUndefined();
    expect(refusing(policy, '2001:db8:1::1', '192.0.2.10', { proto: 'tcp', port: 25 })).toBe('no-smtp');
    const cfg = defaultConfig();
    cfg.nat64.policy = [{ id: 'partner', action: 'deny', destination4: '192.0.2.66/32' }];
    const ports = await apiProbePorts({ config: async () => cfg, stats: async () => zeroStats() });
    expect(await ports.refusingRule('2001:db8:1::1', '192.0.2.66')).toBe('partner');
    expect(await ports.counters()).toMatchObject({ packets6to4: 0, pool4Size: 0 });
  });

  it('sixgate check names a bad probe target', () => {
    const cfg = defaultConfig();
    expect(probeTargets(cfg)).toEqual({ ok: true, what: 'probes.targets', detail: 'none configured' });
    cfg.probes.targets = [{ target: 'www.example.net' }, { target: 'udp:www.example.net' }];
    expect(probeTargets(cfg)).toEqual({ ok: false, what: 'probes.targets', detail: 'probes.targets[1]: "udp:www.example.net": write udp:host:port' });
  });
});
