/** `sixgate config get [key]`, `sixgate config set <key> <value>`: the effective configuration. */
import type { Command } from 'commander';
import type { ApplyResult } from '@sixgate/admin-api/schemas';
import { apiTarget, fail, print, printJson, request } from '../client.js';

interface ConfigState {
  config: Record<string, unknown>;
  pinned: Record<string, string>;
}

/** The value at a dotted key ("dns64.cache.maxTtl", "nat64.pool4.0"), or undefined. */
function lookup(config: unknown, key: string): unknown {
  let cur = config;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `a.b.c` + value → `{a: {b: {c: value}}}` (the PATCH body). */
function nest(key: string, value: unknown): Record<string, unknown> {
  return key
    .split('.')
    .reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) as Record<string, unknown>;
}

/** A value as typed on the command line: JSON when it parses (numbers, booleans, arrays), else a string. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

export function register(program: Command): void {
  const config = program.command('config').description('the effective configuration (admin API)');

  config
    .command('get')
    .description('show the configuration, or one dotted key (e.g. dns64.cache.maxTtl)')
    .argument('[key]', 'dotted key')
    .action(async (key: string | undefined, _opts: unknown, cmd: Command) => {
      const state = await request<ConfigState>(cmd, 'GET', '/api/v1/config');
      if (key === undefined) {
        if (apiTarget(cmd).json) return printJson(cmd, state);
        print(cmd, show(state.config));
        const pins = Object.entries(state.pinned);
        if (pins.length > 0) print(cmd, `pinned: ${pins.map(([k, by]) => `${k} (${by})`).join(', ')}`);
        return;
      }
      const value = lookup(state.config, key);
      if (value === undefined) return fail(cmd, `no configuration key "${key}"`);
      if (apiTarget(cmd).json) printJson(cmd, value);
      else print(cmd, state.pinned[key] === undefined ? show(value) : `${show(value)} (pinned by ${state.pinned[key]})`);
    });

  config
    .command('set')
    .description('change one dotted key; the value is JSON when it parses (8080, true, ["a","b"]), else a string')
    .argument('<key>', 'dotted key, e.g. log.level')
    .argument('<value>', 'new value')
    .action(async (key: string, value: string, _opts: unknown, cmd: Command) => {
      if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(key)) return fail(cmd, `"${key}" is not a dotted configuration key`);
      const r = await request<ApplyResult>(cmd, 'PATCH', '/api/v1/config', { body: nest(key, parseValue(value)) });
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, r.changed.length === 0 ? `${key} unchanged (config version ${r.version})` : `${r.summary} (config version ${r.version})`);
    });
}
