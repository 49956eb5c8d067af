/**
 * Validation entry points: the schema first, then the semantic rules (which
 * assume schema-valid types). Problems become one `ConfigError` listing every
 * issue, each line naming the key — or the flag/variable that pinned it.
 */
import { Value } from '@sinclair/typebox/value';
import { ConfigError, type Issue } from './errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { schemaIssues } from './schema-errors.js';
import { semanticIssues } from './semantic.js';

/** Key path → the flag or variable that set it (`"--prefix"`, `"SIXGATE_PREFIX"`). */
export type Pinned = Readonly<Record<string, string>>;

/** A fresh copy of the built-in defaults. */
export function defaultConfig(): Config {
  return Value.Default(ConfigSchema, {}) as Config;
}

/** Every issue of a complete config candidate (empty = valid). */
export function configIssues(value: unknown): Issue[] {
  const issues = schemaIssues(ConfigSchema, value);
  if (issues.length > 0) return issues;
  return semanticIssues(value as Config);
}

/**
 * Formats an issue as one line. When a pinned key covers the path, the flag or
 * variable leads: `SIXGATE_PREFIX: "foo" is not an IPv6 prefix`, or
 * `--pool4 (nat64.pool4[1]): …` for an element.
 */
export function formatIssue(issue: Issue, pinned: Pinned = {}): string {
  if (Object.hasOwn(pinned, issue.path)) return `${pinned[issue.path]}: ${issue.message}`;
  for (const [key, source] of Object.entries(pinned)) {
    if (issue.path.startsWith(`${key}.`) || issue.path.startsWith(`${key}[`)) return `${source} (${issue.path}): ${issue.message}`;
  }
  return `${issue.path}: ${issue.message}`;
}

/** Validates a complete config; returns it typed or throws ConfigError ERR_CONFIG_INVALID. */
export function validateConfig(value: unknown, pinned: Pinned = {}): Config {
  const issues = configIssues(value);
  if (issues.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', issues.map((i) => formatIssue(i, pinned)));
  return value as Config;
}
