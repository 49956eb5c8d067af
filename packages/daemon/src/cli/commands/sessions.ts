/** `sixgate sessions [--protocol] [--limit] [--offset]`, `sixgate sessions flush`. */
import { Option, type Command } from 'commander';
import type { SessionEntry } from '@sixgate/admin-api/schemas';
import { apiTarget, integer, print, printJson, query, request, table, type Column } from '../client.js';

interface Page {
  total: number;
  limit: number;
  offset: number;
  items: SessionEntry[];
}

const COLUMNS: Column<SessionEntry>[] = [
  ['PROTO', (s) => s.protocol],
  ['IPV6 CLIENT', (s) => s.ipv6Client],
  ['IPV6 SERVER', (s) => s.ipv6Server],
  ['IPV4 LOCAL', (s) => s.ipv4Local],
  ['IPV4 REMOTE', (s) => s.ipv4Remote],
  ['STATE', (s) => s.state],
  ['EXPIRES', (s) => `${Math.ceil(s.expiresInMs / 1000)}s`],
];

export function register(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('NAT64 sessions (admin API); "sessions flush" removes the dynamic ones')
    .addOption(new Option('--protocol <protocol>', 'only this protocol').choices(['tcp', 'udp', 'icmp']))
    .option('--limit <n>', 'sessions per page (1-10000)', integer, 100)
    .option('--offset <n>', 'sessions to skip', integer, 0)
    .action(async (opts: { protocol?: string; limit: number; offset: number }, cmd: Command) => {
      const page = await request<Page>(cmd, 'GET', `/api/v1/sessions${query(opts)}`);
      if (apiTarget(cmd).json) return printJson(cmd, page);
      print(cmd, table(COLUMNS, page.items));
      const last = page.offset + page.items.length;
      print(cmd, page.items.length === 0 ? `${page.total} sessions` : `sessions ${page.offset + 1}-${last} of ${page.total}`);
    });

  sessions
    .command('flush')
    .description('remove every dynamic session (static BIB entries stay)')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await request<{ removed: number }>(cmd, 'DELETE', '/api/v1/sessions');
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, `flushed ${r.removed} sessions`);
    });
}
