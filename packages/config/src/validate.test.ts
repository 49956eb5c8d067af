import { describe, expect, it } from 'vitest';
import { ConfigError, configIssues, defaultConfig, formatIssue, validateConfig, type Config } from './index.js';

/** The issue lines for defaults changed by `mutate`. */
function linesFor(mutate: (c: Config & Record<string, unknown>) => void): string[] {
  const c = defaultConfig() as Config & Record<string, unknown>;
  mutate(c);
  return configIssues(c).map((i) => formatIssue(i));
}

function rejects(mutate: (c: Config & Record<string, unknown>) => void): ConfigError {
  const c = defaultConfig() as Config & Record<string, unknown>;
  mutate(c);
  try {
    validateConfig(c);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error('config was accepted');
}

describe('defaults', () => {
  it('are valid and match the SPEC defaults', () => {
    const d = validateConfig(defaultConfig());
    expect(d.prefix).toBe('64:ff9b::/96');
    expect(d.nat64.pool4).toEqual(['192.168.255.0/24']);
    expect(d.dns64.listen).toEqual(['[::]:53']);
    expect(d.api.listen).toBe('127.0.0.1:8064');
    expect(d.api.token).toBeUndefined();
    expect(d.nat64.timeouts).toEqual({ udp: 300, tcpEstablished: 7440, tcpTransitory: 240, icmp: 60, tcpIncomingSyn: 6 });
    expect(d.dns64.cache).toEqual({ maxEntries: 100000, maxBytes: 67108864, minTtl: 0, maxTtl: 86400, maxNegativeTtl: 3600 });
  });

  it('are a fresh copy each time', () => {
    const a = defaultConfig();
    a.nat64.pool4.push('198.51.100.0/24');
    expect(defaultConfig().nat64.pool4).toEqual(['192.168.255.0/24']);
  });
});

describe('prefix (RFC 6052 §2.2)', () => {
  it.each([
    { name: '/0', value: '::/0', rule: /not a valid NAT64 prefix length/ },
    { name: '/33', value: '2001:db8::/33', rule: /^prefix: "2001:db8::\/33" is not a valid NAT64 prefix length \(RFC 6052 allows 32, 40, 48, 56, 64, 96\)$/ },
    { name: '/104', value: '64:ff9b::/104', rule: /not a valid NAT64 prefix length/ },
    { name: '/129', value: '2001:db8::/129', rule: /not a valid NAT64 prefix length/ },
    { name: 'no length', value: '2001:db8::', rule: /has no prefix length/ },
    { name: 'IPv4 given', value: '192.0.2.0/24', rule: /is an IPv4 prefix/ },
    { name: 'not an address', value: 'foo', rule: /^prefix: "foo" is not an IPv6 prefix$/ },
    { name: 'non-zero u-octet', value: '2001:db8:0:0:100::/96', rule: /sets bits 64-71, which RFC 6052 §2.2 reserves/ },
    { name: 'host bits set', value: '64:ff9b::1/96', rule: /host bits set below \/96/ },
    { name: 'IPv4-mapped', value: '::ffff:0:0/96', rule: /IPv4-mapped/ },
  ])('rejects $name', ({ value, rule }) => {
    const lines = linesFor((c) => { c.prefix = value; });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^prefix: /);
    expect(lines[0]).toMatch(rule);
  });

  it.each(['2001:db8::/32', '2001:db8:100::/40', '2001:db8:122::/48', '2001:db8:122:300::/56', '2001:db8:122:344::/64', '64:ff9b:1::/96'])('accepts %s', (p) => {
    expect(linesFor((c) => { c.prefix = p; })).toEqual([]);
  });
});

