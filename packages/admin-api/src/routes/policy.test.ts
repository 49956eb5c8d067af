import { describe, expect, it } from 'vitest';
import { errorOf, useApp } from '../test/helper.js';

const ids = async (ctx: ReturnType<typeof useApp>): Promise<string[]> =>
  ((await ctx.call('GET', '/api/v1/policy')).json() as { items: { id: string }[] }).items.map((r) => r.id);

describe('policy', () => {
  const ctx = useApp();

  it('lists rules in order with their hit counters', async () => {
    await ctx.ports.addPolicy({ id: 'lab', action: 'deny', source6: '2001:db8:1::/48' });
    await ctx.ports.addPolicy({ id: 'web', action: 'allow', protocol: 'tcp', ports: '443' });
    ctx.ports.hits.set('lab', 7);
    const res = await ctx.call('GET', '/api/v1/policy');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        { id: 'lab', action: 'deny', source6: '2001:db8:1::/48', hits: 7 },
        { id: 'web', action: 'allow', protocol: 'tcp', ports: '443', hits: 0 },
      ],
    });
  });

  it('POST adds at the end or at ?position', async () => {
    expect((await ctx.call('POST', '/api/v1/policy', { id: 'a', action: 'allow' })).statusCode).toBe(201);
    expect((await ctx.call('POST', '/api/v1/policy', { id: 'b', action: 'allow' })).statusCode).toBe(201);
    const res = await ctx.call('POST', '/api/v1/policy?position=0', { id: 'first', action: 'deny', destination4: '198.51.100.0/24' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ version: 4, changed: ['nat64.policy'] });
    expect(await ids(ctx)).toEqual(['first', 'a', 'b']);
  });

  it('PUT replaces a rule and ?position moves it', async () => {
    for (const id of ['a', 'b', 'c']) await ctx.ports.addPolicy({ id, action: 'allow' });
    const res = await ctx.call('PUT', '/api/v1/policy/c?position=0', { id: 'c', action: 'deny', protocol: 'udp' });
    expect(res.statusCode).toBe(200);
    expect(await ids(ctx)).toEqual(['c', 'a', 'b']);
    expect(ctx.ports.config.nat64.policy[0]).toEqual({ id: 'c', action: 'deny', protocol: 'udp' });
  });

  it('DELETE removes a rule; unknown ids are 404', async () => {
    await ctx.ports.addPolicy({ id: 'a', action: 'allow' });
    expect((await ctx.call('DELETE', '/api/v1/policy/a')).statusCode).toBe(200);
    expect(await ids(ctx)).toEqual([]);
    const res = await ctx.call('DELETE', '/api/v1/policy/a');
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).message).toBe('no policy rule "a"');
    expect((await ctx.call('PUT', '/api/v1/policy/zz', { id: 'zz', action: 'allow' })).statusCode).toBe(404);
  });

  it('409 for a duplicate id', async () => {
    await ctx.ports.addPolicy({ id: 'a', action: 'allow' });
    const res = await ctx.call('POST', '/api/v1/policy', { id: 'a', action: 'deny' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).message).toMatch(/already exists/);
  });

  it.each([
    { name: 'no action', body: { id: 'x' }, message: 'body is missing the required key "action"' },
    { name: 'bad action', body: { id: 'x', action: 'maybe' }, message: 'body.action must be one of "allow", "deny"' },
    { name: 'bad id', body: { id: 'has space', action: 'allow' }, message: /body.id must match pattern/ },
    { name: 'bad ports', body: { id: 'x', action: 'allow', ports: 'http' }, message: /body.ports must match pattern/ },
    { name: 'unknown key', body: { id: 'x', action: 'allow', dst: '192.0.2.0/24' }, message: 'body has unknown key "dst"' },
  ])('POST 400 for a bad rule: $name', async ({ body, message }) => {
    const res = await ctx.call('POST', '/api/v1/policy', body);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(message);
  });

  it('PUT 400 when the body renames the rule', async () => {
    await ctx.ports.addPolicy({ id: 'a', action: 'allow' });
    const res = await ctx.call('PUT', '/api/v1/policy/a', { id: 'b', action: 'allow' });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(/body.id "b" differs from the rule id "a"/);
  });

  it('400 for a bad position', async () => {
    const res = await ctx.call('POST', '/api/v1/policy?position=-1', { id: 'x', action: 'allow' });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toBe('querystring.position must be >= 0');
  });
});
