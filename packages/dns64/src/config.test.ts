import { describe, expect, it } from 'vitest';
import { DNS64_DEFAULTS, validateDns64Options } from './config.js';

describe('validateDns64Options', () => {
  it('fills the defaults', () => {
    const o = validateDns64Options({});
    expect(o.prefix.text).toBe('64:ff9b::/96');
    expect(o.listen).toEqual([{ address: '::', port: 53, family: 6 }]);
    expect(o.exclude[0]!.length).toBe(96);
    expect([o.timeoutMs, o.wkpStrict, o.synthesizeOnError, o.rateLimit.ipv6PrefixLength]).toEqual([2000, true, true, 56]);
    expect(o.cache).toEqual(DNS64_DEFAULTS.cache);
  });

  it('parses endpoints, clients and domain lists', () => {
    const o = validateDns64Options({
      listen: ['127.0.0.1:5353', '[2001:db8::1]:53'], upstreams: ['192.0.2.1', '[2001:db8::53]:5300', '2001:db8::54'],
      clients: ['192.0.2.0/24', '2001:db8::/32', '::1'], noSynthesis: ['Legacy.Example.org.'],
    });
    expect(o.listen.map((e) => `${e.address}|${e.port}`)).toEqual(['127.0.0.1|5353', '2001:db8::1|53']);
    expect(o.upstreams.map((e) => `${e.address}|${e.port}`)).toEqual(['192.0.2.1|53', '2001:db8::53|5300', '2001:db8::54|53']);
    expect([o.clients.v4.length, o.clients.v6.length]).toEqual([1, 2]);
    expect(o.noSynthesis).toEqual(['legacy.example.org']);
  });

  it.each([
    { name: 'bad prefix length', input: { prefix: '2001:db8::/33' }, msg: /dns64\.prefix: "2001:db8::\/33" is not a NAT64 prefix/ },
    { name: 'bad upstream', input: { upstreams: ['dns.example.org'] }, msg: /dns64\.upstreams: "dns\.example\.org" is not ADDR\[:PORT\]/ },
    { name: 'bad port', input: { listen: ['127.0.0.1:99999'] }, msg: /dns64\.listen: .* port outside/ },
    { name: 'bad client CIDR', input: { clients: ['10.0.0.0/33'] }, msg: /dns64\.clients: "10\.0\.0\.0\/33" is not a CIDR/ },
    { name: 'bad exclude', input: { exclude: ['192.0.2.0/24'] }, msg: /dns64\.exclude: "192\.0\.2\.0\/24" is not an IPv6 CIDR/ },
    { name: 'timeout too small', input: { timeoutMs: 1 }, msg: /dns64\.timeoutMs: 1 must be an integer from 50/ },
    { name: 'maxTtl below minTtl', input: { cache: { minTtl: 100, maxTtl: 10 } }, msg: /dns64\.cache\.maxTtl/ },
    { name: 'non-boolean', input: { wkpStrict: 'yes' as unknown as boolean }, msg: /dns64\.wkpStrict: "yes" must be true or false/ },
    { name: 'bad domain', input: { ignoreAaaa: ['a b'] }, msg: /dns64\.ignoreAaaa: "a b" is not a domain name/ },
  ])('rejects $name with a clear message', ({ input, msg }) => {
    expect(() => validateDns64Options(input)).toThrow(msg);
    try {
      validateDns64Options(input);
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_DNS64_CONFIG');
    }
  });
});