describe('addresses and ranges', () => {
  it.each([
    { name: 'pool4 host bits', mutate: (c: Config) => { c.nat64.pool4 = ['192.0.2.0/24', '10.0.0.1/8']; }, line: 'nat64.pool4[1]: "10.0.0.1/8" has host bits set below /8 (did you mean 10.0.0.0/8?)' },
    { name: 'pool4 overlap', mutate: (c: Config) => { c.nat64.pool4 = ['192.0.2.0/24', '192.0.2.128/25']; }, line: 'nat64.pool4[1]: "192.0.2.128/25" overlaps nat64.pool4[0] "192.0.2.0/24"' },
    { name: 'pool4 IPv6', mutate: (c: Config) => { c.nat64.pool4 = ['2001:db8::/64']; }, line: 'nat64.pool4[0]: "2001:db8::/64" is not an IPv4 prefix' },
    { name: 'pool4 empty list', mutate: (c: Config) => { c.nat64.pool4 = []; }, line: 'nat64.pool4: [] has fewer than 1 entries' },
    { name: 'pool4 bad length', mutate: (c: Config) => { c.nat64.pool4 = ['192.0.2.0/33']; }, line: 'nat64.pool4[0]: "192.0.2.0/33" has an invalid prefix length (0-32)' },
    { name: 'listen without port', mutate: (c: Config) => { c.dns64.listen = ['::1']; }, line: /^dns64\.listen\[0\]: "::1" is not "addr:port"/ },
    { name: 'listen bad port', mutate: (c: Config) => { c.dns64.listen = ['127.0.0.1:65536']; }, line: 'dns64.listen[0]: "127.0.0.1:65536" has an invalid port (0-65535)' },
    { name: 'listen v6 unbracketed', mutate: (c: Config) => { c.api.listen = '::1:8064'; }, line: /^api\.listen: "::1:8064" is not "addr:port"/ },
    { name: 'listen hostname', mutate: (c: Config) => { c.api.listen = 'localhost:8064'; }, line: /^api\.listen: "localhost:8064" is not an IP address with a port/ },
    { name: 'upstream port 0', mutate: (c: Config) => { c.dns64.upstreams = ['192.0.2.53:0']; }, line: 'dns64.upstreams[0]: "192.0.2.53:0" has an invalid port (1-65535)' },
    { name: 'client CIDR', mutate: (c: Config) => { c.dns64.clients = ['2001:db8::1/32']; }, line: /^dns64\.clients\[0\]: "2001:db8::1\/32" has host bits set below \/32/ },
    { name: 'exclude IPv4', mutate: (c: Config) => { c.dns64.exclude = ['192.0.2.0/24']; }, line: 'dns64.exclude[0]: "192.0.2.0/24" is not an IPv6 prefix' },
    { name: 'domain name', mutate: (c: Config) => { c.dns64.noSynthesis = ['bad..example.org']; }, line: 'dns64.noSynthesis[0]: "bad..example.org" is not a domain name' },
    { name: 'port range reversed', mutate: (c: Config) => { c.nat64.ports.udp = '2000-1000'; }, line: 'nat64.ports.udp: "2000-1000" has its low end above its high end' },
    { name: 'port range too high', mutate: (c: Config) => { c.nat64.ports.tcp = '1024-70000'; }, line: 'nat64.ports.tcp: "1024-70000" is outside 1-65535' },
    { name: 'port range tcp 0', mutate: (c: Config) => { c.nat64.ports.tcp = '0-100'; }, line: 'nat64.ports.tcp: "0-100" is outside 1-65535' },
    { name: 'port range form', mutate: (c: Config) => { c.nat64.ports.tcp = '1024:2048'; }, line: /^nat64\.ports\.tcp: "1024:2048" does not have the required form/ },
    { name: 'rfc6791Pool', mutate: (c: Config) => { c.nat64.rfc6791Pool = ['198.51.100.1/24']; }, line: /^nat64\.rfc6791Pool\[0\]: "198\.51\.100\.1\/24" has host bits set/ },
    { name: 'relative stateDir', mutate: (c: Config) => { c.stateDir = 'var/lib'; }, line: 'stateDir: "var/lib" is not an absolute path' },
    { name: 'tun dot', mutate: (c: Config) => { c.nat64.tun = '..'; }, line: /^nat64\.tun: "\.\." does not have the required form/ },
    { name: 'tun too long', mutate: (c: Config) => { c.nat64.tun = 'abcdefghijklmnop'; }, line: /^nat64\.tun: "abcdefghijklmnop" does not have the required form/ },
    { name: 'minTtl above maxTtl', mutate: (c: Config) => { c.dns64.cache.minTtl = 600; c.dns64.cache.maxTtl = 60; }, line: 'dns64.cache.minTtl: 600 is above dns64.cache.maxTtl 60' },
    { name: 'zero burst', mutate: (c: Config) => { c.dns64.rateLimit.burst = 0; }, line: /^dns64\.rateLimit\.burst: 0 would refuse every query/ },
    { name: 'zero prefix burst', mutate: (c: Config) => { c.dns64.rateLimit.prefixBurst = 0; }, line: /^dns64\.rateLimit\.prefixBurst: 0 would refuse every query/ },
    { name: 'per-client above total', mutate: (c: Config) => { c.nat64.maxSessions = 10; }, line: 'nat64.maxSessionsPerClient: 10000 is above nat64.maxSessions 10' },
  ])('$name', ({ mutate, line }) => {
    const lines = linesFor(mutate);
    expect(lines).toHaveLength(1);
    if (typeof line === 'string') expect(lines[0]).toBe(line);
    else expect(lines[0]).toMatch(line);
  });

  it('accepts the address forms it documents', () => {
    const lines = linesFor((c) => {
      c.dns64.listen = ['[::]:53', '0.0.0.0:5353', '[2001:db8::53]:0'];
      c.dns64.upstreams = ['192.0.2.53', '192.0.2.53:5353', '2001:db8::53', '[2001:db8::53]:53'];
      c.dns64.clients = ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7'];
      c.nat64.ports = { tcp: '80', udp: '1024-2047', icmp: '0-65535' };
      c.dns64.noSynthesis = ['example.org', 'example.org.', '_dmarc.example.org'];
    });
    expect(lines).toEqual([]);
  });
});

