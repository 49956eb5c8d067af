// The admin API over the daemon's real ports and apply transaction (no TUN,
// no DNS64 sockets, no routes): concurrent changes all land, and If-Match
// makes a stale writer fail with 412 instead of overwriting.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAdminApi } from '@sixgate/admin-api';
import { defaultConfig, type Config } from '@sixgate/config';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Appliance, buildDataPlane } from './appliance.js';
import type { PacketLoop } from './packet-loop.js';
import { appliancePorts } from './ports.js';

const TOKEN = 'ports-test-token-0123456789';
let dir = '';
let app: Appliance;
let api: FastifyInstance;

const call = (method: InjectOptions['method'], url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  api.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-ports-'));
  const file = join(dir, 'sixgate.yaml');
  writeFileSync(file, '# test appliance\nprefix: 64:ff9b::/96\n');
  const base = defaultConfig();
  const config: Config = {
    ...base,
    stateDir: dir,
    dns64: { ...base.dns64, upstreams: ['192.0.2.53'] },
    nat64: { ...base.nat64, pool4: ['198.51.100.1'], manageRoutes: false },
  };
  app = new Appliance({ loaded: { config, pinned: {}, file, format: 'yaml', created: false }, log: pino({ level: 'silent' }) });
  app.plane = buildDataPlane(config, app.clock);
  app.loop = { translator: app.plane.translator } as unknown as PacketLoop;
  app.dns = { updateOptions: async () => undefined, setPrefix: () => undefined } as unknown as Appliance['dns'];
  await app.history.record(config, 'initial configuration');
  await app.refreshHistory();
  api = buildAdminApi({ ports: appliancePorts(app), token: TOKEN });
});

afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('daemon ports: no change is lost', () => {
  it('50 concurrent rule additions all land, each in its own version', async () => {
    const ids = Array.from({ length: 50 }, (_v, i) => `rule-${i}`);
    const answers = await Promise.all(ids.map((id, i) => call('POST', '/api/v1/policy', { id, action: 'deny', destination4: `203.0.113.${i}/32` })));
    expect(answers.map((r) => r.statusCode)).toEqual(ids.map(() => 201));
    const versions = answers.map((r) => (r.json() as { version: number }).version);
    expect(new Set(versions).size).toBe(50);
    const list = (await call('GET', '/api/v1/policy')).json() as { items: { id: string }[] };
    expect(list.items.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(app.plane.policy.hits()).toHaveLength(50); // the translator runs all of them
    const saved = readFileSync(app.file, 'utf8');
    for (const id of ids) expect(saved).toContain(id);
    expect(saved).toContain('# test appliance');
  }, 60_000);

  it('concurrent static BIB additions and removals all land', async () => {
    const adds = await Promise.all(
      Array.from({ length: 10 }, (_v, i) => call('POST', '/api/v1/bib', { protocol: 'tcp', ipv6: `[2001:db8::${i + 1}]:80`, ipv4: `198.51.100.1:${8000 + i}` })),
    );
    expect(adds.map((r) => r.statusCode)).toEqual(adds.map(() => 201));
    expect(app.config.nat64.staticBib).toHaveLength(10);
    const ids = adds.map((r) => (r.json() as { id: string }).id);
    const dels = await Promise.all(ids.slice(0, 5).map((id) => call('DELETE', `/api/v1/bib/${id}`)));
    expect(dels.map((r) => r.statusCode)).toEqual(dels.map(() => 204));
    expect(app.config.nat64.staticBib.map((e) => e.ipv4).sort()).toEqual(['198.51.100.1:8005', '198.51.100.1:8006', '198.51.100.1:8007', '198.51.100.1:8008', '198.51.100.1:8009']);
  });

  it('reads carry the version as ETag; If-Match of the current version applies, of an older one is 412 and changes nothing', async () => {
    const read = await call('GET', '/api/v1/policy');
    const etag = read.headers['etag'] as string;
    expect(etag).toBe('"1"');
    expect(read.headers['cache-control']).toBe('no-store');
    for (const url of ['/api/v1/config', '/api/v1/prefix', '/api/v1/bib', '/api/v1/config/history']) {
      expect((await call('GET', url)).headers['etag']).toBe(etag);
    }
    // Two operators read version 1; the first write wins, the second is refused.
    const first = await call('POST', '/api/v1/policy', { id: 'a', action: 'allow' }, { 'if-match': etag });
    expect(first.statusCode).toBe(201);
    expect(first.headers['etag']).toBe('"2"');
    const second = await call('POST', '/api/v1/policy', { id: 'b', action: 'allow' }, { 'if-match': etag });
    expect(second.statusCode).toBe(412);
    expect((second.json() as { message: string }).message).toMatch(/current version is 2; nothing was changed/);
    for (const [method, url, body] of [
      ['PUT', '/api/v1/prefix', { prefix: '2001:db8:46::/96' }],
      ['PATCH', '/api/v1/config', { log: { level: 'debug' } }],
      ['PUT', '/api/v1/policy/a', { id: 'a', action: 'deny' }],
      ['DELETE', '/api/v1/policy/a', undefined],
      ['POST', '/api/v1/config/rollback', { version: 1 }],
      ['POST', '/api/v1/bib', { protocol: 'udp', ipv6: '[2001:db8::5]:53', ipv4: '198.51.100.1:53' }],
    ] as const) {
      expect((await call(method, url, body, { 'if-match': etag })).statusCode, `${method} ${url}`).toBe(412);
    }
    expect(app.config.nat64.policy).toEqual([{ id: 'a', action: 'allow' }]);
    expect(app.config.prefix).toBe('64:ff9b::/96');
    expect(app.historyCache[0]!.version).toBe(2);
    // The current version (or *) applies.
    expect((await call('PUT', '/api/v1/prefix', { prefix: '2001:db8:46::/96' }, { 'if-match': '"2"' })).statusCode).toBe(200);
    expect((await call('DELETE', '/api/v1/policy/a', undefined, { 'if-match': '*' })).statusCode).toBe(200);
    expect((await call('POST', '/api/v1/config/rollback', { version: 1 }, { 'if-match': 'W/"0", "4"' })).statusCode).toBe(200);
    expect(app.config.prefix).toBe('64:ff9b::/96');
  });

  it('If-Match that is not a list of quoted versions is 400; weak tags never match', async () => {
    for (const bad of ['1', '"1', 'abc', '"1" "2"']) {
      const r = await call('POST', '/api/v1/policy', { id: 'x', action: 'allow' }, { 'if-match': bad });
      expect(r.statusCode, bad).toBe(400);
      expect((r.json() as { message: string }).message).toMatch(/If-Match must be/);
    }
    expect((await call('POST', '/api/v1/policy', { id: 'x', action: 'allow' }, { 'if-match': 'W/"1"' })).statusCode).toBe(412);
    expect((await call('POST', '/api/v1/policy', { id: 'x', action: 'allow' }, { 'if-match': '"x"' })).statusCode).toBe(412);
    expect(app.config.nat64.policy).toEqual([]);
  });

  it('a change answers with the outcome of each step; history versions carry their configuration', async () => {
    const r = await call('PUT', '/api/v1/prefix', { prefix: '2001:db8:46::/96' });
    expect(r.statusCode).toBe(200);
    const steps = (r.json() as { steps: { step: string; outcome: string; detail?: string }[] }).steps;
    expect(steps.map((s) => `${s.step}:${s.outcome}`)).toEqual(['kernel routes:skipped', 'static BIB entries:unchanged', 'DNS64:done', 'config file:done', 'translator:done', 'history:done']);
    expect(steps[4]!.detail).toMatch(/translating 2001:db8:46::\/96; 0 sessions of 64:ff9b::\/96 flushed/);
    const v1 = await call('GET', '/api/v1/config/history/1');
    expect(v1.statusCode).toBe(200);
    expect(v1.json()).toMatchObject({ version: 1, summary: 'initial configuration', config: { prefix: '64:ff9b::/96' } });
    expect((await call('GET', '/api/v1/config/history/2')).json()).toMatchObject({ version: 2, config: { prefix: '2001:db8:46::/96' } });
    expect((await call('GET', '/api/v1/config/history/99')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/config/history/0')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/config/history/x')).statusCode).toBe(400);
  });

  it('a duplicate rule id is 409, decided inside the queue', async () => {
    const answers = await Promise.all([1, 2, 3].map(() => call('POST', '/api/v1/policy', { id: 'same', action: 'allow' })));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
  });
});
