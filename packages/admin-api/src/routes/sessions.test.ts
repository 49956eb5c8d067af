import { describe, expect, it } from 'vitest';
import type { SessionEntry } from '../schemas/nat64.js';
import { errorOf, useApp } from '../test/helper.js';

function session(i: number, protocol: SessionEntry['protocol']): SessionEntry {
  return {
    protocol,
    ipv6Client: `[2001:db8::${i.toString(16)}]:${40_000 + i}`,
    ipv6Server: '[64:ff9b::c000:221]:80',
    ipv4Local: `192.168.255.1:${61_000 + i}`,
    ipv4Remote: '192.0.2.33:80',
    state: protocol === 'tcp' ? 'ESTABLISHED' : 'established',
    expiresInMs: 1000 * i,
  };
}

describe('sessions', () => {
  const ctx = useApp();

  it('pages through the table with the total before paging', async () => {
    ctx.ports.sessions = Array.from({ length: 25 }, (_v, i) => session(i, i % 2 === 0 ? 'tcp' : 'udp'));
    const res = await ctx.call('GET', '/api/v1/sessions?limit=10&offset=20');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { total: number; limit: number; offset: number; items: SessionEntry[] };
    expect(body.total).toBe(25);
    expect([body.limit, body.offset]).toEqual([10, 20]);
    expect(body.items).toEqual(ctx.ports.sessions.slice(20));
  });

  it('defaults to 100 per page and filters by protocol', async () => {
    ctx.ports.sessions = Array.from({ length: 250 }, (_v, i) => session(i, i % 5 === 0 ? 'icmp' : 'tcp'));
    const all = (await ctx.call('GET', '/api/v1/sessions')).json() as { total: number; items: SessionEntry[]; limit: number };
    expect([all.total, all.items.length, all.limit]).toEqual([250, 100, 100]);
    const icmp = (await ctx.call('GET', '/api/v1/sessions?protocol=icmp')).json() as { total: number; items: SessionEntry[] };
    expect(icmp.total).toBe(50);
    expect(icmp.items.every((s) => s.protocol === 'icmp')).toBe(true);
  });

  it('never returns more than limit items even if the port does', async () => {
    ctx.ports.listSessions = () => ({ total: 3, items: [session(1, 'tcp'), session(2, 'tcp'), session(3, 'tcp')] });
    const body = (await ctx.call('GET', '/api/v1/sessions?limit=2')).json() as { items: SessionEntry[] };
    expect(body.items).toHaveLength(2);
  });

  it.each([
    { name: 'limit 0', q: 'limit=0', message: 'querystring.limit must be >= 1' },
    { name: 'limit too big', q: 'limit=10001', message: 'querystring.limit must be <= 10000' },
    { name: 'limit not a number', q: 'limit=ten', message: 'querystring.limit must be integer' },
    { name: 'limit fraction', q: 'limit=1.5', message: 'querystring.limit must be integer' },
    { name: 'negative offset', q: 'offset=-1', message: 'querystring.offset must be >= 0' },
    { name: 'unknown protocol', q: 'protocol=sctp', message: 'querystring.protocol must be one of "tcp", "udp", "icmp"' },
    { name: 'unknown parameter', q: 'state=ESTABLISHED', message: 'querystring has unknown key "state"' },
  ])('400 for a bad query: $name', async ({ q, message }) => {
    const res = await ctx.call('GET', `/api/v1/sessions?${q}`);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toBe(message);
  });

  it('DELETE flushes dynamic sessions and says how many', async () => {
    ctx.ports.sessions = [session(1, 'tcp'), session(2, 'udp')];
    const res = await ctx.call('DELETE', '/api/v1/sessions');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ removed: 2 });
    expect(ctx.ports.sessions).toEqual([]);
  });
});