describe('schema rules', () => {
  it('names unknown keys with a suggestion (typos are not ignored)', () => {
    const lines = linesFor((c) => { (c.dns64 as Record<string, unknown>)['upstream'] = ['192.0.2.53']; });
    expect(lines).toEqual(['dns64.upstream: unknown key (did you mean "upstreams"?)']);
  });

  it('lists the known keys when nothing is close', () => {
    const lines = linesFor((c) => { c['zzzzzzzz'] = 1; });
    expect(lines[0]).toMatch(/^zzzzzzzz: unknown key \(known keys: prefix, dns64, nat64, api, stateDir, log(, [A-Za-z]+)*\)$/);
  });

  it.each([
    { name: 'below minimum', mutate: (c: Config) => { c.dns64.timeout = 0; }, line: 'dns64.timeout: 0 is below the minimum 0.1' },
    { name: 'above maximum', mutate: (c: Config) => { c.nat64.mtu = 70000; }, line: 'nat64.mtu: 70000 is above the maximum 65535' },
    { name: 'below IPv6 minimum MTU', mutate: (c: Config) => { c.nat64.lowestIpv6Mtu = 1279; }, line: 'nat64.lowestIpv6Mtu: 1279 is below the minimum 1280' },
    { name: 'fraction', mutate: (c: Config) => { c.nat64.maxSessions = 1.5; }, line: 'nat64.maxSessions: 1.5 is not a whole number' },
    { name: 'wrong type', mutate: (c: Config) => { (c.nat64 as Record<string, unknown>)['mssClamp'] = 'yes'; }, line: 'nat64.mssClamp: "yes" is not true or false' },
    { name: 'string for list', mutate: (c: Config) => { (c.nat64 as Record<string, unknown>)['pool4'] = '192.0.2.0/24'; }, line: 'nat64.pool4: "192.0.2.0/24" is not a list' },
    { name: 'enum', mutate: (c: Config) => { (c.log as Record<string, unknown>)['level'] = 'loud'; }, line: 'log.level: "loud" is not one of fatal, error, warn, info, debug, trace' },
    { name: 'short token', mutate: (c: Config) => { c.api.token = 'short'; }, line: 'api.token: "short" is shorter than 16 characters' },
    { name: 'section not a map', mutate: (c: Config) => { (c as Record<string, unknown>)['dns64'] = 5; }, line: 'dns64: 5 is not a mapping of keys' },
    { name: 'missing key', mutate: (c: Config) => { delete (c.api as Record<string, unknown>)['listen']; }, line: 'api.listen: is required' },
  ])('$name', ({ mutate, line }) => {
    expect(linesFor(mutate)).toEqual([line]);
  });

  it('reports every problem in one error, not only the first', () => {
    const err = rejects((c) => { c.dns64.timeout = 0; c.nat64.mtu = 1; (c.log as Record<string, unknown>)['lvl'] = 'x'; });
    expect(err.issues).toHaveLength(3);
    expect(err.message).toMatch(/^3 configuration problems:/);
  });

  it('does not crash on garbage', () => {
    for (const v of [null, 42, 'text', [], [1, 2], { prefix: { deep: [null] } }]) {
      const issues = configIssues(v);
      expect(issues.length).toBeGreaterThan(0);
    }
  });

  it('names the flag or variable of a pinned key instead of the key', () => {
    const c = defaultConfig();
    c.nat64.pool4 = ['192.0.2.0/24', '10.0.0.1/8'];
    c.prefix = 'foo';
    expect(() => validateConfig(c, { prefix: 'SIXGATE_PREFIX', 'nat64.pool4': '--pool4' })).toThrow(ConfigError);
    const lines = configIssues(c).map((i) => formatIssue(i, { prefix: 'SIXGATE_PREFIX', 'nat64.pool4': '--pool4' }));
    expect(lines).toEqual([
      'SIXGATE_PREFIX: "foo" is not an IPv6 prefix',
      '--pool4 (nat64.pool4[1]): "10.0.0.1/8" has host bits set below /8 (did you mean 10.0.0.0/8?)',
    ]);
  });
});

