import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadUiAssets, type UiAsset } from '@sixgate/ui';
import { buildAdminApi } from '../app.js';
import { FakeAdminPorts } from '../fake-ports.js';
import { CONTENT_SECURITY_POLICY } from './ui.js';

const TOKEN = 'ui-test-token-0123456789';
const page: UiAsset = { path: '/', body: Buffer.from('<!doctype html><title>t</title>'), contentType: 'text/html; charset=utf-8', etag: '"p1"', immutable: false };
const script: UiAsset = { path: '/assets/app-ABCDEFGH.js', body: Buffer.from('export{}'), contentType: 'text/javascript; charset=utf-8', etag: '"s1"', immutable: true };

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('the dashboard at /', () => {
  it('serves the page without a token, under a strict CSP, revalidated by ETag', async () => {
    app = buildAdminApi({ ports: new FakeAdminPorts(), token: TOKEN, ui: [page, script] });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe(page.body.toString());
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['etag']).toBe('"p1"');
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': '"p1"' } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': '"old"' } })).statusCode).toBe(200);
  });

  it('content-hashed assets are cached for a year', async () => {
    app = buildAdminApi({ ports: new FakeAdminPorts(), token: TOKEN, ui: [page, script] });
    const res = await app.inject({ method: 'GET', url: '/assets/app-ABCDEFGH.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await app.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/assets/../../etc/passwd' })).statusCode).toBe(404);
  });

  it('answers 503 with the reason when the dashboard was not built; the API still works', async () => {
    app = buildAdminApi({ ports: new FakeAdminPorts(), token: TOKEN, ui: new Error('the dashboard is not built') });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ message: 'the dashboard is not built' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it('the built dashboard has no inline script or style and names only its own assets', () => {
    const assets = loadUiAssets();
    const html = assets.find((a) => a.path === '/')!.body.toString();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is external
    expect(html).not.toMatch(/<style|style=/);
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    for (const [, ref] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(assets.map((a) => a.path)).toContain(ref);
    const js = assets.find((a) => a.path.endsWith('.js'))!;
    expect(js.immutable).toBe(true);
    expect(js.body.toString()).not.toMatch(/\beval\(|new Function\(/);
  });
});
