import { describe, expect, it } from 'vitest';
import { CONFIG_SOURCES, ConfigSchema, defaultConfig, generateReference, referenceRows } from './index.js';
import type { TSchema } from '@sinclair/typebox';

/** Every key path of the schema, walked independently of reference.ts. */
function schemaPaths(s: TSchema, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries((s['properties'] ?? {}) as Record<string, TSchema>)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    if (v['type'] === 'object') out.push(...schemaPaths(v, p));
    else {
      out.push(p);
      const items = v['items'] as TSchema | undefined;
      if (items?.['type'] === 'object') out.push(...schemaPaths(items, `${p}[]`));
    }
  }
  return out;
}

function leafPathsOf(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? leafPathsOf(v as Record<string, unknown>, p) : [p];
  });
}

describe('generateReference', () => {
  const md = generateReference();
  const rows = md.split('\n').filter((l) => l.startsWith('| `'));

  it('has one row per key of the schema, in order', () => {
    const paths = rows.map((r) => /^\| `([^`]+)`/.exec(r)![1]);
    expect(paths).toEqual(schemaPaths(ConfigSchema));
    for (const p of leafPathsOf(defaultConfig() as unknown as Record<string, unknown>)) expect(paths).toContain(p);
    expect(paths).toContain('api.token');
  });

  it('every row has a type, a default and a description', () => {
    for (const r of referenceRows()) {
      expect(r.type, r.path).not.toBe('');
      expect(r.default, r.path).not.toBe('');
      expect(r.description.length, r.path).toBeGreaterThan(10);
    }
    for (const line of rows) expect(line.split(' | ')).toHaveLength(6);
  });

  it('shows the default, variable and flag of a key', () => {
    expect(rows).toContain('| `prefix` | string | `"64:ff9b::/96"` | `SIXGATE_PREFIX` | `--prefix` | NAT64 prefix used by DNS64 synthesis and the translator (RFC 6052: /32, /40, /48, /56, /64 or /96) |');
    expect(rows.find((r) => r.startsWith('| `nat64.manageRoutes`'))).toContain('| `SIXGATE_NO_ROUTES` | `--no-routes` |');
    expect(rows.find((r) => r.startsWith('| `dns64.timeout`'))).toContain('| number 0.1–60 | `2` |');
    expect(rows.find((r) => r.startsWith('| `log.level`'))).toContain('"fatal" or "error"');
  });

  it('covers every flag and variable', () => {
    for (const s of CONFIG_SOURCES) expect(rows.find((r) => r.startsWith(`| \`${s.path}\``)), s.path).toContain(`\`${s.env}\``);
  });

  it('has every description in the schema (no key undocumented)', () => {
    const missing = schemaPaths(ConfigSchema).filter((p) => referenceRows().find((r) => r.path === p)?.description === '');
    expect(missing).toEqual([]);
  });
});
