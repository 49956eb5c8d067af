/**
 * Errors of the config room. Every error carries a stable `code` (tests and
 * the admin API assert on it) and, for invalid configuration, the list of
 * issues: one line each, naming the key (or the flag/variable that set it),
 * the value and the rule it breaks.
 *
 * | code               | when                                                  |
 * |--------------------|-------------------------------------------------------|
 * | ERR_CONFIG_INVALID | the schema or a semantic rule rejects a value         |
 * | ERR_CONFIG_PARSE   | the config file is not valid YAML/JSON                |
 * | ERR_CONFIG_IO      | the config file or its directory cannot be read/written |
 * | ERR_CONFIG_PINNED  | a change touches a key pinned by a flag or variable   |
 * | ERR_CONFIG_HISTORY | a config history version does not exist or is corrupt |
 */
export type ConfigErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_PARSE'
  | 'ERR_CONFIG_IO'
  | 'ERR_CONFIG_PINNED'
  | 'ERR_CONFIG_HISTORY';

/** Configuration was rejected; `issues` holds one human-readable line per problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(issues.length === 1 ? issues[0]! : `${issues.length} configuration problems:\n  ${issues.join('\n  ')}`, options);
  }
}

/** One problem found while validating: where, and what is wrong. */
export interface Issue {
  /** Key path, e.g. `nat64.pool4[1]`. */
  readonly path: string;
  /** `"value" rule…` — the text after the path. */
  readonly message: string;
}
