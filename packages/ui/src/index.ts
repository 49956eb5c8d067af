/**
 * @sixgate/ui — the dashboard's static assets, bundled at build time
 * (src/build.mjs: esbuild over src/web/, uPlot included; no CDN, nothing
 * downloaded at run time). This entry only finds and reads them, so the
 * admin API can serve them from memory; it runs no code of the appliance.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the dashboard. */
export interface UiAsset {
  /** URL path: "/" for the page, "/assets/<name>" for the rest. */
  readonly path: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong ETag (content hash). */
  readonly etag: string;
  /** Content-hashed file name: may be cached for a year; the page itself must be revalidated. */
  readonly immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Where the build writes the assets (packages/ui/dist/web). */
export const UI_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

/**
 * Reads the built dashboard. Throws when it was not built (run `npm run
 * build`), naming the directory; a file of an unknown type is skipped.
 */
export function loadUiAssets(dir: string = UI_DIR): UiAsset[] {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`the dashboard is not built: ${join(dir, 'index.html')} is missing (npm run build)`);
  const out: UiAsset[] = [];
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const page = name === 'index.html';
    out.push({ path: page ? '/' : `/assets/${name}`, body, contentType: type, etag, immutable: !page && /-[A-Z0-9]{8}\.[a-z]+$/.test(name) });
  }
  return out;
}
