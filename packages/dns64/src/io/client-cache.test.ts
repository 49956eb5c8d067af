import { endianness } from 'node:os';
import { formatIpv6, parseIpv6 } from '@sixgate/addressing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DNS64_DEFAULTS } from '../config.js';
import { RateLimiter } from '../rate-limit.js';
import { ClientCache, type ClientInfo } from './client-cache.js';
import { AF_INET, AF_INET6 } from './native-udp.js';

/** A classifier that records its calls and names each client by its address. */
function recorder(): { calls: string[]; cache: (max?: number) => ClientCache } {
  const calls: string[] = [];
  const limiter = new RateLimiter(DNS64_DEFAULTS.rateLimit, Date.now);
  const classify = (v4: number, v6: Uint8Array | undefined, text: string): ClientInfo => {
    const key = v4 >= 0 ? `v4:${v4 >>> 0}` : `v6:${formatIpv6(v6!)}`;
    calls.push(key);
    const rateKey = v4 >= 0 ? limiter.keyFor(Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff), true) : limiter.keyFor(v6!, false);
    return { allowed: v4 >= 0, rateKey, client6: v6, text };
  };
  return { calls, cache: (max = 4096) => new ClientCache(classify, max) };
}

/** A raw sockaddr slot as the kernel writes it (family in host order, port and address in network order). */
function slot(family: number, addr: Uint8Array, port = 5353): Uint8Array {
  const s = new Uint8Array(28);
  new DataView(s.buffer).setUint16(0, family, endianness() === 'LE');
  s[2] = port >> 8;
  s[3] = port & 0xff;
  s.set(addr, family === AF_INET ? 4 : 8);
  return s;
}

describe('ClientCache', () => {
  it('classifies an IPv4 sockaddr once, then serves it from the cache whatever the port', () => {
    const r = recorder();
    const c = r.cache();
    const a = c.fromSockaddr(slot(AF_INET, Uint8Array.of(192, 0, 2, 7), 1000), 0);
    const b = c.fromSockaddr(slot(AF_INET, Uint8Array.of(192, 0, 2, 7), 2000), 0);
    expect(b).toBe(a);
    expect(a).toMatchObject({ allowed: true, rateKey: { a2: 0xffff, a3: (192 << 24) | (2 << 8) | 7 }, text: '192.0.2.7' });
    expect(r.calls).toHaveLength(1);
  });

  it('reads slot i of a batch of slots', () => {
    const r = recorder();
    const c = r.cache();
    const batch = new Uint8Array(28 * 3);
    batch.set(slot(AF_INET, Uint8Array.of(198, 51, 100, 1)), 0);
    batch.set(slot(AF_INET6, parseIpv6('2001:db8::5')), 28);
    batch.set(slot(AF_INET, Uint8Array.of(203, 0, 113, 9)), 56);
    expect([0, 1, 2].map((i) => c.fromSockaddr(batch, i).text)).toEqual(['198.51.100.1', '2001:db8::5', '203.0.113.9']);
  });

  it('treats IPv4-mapped IPv6 sources as the IPv4 client (RFC 4291 §2.5.5.2)', () => {
    const r = recorder();
    const c = r.cache();
    const mapped = c.fromSockaddr(slot(AF_INET6, parseIpv6('::ffff:192.0.2.1')), 0);
    const plain = c.fromSockaddr(slot(AF_INET, Uint8Array.of(192, 0, 2, 1)), 0);
    expect(plain).toBe(mapped);
    expect(mapped.allowed).toBe(true);
    expect(mapped.client6).toBeUndefined();
    expect(c.fromText('::ffff:192.0.2.1').rateKey).toEqual(mapped.rateKey);
  });

  it('never confuses two IPv6 clients (hash collisions are checked against the full address)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (a, b) => {
        fc.pre(!(a[0] === 0 && a[10] === 0xff)); // keep mapped addresses out of this property
        const c = recorder().cache();
        const x = c.fromSockaddr(slot(AF_INET6, a), 0);
        const y = c.fromSockaddr(slot(AF_INET6, b), 0);
        expect(formatIpv6(x.client6!)).toBe(formatIpv6(a));
        expect(formatIpv6(y.client6!)).toBe(formatIpv6(b));
        expect(c.fromSockaddr(slot(AF_INET6, a), 0).rateKey).toEqual(x.rateKey);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its own copy of the IPv6 address (the receive slot is reused)', () => {
    const c = recorder().cache();
    const s = slot(AF_INET6, parseIpv6('2001:db8::1'));
    const info = c.fromSockaddr(s, 0);
    s.fill(0xee, 8, 24);
    expect(formatIpv6(info.client6!)).toBe('2001:db8::1');
  });

  it('classifies an unknown family as :: (not an allowed IPv4 client)', () => {
    const c = recorder().cache();
    expect(c.fromSockaddr(slot(1, new Uint8Array(16)), 0)).toMatchObject({ allowed: false, text: '::' });
  });

  it('parses text addresses from node:dgram and node:net, scope ids included', () => {
    const r = recorder();
    const c = r.cache();
    expect(c.fromText('203.0.113.5').allowed).toBe(true);
    expect(formatIpv6(c.fromText('fe80::1%eth0').client6!)).toBe('fe80::1');
    expect(c.fromText('not an address').rateKey).toMatchObject({ a0: 0, a1: 0, a2: 0, a3: 0 });
    c.fromText('203.0.113.5');
    expect(r.calls).toHaveLength(3);
  });

  it('stays bounded and forgets everything on clear()', () => {
    const r = recorder();
    const c = r.cache(8);
    for (let i = 0; i < 20; i++) c.fromSockaddr(slot(AF_INET, Uint8Array.of(192, 0, 2, i)), 0);
    for (let i = 0; i < 20; i++) c.fromSockaddr(slot(AF_INET6, parseIpv6(`2001:db8::${i}`)), 0);
    for (let i = 0; i < 20; i++) c.fromText(`198.51.100.${i}`);
    expect(c.size).toBeLessThanOrEqual(24);
    expect(r.calls).toHaveLength(60);
    c.clear();
    expect(c.size).toBe(0);
    c.fromSockaddr(slot(AF_INET, Uint8Array.of(192, 0, 2, 19)), 0);
    expect(r.calls).toHaveLength(61);
  });
});
