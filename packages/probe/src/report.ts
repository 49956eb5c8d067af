/** Output for people (one line per target) and for tools (JSON). */
import type { ProbeResult } from './result.js';

/** The table: TARGET, RESULT, STEP (the failing one), DIAGNOSIS. */
export function formatTable(results: readonly ProbeResult[]): string {
  const rows = results.map((r) => [r.target, r.status === 'pass' ? 'ok' : r.status === 'native' ? 'native' : 'FAIL', r.step ?? '-', r.diagnosis]);
  const head = ['TARGET', 'RESULT', 'STEP', 'DIAGNOSIS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[head, ...rows].map(line).join('\n')}\n`;
}

/** The steps of each target, for `--verbose`-style detail under the table. */
export function formatSteps(results: readonly ProbeResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.target}${r.address6 ? ` (${r.address6} → ${r.address4}, from ${r.source6})` : ''}`);
    for (const s of r.steps) out.push(`  ${s.step.padEnd(8)} ${s.status.padEnd(4)} ${`${s.ms} ms`.padStart(9)}  ${s.detail}`);
  }
  return `${out.join('\n')}\n`;
}

/** The JSON document: every result with its steps. */
export function toJson(results: readonly ProbeResult[]): { ok: boolean; results: readonly ProbeResult[] } {
  return { ok: results.every((r) => r.status !== 'fail'), results };
}
