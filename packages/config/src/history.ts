/**
 * The config history (SPEC §7 `/config/history`, `/config/rollback`): the
 * last N applied configs as numbered JSON files in `<stateDir>/history/`
 * (`000042.json`), each with a timestamp and a short "what changed" line.
 * Files are written atomically and 0600 because a config may hold the token.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { ConfigError } from './errors.js';
import { deepEqual, getPath, isRecord, leafPaths } from './paths.js';
import { redact } from './redact.js';
import type { Config } from './schema.js';
import { show } from './schema-errors.js';

/** How many versions are kept by default. */
export const HISTORY_KEEP = 20;

/** One version without its config (what `list()` returns). */
export interface HistoryInfo {
  readonly version: number;
  /** ISO 8601 time it was recorded. */
  readonly timestamp: string;
  readonly summary: string;
}

/** One stored version. */
export interface HistoryEntry extends HistoryInfo {
  readonly config: Config;
}

const NAME = /^(\d{6,})\.json$/;

/**
 * A short line of what changed from `before` to `after`, e.g.
 * `prefix "64:ff9b::/96" → "64:ff9b:1::/96"; nat64.pool4 changed`. Secrets are redacted.
 */
export function summarizeChanges(before: Config | undefined, after: Config, max = 3): string {
  if (before === undefined) return 'initial configuration';
  const a = redact(before) as unknown as Record<string, unknown>;
  const b = redact(after) as unknown as Record<string, unknown>;
  const paths = [...new Set([...leafPaths(a), ...leafPaths(b)])].filter((p) => !deepEqual(getPath(a, p), getPath(b, p)));
  if (paths.length === 0) return 'no change';
  const parts = paths.slice(0, max).map((p) => {
    const from = getPath(a, p);
    const to = getPath(b, p);
    return typeof to === 'object' || typeof from === 'object' ? `${p} changed` : `${p} ${show(from)} → ${show(to)}`;
  });
  if (paths.length > max) parts.push(`and ${paths.length - max} more`);
  return parts.join('; ');
}

/** The last `keep` applied configs, numbered from 1 upwards. */
export class ConfigHistory {
  /** The directory holding the version files. */
  readonly dir: string;
  readonly #keep: number;
  readonly #now: () => Date;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string, options: { keep?: number; now?: () => Date } = {}) {
    this.dir = join(stateDir, 'history');
    this.#keep = options.keep ?? HISTORY_KEEP;
    this.#now = options.now ?? (() => new Date());
  }

  async #versions(): Promise<number[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw new ConfigError('ERR_CONFIG_IO', [`${this.dir}: cannot read (${err.message})`], { cause: err });
    });
    return names.flatMap((n) => (NAME.test(n) ? [Number(NAME.exec(n)![1])] : [])).sort((x, y) => x - y);
  }

  #file(version: number): string {
    return join(this.dir, `${String(version).padStart(6, '0')}.json`);
  }

  /** Stores `config` as the next version (summary computed against the latest) and drops the oldest beyond the limit. */
  /**
   * `options.version` records under that number instead of the next one (an
   * HA pair keeps one numbering: the peer's change lands with the peer's
   * version); it must be above the latest.
   */
  record(config: Config, summary?: string, options: { version?: number } = {}): Promise<HistoryEntry> {
    const run = this.#queue.then(() => this.#record(config, summary, options.version));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #record(config: Config, summary: string | undefined, version: number | undefined): Promise<HistoryEntry> {
    const versions = await this.#versions();
    const last = versions.at(-1);
    if (version !== undefined && (!Number.isSafeInteger(version) || version <= (last ?? 0))) {
      throw new ConfigError('ERR_CONFIG_HISTORY', [`version ${show(version)} is not above the latest version ${last ?? 0}`]);
    }
    const previous = last === undefined ? undefined : await this.get(last).catch(() => undefined);
    const entry: HistoryEntry = {
      version: version ?? (last ?? 0) + 1,
      timestamp: this.#now().toISOString(),
      summary: summary ?? summarizeChanges(previous?.config, config),
      config: structuredClone(config),
    };
    await writeFileAtomic(this.#file(entry.version), `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
    const stale = [...versions, entry.version].slice(0, -this.#keep);
    await Promise.all(stale.map((v) => unlink(this.#file(v)).catch(() => undefined)));
    return entry;
  }

  /** The stored versions, newest first; unreadable files are skipped. */
  async list(): Promise<HistoryInfo[]> {
    const out: HistoryInfo[] = [];
    for (const v of (await this.#versions()).reverse()) {
      const e = await this.get(v).catch(() => undefined);
      if (e !== undefined) out.push({ version: e.version, timestamp: e.timestamp, summary: e.summary });
    }
    return out;
  }

  /** One version; throws ConfigError ERR_CONFIG_HISTORY when absent or corrupt. */
  async get(version: number): Promise<HistoryEntry> {
    if (!Number.isSafeInteger(version) || version < 1) throw new ConfigError('ERR_CONFIG_HISTORY', [`version ${show(version)} is not a positive whole number`]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.#file(version), 'utf8'));
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (see the history list)' : 'is unreadable or corrupt';
      throw new ConfigError('ERR_CONFIG_HISTORY', [`config version ${version} ${why}`], { cause: err });
    }
    if (!isRecord(parsed) || parsed['version'] !== version || !isRecord(parsed['config']) || typeof parsed['timestamp'] !== 'string') {
      throw new ConfigError('ERR_CONFIG_HISTORY', [`config version ${version} is unreadable or corrupt`]);
    }
    return parsed as unknown as HistoryEntry;
  }

  /** The newest version, or undefined when the history is empty. */
  async latest(): Promise<HistoryEntry | undefined> {
    const last = (await this.#versions()).at(-1);
    return last === undefined ? undefined : this.get(last);
  }
}
