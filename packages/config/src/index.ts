/**
 * @sixgate/config — THE configuration schema (TypeBox), its validation, the
 * layered loader (defaults ← file ← environment ← flags, with pinned keys),
 * comment-preserving atomic persistence, config history and the generated
 * reference. File I/O only; imports @sixgate/addressing and nothing else of ours.
 */
export { ConfigError, type ConfigErrorCode, type Issue } from './errors.js';
export {
  ConfigSchema,
  ConfigPatchSchema,
  Dns64Schema,
  Nat64Schema,
  ApiSchema,
  LogSchema,
  CacheSchema,
  RateLimitSchema,
  DnsTcpSchema,
  PortRangesSchema,
  TimeoutsSchema,
  StaticBibSchema,
  PolicyRuleSchema,
  type Config,
  type ConfigPatch,
  type StaticBibEntry,
  type PolicyRule,
} from './schema.js';
export { defaultConfig, configIssues, formatIssue, validateConfig, type Pinned } from './validate.js';
export { parseListenAddress, parseUpstream, parsePortRange, type HostPort, type PortRange } from './endpoints.js';
export { CONFIG_SOURCES, type ConfigSource, type ConfigFlags } from './sources.js';
export { DEFAULT_CONFIG_FILE, loadConfig, readConfigFile, type LoadConfigOptions, type LoadedConfig } from './loader.js';
export { detectFormat, renderYaml, MAX_CONFIG_BYTES, type FileFormat } from './file-format.js';
export { saveConfig, type SaveConfigOptions } from './persist.js';
export { writeFileAtomic, removeStaleTempFiles, resolveWriteTarget, type AtomicWriteOptions } from './atomic.js';
export { applyPatch, keepPinned, pinnedConflicts } from './patch.js';
export { ConfigHistory, HISTORY_KEEP, summarizeChanges, type HistoryEntry, type HistoryInfo } from './history.js';
export { redact, REDACTED } from './redact.js';
export { generateReference, referenceRows, type ReferenceRow } from './reference.js';
