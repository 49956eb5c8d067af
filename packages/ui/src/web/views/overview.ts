/** Overview: health, the live prefix and where it is applied, pool4 use, and the charts. */
import { get, getOptional } from '../api.js';
import { chartCard } from '../charts.js';
import { fill, h } from '../dom.js';
import { bytes, duration, num, pct, ratio } from '../fmt.js';
import type { View } from '../main.js';
import type { Column, ConfigState, Health, Pool4Usage, PortUse, Stats, StatsHistory } from '../types.js';

/** A number shown with its raw value in data-value, so tests compare it with the API's. */
function metric(name: string, label: string, value: number | null, text: string, sub?: string): HTMLElement {
  return h('div', { class: 'metric', 'data-metric': name, 'data-value': value === null ? '' : String(value) }, h('span', { class: 'label' }, label), h('strong', {}, text), sub ? h('small', {}, sub) : null);
}

function badge(ok: boolean, text: string): HTMLElement {
  return h('span', { class: `badge ${ok ? 'ok' : 'bad'}` }, text);
}

function bar(used: number, size: number): HTMLElement {
  const share = size > 0 ? used / size : 0;
  return h('meter', { min: 0, max: 1, value: share, high: 0.8, optimum: 0, title: pct(share) });
}

const last = (c: Column): number | null => {
  for (let i = c.length - 1; i >= 0; i--) if (c[i] !== null) return c[i]!;
  return null;
};

/** Elementwise a / (a + b) or a / b. */
function shares(a: Column, b: Column, sum: boolean): Column {
  return a.map((x, i) => {
    const y = b[i] ?? null;
    if (x === null || y === null) return null;
    const whole = sum ? x + y : y;
    return whole > 0 ? x / whole : null;
  });
}

/**
 * Optional features of other parts of the appliance (router advertisements,
 * the HA pair, probes). Each is drawn only when its endpoint answers; until
 * those endpoints exist the section is simply absent. The shapes are not
 * fixed yet, so the values are shown as key/value lines.
 */
/** Parts that exist only when configured: asked for only then (an absent part answers 404, a console error). */
type Section = Record<string, unknown> | undefined;
const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
const OPTIONAL = [
  { path: '/api/v1/ra', title: 'Router advertisements', id: 'ra', on: (c: Record<string, Section>) => count(c['ra']?.['interfaces']) > 0 },
  { path: '/api/v1/ha', title: 'High availability', id: 'ha', on: (c: Record<string, Section>) => c['ha']?.['enabled'] === true },
  { path: '/api/v1/probes', title: 'Probes', id: 'probes', on: (c: Record<string, Section>) => count(c['probes']?.['targets']) > 0 },
] as const;

function optionalCard(id: string, title: string, data: unknown): HTMLElement {
  const rows = Object.entries(typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : { value: data });
  return h(
    'section',
    { class: 'card', 'data-testid': `optional-${id}` },
    h('h2', {}, title),
    h('dl', { class: 'kv' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))])),
  );
}

async function health(signal: AbortSignal): Promise<Health> {
  // Open endpoint; 503 carries the same body when degraded.
  const res = await fetch('/api/v1/health', { cache: 'no-store', signal });
  return (await res.json()) as Health;
}

