import { applyPatch, defaultConfig } from '@sixgate/config';
import { describe, expect, it } from 'vitest';
import { mergeShared, sharedConfig } from './ha.js';

describe('config sync between the HA nodes', () => {
  const r1 = applyPatch(defaultConfig(), { nat64: { tun: 'sg-r1', pool4: ['198.51.100.0/28'] }, api: { listen: '127.0.0.1:8064' }, ha: { enabled: true, nodeId: 'r1', peer: '192.0.2.2:6464', keyFile: '/etc/sixgate/ha.key' }, dns64: { listen: ['[2001:db8::1]:53'] } });
  const r2 = applyPatch(defaultConfig(), { nat64: { tun: 'sg-r2', pool4: ['198.51.100.0/28'] }, ha: { enabled: true, nodeId: 'r2', listen: '192.0.2.2:6464', peer: '192.0.2.1:6464', keyFile: '/etc/sixgate/ha.key' }, log: { level: 'debug' } });

  it('per-node keys never leave the node', () => {
    const s = sharedConfig(r1) as Record<string, Record<string, unknown>>;
    expect(s['ha']).toBeUndefined();
    expect(s['api']).toBeUndefined();
    expect(s['stateDir']).toBeUndefined();
    expect(s['log']).toBeUndefined();
    expect(s['nat64']!['tun']).toBeUndefined();
    expect(s['dns64']!['listen']).toBeUndefined();
    expect(s['nat64']!['pool4']).toEqual(['198.51.100.0/28']);
  });

  it('the peer\'s change lands with this node\'s own per-node keys', () => {
    const changed = applyPatch(r1, { prefix: '64:ff9b:1::/96', nat64: { staticBib: [{ protocol: 'tcp', ipv6: '[2001:db8::80]:80', ipv4: '198.51.100.1:8080' }] } });
    const next = mergeShared(r2, sharedConfig(changed));
    expect(next.prefix).toBe('64:ff9b:1::/96');
    expect(next.nat64.staticBib).toHaveLength(1);
    expect(next.nat64.tun).toBe('sg-r2');
    expect(next.ha.nodeId).toBe('r2');
    expect(next.log.level).toBe('debug');
    expect(next.dns64.listen).toEqual(r2.dns64.listen);
  });

  it('an invalid shared config from the peer is refused', () => {
    expect(() => mergeShared(r2, { ...sharedConfig(r1), prefix: 'nonsense' })).toThrow(/prefix/);
    expect(() => mergeShared(r2, { ...sharedConfig(r1), bogus: 1 })).toThrow();
  });
});
