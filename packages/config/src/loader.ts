/**
 * The layered loader: defaults ← config file ← environment ← flags. Keys set
 * by the last two are pinned. Loading only reads, unless the caller owns the
 * file (`create`, as `sixgate run` does): then an absent file is created with
 * the defaults as commented YAML (or JSON for a `.json` name), so operators
 * have something to edit, pinned values never written into it; and temp
 * files a crashed writer left are removed.
 */
import { readFile, stat } from 'node:fs/promises';
import { removeStaleTempFiles, writeFileAtomic } from './atomic.js';
import { ConfigError } from './errors.js';
import { detectFormat, parseConfigText, renderConfigFile, type FileFormat, type ParsedFile } from './file-format.js';
import { deepMerge } from './paths.js';
import type { Config } from './schema.js';
import { envLayer, flagLayer, type ConfigFlags } from './sources.js';
import { defaultConfig, validateConfig, type Pinned } from './validate.js';

/** Where the config lives when neither `file` nor SIXGATE_CONFIG says otherwise. */
export const DEFAULT_CONFIG_FILE = '/var/lib/sixgate/sixgate.yaml';

/** What `loadConfig` reads. */
export interface LoadConfigOptions {
  /** Config file path; default `env.SIXGATE_CONFIG`, then DEFAULT_CONFIG_FILE. */
  readonly file?: string;
  /** Environment; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** CLI options; `undefined` values mean "not given". */
  readonly flags?: ConfigFlags | Readonly<Record<string, unknown>>;
  /**
   * The caller owns the file (`sixgate run`): create it with the defaults when
   * absent and remove a crashed writer's temp files. Default false: nothing is
   * written, an absent file reads as the defaults (`sixgate check` and every
   * other reader).
   */
  readonly create?: boolean;
}

/** The effective configuration and where it came from. */
export interface LoadedConfig {
  readonly config: Config;
  /** Key path → the flag or variable that set it. */
  readonly pinned: Pinned;
  readonly file: string;
  readonly format: FileFormat;
  /** True when the file did not exist and was created with the defaults. */
  readonly created: boolean;
  /** Whether the file existed when it was read. */
  readonly existed: boolean;
}

function ioError(file: string, err: unknown): ConfigError {
  return new ConfigError('ERR_CONFIG_IO', [`${file}: cannot read (${(err as Error).message})`], { cause: err });
}

/** Reads and parses the config file, or returns undefined when it does not exist. */
export async function readConfigFile(file: string): Promise<ParsedFile | undefined> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(file, err);
  }
  return parseConfigText(text, detectFormat(file, text), file);
}

/** Loads the effective configuration; throws ConfigError on any problem. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const file = options.file ?? (env['SIXGATE_CONFIG'] || DEFAULT_CONFIG_FILE);
  const fromEnv = envLayer(env);
  const fromFlags = flagLayer((options.flags ?? {}) as Record<string, unknown>);
  const pinned: Pinned = { ...fromEnv.pinned, ...fromFlags.pinned };
  const defaults = defaultConfig();
  if (options.create === true) await removeStaleTempFiles(file);
  let parsed = await readConfigFile(file);
  const existed = parsed !== undefined;
  let created = false;
  if (parsed === undefined) {
    const format = detectFormat(file);
    if (options.create === true) {
      await writeFileAtomic(file, renderConfigFile(defaults, format));
      created = true;
    }
    parsed = { format, data: {} };
  }
  const merged = [parsed.data, fromEnv.values, fromFlags.values].reduce<unknown>((acc, layer) => deepMerge(acc, layer), defaults);
  const config = validateConfig(merged, pinned);
  return { config, pinned, file, format: parsed.format, created, existed };
}
