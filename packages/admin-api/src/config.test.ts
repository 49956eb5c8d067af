import { describe, expect, it } from 'vitest';
import { assertSafeListen, checkAddressFilter, checkIpv4Endpoint, checkIpv6Endpoint, checkNat64Prefix } from './config.js';
import { AdminConfigError, ApplyError } from './errors.js';

describe('assertSafeListen', () => {
  it.each([
    { name: 'IPv4 loopback', listen: '127.0.0.1:8064' },
    { name: 'other 127/8', listen: '127.0.0.53:8064' },
    { name: 'IPv6 loopback', listen: '[::1]:8064' },
    { name: 'IPv4-mapped loopback', listen: '[::ffff:127.0.0.1]:8064' },
    { name: 'localhost', listen: 'localhost:8064' },
  ])('accepts $name without a token', ({ listen }) => {
    expect(assertSafeListen(listen, undefined)).toBe(true);
    expect(assertSafeListen(listen, '')).toBe(true);
  });

  it.each([
    { name: 'all IPv4', listen: '0.0.0.0:8064' },
    { name: 'all IPv6', listen: '[::]:8064' },
    { name: 'a LAN address', listen: '192.0.2.10:8064' },
    { name: 'a global IPv6 address', listen: '[2001:db8::1]:8064' },
    { name: 'a host name', listen: 'router.example.org:8064' },
  ])('refuses $name without a token, accepts it with one', ({ listen }) => {
    for (const token of [undefined, '']) {
      try {
        assertSafeListen(listen, token);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(AdminConfigError);
        expect((err as AdminConfigError).code).toBe('ERR_API_TOKEN');
        expect((err as Error).message).toMatch(/not a loopback address, so the admin API needs a token: set api.token, --api-token or SIXGATE_API_TOKEN/);
      }
    }
    expect(assertSafeListen(listen, 'a-long-enough-token-123')).toBe(false);
  });

  it.each(['8064', '127.0.0.1', '::1:8064', '[::1]', '127.0.0.1:99999', '', '[::1]:80:80'])('refuses the malformed address "%s"', (listen) => {
    expect(() => assertSafeListen(listen, 'tok')).toThrow(expect.objectContaining({ code: 'ERR_API_LISTEN' }));
  });
});

describe('request checks', () => {
  const status = (f: () => unknown): number | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      return err instanceof ApplyError ? err.statusCode : -1;
    }
  };

  it('endpoints', () => {
    expect(status(() => checkIpv6Endpoint('ipv6', '[2001:db8::10]:80'))).toBeUndefined();
    expect(status(() => checkIpv6Endpoint('ipv6', '[64:ff9b::192.0.2.1]:0'))).toBeUndefined();
    expect(status(() => checkIpv6Endpoint('ipv6', '2001:db8::10:80'))).toBe(400);
    expect(status(() => checkIpv6Endpoint('ipv6', '[fe80::1%eth0]:80'))).toBe(400);
    expect(status(() => checkIpv4Endpoint('ipv4', '192.0.2.1:65535'))).toBeUndefined();
    expect(status(() => checkIpv4Endpoint('ipv4', '192.0.2.1:65536'))).toBe(400);
    expect(status(() => checkIpv4Endpoint('ipv4', '[192.0.2.1]:80'))).toBe(400);
    expect(status(() => checkIpv4Endpoint('ipv4', '192.0.2:80'))).toBe(400);
  });

  it('trace filters accept addresses and prefixes of both families', () => {
    for (const ok of ['2001:db8::1', '2001:db8::/32', '192.0.2.1', '198.51.100.0/24']) expect(status(() => checkAddressFilter('client', ok)), ok).toBeUndefined();
    for (const bad of ['', 'example.org', '2001:db8::/129', '192.0.2.0/33', '192.0.2.1/24/1']) expect(status(() => checkAddressFilter('client', bad)), bad).toBe(400);
  });

  it('the prefix is canonicalized and checked against RFC 6052 §2.2', () => {
    expect(checkNat64Prefix('64:FF9B::/96')).toBe('64:ff9b::/96');
    expect(checkNat64Prefix('2001:0db8:0000::/32')).toBe('2001:db8::/32');
    for (const bad of ['64:ff9b::/95', '::/96', 'ff02::/96', '192.0.2.0/24']) expect(status(() => checkNat64Prefix(bad)), bad).toBe(400);
  });
});
