// The room graph of SPEC §1 / STYLE §1, checked from the outside: each
// package.json, each tsconfig's references and each room's file set must match
// the table below. (eslint checks the import statements themselves.)
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Rooms each room may depend on (runtime dependencies). */
const ALLOWED: Record<string, string[]> = {
  addressing: [],
  wire: ['addressing'],
  config: ['addressing'],
  nat64: ['addressing', 'wire'],
  dns64: ['addressing'],
  tun: ['wire'],
  ra: ['addressing'],
  'admin-api': ['config', 'addressing', 'nat64', 'dns64'],
  daemon: ['addressing', 'wire', 'config', 'nat64', 'dns64', 'tun', 'ra', 'admin-api'],
  testkit: ['addressing', 'wire'],
};

const rooms = readdirSync(join(ROOT, 'packages')).filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')));
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('room conventions', () => {
  it('every room is known to the graph', () => {
    expect(rooms.sort()).toEqual(Object.keys(ALLOWED).sort());
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
