/**
 * The configuration reference (docs/configuration.md): one Markdown table row
 * per key — path, type, default, environment variable, flag, description —
 * generated from the schema, so the docs cannot drift from validation.
 */
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.js';
import { CONFIG_SOURCES } from './sources.js';

/** One documented key. */
export interface ReferenceRow {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly env: string;
  readonly flag: string;
  readonly description: string;
}

function typeOf(s: TSchema): string {
  const any = s['anyOf'] as TSchema[] | undefined;
  if (any !== undefined) return any.map((x) => JSON.stringify(x['const'])).join(' or ');
  const t = s['type'] as string;
  if (t === 'array') {
    const items = s['items'] as TSchema;
    return items['type'] === 'object' ? 'list of objects' : `list of ${typeOf(items)}`;
  }
  if (t === 'integer' || t === 'number') {
    const unit = t === 'integer' ? 'integer' : 'number';
    return s['minimum'] !== undefined ? `${unit} ${s['minimum']}–${s['maximum']}` : unit;
  }
  return t;
}

function rowsOf(schema: TSchema, prefix: string, required: boolean): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  const props = (schema['properties'] ?? {}) as Record<string, TSchema>;
  const req = new Set((schema['required'] ?? []) as string[]);
  for (const [key, sub] of Object.entries(props)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (sub['type'] === 'object') {
      rows.push(...rowsOf(sub, path, true));
      continue;
    }
    const src = CONFIG_SOURCES.find((s) => s.path === path);
    const def = 'default' in sub ? `\`${JSON.stringify(sub['default'])}\`` : required && req.has(key) ? '(required)' : '(none)';
    rows.push({ path, type: typeOf(sub), default: def, env: src?.env ?? '', flag: src?.option ?? '', description: String(sub['description'] ?? '') });
    const items = sub['items'] as TSchema | undefined;
    if (items?.['type'] === 'object') rows.push(...rowsOf(items, `${path}[]`, true));
  }
  return rows;
}

/** Every key of the schema as a reference row, in schema order. */
export function referenceRows(): ReferenceRow[] {
  return rowsOf(ConfigSchema, '', true);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown reference of every key (the daemon writes it to docs/configuration.md). */
export function generateReference(): string {
  const head = [
    '# Configuration reference',
    '',
    'Generated from the schema in `packages/config` — do not edit by hand.',
    'Times are in seconds, sizes in bytes. A key set by a flag or environment variable',
    'is pinned: it overrides the file and cannot be changed through the admin API.',
    '',
    '| Key | Type | Default | Environment | Flag | Description |',
    '|---|---|---|---|---|---|',
  ];
  const rows = referenceRows().map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${r.env === '' ? '' : `\`${r.env}\``} | ${r.flag === '' ? '' : `\`${r.flag}\``} | ${cell(r.description)} |`);
  return `${[...head, ...rows].join('\n')}\n`;
}