describe('static BIB and policy', () => {
  const entry = { protocol: 'tcp' as const, ipv6: '[2001:db8::80]:80', ipv4: '192.168.255.1:8080' };

  it('accepts an entry inside pool4 and its port range', () => {
    expect(linesFor((c) => { c.nat64.staticBib = [entry]; })).toEqual([]);
  });

  it.each([
    { name: 'outside pool4', e: { ...entry, ipv4: '198.51.100.1:8080' }, line: 'nat64.staticBib[0].ipv4: "198.51.100.1:8080" is not inside nat64.pool4 (192.168.255.0/24)' },
    { name: 'port outside range', e: { ...entry, ipv4: '192.168.255.1:80' }, line: 'nat64.staticBib[0].ipv4: "192.168.255.1:80" has port 80 outside nat64.ports.tcp "1024-65535"' },
    { name: 'v6 unbracketed', e: { ...entry, ipv6: '2001:db8::80' }, line: /^nat64\.staticBib\[0\]\.ipv6: "2001:db8::80" is not "addr:port"/ },
    { name: 'v4 given as v6', e: { ...entry, ipv6: '192.0.2.1:80' }, line: 'nat64.staticBib[0].ipv6: "192.0.2.1:80" is not an IPv6 "[addr]:port"' },
    { name: 'v6 given as v4', e: { ...entry, ipv4: '[2001:db8::1]:8080' }, line: 'nat64.staticBib[0].ipv4: "[2001:db8::1]:8080" is not an IPv4 "addr:port"' },
    { name: 'bad protocol', e: { ...entry, protocol: 'sctp' }, line: 'nat64.staticBib[0].protocol: "sctp" is not one of tcp, udp, icmp' },
    { name: 'extra key', e: { ...entry, comment: 'web' }, line: /^nat64\.staticBib\[0\]\.comment: unknown key/ },
  ])('rejects $name', ({ e, line }) => {
    const lines = linesFor((c) => { (c.nat64 as Record<string, unknown>)['staticBib'] = [e]; });
    expect(lines).toHaveLength(1);
    if (typeof line === 'string') expect(lines[0]).toBe(line);
    else expect(lines[0]).toMatch(line);
  });

  it('rejects two entries for the same IPv4 transport address', () => {
    const lines = linesFor((c) => { c.nat64.staticBib = [entry, { ...entry, ipv6: '[2001:db8::81]:80' }]; });
    expect(lines).toEqual(['nat64.staticBib[1].ipv4: "192.168.255.1:8080" is already mapped by nat64.staticBib[0] (tcp)']);
  });

  it('allows the same address for another protocol', () => {
    expect(linesFor((c) => { c.nat64.staticBib = [entry, { ...entry, protocol: 'udp' }]; })).toEqual([]);
  });

  it('rejects duplicate policy ids and bad fields', () => {
    const lines = linesFor((c) => {
      c.nat64.policy = [
        { id: 'web', action: 'allow', protocol: 'tcp', ports: '80' },
        { id: 'web', action: 'deny', source6: '2001:db8::1/32', destination4: '192.0.2.0/33', protocol: 'icmp', ports: '1-2' },
      ];
    });
    expect(lines).toEqual([
      'nat64.policy[1].id: "web" is already used by nat64.policy[0]',
      'nat64.policy[1].source6: "2001:db8::1/32" has host bits set below /32 (did you mean 2001:db8::/32?)',
      'nat64.policy[1].destination4: "192.0.2.0/33" has an invalid prefix length (0-32)',
      'nat64.policy[1].ports: "1-2" needs protocol tcp or udp (ports do not apply to icmp)',
    ]);
  });

  it('rejects a policy id with spaces and an unknown action', () => {
    const lines = linesFor((c) => { (c.nat64 as Record<string, unknown>)['policy'] = [{ id: 'my rule', action: 'drop' }]; });
    expect(lines[0]).toMatch(/^nat64\.policy\[0\]\.id: "my rule" does not have the required form/);
    expect(lines[1]).toBe('nat64.policy[0].action: "drop" is not one of allow, deny');
  });
});

