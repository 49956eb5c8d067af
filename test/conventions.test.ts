// The room graph of SPEC §1 / STYLE §1, checked from the outside: each
// package.json, each tsconfig's references and each room's file set must match
// the table below. (eslint checks the import statements themselves.)
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/**
 * Rooms each room may depend on (runtime dependencies): the table of
 * docs/architecture.md, which a test below reads back. Rooms named here that
 * have no package yet (ra, ha, probe, ui) are the next ones to be written.
 */
const ALLOWED: Record<string, string[]> = {
  addressing: [],
  wire: ['addressing'],
  config: ['addressing'],
  nat64: ['addressing', 'wire'],
  dns64: ['addressing'],
  tun: ['wire'],
  datapath: ['addressing', 'wire', 'nat64', 'tun'],
  ra: ['addressing'],
  ha: ['addressing', 'nat64'],
  probe: ['addressing'],
  ui: [],
  lab: ['addressing', 'config'],
  'admin-api': ['config', 'addressing', 'nat64', 'dns64', 'ui'],
  daemon: ['addressing', 'wire', 'config', 'nat64', 'dns64', 'tun', 'datapath', 'ra', 'ha', 'probe', 'ui', 'lab', 'admin-api'],
  testkit: ['addressing', 'wire'],
};

/** Rooms only the daemon may depend on (docs/architecture.md). */
const DAEMON_ONLY = ['datapath', 'ra', 'ha', 'probe', 'lab'];

const rooms = readdirSync(join(ROOT, 'packages')).filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')));
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('room conventions', () => {
  it('every room is known to the graph', () => {
    for (const room of rooms) expect(Object.keys(ALLOWED), room).toContain(room);
  });

  it('the graph is the table of docs/architecture.md', () => {
    // | room | what it holds | may import |: every room name in the last cell, parentheses
    // included ("types of nat64/dns64"); "everything" is every room but testkit.
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const names = Object.keys(ALLOWED);
    const table: Record<string, string[]> = {};
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells.length < 5 || !names.includes(cells[1]!)) continue;
      const room = cells[1]!;
      const cell = cells[cells.length - 2]!;
      table[room] = cell === 'everything'
        ? names.filter((n) => n !== room && n !== 'testkit')
        : names.filter((n) => new RegExp(`(^|[^\\w-])${n}($|[^\\w-])`).test(cell));
    }
    const sorted = (r: Record<string, string[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [...v].sort()]).sort());
    expect(sorted(table)).toEqual(sorted(ALLOWED));
  });

  it.each(DAEMON_ONLY)('nothing but daemon depends on %s', (only) => {
    for (const room of Object.keys(ALLOWED)) if (room !== 'daemon') expect(ALLOWED[room], `${room} → ${only}`).not.toContain(only);
  });

  it.each(rooms)('%s depends only on allowed rooms', (room) => {
    const pkg = readJson(join(ROOT, 'packages', room, 'package.json'));
    const deps = Object.keys((pkg.dependencies ?? {}) as object).filter((d) => d.startsWith('@sixgate/')).map((d) => d.slice(9));
    for (const d of deps) expect(ALLOWED[room], `${room} → ${d}`).toContain(d);
    const dev = Object.keys((pkg.devDependencies ?? {}) as object).filter((d) => d.startsWith('@sixgate/')).map((d) => d.slice(9));
    for (const d of dev) expect([...ALLOWED[room]!, 'testkit'], `${room} (dev) → ${d}`).toContain(d);
    if (room !== 'testkit') expect(deps).not.toContain('testkit');
  });

  it.each(rooms)('%s tsconfig references match its dependencies', (room) => {
    const pkg = readJson(join(ROOT, 'packages', room, 'package.json'));
    const deps = Object.keys((pkg.dependencies ?? {}) as object).filter((d) => d.startsWith('@sixgate/')).map((d) => d.slice(9)).sort();
    const ts = readJson(join(ROOT, 'packages', room, 'tsconfig.json'));
    const refs = ((ts.references ?? []) as { path: string }[]).map((r) => r.path.replace('../', '')).sort();
    expect(refs).toEqual(deps);
  });

  it.each(rooms)('%s has one entry and the source/types/default export order', (room) => {
    expect(existsSync(join(ROOT, 'packages', room, 'src', 'index.ts'))).toBe(true);
    const pkg = readJson(join(ROOT, 'packages', room, 'package.json'));
    const dot = (pkg.exports as Record<string, Record<string, string>>)['.']!;
    expect(Object.keys(dot)).toEqual(['@sixgate/source', 'types', 'default']);
    expect(Object.keys(pkg.exports as object).length).toBeLessThanOrEqual(3);
  });

  it.each(rooms)('%s README has the standard sections', (room) => {
    const readme = join(ROOT, 'packages', room, 'README.md');
    expect(existsSync(readme), `${room}/README.md`).toBe(true);
    const text = readFileSync(readme, 'utf8');
    for (const section of ['Name', 'Description', 'Config', 'Examples', 'Metrics', 'Bugs']) {
      expect(text, `${room}/README.md § ${section}`).toMatch(new RegExp(`^##+ ${section}`, 'm'));
    }
  });

  it('the root tsconfig references every room', () => {
    const ts = readJson(join(ROOT, 'tsconfig.json'));
    const refs = ((ts.references ?? []) as { path: string }[]).map((r) => r.path.replace('packages/', '')).sort();
    expect(refs).toEqual([...rooms].sort());
  });
});

describe('native addons', () => {
  const addons = rooms.filter((room) => existsSync(join(ROOT, 'packages', room, 'binding.gyp')));

  it('there are addons to check', () => {
    expect(addons.length).toBeGreaterThanOrEqual(2);
  });

  it.each(addons)('%s builds with warnings as errors, hardening flags and the shared native/ header', (room) => {
    const gyp = readFileSync(join(ROOT, 'packages', room, 'binding.gyp'), 'utf8');
    for (const flag of ['-Wall', '-Wextra', '-Werror', '-D_FORTIFY_SOURCE=2', '-fstack-protector-strong', '-O2']) {
      expect(gyp, `${room}/binding.gyp ${flag}`).toContain(`"${flag}"`);
    }
    expect(gyp).toContain('"../../native"');
    const sources = readdirSync(join(ROOT, 'packages', room, 'native')).filter((f) => f.endsWith('.c'));
    for (const src of sources) {
      const c = readFileSync(join(ROOT, 'packages', room, 'native', src), 'utf8');
      // the poll/errno scaffolding lives once, in native/sg_poll.h
      expect(c, `${room}/native/${src}`).toContain('#include "sg_poll.h"');
      expect(c, `${room}/native/${src}`).not.toMatch(/static napi_value throw_errno\(|uv_poll_init\(/);
    }
  });
});

describe('container image', () => {
  it('the Dockerfile copies every room\'s manifest before `npm ci` (else the workspace install fails)', () => {
    const dockerfile = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');
    for (const room of rooms) {
      expect(dockerfile, `docker/Dockerfile: COPY packages/${room}/package.json`).toMatch(new RegExp(`^COPY packages/${room}/package\\.json\\s+packages/${room}/$`, 'm'));
    }
  });
});
