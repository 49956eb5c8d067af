import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AddressError, formatIpv4, formatIpv6, ipv4CidrsOverlap, ipv4InCidr, ipv6CidrsOverlap, ipv6InCidr, parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr, readIpv4, tryParseIpv4, tryParseIpv6, writeIpv4 } from './index.js';

const codeOf = (f: () => unknown): string | undefined => {
  try { f(); } catch (e) { return (e as AddressError).code; }
  return undefined;
};

describe('IPv4', () => {
  it('parses and formats', () => {
    expect(parseIpv4('192.0.2.33')).toBe(0xc0000221);
    expect(formatIpv4(0xc0000221)).toBe('192.0.2.33');
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
  });
  it.each(['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1.2.3.4 ', '', 'a.b.c.d', '::1'])('rejects %j', (s) => {
    expect(tryParseIpv4(s)).toBe(-1);
    expect(codeOf(() => parseIpv4(s))).toBe('ERR_ADDRESS_SYNTAX');
  });
  it('round-trips every address (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
      expect(parseIpv4(formatIpv4(a))).toBe(a);
      const b = new Uint8Array(6);
      writeIpv4(b, 1, a);
      expect(readIpv4(b, 1)).toBe(a);
    }));
  });
  it('parses CIDRs with clear errors', () => {
    expect(parseIpv4Cidr('192.0.2.0/24')).toEqual({ address: 0xc0000200, length: 24 });
    expect(parseIpv4Cidr('192.0.2.1')).toEqual({ address: 0xc0000201, length: 32 });
    expect(codeOf(() => parseIpv4Cidr('192.0.2.1/24'))).toBe('ERR_PREFIX_HOST_BITS');
    expect(codeOf(() => parseIpv4Cidr('192.0.2.0/33'))).toBe('ERR_PREFIX_LENGTH');
    expect(codeOf(() => parseIpv4Cidr('2001:db8::/32'))).toBe('ERR_ADDRESS_FAMILY');
    expect(() => parseIpv4Cidr('192.0.2.1/24')).toThrow(/did you mean 192.0.2.0\/24/);
  });
  it('matches and overlaps', () => {
    const c = parseIpv4Cidr('198.51.100.0/24');
    expect(ipv4InCidr(parseIpv4('198.51.100.200'), c)).toBe(true);
    expect(ipv4InCidr(parseIpv4('198.51.101.1'), c)).toBe(false);
    expect(ipv4InCidr(parseIpv4('1.2.3.4'), parseIpv4Cidr('0.0.0.0/0'))).toBe(true);
    expect(ipv4CidrsOverlap(c, parseIpv4Cidr('198.51.100.128/25'))).toBe(true);
    expect(ipv4CidrsOverlap(c, parseIpv4Cidr('198.51.101.0/24'))).toBe(false);
  });
});

describe('IPv6', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ])('formats %s as %s (RFC 5952)', (input, out) => {
    expect(formatIpv6(parseIpv6(input))).toBe(out);
  });
  it.each(['1.2.3.4', 'fe80::1%eth0', '2001:db8:::1', 'x', ''])('rejects %j', (s) => {
    expect(tryParseIpv6(s)).toBeUndefined();
  });
  it('round-trips random addresses (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      expect(parseIpv6(formatIpv6(b))).toEqual(b);
    }));
  });
  it('parses CIDRs, matches and overlaps', () => {
    const c = parseIpv6Cidr('2001:db8:64::/48');
    expect(ipv6InCidr(parseIpv6('2001:db8:64:ffff::1'), 0, c)).toBe(true);
    expect(ipv6InCidr(parseIpv6('2001:db8:65::1'), 0, c)).toBe(false);
    expect(ipv6InCidr(parseIpv6('2001:db8:64::1'), 0, parseIpv6Cidr('2001:db8:64::/47'))).toBe(true);
    expect(ipv6CidrsOverlap(c, parseIpv6Cidr('2001:db8::/32'))).toBe(true);
    expect(ipv6CidrsOverlap(c, parseIpv6Cidr('2001:db9::/32'))).toBe(false);
    expect(codeOf(() => parseIpv6Cidr('2001:db8::1/64'))).toBe('ERR_PREFIX_HOST_BITS');
    expect(codeOf(() => parseIpv6Cidr('2001:db8::/130'))).toBe('ERR_PREFIX_LENGTH');
    expect(codeOf(() => parseIpv6Cidr('192.0.2.0/24'))).toBe('ERR_ADDRESS_FAMILY');
  });
});
