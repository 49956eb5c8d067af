/**
 * The probe metrics, as samples the admin API renders:
 *
 *   sixgate_probe_success{target,step}           1 when the step passed in the last run, else 0
 *   sixgate_probe_duration_seconds{target,step}  how long the step took in the last run
 *
 * Each target also has step="all": the whole run (success 1 for pass and
 * native, 0 for fail). Skipped steps have no sample.
 */
import { passed, type ProbeResult } from './result.js';

export interface ProbeSample {
  readonly target: string;
  readonly step: string;
  readonly success: number;
  readonly seconds: number;
}

export const PROBE_SUCCESS = 'sixgate_probe_success';
export const PROBE_DURATION = 'sixgate_probe_duration_seconds';

/** Samples of the last results (pure). */
export function probeSamples(results: readonly ProbeResult[]): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (const r of results) {
    out.push({ target: r.target, step: 'all', success: passed(r) ? 1 : 0, seconds: r.ms / 1000 });
    for (const s of r.steps) if (s.status !== 'skip') out.push({ target: r.target, step: s.step, success: s.status === 'pass' ? 1 : 0, seconds: s.ms / 1000 });
  }
  return out;
}
