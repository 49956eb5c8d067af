import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NON_GLOBAL_IPV4, ipv4InCidr, isGlobalIpv4, mayEmbed, parseIpv4, parseNat64Prefix, specialRangeOf, WELL_KNOWN_PREFIX } from './index.js';

describe('isGlobalIpv4', () => {
  it.each([
    ['0.1.2.3', false], ['10.0.0.1', false], ['100.64.0.1', false], ['100.127.255.255', false], ['100.128.0.1', true],
    ['127.0.0.1', false], ['169.254.1.1', false], ['172.16.0.1', false], ['172.31.255.255', false], ['172.32.0.1', true],
    ['192.0.0.170', false], ['192.0.2.1', false], ['192.0.3.1', true], ['192.88.99.1', false], ['192.168.1.1', false],
    ['198.18.0.1', false], ['198.19.255.255', false], ['198.20.0.1', true], ['198.51.100.7', false], ['203.0.113.9', false],
    ['224.0.0.1', false], ['239.1.1.1', false], ['240.0.0.1', false], ['255.255.255.255', false],
    ['8.8.8.8', true], ['1.1.1.1', true], ['93.184.216.34', true], ['223.255.255.255', true],
  ])('%s → %s', (addr, global) => {
    expect(isGlobalIpv4(parseIpv4(addr))).toBe(global);
  });

  it('agrees with the registry table for every address (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
        const inTable = NON_GLOBAL_IPV4.some((s) => ipv4InCidr(a, s.cidr));
        expect(isGlobalIpv4(a)).toBe(!inTable);
        expect(specialRangeOf(a) !== undefined).toBe(inTable);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('mayEmbed (RFC 6052 §3.1, RFC 8215, RFC 7050)', () => {
  const nsp = parseNat64Prefix('2001:db8:64::/96');
  const local = parseNat64Prefix('64:ff9b:1::/96');
  it.each([
    { name: 'WKP + global', prefix: WELL_KNOWN_PREFIX, v4: '8.8.8.8', ok: true },
    { name: 'WKP + private', prefix: WELL_KNOWN_PREFIX, v4: '10.1.2.3', ok: false },
    { name: 'WKP + documentation', prefix: WELL_KNOWN_PREFIX, v4: '192.0.2.33', ok: false },
    { name: 'WKP + ipv4only .170', prefix: WELL_KNOWN_PREFIX, v4: '192.0.0.170', ok: true },
    { name: 'WKP + ipv4only .171', prefix: WELL_KNOWN_PREFIX, v4: '192.0.0.171', ok: true },
    { name: 'WKP + 192.0.0.172', prefix: WELL_KNOWN_PREFIX, v4: '192.0.0.172', ok: false },
    { name: 'RFC 8215 + private', prefix: local, v4: '10.1.2.3', ok: true },
    { name: 'NSP + private', prefix: nsp, v4: '192.168.1.1', ok: true },
  ])('$name → $ok', ({ prefix, v4, ok }) => {
    expect(mayEmbed(prefix, parseIpv4(v4))).toBe(ok);
  });
  it('the strict switch can be turned off for labs', () => {
    expect(mayEmbed(WELL_KNOWN_PREFIX, parseIpv4('10.1.2.3'), { wkpStrict: false })).toBe(true);
  });
});