describe('ha (ADR 8)', () => {
  it('is off by default and needs a peer and a key when enabled', async () => {
    const { configIssues, defaultConfig, redact } = await import('./index.js');
    expect(defaultConfig().ha).toMatchObject({ enabled: false, listen: '0.0.0.0:6464', peer: '', roleFrom: 'keepalived', role: 'standby' });
    const withHa = (ha: object) => {
      const c = defaultConfig() as unknown as Record<string, unknown>;
      c['ha'] = { ...(c['ha'] as object), ...ha };
      return c;
    };
    const bad = (ha: object): string[] => configIssues(withHa(ha)).map((i) => i.path);
    expect(bad({ enabled: true })).toEqual(expect.arrayContaining(['ha.peer', 'ha.keyFile']));
    expect(bad({ enabled: true, peer: '192.0.2.2:6464', keyFile: 'relative/key' })).toEqual(['ha.keyFile']);
    expect(bad({ enabled: true, peer: 'nonsense', keyFile: '/k' })).toContain('ha.peer');
    expect(bad({ enabled: true, peer: '0.0.0.0:6464', keyFile: '/k' })).toEqual(['ha.peer']);
    expect(bad({ key: 'abcd' }).length).toBeGreaterThan(0); // too short
    expect(bad({ key: 'z'.repeat(64) }).length).toBeGreaterThan(0); // not hex
    expect(bad({ queueRecords: 1 }).length).toBeGreaterThan(0);
    expect(bad({ unknownKey: 1 }).length).toBeGreaterThan(0);
    expect(bad({ enabled: true, peer: '[2001:db8::2]:6464', key: 'ab'.repeat(32) })).toEqual([]);
    const c = withHa({ enabled: true, peer: '[2001:db8::2]:6464', key: 'ab'.repeat(32) }) as unknown as Parameters<typeof redact>[0];
    expect(redact(c).ha.key).toBe('***');
  });
});
