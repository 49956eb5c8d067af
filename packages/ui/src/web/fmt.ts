/** Numbers for people: 1.2k, 3.4M, 56 %, 1.5 MB/s. Pure, so node tests run it. */

const UNITS = ['', 'k', 'M', 'G', 'T', 'P'];

/** 0 → "0", 950 → "950", 1234 → "1.2k", 1_500_000 → "1.5M"; null/NaN → "–". */
export function num(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const neg = n < 0;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 999.5 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  const text = u === 0 ? (Number.isInteger(v) ? String(v) : v < 10 ? v.toFixed(2).replace(/\.?0+$/, '') : v.toFixed(1).replace(/\.0$/, '')) : v < 10 ? v.toFixed(2).replace(/\.?0+$/, '') : v < 100 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(0);
  return `${neg ? '-' : ''}${text}${UNITS[u]}`;
}

/** Bytes with binary-free SI units: 1500 → "1.5 kB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const s = num(n);
  return /[a-zA-Z]$/.test(s) ? `${s.slice(0, -1)} ${s.slice(-1)}B` : `${s} B`;
}

/** A share 0..1 as a percentage: 0.5 → "50 %", 0.0004 → "0.04 %"; null → "–". */
export function pct(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  const p = share * 100;
  if (p > 0 && p < 0.01) return '< 0.01 %';
  const text = p === 0 || p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2);
  return `${text} %`;
}

/** A ratio that is undefined when the whole is 0. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** Milliseconds as "45 s", "12 min", "2 h 5 min". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Flattens a JSON value to dotted keys → JSON text of the leaves (arrays are leaves). */
export function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix === '' ? k : `${prefix}.${k}`, out);
  } else {
    out[prefix] = JSON.stringify(v);
  }
  return out;
}

/** Keys whose leaves differ between two configurations, with both values (absent: undefined). */
export function diffConfigs(before: unknown, after: unknown): { key: string; before?: string; after?: string }[] {
  const a = flatten(before);
  const b = flatten(after);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => ({ key: k, ...(k in a ? { before: a[k] } : {}), ...(k in b ? { after: b[k] } : {}) }));
}
