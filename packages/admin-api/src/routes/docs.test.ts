import { describe, expect, it } from 'vitest';
import { useApp } from '../test/helper.js';

/** Every route of SPEC §7, as OpenAPI path → methods. */
const ROUTES: Record<string, string[]> = {
  '/api/v1/health': ['get'],
  '/api/v1/config': ['get', 'patch'],
  '/api/v1/config/history': ['get'],
  '/api/v1/config/rollback': ['post'],
  '/api/v1/prefix': ['get', 'put'],
  '/api/v1/sessions': ['get', 'delete'],
  '/api/v1/bib': ['get', 'post'],
  '/api/v1/bib/{id}': ['delete'],
  '/api/v1/policy': ['get', 'post'],
  '/api/v1/policy/{id}': ['put', 'delete'],
  '/api/v1/stats': ['get'],
  '/api/v1/stats/history': ['get'],
  '/api/v1/pool4': ['get'],
  '/api/v1/config/history/{version}': ['get'],
  '/api/v1/trace': ['get'],
  '/api/v1/ra': ['get'],
  '/api/v1/ha': ['get'],
  '/api/v1/ha/notify': ['post'],
  '/api/v1/probes': ['get'],
  '/metrics': ['get'],
};

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: unknown[];
  tags: { name: string; description: string }[];
}

describe('OpenAPI at /docs', () => {
  const ctx = useApp();

  it('/docs/json is an OpenAPI 3 document listing every route and method', async () => {
    const res = await ctx.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as OpenApi;
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.info.title).toBe('sixgate admin API');
    const listed = Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops).sort()]));
    expect(listed).toEqual(Object.fromEntries(Object.entries(ROUTES).map(([p, m]) => [p, [...m].sort()])));
  });

  it('documents bearer auth, with health as the one open operation', async () => {
    const doc = (await ctx.app.inject({ url: '/docs/json' })).json() as OpenApi;
    expect(doc.components.securitySchemes['bearer']).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/health']!['get']!.security).toEqual([]);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(doc.tags.map((t) => t.name), `${method} ${path}`).toContain(op.tags?.[0]);
        if (path !== '/api/v1/health') {
          expect(op.security, `${method} ${path}`).toBeUndefined();
          expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
        }
      }
    }
  });

  it('describes request parameters and bodies from the TypeBox schemas', async () => {
    const doc = (await ctx.app.inject({ url: '/docs/json' })).json() as OpenApi;
    const sessions = doc.paths['/api/v1/sessions']!['get']!;
    expect(sessions.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['query:limit', 'query:offset', 'query:protocol']);
    const bib = doc.paths['/api/v1/bib']!['post']!;
    expect(Object.keys(bib.requestBody!.content['application/json']!.schema.properties!).sort()).toEqual(['ipv4', 'ipv6', 'protocol']);
    expect(Object.keys(bib.responses).sort()).toEqual(['201', '400', '401', '409', '412', '500']);
    const patch = doc.paths['/api/v1/config']!['patch']!;
    expect(Object.keys(patch.requestBody!.content['application/json']!.schema.properties!).sort()).toEqual(['api', 'dns64', 'ha', 'log', 'nat64', 'prefix', 'probes', 'ra', 'stateDir']);
    const trace = doc.paths['/api/v1/trace']!['get']!;
    expect(Object.keys(trace.responses['200']!.content!).sort()).toEqual(['application/vnd.tcpdump.pcap', 'text/event-stream']);
  });

  it('/docs serves the Swagger UI without network access', async () => {
    const index = await ctx.app.inject({ url: '/docs/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('swagger-ui');
    expect(index.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\/[^"]*\.(js|css)/);
    const bundle = await ctx.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
  });
});
