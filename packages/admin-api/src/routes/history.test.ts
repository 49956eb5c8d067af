import { describe, expect, it } from 'vitest';
import { errorOf, useApp } from '../test/helper.js';

describe('config history and rollback', () => {
  const ctx = useApp();

  it('lists applied configs newest first', async () => {
    await ctx.call('PATCH', '/api/v1/config', { log: { level: 'warn' } });
    const res = await ctx.call('GET', '/api/v1/config/history');
    expect(res.statusCode).toBe(200);
    const items = (res.json() as { items: { version: number; appliedAt: string; summary: string }[] }).items;
    expect(items.map((i) => i.version)).toEqual([2, 1]);
    expect(items[0]!.summary).toBe('changed log.level');
    expect(Number.isNaN(Date.parse(items[0]!.appliedAt))).toBe(false);
  });

  it('restores an earlier version', async () => {
    await ctx.call('PATCH', '/api/v1/config', { log: { level: 'warn' } });
    const res = await ctx.call('POST', '/api/v1/config/rollback', { version: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 3, changed: ['log.level'] });
    expect(ctx.ports.config.log.level).toBe('info');
  });

  it('404 for a version that is not in the history', async () => {
    const res = await ctx.call('POST', '/api/v1/config/rollback', { version: 42 });
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).message).toMatch(/version 42 is not in the history/);
  });

  it.each([
    { name: 'missing', body: {}, message: 'body is missing the required key "version"' },
    { name: 'negative', body: { version: -1 }, message: 'body.version must be >= 0' },
    { name: 'fraction', body: { version: 1.5 }, message: 'body.version must be integer' },
    { name: 'extra key', body: { version: 1, force: true }, message: 'body has unknown key "force"' },
  ])('400 for a bad body: $name', async ({ body, message }) => {
    const res = await ctx.call('POST', '/api/v1/config/rollback', body);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toBe(message);
  });
});
