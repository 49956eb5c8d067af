/**
 * PATCH semantics for the admin API: a deep merge where objects merge key by
 * key, arrays replace, and `null` removes an optional key (RFC 7396 JSON
 * Merge Patch). The result is validated as a whole; a change to a pinned key
 * is refused with the flag or variable that pinned it.
 */
import { ConfigError } from './errors.js';
import { assign, deepEqual, getPath, isRecord, leafPaths, setPath } from './paths.js';
import { ConfigPatchSchema, type Config, type ConfigPatch } from './schema.js';
import { schemaIssues } from './schema-errors.js';
import { formatIssue, validateConfig, type Pinned } from './validate.js';

function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isRecord(patch) || !isRecord(base)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) assign(out, k, mergePatch(Object.hasOwn(base, k) ? base[k] : undefined, v));
  }
  return out;
}

/**
 * Lines naming each pinned key the patch would change, e.g.
 * `prefix is pinned by --prefix and cannot be changed here`. Setting a pinned
 * key to its current value is not a change.
 */
export function pinnedConflicts(config: Config, patch: unknown, pinned: Pinned): string[] {
  if (!isRecord(patch)) return [];
  const out: string[] = [];
  for (const path of leafPaths(patch)) {
    const key = Object.keys(pinned).find((k) => path === k || path.startsWith(`${k}.`) || k.startsWith(`${path}.`));
    if (key === undefined) continue;
    const wanted = getPath(patch, key);
    if (!deepEqual(wanted === null ? undefined : wanted, getPath(config, key))) {
      out.push(`${key} is pinned by ${pinned[key]} and cannot be changed here (change or remove ${pinned[key]} and restart)`);
    }
  }
  return [...new Set(out)];
}

/**
 * Applies a partial change and validates the result. Throws ConfigError
 * ERR_CONFIG_PINNED (touches a pinned key) or ERR_CONFIG_INVALID.
 */
export function applyPatch(config: Config, patch: ConfigPatch | Readonly<Record<string, unknown>>, pinned: Pinned = {}): Config {
  if (!isRecord(patch)) throw new ConfigError('ERR_CONFIG_INVALID', ['(root): a patch must be an object of keys to change']);
  const shape = schemaIssues(ConfigPatchSchema, JSON.parse(JSON.stringify(patch, (_k, v: unknown) => (v === null ? undefined : v))));
  if (shape.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', shape.map((i) => formatIssue(i)));
  const conflicts = pinnedConflicts(config, patch, pinned);
  if (conflicts.length > 0) throw new ConfigError('ERR_CONFIG_PINNED', conflicts);
  return validateConfig(mergePatch(config, patch), pinned);
}

/**
 * `target` (e.g. a history version being rolled back to) with every pinned
 * key taken from `current`, validated: flags and variables keep winning.
 */
export function keepPinned(target: Config, current: Config, pinned: Pinned): Config {
  const out = structuredClone(target) as unknown as Record<string, unknown>;
  for (const key of Object.keys(pinned)) {
    const value = getPath(current, key);
    if (value !== undefined) setPath(out, key, structuredClone(value));
  }
  return validateConfig(out, pinned);
}
