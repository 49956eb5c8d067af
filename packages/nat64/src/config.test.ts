import { parseIpv4Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { Nat64ConfigError, ownIpv6Address, resolveTranslatorOptions, TRANSLATOR_DEFAULTS } from './config.js';
import { formatIpv6 } from '@sixgate/addressing';

const prefix = parseNat64Prefix('64:ff9b::/96');

describe('resolveTranslatorOptions', () => {
  it('fills every default; own address = first usable pool4 address, own IPv6 = prefix + it', () => {
    const c = resolveTranslatorOptions({ prefix, pool4: [parseIpv4Cidr('192.168.255.0/24')] });
    expect(c).toMatchObject({ ...TRANSLATOR_DEFAULTS, rfc6791Pool: [], overrideTos: -1, ipv4Address: 0xc0a8ff01 });
    expect(formatIpv6(ownIpv6Address(c))).toBe('64:ff9b::c0a8:ff01');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('a /32 pool4 uses that address; an explicit ipv4Address wins', () => {
    expect(resolveTranslatorOptions({ prefix, pool4: [parseIpv4Cidr('198.51.100.7/32')] }).ipv4Address).toBe(0xc6336407);
    expect(resolveTranslatorOptions({ prefix, ipv4Address: '203.0.113.1' }).ipv4Address).toBe(0xcb007101);
  });

  it('rfc6791Pool takes prefixes and addresses: usable runs (no network/broadcast up to /30) and their size', () => {
    const c = resolveTranslatorOptions({ prefix, rfc6791Pool: ['203.0.113.0/28', '192.0.2.7', '198.51.100.8/31', '198.51.100.20/30'] });
    expect(c.rfc6791Pool).toEqual([
      { first: 0xcb007101, count: 14 },
      { first: 0xc0000207, count: 1 },
      { first: 0xc6336408, count: 2 },
      { first: 0xc6336415, count: 2 },
    ]);
    expect(c.rfc6791Size).toBe(19);
    expect(resolveTranslatorOptions({ prefix }).rfc6791Size).toBe(0);
  });

  it.each([
    { name: 'lowestIpv6Mtu below 1280', o: { lowestIpv6Mtu: 1279 }, code: 'ERR_NAT64_MTU', key: 'lowestIpv6Mtu' },
    { name: 'ipv6Mtu not an integer', o: { ipv6Mtu: 1500.5 }, code: 'ERR_NAT64_MTU', key: 'ipv6Mtu' },
    { name: 'ipv4Mtu below 576', o: { ipv4Mtu: 100 }, code: 'ERR_NAT64_MTU', key: 'ipv4Mtu' },
    { name: 'bad RFC 6791 address', o: { rfc6791Pool: ['203.0.113.300'] }, code: 'ERR_NAT64_ADDRESS', key: 'rfc6791Pool' },
    { name: 'RFC 6791 prefix with host bits', o: { rfc6791Pool: ['203.0.113.1/28'] }, code: 'ERR_NAT64_ADDRESS', key: 'rfc6791Pool' },
    { name: 'RFC 6791 IPv6 prefix', o: { rfc6791Pool: ['2001:db8::/64'] }, code: 'ERR_NAT64_ADDRESS', key: 'rfc6791Pool' },
    { name: 'bad own address', o: { ipv4Address: 'x' }, code: 'ERR_NAT64_ADDRESS', key: 'ipv4Address' },
    { name: 'TOS out of range', o: { overrideTos: 256 }, code: 'ERR_NAT64_OPTION', key: 'overrideTos' },
    { name: 'negative held fragments', o: { heldFragments: -1 }, code: 'ERR_NAT64_OPTION', key: 'heldFragments' },
  ])('$name → $code naming the key', ({ o, code, key }) => {
    let err: unknown;
    try {
      resolveTranslatorOptions({ prefix, ...o });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Nat64ConfigError);
    expect((err as Nat64ConfigError).code).toBe(code);
    expect((err as Nat64ConfigError).message).toContain(`nat64.${key}`);
  });
});