export const overview: View = {
  title: 'Overview',
  refreshMs: 5000,
  async render(root, signal) {
    const [hl, stats, cfg, pool, hist] = await Promise.all([
      health(signal),
      get<Stats>('/api/v1/stats', signal),
      get<ConfigState>('/api/v1/config', signal),
      get<Pool4Usage>('/api/v1/pool4', signal),
      get<StatsHistory>('/api/v1/stats/history', signal),
    ]);
    const parts = cfg.config as unknown as Record<string, Section>;
    const optional = await Promise.all(OPTIONAL.map((o) => (o.on(parts) ? getOptional<unknown>(o.path) : Promise.resolve(undefined))));
    if (signal.aborted) return;
    const n = stats.nat64;
    const d = stats.dns64;
    const s = hist.series;
    const sessionsTotal = n.sessions['total'] ?? Object.entries(n.sessions).filter(([k]) => !k.includes('-') && !k.includes('/')).reduce((a, [, v]) => a + v, 0);
    const dropsTotal = Object.values(n.drops).reduce((a, b) => a + b, 0);
    const c = cfg.config;
    const ra = optional[0];

    const healthCard = h(
      'section',
      { class: 'card', 'data-testid': 'health' },
      h('h2', {}, 'Health'),
      h('p', {}, badge(hl.dns64, hl.dns64 ? 'DNS64 serving' : 'DNS64 down'), ' ', badge(hl.nat64, hl.nat64 ? 'NAT64 translating' : 'NAT64 down')),
      hl.reasons.length > 0 ? h('ul', { class: 'reasons' }, hl.reasons.map((r) => h('li', {}, r))) : null,
    );

    const prefixCard = h(
      'section',
      { class: 'card', 'data-testid': 'prefix' },
      h('h2', {}, 'NAT64 prefix'),
      h('p', { class: 'big', 'data-metric': 'prefix', 'data-value': c.prefix }, c.prefix),
      h(
        'ul',
        { class: 'applied' },
        h('li', {}, `DNS64: synthesizes AAAA under it (listening on ${c.dns64.listen.join(', ')})`),
        h('li', {}, `Translator: translates it to pool4 ${c.nat64.pool4.join(', ')}`),
        h('li', {}, c.nat64.manageRoutes ? `Kernel routes: ${c.prefix} and pool4 routed into ${c.nat64.tun}` : 'Kernel routes: managed by the operator (nat64.manageRoutes is off)'),
        ra !== undefined ? h('li', {}, 'Router advertisements: announced as PREF64 (see below)') : null,
      ),
    );

    const numbers = h(
      'section',
      { class: 'card numbers', 'data-testid': 'numbers' },
      h('h2', {}, 'Now'),
      h(
        'div',
        { class: 'metrics' },
        metric('sessions', 'Sessions', sessionsTotal, num(sessionsTotal)),
        metric('bindings', 'Bindings', n.bindings, num(n.bindings)),
        metric('pool4-used', 'pool4 ports in use', n.pool4.used, num(n.pool4.used), `of ${num(n.pool4.size)} (${pct(ratio(n.pool4.used, n.pool4.size))})`),
        metric('packets-6to4', 'Packets 6→4', n.packets['6to4'], num(n.packets['6to4']), `${num(last(s.packets6to4))}/s`),
        metric('packets-4to6', 'Packets 4→6', n.packets['4to6'], num(n.packets['4to6']), `${num(last(s.packets4to6))}/s`),
        metric('bytes-6to4', 'Bytes 6→4', n.bytes['6to4'], bytes(n.bytes['6to4']), `${bytes(last(s.bytes6to4))}/s`),
        metric('bytes-4to6', 'Bytes 4→6', n.bytes['4to6'], bytes(n.bytes['4to6']), `${bytes(last(s.bytes4to6))}/s`),
        metric('drops', 'Dropped', dropsTotal, num(dropsTotal), `${num(last(s.drops))}/s`),
        metric('dns-queries', 'DNS64 queries', d.queries, num(d.queries), `${num(last(s.dnsQueries))}/s`),
        metric('dns-cache-hit', 'Cache hit ratio', ratio(d.cacheHits, d.cacheHits + d.cacheMisses), pct(ratio(d.cacheHits, d.cacheHits + d.cacheMisses))),
        metric('dns-synthesized', 'Synthesized share', ratio(d.synthesized, d.queries), pct(ratio(d.synthesized, d.queries)), `${num(d.synthesized)} answers`),
        metric('dns-upstream', 'Upstream errors', d.upstreamErrors + d.upstreamTimeouts, num(d.upstreamErrors + d.upstreamTimeouts), `${num(d.upstreamTimeouts)} timeouts · ${c.dns64.upstreams.join(', ')}`),
      ),
    );

    const cell = (u: PortUse): HTMLElement => h('td', {}, bar(u.used, u.size), ` ${num(u.used)} / ${num(u.size)}`);
    const row = (label: string, a: { tcp: PortUse; udp: PortUse; icmp: PortUse }, cls?: string): HTMLElement =>
      h('tr', cls ? { class: cls } : {}, h('th', { scope: 'row' }, label), cell(a.tcp), cell(a.udp), cell(a.icmp));
    const table = (caption: string, rows: HTMLElement[]): HTMLElement =>
      h(
        'div',
        { class: 'table-wrap' },
        h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, ['Address', 'TCP', 'UDP', 'ICMP'].map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)),
      );
    // Up to 8 addresses: one table. More: the total, and the per-address table folded away.
    const perAddress = pool.addresses.map((a) => row(a.address, a));
    const poolCard = h(
      'section',
      { class: 'card', 'data-testid': 'pool4' },
      h('h2', {}, 'pool4 use'),
      table(`${pool.addressCount} addresses; ports (ICMP identifiers) in use / available`, [row('All', pool, 'total'), ...(pool.addresses.length <= 8 ? perAddress : [])]),
      pool.addresses.length > 8
        ? h('details', {}, h('summary', {}, `Per address (${pool.addresses.length}${pool.addressCount > pool.addresses.length ? ` with ports in use, of ${pool.addressCount}` : ''})`), table('Ports in use / available per address', perAddress))
        : null,
      pool.truncated ? h('p', { class: 'hint' }, 'More addresses have ports in use than are listed.') : null,
    );

    const t = hist.t;
    const dropReasons = Object.entries(hist.drops).filter(([, col]) => col.some((v) => v !== null && v > 0));
    const charts = h(
      'div',
      { class: 'charts' },
      chartCard({ id: 'sessions', title: 'Sessions', t, format: num, series: [{ label: 'total', values: s.sessions }, { label: 'tcp', values: s.sessionsTcp }, { label: 'udp', values: s.sessionsUdp }, { label: 'icmp', values: s.sessionsIcmp }] }),
      chartCard({ id: 'packets', title: 'Packets per second', t, format: num, series: [{ label: '6→4', values: s.packets6to4 }, { label: '4→6', values: s.packets4to6 }] }),
      chartCard({ id: 'bytes', title: 'Bytes per second', t, format: bytes, series: [{ label: '6→4', values: s.bytes6to4 }, { label: '4→6', values: s.bytes4to6 }] }),
      chartCard({ id: 'drops', title: 'Drops per second by reason', t, format: num, series: dropReasons.length > 0 ? dropReasons.map(([label, values]) => ({ label, values })) : [{ label: 'all', values: s.drops }] }),
      chartCard({ id: 'dns', title: 'DNS64 queries per second', t, format: num, series: [{ label: 'queries', values: s.dnsQueries }, { label: 'synthesized', values: s.dnsSynthesized }, { label: 'upstream errors', values: s.dnsUpstreamErrors }] }),
      chartCard({ id: 'cache', title: 'DNS64 cache hit ratio and synthesized share', t, format: (v) => pct(v), series: [{ label: 'cache hits', values: shares(s.dnsCacheHits, s.dnsCacheMisses, true) }, { label: 'synthesized', values: shares(s.dnsSynthesized, s.dnsQueries, false) }] }),
      chartCard({ id: 'pool4', title: 'pool4 ports in use', t, format: num, series: [{ label: 'ports', values: s.pool4Used }, { label: 'bindings', values: s.bindings }] }),
    );

    fill(
      root,
      h('div', { class: 'grid' }, healthCard, prefixCard, ...OPTIONAL.map((o, i) => (optional[i] === undefined ? null : optionalCard(o.id, o.title, optional[i])))),
      numbers,
      poolCard,
      h('h2', {}, `The last ${duration(t.length * hist.intervalSeconds * 1000)} (every ${hist.intervalSeconds} s; up to ${duration(hist.capacity * hist.intervalSeconds * 1000)})`),
      charts,
    );
  },
};
