/** `sixgate policy list|add|remove|move`: ordered translation rules (first match wins). */
import { Option, type Command } from 'commander';
import type { ApplyResult, PolicyRule, PolicyRuleWithHits } from '@sixgate/admin-api/schemas';
import { apiTarget, fail, integer, print, printJson, query, request, table, type Column } from '../client.js';

const COLUMNS: Column<PolicyRuleWithHits & { index: number }>[] = [
  ['#', (r) => r.index],
  ['ID', (r) => r.id],
  ['ACTION', (r) => r.action],
  ['SOURCE6', (r) => r.source6 ?? 'any'],
  ['DESTINATION4', (r) => r.destination4 ?? 'any'],
  ['PROTO', (r) => r.protocol ?? 'any'],
  ['PORTS', (r) => r.ports ?? 'any'],
  ['HITS', (r) => r.hits],
];

function done(cmd: Command, r: ApplyResult, what: string): void {
  if (apiTarget(cmd).json) printJson(cmd, r);
  else print(cmd, `${what} (config version ${r.version})`);
}

export function register(program: Command): void {
  const policy = program.command('policy').description('translation policy rules (admin API)');

  policy
    .command('list')
    .description('rules in order, with hit counters')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await request<{ items: PolicyRuleWithHits[] }>(cmd, 'GET', '/api/v1/policy');
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, table(COLUMNS, r.items.map((rule, index) => ({ ...rule, index }))));
    });

  policy
    .command('add')
    .description('add a rule (at the end, or at --position)')
    .argument('<id>', 'rule name: letters, digits, "_", ".", "-"')
    .addOption(new Option('--action <action>', 'what a match does').choices(['allow', 'deny']).makeOptionMandatory())
    .option('--source6 <cidr>', 'IPv6 source prefix (default any)')
    .option('--destination4 <cidr>', 'IPv4 destination prefix (default any)')
    .addOption(new Option('--protocol <protocol>', 'protocol (default any)').choices(['tcp', 'udp', 'icmp']))
    .option('--ports <range>', 'destination port "80" or range "1000-2000"')
    .option('--position <n>', 'index in the list, 0 = first', integer)
    .action(async (id: string, opts: Omit<PolicyRule, 'id'> & { position?: number }, cmd: Command) => {
      const { position, ...rest } = opts;
      const r = await request<ApplyResult>(cmd, 'POST', `/api/v1/policy${query({ position })}`, { body: { id, ...rest } });
      done(cmd, r, `added rule ${id}`);
    });

  policy
    .command('remove')
    .description('remove a rule')
    .argument('<id>', 'rule id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const r = await request<ApplyResult>(cmd, 'DELETE', `/api/v1/policy/${encodeURIComponent(id)}`);
      done(cmd, r, `removed rule ${id}`);
    });

  policy
    .command('move')
    .description('move a rule to another position (0 = first)')
    .argument('<id>', 'rule id')
    .argument('<position>', 'new index', integer)
    .action(async (id: string, position: number, _opts: unknown, cmd: Command) => {
      const list = await request<{ items: PolicyRuleWithHits[] }>(cmd, 'GET', '/api/v1/policy');
      const found = list.items.find((r) => r.id === id);
      if (found === undefined) return fail(cmd, `no policy rule "${id}" (see "sixgate policy list")`);
      const { hits: _hits, ...rule } = found;
      const r = await request<ApplyResult>(cmd, 'PUT', `/api/v1/policy/${encodeURIComponent(id)}${query({ position })}`, { body: rule });
      done(cmd, r, `moved rule ${id} to position ${position}`);
    });
}
