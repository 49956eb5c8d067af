import { parseIpv4, parseIpv4Cidr } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { CLASS_TCP, CLASS_UDP, Pool4 } from './pool4.js';

describe('Pool4', () => {
  const pool = (): Pool4 => new Pool4([{ cidr: parseIpv4Cidr('198.51.100.0/31'), ports: { udp: [100, 139] } }, { cidr: parseIpv4Cidr('203.0.113.7/32') }]);

  it('numbers addresses over all prefixes and sizes the port space', () => {
    const p = pool();
    expect(p.count).toBe(3);
    expect([0, 1, 2].map((a) => p.address(a))).toEqual([parseIpv4('198.51.100.0'), parseIpv4('198.51.100.1'), parseIpv4('203.0.113.7')]);
    expect(p.indexOf(parseIpv4('203.0.113.7'))).toBe(2);
    expect(p.indexOf(parseIpv4('203.0.113.8'))).toBe(-1);
    // The /31 has a 40-port UDP range; the /32 uses the default 1024-65535 for all three.
    expect(p.size).toBe(2 * (64512 * 2 + 40) + 3 * 64512);
  });

  it('reports use per protocol, in total and per address; a big pool lists only addresses in use, bounded', () => {
    const p = pool();
    p.take(CLASS_UDP, 0, 100);
    p.take(CLASS_UDP, 0, 101);
    p.take(CLASS_TCP, 2, 5000);
    const u = p.usage(256);
    expect(u.addressCount).toBe(3);
    expect(u.udp).toEqual({ used: 2, size: 40 * 2 + 64512 });
    expect(u.tcp).toEqual({ used: 1, size: 3 * 64512 });
    expect(u.addresses.map((a) => a.address)).toEqual([parseIpv4('198.51.100.0'), parseIpv4('198.51.100.1'), parseIpv4('203.0.113.7')]);
    expect(u.addresses[0]!.udp).toEqual({ used: 2, size: 40 });
    expect(u.addresses[2]!.tcp).toEqual({ used: 1, size: 64512 });
    expect(u.truncated).toBe(false);
    const small = p.usage(2); // more addresses than the limit: only those in use
    expect(small.addresses.map((a) => a.address)).toEqual([parseIpv4('198.51.100.0'), parseIpv4('203.0.113.7')]);
    expect(small.truncated).toBe(false);
    expect(p.usage(1).addresses).toHaveLength(1);
    expect(p.usage(1).truncated).toBe(true);
  });

  it('takes the hashed port, else the next free one, wrapping across words', () => {
    const p = pool();
    for (let port = 130; port <= 139; port++) p.take(CLASS_UDP, 0, port);
    p.take(CLASS_UDP, 0, 100);
    // offset 30 → 130 (used) … 139 used, wraps to 100 (used), then 101.
    expect(p.pickPort(CLASS_UDP, 0, 30 - 0)).toBe(101);
    expect(p.used).toBe(11);
    p.release(CLASS_UDP, 0, 135);
    p.release(CLASS_UDP, 0, 135);
    expect(p.used).toBe(10);
    expect(p.isFree(CLASS_UDP, 0, 135)).toBe(true);
    expect(p.isFree(CLASS_UDP, 0, 99)).toBe(false); // outside the range
  });

  it('reports a full address and a full class', () => {
    const p = new Pool4([{ cidr: parseIpv4Cidr('198.51.100.0/31'), ports: { tcp: [1, 2] } }]);
    expect(p.pickAddress(CLASS_TCP, -1, 5)).toBe(1);
    p.take(CLASS_TCP, 1, 1);
    p.take(CLASS_TCP, 1, 2);
    expect(p.hasFree(CLASS_TCP, 1)).toBe(false);
    expect(p.pickAddress(CLASS_TCP, 1, 1)).toBe(0);
    p.take(CLASS_TCP, 0, 1);
    p.take(CLASS_TCP, 0, 2);
    expect(p.pickAddress(CLASS_TCP, -1, 0)).toBe(-1);
    expect(p.pickAddress(CLASS_UDP, -1, 0)).toBe(0);
  });

  it('takes static ports outside the range without counting them', () => {
    const p = pool();
    p.take(CLASS_UDP, 0, 53);
    expect(p.used).toBe(0);
  });

  it.each([
    { name: 'not a cidr', ranges: [{ cidr: { address: 'x', length: 24 } }] },
    { name: 'length 33', ranges: [{ cidr: { address: 0, length: 33 } }] },
    { name: 'float port', ranges: [{ cidr: parseIpv4Cidr('192.0.2.0/30'), ports: { icmp: [1.5, 3] } }] },
  ])('rejects $name', ({ ranges }) => {
    expect(() => new Pool4(ranges as never)).toThrow(expect.objectContaining({ code: 'ERR_STATE_OPTIONS' }));
  });
});
