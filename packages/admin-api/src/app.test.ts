import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sixgate/config';
import { buildAdminApi } from './app.js';
import { AdminConfigError, ApplyError } from './errors.js';
import { FakeAdminPorts } from './fake-ports.js';
import { AUTH, TOKEN, errorOf, useApp } from './test/helper.js';

/** Every protected route with a request that would succeed with the token. */
const PROTECTED: { name: string; method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown }[] = [
  { name: 'config get', method: 'GET', url: '/api/v1/config' },
  { name: 'config patch', method: 'PATCH', url: '/api/v1/config', payload: { log: { level: 'debug' } } },
  { name: 'history', method: 'GET', url: '/api/v1/config/history' },
  { name: 'rollback', method: 'POST', url: '/api/v1/config/rollback', payload: { version: 1 } },
  { name: 'prefix get', method: 'GET', url: '/api/v1/prefix' },
  { name: 'prefix put', method: 'PUT', url: '/api/v1/prefix', payload: { prefix: '64:ff9b:1::/48' } },
  { name: 'sessions', method: 'GET', url: '/api/v1/sessions' },
  { name: 'sessions flush', method: 'DELETE', url: '/api/v1/sessions' },
  { name: 'bib list', method: 'GET', url: '/api/v1/bib' },
  { name: 'bib add', method: 'POST', url: '/api/v1/bib', payload: { protocol: 'tcp', ipv6: '[2001:db8::10]:80', ipv4: '192.168.255.1:8080' } },
  { name: 'bib remove', method: 'DELETE', url: '/api/v1/bib/static-1' },
  { name: 'policy list', method: 'GET', url: '/api/v1/policy' },
  { name: 'policy add', method: 'POST', url: '/api/v1/policy', payload: { id: 'r1', action: 'deny' } },
  { name: 'policy put', method: 'PUT', url: '/api/v1/policy/r1', payload: { id: 'r1', action: 'allow' } },
  { name: 'policy delete', method: 'DELETE', url: '/api/v1/policy/r1' },
  { name: 'stats', method: 'GET', url: '/api/v1/stats' },
  { name: 'trace', method: 'GET', url: '/api/v1/trace?seconds=1' },
  { name: 'metrics', method: 'GET', url: '/metrics' },
];

describe('bearer auth', () => {
  const ctx = useApp();

  // One app per case (building one costs ~0.3 s); each route is named in the assertion.
  const send = (r: (typeof PROTECTED)[number], headers: Record<string, string>) =>
    ctx.app.inject({ method: r.method, url: r.url, headers, ...(r.payload === undefined ? {} : { payload: r.payload as object }) });

  it('every protected route: 401 without a token, and nothing reaches the ports', async () => {
    for (const r of PROTECTED) {
      const res = await send(r, {});
      expect(res.statusCode, r.name).toBe(401);
      expect(errorOf(res).message, r.name).toMatch(/Authorization: Bearer/);
      expect(res.headers['www-authenticate'], r.name).toMatch(/^Bearer/);
    }
    expect(ctx.ports.history().length).toBe(1);
    expect(ctx.ports.bib).toEqual([]);
    expect(ctx.ports.subscribers.size).toBe(0);
  });

  it('every protected route: 401 with a wrong token', async () => {
    for (const r of PROTECTED) {
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${TOKEN}`, TOKEN]) {
        const res = await send(r, { authorization });
        expect(res.statusCode, `${r.name} ${authorization}`).toBe(401);
        expect(errorOf(res).message).toBe('wrong bearer token');
      }
    }
    expect(ctx.ports.history().length).toBe(1);
  });

  it('every protected route: accepted with the right token', async () => {
    await ctx.ports.addStaticBib({ protocol: 'tcp', ipv6: '[2001:db8::1]:22', ipv4: '192.168.255.9:22' });
    for (const r of PROTECTED) {
      const res = await send(r, AUTH);
      expect(res.statusCode, `${r.name}: ${res.body}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, r.name).toBeLessThan(300);
    }
  });

  it('the scheme name is case-insensitive (RFC 7235 §2.1)', async () => {
    const res = await ctx.app.inject({ url: '/api/v1/stats', headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
  });

  it('health and the OpenAPI document stay open', async () => {
    expect((await ctx.app.inject({ url: '/api/v1/health' })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url: '/docs/json' })).statusCode).toBe(200);
  });
});

describe('health', () => {
  const ctx = useApp();

  it('200 with the state when both halves run', async () => {
    const res = await ctx.app.inject({ url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', dns64: true, nat64: true, reasons: [] });
  });

  it('503 with the reasons when degraded', async () => {
    ctx.ports.healthValue = { status: 'degraded', dns64: true, nat64: false, reasons: ['TUN device sixgate0 closed'] };
    const res = await ctx.app.inject({ url: '/api/v1/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded', nat64: false, reasons: ['TUN device sixgate0 closed'] });
  });
});

describe('errors', () => {
  const ctx = useApp();

  it('unknown routes are a 404 in the error shape', async () => {
    const res = await ctx.call('GET', '/api/v1/nothing?x=1');
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).message).toBe('no route GET /api/v1/nothing; see /docs');
  });

  it('a port that throws an unexpected error is a 500 in the error shape', async () => {
    ctx.ports.stats = () => {
      throw new TypeError('counters not ready');
    };
    const res = await ctx.call('GET', '/api/v1/stats');
    expect(res.statusCode).toBe(500);
    expect(errorOf(res).message).toBe('internal error: counters not ready');
  });

  it.each([
    { name: 'invalid', code: 'ERR_CONFIG_INVALID' as const, status: 400 },
    { name: 'pinned', code: 'ERR_CONFIG_PINNED' as const, status: 409 },
    { name: 'history', code: 'ERR_CONFIG_HISTORY' as const, status: 404 },
    { name: 'io', code: 'ERR_CONFIG_IO' as const, status: 500 },
  ])('ConfigError $name from a port becomes $status with its issues', async ({ code, status }) => {
    ctx.ports.patchConfig = async () => {
      throw new ConfigError(code, ['first issue', 'second issue']);
    };
    const res = await ctx.call('PATCH', '/api/v1/config', { log: { level: 'warn' } });
    expect(res.statusCode).toBe(status);
    expect(errorOf(res).message).toBe('first issue; second issue');
  });

  it('ApplyError keeps its status and message', async () => {
    ctx.ports.flushSessions = () => {
      throw new ApplyError(503, 'translator is restarting');
    };
    const res = await ctx.call('DELETE', '/api/v1/sessions');
    expect(res.statusCode).toBe(503);
    expect(errorOf(res)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'translator is restarting' });
  });

  it('malformed JSON is a 400 in the error shape', async () => {
    const res = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/config', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"log":' });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toMatch(/JSON/);
  });

  it('an oversized body is refused with 413', async () => {
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/v1/config',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: JSON.stringify({ dns64: { noSynthesis: Array.from({ length: 70_000 }, (_v, i) => `n${i}.example.org`) } }),
    });
    expect(res.statusCode).toBe(413);
    errorOf(res);
  });
});

describe('buildAdminApi', () => {
  it('refuses an empty token', () => {
    expect(() => buildAdminApi({ ports: new FakeAdminPorts(), token: '' })).toThrow(AdminConfigError);
  });

  it('does not listen', async () => {
    const app = buildAdminApi({ ports: new FakeAdminPorts(), token: TOKEN });
    await app.ready();
    expect(app.server.listening).toBe(false);
    await app.close();
  });
});
