/** Secrets out of a config before it is shown or logged. */
import type { Config } from './schema.js';

/** What a redacted secret reads as. */
export const REDACTED = '***';

/** A copy of `config` with the API token and the HA key replaced by `***` (absent stays absent). */
export function redact(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.api.token !== undefined) copy.api.token = REDACTED;
  if (copy.ha.key !== undefined) copy.ha.key = REDACTED;
  return copy;
}
