/** `sixgate bib list|add|remove`: the binding table and its static entries. */
import { Option, type Command } from 'commander';
import type { BibEntry } from '@sixgate/admin-api/schemas';
import { apiTarget, print, printJson, query, request, table, type Column } from '../client.js';

const COLUMNS: Column<BibEntry>[] = [
  ['ID', (b) => b.id],
  ['PROTO', (b) => b.protocol],
  ['IPV6', (b) => b.ipv6],
  ['IPV4', (b) => b.ipv4],
  ['STATIC', (b) => (b.static ? 'yes' : 'no')],
  ['SESSIONS', (b) => b.sessions],
];

const protocol = (required: boolean): Option => {
  const o = new Option('--protocol <protocol>', required ? 'tcp, udp or icmp' : 'only this protocol').choices(['tcp', 'udp', 'icmp']);
  return required ? o.makeOptionMandatory() : o;
};

export function register(program: Command): void {
  const bib = program.command('bib').description('binding information base (admin API)');

  bib
    .command('list')
    .description('list bindings, dynamic and static')
    .addOption(protocol(false))
    .action(async (opts: { protocol?: string }, cmd: Command) => {
      const r = await request<{ items: BibEntry[] }>(cmd, 'GET', `/api/v1/bib${query(opts)}`);
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, table(COLUMNS, r.items));
    });

  bib
    .command('add')
    .description("publish an IPv6 server on a pool4 address: --protocol tcp --ipv6 '[2001:db8::10]:80' --ipv4 192.168.255.1:8080")
    .addOption(protocol(true))
    .requiredOption('--ipv6 <[addr]:port>', 'IPv6 server address and port')
    .requiredOption('--ipv4 <addr:port>', 'pool4 address and port it is reachable on')
    .action(async (opts: { protocol: string; ipv6: string; ipv4: string }, cmd: Command) => {
      const e = await request<BibEntry>(cmd, 'POST', '/api/v1/bib', { body: { protocol: opts.protocol, ipv6: opts.ipv6, ipv4: opts.ipv4 } });
      if (apiTarget(cmd).json) printJson(cmd, e);
      else print(cmd, `added static ${e.protocol} entry ${e.id}: ${e.ipv4} -> ${e.ipv6}`);
    });

  bib
    .command('remove')
    .description('remove a static entry by id (see "bib list")')
    .argument('<id>', 'entry id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await request<undefined>(cmd, 'DELETE', `/api/v1/bib/${encodeURIComponent(id)}`);
      if (apiTarget(cmd).json) printJson(cmd, { removed: id });
      else print(cmd, `removed static entry ${id}`);
    });
}
