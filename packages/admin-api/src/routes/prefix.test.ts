import { describe, expect, it } from 'vitest';
import { errorOf, useApp } from '../test/helper.js';

describe('prefix', () => {
  const ctx = useApp();

  it('GET returns the prefix, and the pin when there is one', async () => {
    expect((await ctx.call('GET', '/api/v1/prefix')).json()).toEqual({ prefix: '64:ff9b::/96' });
    ctx.ports.pinned = { prefix: 'SIXGATE_PREFIX' };
    expect((await ctx.call('GET', '/api/v1/prefix')).json()).toEqual({ prefix: '64:ff9b::/96', pinned: 'SIXGATE_PREFIX' });
  });

  it('PUT changes it, passing the canonical form to the daemon', async () => {
    const res = await ctx.call('PUT', '/api/v1/prefix', { prefix: '64:FF9B:0001::/48' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 2, changed: ['prefix'] });
    expect(ctx.ports.config.prefix).toBe('64:ff9b:1::/48');
  });

  it.each([
    { name: 'length not in RFC 6052', prefix: '2001:db8::/33', message: /not a valid NAT64 prefix length/ },
    { name: 'no length', prefix: '2001:db8::', message: /has no prefix length/ },
    { name: 'IPv4', prefix: '192.0.2.0/24', message: /IPv4 prefix/ },
    { name: 'u octet set', prefix: '2001:db8:0:0:ff00::/96', message: /bits 64-71/ },
    { name: 'garbage', prefix: 'sixty-four/96', message: /prefix "sixty-four\/96"/ },
  ])('PUT 400 for a bad prefix: $name', async ({ prefix, message }) => {
    const res = await ctx.call('PUT', '/api/v1/prefix', { prefix });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(message);
    expect(ctx.ports.config.prefix).toBe('64:ff9b::/96');
  });

  it.each([
    { name: 'no body key', body: {}, message: 'body is missing the required key "prefix"' },
    { name: 'number', body: { prefix: 96 }, message: /body.prefix|prefix "96"/ },
    { name: 'extra key', body: { prefix: '64:ff9b::/96', force: 1 }, message: 'body has unknown key "force"' },
  ])('PUT 400 for a bad body: $name', async ({ body, message }) => {
    const res = await ctx.call('PUT', '/api/v1/prefix', body);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(message);
  });

  it('PUT 409 naming the variable when the prefix is pinned', async () => {
    ctx.ports.pinned = { prefix: 'SIXGATE_PREFIX' };
    const res = await ctx.call('PUT', '/api/v1/prefix', { prefix: '64:ff9b:1::/48' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).message).toMatch(/^prefix is pinned by SIXGATE_PREFIX/);
  });
});
