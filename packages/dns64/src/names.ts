/**
 * Domain-name helpers on the presentation form dns-packet uses (no trailing
 * dot, '.' for the root) and on the lower-case keys the server uses.
 */

/** Lower case, no trailing dot; '' for the root. */
export function normalizeName(name: string): string {
  const t = name.trim().toLowerCase();
  if (t === '.' || t === '') return '';
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

/** Whether `name` equals `zone` or is below it (both normalized). */
export function inZone(name: string, zone: string): boolean {
  if (zone === '') return true;
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.');
}

/** Whether `name` is in any of `zones`. */
export function inAnyZone(name: string, zones: readonly string[]): boolean {
  for (const z of zones) if (inZone(name, z)) return true;
  return false;
}

/** Case-insensitive name equality on presentation forms. */
export function sameName(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}
