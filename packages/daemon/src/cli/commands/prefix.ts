/** `sixgate prefix get|set <prefix>`: the NAT64 prefix DNS64 and NAT64 share. */
import type { Command } from 'commander';
import type { ApplyResult } from '@sixgate/admin-api/schemas';
import { apiTarget, print, printJson, request } from '../client.js';

export function register(program: Command): void {
  const prefix = program.command('prefix').description('the NAT64 prefix (admin API)');

  prefix
    .command('get')
    .description('show the prefix')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await request<{ prefix: string; pinned?: string }>(cmd, 'GET', '/api/v1/prefix');
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, r.pinned === undefined ? r.prefix : `${r.prefix} (pinned by ${r.pinned})`);
    });

  prefix
    .command('set')
    .description('change the prefix for DNS64 and NAT64 at once (RFC 6052: /32, /40, /48, /56, /64 or /96)')
    .argument('<prefix>', 'e.g. 64:ff9b:1::/48')
    .action(async (value: string, _opts: unknown, cmd: Command) => {
      const r = await request<ApplyResult>(cmd, 'PUT', '/api/v1/prefix', { body: { prefix: value } });
      if (apiTarget(cmd).json) return printJson(cmd, r);
      const now = await request<{ prefix: string }>(cmd, 'GET', '/api/v1/prefix');
      print(cmd, `prefix ${r.changed.length === 0 ? 'unchanged' : 'is now'} ${now.prefix} (config version ${r.version})`);
    });
}
