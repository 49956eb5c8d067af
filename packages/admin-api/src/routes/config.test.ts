import { describe, expect, it } from 'vitest';
import { errorOf, useApp } from '../test/helper.js';

describe('GET /api/v1/config', () => {
  const ctx = useApp();

  it('returns the effective config with the token redacted, and the pinned keys', async () => {
    ctx.ports.pinned = { prefix: '--prefix', 'nat64.pool4': 'SIXGATE_POOL4' };
    const res = await ctx.call('GET', '/api/v1/config');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { config: { prefix: string; api: { token?: string }; nat64: { pool4: string[] } }; pinned: Record<string, string> };
    expect(body.config.prefix).toBe('64:ff9b::/96');
    expect(body.config.nat64.pool4).toEqual(['192.168.255.0/24']);
    expect(body.config.api.token).toBe('***');
    expect(res.body).not.toContain(ctx.ports.config.api.token!);
    expect(body.pinned).toEqual({ prefix: '--prefix', 'nat64.pool4': 'SIXGATE_POOL4' });
  });
});

describe('GET /api/v1/config with a careless port', () => {
  const ctx = useApp();

  it('never shows the token, even when the port forgets to redact it', async () => {
    ctx.ports.getConfig = () => ({ config: ctx.ports.config, pinned: {} });
    const res = await ctx.call('GET', '/api/v1/config');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('fake-token-0123456789');
    expect((res.json() as { config: { api: { token: string } } }).config.api.token).toBe('***');
  });
});

describe('PATCH /api/v1/config', () => {
  const ctx = useApp();

  it('applies a partial change and returns the new version', async () => {
    const res = await ctx.call('PATCH', '/api/v1/config', { dns64: { cache: { maxTtl: 600 } }, log: { level: 'debug' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ version: 2, changed: ['dns64.cache.maxTtl', 'log.level'], summary: 'changed dns64.cache.maxTtl, log.level' });
    expect(ctx.ports.config.dns64.cache.maxTtl).toBe(600);
    expect(ctx.ports.config.dns64.cache.maxEntries).toBe(100_000);
  });

  it('null removes an optional key (RFC 7396), and only there', async () => {
    const res = await ctx.call('PATCH', '/api/v1/config', { api: { token: null } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ changed: ['api.token'] });
    expect(ctx.ports.config.api.token).toBeUndefined();
    const required = await ctx.call('PATCH', '/api/v1/config', { api: { listen: null } });
    expect(required.statusCode).toBe(400);
    expect(errorOf(required).message).toBe('body.api.listen must be string');
  });

  it.each([
    { name: 'top-level key', body: { colour: 'blue' }, message: 'body has unknown key "colour"' },
    { name: 'nested key', body: { dns64: { cache: { maxTTL: 5 } } }, message: 'body.dns64.cache has unknown key "maxTTL"' },
    { name: 'wrong type', body: { dns64: { timeout: 'slow' } }, message: 'body.dns64.timeout must be number' },
    { name: 'wrong type for a nullable key', body: { api: { token: 5 } }, message: 'body.api.token must be string' },
    { name: 'token too short', body: { api: { token: 'short' } }, message: 'body.api.token must NOT have fewer than 16 characters' },
    { name: 'out of range', body: { nat64: { mtu: 100 } }, message: 'body.nat64.mtu must be >= 1280' },
    { name: 'bad enum', body: { log: { level: 'loud' } }, message: 'body.log.level must be one of "fatal", "error", "warn", "info", "debug", "trace"' },
    { name: 'not an object', body: ['prefix'], message: 'body must be object' },
  ])('400 for an invalid body: $name', async ({ body, message }) => {
    const res = await ctx.call('PATCH', '/api/v1/config', body);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toBe(message);
    expect(ctx.ports.history()).toHaveLength(1);
  });

  it('400 with the config room\'s message for a value the schema cannot judge', async () => {
    const res = await ctx.call('PATCH', '/api/v1/config', { nat64: { pool4: ['not-a-cidr'] } });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(/nat64\.pool4\[0\]/);
    expect(ctx.ports.config.nat64.pool4).toEqual(['192.168.255.0/24']);
  });

  it('409 naming the flag when the change touches a pinned key', async () => {
    ctx.ports.pinned = { 'nat64.tun': '--tun' };
    const res = await ctx.call('PATCH', '/api/v1/config', { nat64: { tun: 'nat64x' } });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).message).toMatch(/nat64\.tun is pinned by --tun/);
    expect(ctx.ports.config.nat64.tun).toBe('sixgate0');
  });
});
