/**
 * Targets files (`sixgate probe --file targets.yaml`) and the entries of the
 * config's `probes.targets`: a list whose items are a target string, or an
 * object with `target` and its options. Validated once, into {@link Target}s.
 */
import { parse as parseYaml } from 'yaml';
import { parseTarget, TargetError, type Target, type TargetOptions } from './targets.js';

/** One entry: the target, its options, and for continuous probes an interval and a critical flag. */
export interface TargetEntry extends TargetOptions {
  readonly target: string;
  /** Seconds between runs (continuous probes; default 60). */
  readonly interval?: number;
  /** A failure makes GET /api/v1/health report "degraded". */
  readonly critical?: boolean;
}

export interface ScheduledTarget {
  readonly target: Target;
  readonly intervalMs: number;
  readonly critical: boolean;
}

const OPTION_TYPES: Record<string, 'number' | 'string' | 'boolean'> = {
  target: 'string',
  interval: 'number',
  critical: 'boolean',
  expectStatus: 'number',
  expectBody: 'string',
  insecure: 'boolean',
  ca: 'string',
  payload: 'string',
};

/** Most targets in one file or config (each is a few sockets per run). */
export const MAX_TARGETS = 256;

function entryOf(item: unknown, where: string): TargetEntry {
  if (typeof item === 'string') return { target: item };
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new TargetError(`${where}: a target is a string or an object with "target"`);
  for (const [k, v] of Object.entries(item)) {
    const type = OPTION_TYPES[k];
    if (type === undefined) throw new TargetError(`${where}: unknown key "${k}" (known: ${Object.keys(OPTION_TYPES).join(', ')})`);
    if (typeof v !== type) throw new TargetError(`${where}: "${k}" must be a ${type}`);
  }
  const e = item as TargetEntry;
  if (e.target === undefined) throw new TargetError(`${where}: "target" is missing`);
  if (e.interval !== undefined && (!Number.isFinite(e.interval) || e.interval < 5 || e.interval > 86_400)) throw new TargetError(`${where}: interval ${e.interval} must be 5 to 86400 seconds`);
  return e;
}

/** Parses entries (already-parsed YAML/JSON values) into scheduled targets. Throws {@link TargetError} naming the entry. */
export function parseEntries(items: unknown, where = 'targets'): ScheduledTarget[] {
  if (!Array.isArray(items)) throw new TargetError(`${where}: must be a list`);
  if (items.length > MAX_TARGETS) throw new TargetError(`${where}: ${items.length} targets, at most ${MAX_TARGETS}`);
  const seen = new Set<string>();
  return items.map((item, i) => {
    const e = entryOf(item, `${where}[${i}]`);
    const { target, interval, critical, ...options } = e;
    let t: Target;
    try {
      t = parseTarget(target, options);
    } catch (err) {
      throw new TargetError(`${where}[${i}]: ${(err as Error).message}`);
    }
    if (seen.has(t.text)) throw new TargetError(`${where}[${i}]: "${t.text}" is listed twice`);
    seen.add(t.text);
    return { target: t, intervalMs: (interval ?? 60) * 1000, critical: critical ?? false };
  });
}

/** Parses a targets file: YAML or JSON, either a list or `{targets: [...]}`. */
export function parseTargetsFile(text: string, name = 'targets file'): ScheduledTarget[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new TargetError(`${name}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const keys = Object.keys(doc);
    if (keys.length !== 1 || keys[0] !== 'targets') throw new TargetError(`${name}: expected a list, or an object with only "targets"`);
    doc = (doc as { targets: unknown }).targets;
  }
  return parseEntries(doc, name);
}
