/**
 * Turns TypeBox validation errors into operator lines: `key: value rule`.
 * TypeBox's own messages ("Expected integer to be greater or equal to 1")
 * do not name the value, and unknown keys get a "did you mean" hint because
 * a typo is the usual cause.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { Issue } from './errors.js';
import { formatPath, pointerToSegments } from './paths.js';

/** Shows a value the way an operator wrote it. */
export function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Levenshtein distance, small inputs only (key names). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function unknownKey(err: ValueError): string {
  const key = String(pointerToSegments(err.path).at(-1));
  const known = Object.keys((err.schema['properties'] ?? {}) as Record<string, unknown>);
  const scored = known.map((k) => ({ k, d: distance(k, key) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  const close = best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3));
  const hint = close ? ` (did you mean "${best.k}"?)` : ` (known keys: ${known.join(', ')})`;
  return `unknown key${hint}`;
}

function enumValues(schema: TSchema): string | undefined {
  const any = schema['anyOf'] as TSchema[] | undefined;
  if (any === undefined || !any.every((s) => typeof s['const'] === 'string')) return undefined;
  return any.map((s) => s['const'] as string).join(', ');
}

/** The rule text for one TypeBox error, after the shown value. */
function rule(err: ValueError): string {
  const s = err.schema;
  const T = ValueErrorType;
  switch (err.type) {
    case T.ObjectAdditionalProperties: return unknownKey(err);
    case T.ObjectRequiredProperty: return 'is required';
    case T.NumberMinimum: case T.IntegerMinimum: return `is below the minimum ${s['minimum']}`;
    case T.NumberMaximum: case T.IntegerMaximum: return `is above the maximum ${s['maximum']}`;
    case T.Integer: return 'is not a whole number';
    case T.Number: return 'is not a number';
    case T.String: return 'is not a string';
    case T.Boolean: return 'is not true or false';
    case T.Array: return 'is not a list';
    case T.Object: return 'is not a mapping of keys';
    case T.StringMinLength: return s['minLength'] === 1 ? 'is empty' : `is shorter than ${s['minLength']} characters`;
    case T.StringMaxLength: return `is longer than ${s['maxLength']} characters`;
    case T.StringPattern: return `does not have the required form (${s['pattern']})`;
    case T.ArrayMinItems: return `has fewer than ${s['minItems']} entries`;
    case T.ArrayMaxItems: return `has more than ${s['maxItems']} entries`;
    case T.Union: {
      const values = enumValues(s);
      return values === undefined ? 'has the wrong type' : `is not one of ${values}`;
    }
    default: return `is invalid (${err.message})`;
  }
}

/**
 * Schema issues of `value`, at most one per key path (the first is the most
 * specific), in document order.
 */
export function schemaIssues(schema: TSchema, value: unknown): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const err of Value.Errors(schema, value)) {
    const path = formatPath(pointerToSegments(err.path));
    if (seen.has(path)) continue;
    seen.add(path);
    // A missing or unknown key is about the key, not its value.
    const bare = err.type === ValueErrorType.ObjectRequiredProperty || err.type === ValueErrorType.ObjectAdditionalProperties;
    const shown = bare ? '' : `${show(err.value)} `;
    out.push({ path, message: `${shown}${rule(err)}` });
    if (out.length >= 50) break;
  }
  return out;
}
