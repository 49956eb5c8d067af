/**
 * The environment and flag layers (SPEC §3): which variable and which CLI
 * flag set which key. A key set here is *pinned*: the admin API shows it
 * read-only and refuses to change it, and it is never written to the file.
 */
import { ConfigError } from './errors.js';
import { setPath } from './paths.js';
import { show } from './schema-errors.js';

/** The options object the CLI passes (commander's parsed `run` options). */
export interface ConfigFlags {
  prefix?: string;
  pool4?: string[];
  upstream?: string[];
  dnsListen?: string[];
  dnsClients?: string[];
  tun?: string;
  apiListen?: string;
  apiToken?: string;
  stateDir?: string;
  /** `--no-routes`: leave routes to the operator. */
  noRoutes?: boolean;
  logLevel?: string;
}

type Kind = 'string' | 'list' | 'noRoutes';

/** One key settable from outside the file. */
export interface ConfigSource {
  readonly path: string;
  readonly env: string;
  readonly flag: keyof ConfigFlags;
  /** The flag as typed on the command line. */
  readonly option: string;
  readonly kind: Kind;
}

/** Every key that a flag or environment variable can set. */
export const CONFIG_SOURCES: readonly ConfigSource[] = [
  { path: 'prefix', env: 'SIXGATE_PREFIX', flag: 'prefix', option: '--prefix', kind: 'string' },
  { path: 'nat64.pool4', env: 'SIXGATE_POOL4', flag: 'pool4', option: '--pool4', kind: 'list' },
  { path: 'dns64.upstreams', env: 'SIXGATE_UPSTREAMS', flag: 'upstream', option: '--upstream', kind: 'list' },
  { path: 'dns64.listen', env: 'SIXGATE_DNS_LISTEN', flag: 'dnsListen', option: '--dns-listen', kind: 'list' },
  { path: 'dns64.clients', env: 'SIXGATE_DNS_CLIENTS', flag: 'dnsClients', option: '--dns-clients', kind: 'list' },
  { path: 'nat64.tun', env: 'SIXGATE_TUN', flag: 'tun', option: '--tun', kind: 'string' },
  { path: 'nat64.manageRoutes', env: 'SIXGATE_NO_ROUTES', flag: 'noRoutes', option: '--no-routes', kind: 'noRoutes' },
  { path: 'api.listen', env: 'SIXGATE_API_LISTEN', flag: 'apiListen', option: '--api-listen', kind: 'string' },
  { path: 'api.token', env: 'SIXGATE_API_TOKEN', flag: 'apiToken', option: '--api-token', kind: 'string' },
  { path: 'stateDir', env: 'SIXGATE_STATE_DIR', flag: 'stateDir', option: '--state-dir', kind: 'string' },
  { path: 'log.level', env: 'SIXGATE_LOG_LEVEL', flag: 'logLevel', option: '--log-level', kind: 'string' },
];

/** A partial config plus the key → source map of what it set. */
export interface Layer {
  readonly values: Record<string, unknown>;
  readonly pinned: Record<string, string>;
}

function fromEnvValue(src: ConfigSource, text: string): unknown {
  if (src.kind === 'list') return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (src.kind === 'string') return text;
  if (/^(1|true|yes)$/i.test(text)) return false; // SIXGATE_NO_ROUTES=1 → manageRoutes: false
  if (/^(0|false|no)$/i.test(text)) return true;
  throw new Error(`${show(text)} is not 1 (routes left to the operator) or 0`);
}

/** Reads the SIXGATE_* variables; an empty variable counts as unset. */
export function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const values: Record<string, unknown> = {};
  const pinned: Record<string, string> = {};
  const issues: string[] = [];
  for (const src of CONFIG_SOURCES) {
    const text = env[src.env];
    if (text === undefined || text.trim() === '') continue;
    try {
      setPath(values, src.path, fromEnvValue(src, text.trim()));
      pinned[src.path] = src.env;
    } catch (err) {
      issues.push(`${src.env}: ${(err as Error).message}`);
    }
  }
  if (issues.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', issues);
  return { values, pinned };
}

function fromFlagValue(src: ConfigSource, value: unknown): unknown {
  if (src.kind === 'noRoutes') {
    if (typeof value !== 'boolean') throw new Error(`${show(value)} is not true or false`);
    return value ? false : undefined;
  }
  if (src.kind === 'list') {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw new Error(`${show(value)} is not a list of strings`);
    return list.length === 0 ? undefined : list;
  }
  if (typeof value !== 'string') throw new Error(`${show(value)} is not a string`);
  return value;
}

/** Commander extras the loader accepts and ignores (`--config`, `--routes`). */
const IGNORED_FLAGS = new Set(['config']);

/** Reads the CLI flags object; `undefined` means "not given". */
export function flagLayer(flags: Readonly<Record<string, unknown>>): Layer {
  const values: Record<string, unknown> = {};
  const pinned: Record<string, string> = {};
  const issues: string[] = [];
  const known = new Map(CONFIG_SOURCES.map((s) => [s.flag as string, s]));
  for (const [name, raw] of Object.entries(flags)) {
    // commander's `--no-routes` arrives as `routes: false`.
    const [key, value] = name === 'routes' ? ['noRoutes', raw === false] : [name, raw];
    const src = known.get(key);
    if (raw === undefined || IGNORED_FLAGS.has(name)) continue;
    if (src === undefined) {
      issues.push(`flags.${name}: is not a known option (known: ${[...known.keys()].join(', ')})`);
      continue;
    }
    try {
      const v = fromFlagValue(src, value);
      if (v === undefined) continue;
      setPath(values, src.path, v);
      pinned[src.path] = src.option;
    } catch (err) {
      issues.push(`${src.option}: ${(err as Error).message}`);
    }
  }
  if (issues.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', issues);
  return { values, pinned };
}
