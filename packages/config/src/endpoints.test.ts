import fc from 'fast-check';
import { AddressError } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { configIssues, defaultConfig, parseListenAddress, parsePortRange, parseUpstream } from './index.js';

describe('parseListenAddress', () => {
  it.each([
    { name: 'v4', text: '127.0.0.1:8064', want: { host: '127.0.0.1', port: 8064, family: 4 } },
    { name: 'v6 any', text: '[::]:53', want: { host: '::', port: 53, family: 6 } },
    { name: 'v6 canonicalized', text: '[2001:DB8:0::1]:5353', want: { host: '2001:db8::1', port: 5353, family: 6 } },
    { name: 'port 0', text: '127.0.0.1:0', want: { host: '127.0.0.1', port: 0, family: 4 } },
  ])('parses $name', ({ text, want }) => {
    expect(parseListenAddress(text)).toEqual(want);
  });

  it.each(['127.0.0.1', '[::1]', '::1:53', '[::1]53', '[::1', 'host:53', '127.0.0.1:', '127.0.0.1:65536', '127.0.0.1:-1', '[127.0.0.1]:53', '[fe80::1%eth0]:53', ''])('rejects %j', (text) => {
    expect(() => parseListenAddress(text)).toThrow(AddressError);
  });
});

describe('parseUpstream', () => {
  it.each([
    { text: '192.0.2.53', want: { host: '192.0.2.53', port: 53, family: 4 } },
    { text: '192.0.2.53:5353', want: { host: '192.0.2.53', port: 5353, family: 4 } },
    { text: '2001:db8::53', want: { host: '2001:db8::53', port: 53, family: 6 } },
    { text: '[2001:db8::53]:853', want: { host: '2001:db8::53', port: 853, family: 6 } },
  ])('parses $text', ({ text, want }) => {
    expect(parseUpstream(text)).toEqual(want);
  });

  it.each(['192.0.2.53:0', 'dns.example.org', '192.0.2.300', '[2001:db8::53]:99999'])('rejects %j', (text) => {
    expect(() => parseUpstream(text)).toThrow(AddressError);
  });
});

describe('parsePortRange', () => {
  it('parses a port and a range', () => {
    expect(parsePortRange('80')).toEqual({ low: 80, high: 80 });
    expect(parsePortRange('1024-65535')).toEqual({ low: 1024, high: 65535 });
    expect(parsePortRange('0-10', 0)).toEqual({ low: 0, high: 10 });
  });

  it.each(['0', '0-10', '10-9', '1-65536', '-5', '5-', 'a-b', '1 - 2', '', '123456'])('rejects %j', (text) => {
    expect(() => parsePortRange(text)).toThrow(AddressError);
  });

  it('accepts exactly the ordered ranges inside 1-65535', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 70000 }), fc.integer({ min: -10, max: 70000 }), (a, b) => {
        const ok = a >= 1 && b <= 65535 && a <= b;
        let parsed = false;
        try {
          parsePortRange(`${a}-${b}`);
          parsed = true;
        } catch (err) {
          expect(err).toBeInstanceOf(AddressError);
        }
        expect(parsed).toBe(ok);
      }),
    );
  });
});

describe('validation never throws on arbitrary input', () => {
  it('configIssues returns issues for any JSON value, never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        expect(Array.isArray(configIssues(v))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('any string in any string field gives issues or passes, never throws', () => {
    const fields: ((c: ReturnType<typeof defaultConfig>, s: string) => void)[] = [
      (c, s) => { c.prefix = s; },
      (c, s) => { c.api.listen = s; },
      (c, s) => { c.nat64.pool4 = [s]; },
      (c, s) => { c.dns64.upstreams = [s]; },
      (c, s) => { c.dns64.clients = [s]; },
      (c, s) => { c.nat64.ports.udp = s; },
      (c, s) => { c.nat64.staticBib = [{ protocol: 'udp', ipv6: s, ipv4: s }]; },
      (c, s) => { c.nat64.policy = [{ id: 'r', action: 'deny', source6: s, destination4: s }]; },
      (c, s) => { c.dns64.noSynthesis = [s]; },
    ];
    const text = fc.oneof(fc.string(), fc.ipV4().map((a) => `${a}/24`), fc.ipV6().map((a) => `[${a}]:53`), fc.ipV6().map((a) => `${a}/96`));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: fields.length - 1 }), text, (i, s) => {
        const c = defaultConfig();
        fields[i]!(c, s);
        for (const issue of configIssues(c)) expect(issue.path.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});
