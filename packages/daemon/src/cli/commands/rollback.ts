/** `sixgate rollback [version]`: without a version, the history; with one, restore it. */
import type { Command } from 'commander';
import type { ApplyResult, HistoryEntry } from '@sixgate/admin-api/schemas';
import { apiTarget, integer, print, printJson, request, table } from '../client.js';

export function register(program: Command): void {
  program
    .command('rollback')
    .description('list applied configurations, or restore one by version (admin API)')
    .argument('[version]', 'version to restore (see the list)', integer)
    .action(async (version: number | undefined, _opts: unknown, cmd: Command) => {
      if (version === undefined) {
        const h = await request<{ items: HistoryEntry[] }>(cmd, 'GET', '/api/v1/config/history');
        if (apiTarget(cmd).json) return printJson(cmd, h);
        return print(cmd, table<HistoryEntry>([['VERSION', (e) => e.version], ['APPLIED', (e) => e.appliedAt], ['SUMMARY', (e) => e.summary]], h.items));
      }
      const r = await request<ApplyResult>(cmd, 'POST', '/api/v1/config/rollback', { body: { version } });
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, `restored version ${version}; now version ${r.version}${r.changed.length > 0 ? ` (${r.changed.join(', ')})` : ''}`);
    });
}
