/**
 * The dashboard (packages/ui) at `/`: its prebuilt assets served from memory,
 * open like /docs (they hold no state or secrets; every number they show comes
 * from the API with the bearer token). Strict Content-Security-Policy: scripts
 * and styles only from this origin, no inline script or style, no frames.
 * Content-hashed assets are cached for a year; the page is revalidated by ETag.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadUiAssets, type UiAsset } from '@sixgate/ui';
import { errorBody } from '../errors.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface UiOptions {
  /** The assets to serve; default: the built packages/ui. An Error: serve 503 saying why. */
  readonly assets?: UiAsset[] | Error;
}

function load(): UiAsset[] | Error {
  try {
    return loadUiAssets();
  } catch (e) {
    return e as Error;
  }
}

async function ui(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const assets = opts.assets ?? load();
  const serve = (asset: UiAsset) => async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(SECURITY_HEADERS).header('etag', asset.etag).header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    const inm = request.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === asset.etag)) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  };
  const hide = { schema: { hide: true } };
  if (assets instanceof Error) {
    app.log.warn({ err: assets.message }, 'dashboard not served');
    app.get('/', hide, async (_request, reply) => reply.code(503).send(errorBody(503, assets.message)));
    return;
  }
  for (const asset of assets) app.get(asset.path, hide, serve(asset));
}

export const uiRoutes = fp<UiOptions>(ui, { name: 'sixgate-ui', fastify: '5.x' });
