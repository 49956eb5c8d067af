import { describe, expect, it } from 'vitest';
import { hostHeader, parseTarget } from './targets.js';
import { parseEntries, parseTargetsFile } from './config.js';

describe('parseTarget', () => {
  it.each([
    { name: 'name', text: 'WWW.Example.NET.', want: { kind: 'name', host: 'www.example.net', literal: false } },
    { name: 'IPv4 literal', text: '192.0.2.10', want: { kind: 'ipv4', host: '192.0.2.10', literal: true } },
    { name: 'http URL', text: 'http://www.example.net/a?b=1', want: { kind: 'url', scheme: 'http', port: 80, path: '/a?b=1' } },
    { name: 'https URL with port', text: 'https://192.0.2.10:8443/', want: { kind: 'url', scheme: 'https', port: 8443, literal: true } },
    { name: 'host:port', text: 'www.example.net:443', want: { kind: 'tcp', port: 443 } },
    { name: 'udp', text: 'udp:ntp.example.net:123', want: { kind: 'udp', host: 'ntp.example.net', port: 123 } },
    { name: 'dns', text: 'dns:192.0.2.53', want: { kind: 'dns', host: '192.0.2.53', port: 53, literal: true } },
  ])('$name', ({ text, want }) => {
    expect(parseTarget(text)).toMatchObject({ text, ...want });
  });

  it.each([
    ['', 'empty target'],
    ['ftp://www.example.net/', '"ftp://www.example.net/": only http and https URLs can be probed'],
    ['2001:db8::1', '"2001:db8::1": an IPv6 address is reached without NAT64; probe the IPv4 address or a name'],
    ['www.example.net:0', '"www.example.net:0": port "0" is not 1-65535'],
    ['www.example.net:99999', '"www.example.net:99999": port "99999" is not 1-65535'],
    ['udp:www.example.net', '"udp:www.example.net": write udp:host:port'],
    ['dns:www.example.net', '"dns:www.example.net": write dns:<IPv4 address> (a resolver reached through NAT64)'],
    ['bad_-.-name!', '"bad_-.-name!": "bad_-.-name!" is neither a DNS name nor an IPv4 address'],
    ['a b', '"a b": a target has no spaces'],
    ['http://u:p@www.example.net/', '"http://u:p@www.example.net/": credentials in a URL are not sent by probes'],
    [`${'a'.repeat(64)}.example.net`, `"${'a'.repeat(64)}.example.net": "${'a'.repeat(64)}.example.net" is neither a DNS name nor an IPv4 address`],
    ['x'.repeat(3000), `target "${'x'.repeat(40)}…" is longer than 2048 characters`],
  ])('rejects %j', (text, message) => {
    expect(() => parseTarget(text)).toThrow(message);
  });

  it('checks options against the kind when strict, drops them when not', () => {
    expect(() => parseTarget('www.example.net:443', { expectStatus: 200 })).toThrow('expectStatus and expectBody apply to URL targets only');
    expect(() => parseTarget('http://www.example.net/', { insecure: true })).toThrow('insecure and ca apply to https URLs only');
    expect(() => parseTarget('http://www.example.net/', { expectStatus: 99 })).toThrow('expectStatus 99 is not an HTTP status (100-599)');
    expect(() => parseTarget('udp:192.0.2.1:7', { payload: 'x'.repeat(1201) })).toThrow('payload is longer than 1200 bytes');
    expect(parseTarget('www.example.net:443', { expectStatus: 200, insecure: true }, false)).not.toHaveProperty('expectStatus');
    expect(parseTarget('https://www.example.net/', { expectStatus: 200, insecure: true }, false)).toMatchObject({ expectStatus: 200, insecure: true });
  });
});

describe('hostHeader', () => {
  it('names the port only when it is not the default', () => {
    expect(hostHeader(parseTarget('https://www.example.net/'))).toBe('www.example.net');
    expect(hostHeader(parseTarget('https://www.example.net:8443/'))).toBe('www.example.net:8443');
    expect(hostHeader(parseTarget('http://192.0.2.1:443/'))).toBe('192.0.2.1:443');
  });
});

describe('targets files', () => {
  it('reads a list or {targets}, strings or objects', () => {
    const list = parseTargetsFile(`targets:
  - www.example.net
  - target: https://login.example.net/
    expectStatus: 200
    interval: 30
    critical: true
  - target: udp:192.0.2.10:7
    payload: ping
`);
    expect(list.map((t) => [t.target.text, t.intervalMs, t.critical])).toEqual([
      ['www.example.net', 60_000, false],
      ['https://login.example.net/', 30_000, true],
      ['udp:192.0.2.10:7', 60_000, false],
    ]);
    expect(list[1]!.target.expectStatus).toBe(200);
    expect(parseTargetsFile('["192.0.2.1"]')).toHaveLength(1);
  });

  it.each([
    ['targets: [', /^t: not valid YAML/],
    ['foo: []', 't: expected a list, or an object with only "targets"'],
    ['"x"', 't: must be a list'],
    ['- target: www.example.net\n  interval: 1', 't[0]: interval 1 must be 5 to 86400 seconds'],
    ['- target: www.example.net\n  color: red', 't[0]: unknown key "color"'],
    ['- target: www.example.net\n  critical: "yes"', 't[0]: "critical" must be a boolean'],
    ['- interval: 10', 't[0]: "target" is missing'],
    ['- 42', 't[0]: a target is a string or an object with "target"'],
    ['- www.example.net\n- www.example.net', 't[1]: "www.example.net" is listed twice'],
    ['- target: www.example.net:443\n  expectStatus: 200', 't[0]: "www.example.net:443": expectStatus and expectBody apply to URL targets only'],
  ])('rejects %j', (text, message) => {
    expect(() => parseTargetsFile(text, 't')).toThrow(message);
  });

  it('bounds the number of targets', () => {
    expect(() => parseEntries(Array.from({ length: 257 }, (_, i) => `192.0.2.${i % 250}`))).toThrow('targets: 257 targets, at most 256');
  });
});
