/**
 * Key paths: the dotted form operators read (`nat64.pool4[1]`), conversion
 * from JSON pointers, and small helpers to read/write plain objects by path.
 */

/** A path as segments: object keys are strings, array indexes numbers. */
export type Segments = readonly (string | number)[];

/** Formats segments as `a.b[2].c`. */
export function formatPath(segments: Segments): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out === '' ? '(root)' : out;
}

/** Converts a JSON pointer (`/nat64/pool4/1`) to segments, numbers for indexes. */
export function pointerToSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^(0|[1-9]\d*)$/.test(p) ? Number(p) : p));
}

/** Whether `v` is a plain object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sets an own property even for `__proto__`: parsed YAML/JSON may carry that
 * key, and a plain assignment would change the prototype and hide the key
 * from validation instead of rejecting it as unknown.
 */
export function assign(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reads the value at dotted `path` ("a.b.c") or undefined. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = Object.hasOwn(cur, k) ? cur[k] : undefined;
  }
  return cur;
}

/** Sets the value at dotted `path`, creating objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (!isRecord(next) || !Object.hasOwn(cur, k)) assign(cur, k, {});
    cur = cur[k] as Record<string, unknown>;
  }
  assign(cur, keys[keys.length - 1]!, value);
}

/** Structural equality of JSON-like values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Deep merge for config layers and PATCH: objects merge key by key, arrays
 * and scalars replace, `undefined` leaves the base value. Never mutates.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (!isRecord(base) || !isRecord(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) assign(out, k, deepMerge(Object.hasOwn(base, k) ? base[k] : undefined, v));
  return out;
}

/** Leaf paths of a config-like object: objects recurse, arrays are leaves. */
export function leafPaths(obj: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    if (isRecord(v)) out.push(...leafPaths(v, p));
    else out.push(p);
  }
  return out;
}
