/** `sixgate status`: health, prefix and a counters summary from the admin API. */
import type { Command } from 'commander';
import type { HaStatusView, Health, Stats } from '@sixgate/admin-api/schemas';
import { apiTarget, fail, keyValues, print, printJson, request } from '../client.js';

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const list = (r: Record<string, number>): string =>
  Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const pct = (part: number, whole: number): string => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);

/** The summary lines of `status`. */
function summary(health: Health, prefix: { prefix: string; pinned?: string }, s: Stats): [string, string][] {
  const sessions = sum(s.nat64.sessions);
  const byProto: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.nat64.sessions)) byProto[k.split('/')[0]!] = (byProto[k.split('/')[0]!] ?? 0) + v;
  const drops = sum(s.nat64.drops);
  const d = s.dns64;
  return [
    ['status', `${health.status} (dns64 ${health.dns64 ? 'up' : 'down'}, nat64 ${health.nat64 ? 'up' : 'down'})`],
    ...health.reasons.map((r): [string, string] => ['', r]),
    ...(health.warnings ?? []).map((w): [string, string] => ['warning', w]),
    ['prefix', prefix.pinned === undefined ? prefix.prefix : `${prefix.prefix} (pinned by ${prefix.pinned})`],
    ['sessions', sessions === 0 ? '0' : `${sessions} (${list(byProto)})`],
    ['bindings', String(s.nat64.bindings)],
    ['pool4', `${s.nat64.pool4.used}/${s.nat64.pool4.size} ports (${s.nat64.pool4.percent.toFixed(1)}%)`],
    ['packets', `6to4 ${s.nat64.packets['6to4']} (${s.nat64.bytes['6to4']} B), 4to6 ${s.nat64.packets['4to6']} (${s.nat64.bytes['4to6']} B)`],
    ['drops', drops === 0 ? '0' : `${drops} (${list(s.nat64.drops)})`],
    ['dns64', `${d.queries} queries, ${d.synthesized} synthesized, cache hits ${pct(d.cacheHits, d.cacheHits + d.cacheMisses)}, ${d.upstreamErrors + d.upstreamTimeouts} upstream errors/timeouts, ${d.refused} refused`],
    ...(s.ra ? [['router adverts', `${s.ra.rasSent} sent, ${s.ra.rsAnswered} solicitations answered, ${s.ra.conflicts} conflicts`] as [string, string]] : []),
  ];
}

export function register(program: Command): void {
  program
    .command('status')
    .description('health, prefix and counters summary (admin API)')
    .action(async (_opts: unknown, cmd: Command) => {
      const health = await request<Health>(cmd, 'GET', '/api/v1/health', { accept: [503] });
      const prefix = await request<{ prefix: string; pinned?: string }>(cmd, 'GET', '/api/v1/prefix');
      const stats = await request<Stats>(cmd, 'GET', '/api/v1/stats');
      // The pair, when ha is enabled (404 otherwise).
      const ha = stats.ha === undefined ? undefined : await request<HaStatusView>(cmd, 'GET', '/api/v1/ha', { accept: [404] }).catch(() => undefined);
      if (apiTarget(cmd).json) printJson(cmd, { health, prefix, stats, ...(ha ? { ha } : {}) });
      else {
        const rows = summary(health, prefix, stats);
        for (const w of health.warnings ?? []) rows.splice(1, 0, ['warning', w]);
        if (ha?.nodeId !== undefined) rows.push(['ha', `${ha.nodeId} ${ha.role}; peer ${ha.peer.id ?? ha.peer.address} ${ha.peer.state}${ha.peer.role ? ` (${ha.peer.role})` : ''}; lag ${ha.sync.lagEntries} records${ha.splitBrain ? '; SPLIT BRAIN' : ''}`]);
        print(cmd, keyValues(rows));
      }
      if (health.status !== 'ok') fail(cmd, `sixgate is ${health.status}: ${health.reasons.join('; ') || 'no reason given'}`);
    });
}
