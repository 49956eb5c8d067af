/**
 * Prometheus exposition of the daemon's counters. The numbers live in the
 * daemon (fixed-shape counter objects on the hot path); at scrape time the
 * API takes one `ports.stats()` snapshot and renders it through a prom-client
 * Registry owned by this app instance (never the global default registry).
 *
 * prom-client's Counter/Histogram classes own their values and have no way to
 * adopt a histogram counted elsewhere, so each family here is a small
 * "snapshot metric" object with the `get()` shape the Registry formats.
 * Names follow `<ns>_<room>_<what>_total` (STYLE §4).
 */
import { Registry, type Metric } from 'prom-client';
import type { Histogram, Stats } from './schemas/stats.js';

type MetricKind = 'counter' | 'gauge' | 'histogram';
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** One metric family whose samples are computed from the current snapshot. */
class SnapshotMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricKind,
    private readonly samples: () => Sample[],
  ) {}

  /** The shape prom-client's Registry renders. */
  get(): { name: string; help: string; type: MetricKind; aggregator: 'sum'; values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }
}

/** Cumulative Prometheus buckets from per-bucket counts (see HistogramSchema). */
export function histogramSamples(name: string, h: Histogram): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  const n = Math.min(h.le.length, h.counts.length);
  for (let i = 0; i < n; i++) {
    cumulative += h.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { le: String(h.le[i]) }, value: cumulative });
  }
  out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: Math.max(h.count, cumulative) });
  out.push({ metricName: `${name}_sum`, labels: {}, value: h.sum });
  out.push({ metricName: `${name}_count`, labels: {}, value: Math.max(h.count, cumulative) });
  return out;
}

function byLabel(label: string, record: Record<string, number>): Sample[] {
  return Object.entries(record).map(([k, v]) => ({ labels: { [label]: k }, value: v }));
}

/** "tcp/established" → {protocol: tcp, state: established}; a bare key has state "all". */
function sessionSamples(record: Record<string, number>): Sample[] {
  return Object.entries(record).map(([k, v]) => {
    const slash = k.indexOf('/');
    const labels = slash < 0 ? { protocol: k, state: 'all' } : { protocol: k.slice(0, slash), state: k.slice(slash + 1) };
    return { labels, value: v };
  });
}

const one = (value: number): Sample[] => [{ labels: {}, value }];

type Dns64Counter = Exclude<keyof Stats['dns64'], 'latencyBuckets'>;
const DNS64_COUNTERS: [Dns64Counter, string, string][] = [
  ['queries', 'queries_total', 'DNS queries received'],
  ['synthesized', 'synthesized_total', 'AAAA answers synthesized (RFC 6147)'],
  ['cacheHits', 'cache_hits_total', 'Queries answered from the cache'],
  ['cacheMisses', 'cache_misses_total', 'Queries that needed an upstream'],
  ['upstreamErrors', 'upstream_errors_total', 'Upstream queries that failed'],
  ['upstreamTimeouts', 'upstream_timeouts_total', 'Upstream queries that timed out'],
  ['refused', 'refused_total', 'Queries refused (client not allowed)'],
  ['rateLimited', 'rate_limited_total', 'Queries dropped by the per-client rate limit'],
  ['formerr', 'formerr_total', 'Malformed queries answered FORMERR or dropped'],
];

/** Router advertisement families; no samples while RAs are off. */
function raMetrics(cur: () => Stats): SnapshotMetric[] {
  const ra = (f: (r: NonNullable<Stats['ra']>) => Sample[]) => (): Sample[] => (cur().ra ? f(cur().ra!) : []);
  return [
    new SnapshotMetric('sixgate_ra_sent_total', 'Router advertisements sent (unsolicited and answers)', 'counter', ra((r) => one(r.rasSent))),
    new SnapshotMetric('sixgate_ra_rs_received_total', 'Valid router solicitations received', 'counter', ra((r) => one(r.rsReceived))),
    new SnapshotMetric('sixgate_ra_rs_answered_total', 'Router solicitations answered', 'counter', ra((r) => one(r.rsAnswered))),
    new SnapshotMetric('sixgate_ra_send_errors_total', 'Router advertisements the socket refused', 'counter', ra((r) => one(r.sendErrors))),
    new SnapshotMetric('sixgate_ra_foreign_pref64_total', 'Advertisements from other routers with a different PREF64, by interface, router and prefix', 'counter', ra((r) => r.foreign.map((f) => ({ labels: { interface: f.interface, router: f.router, prefix: f.prefix }, value: f.count })))),
    new SnapshotMetric('sixgate_ra_conflicts', 'Conflicting PREF64/RDNSS announcements currently seen', 'gauge', ra((r) => one(r.conflicts))),
  ];
}

/** A registry rendering `read()`'s snapshot; call `scrape()` once per request. */
export function createMetrics(read: () => Stats): { registry: Registry; scrape(): Promise<string> } {
  const registry = new Registry();
  let s: Stats | undefined;
  const cur = (): Stats => s!;
  const families: SnapshotMetric[] = [
    new SnapshotMetric('sixgate_nat64_packets_total', 'Packets translated, by direction', 'counter', () => byLabel('direction', cur().nat64.packets)),
    new SnapshotMetric('sixgate_nat64_bytes_total', 'Bytes translated, by direction', 'counter', () => byLabel('direction', cur().nat64.bytes)),
    new SnapshotMetric('sixgate_nat64_drops_total', 'Packets dropped, by reason', 'counter', () => byLabel('reason', cur().nat64.drops)),
    new SnapshotMetric('sixgate_nat64_sessions', 'Sessions by protocol and state', 'gauge', () => sessionSamples(cur().nat64.sessions)),
    new SnapshotMetric('sixgate_nat64_bindings', 'BIB entries', 'gauge', () => one(cur().nat64.bindings)),
    new SnapshotMetric('sixgate_nat64_pool4_ports_used', 'pool4 address/port pairs in use', 'gauge', () => one(cur().nat64.pool4.used)),
    new SnapshotMetric('sixgate_nat64_pool4_ports', 'pool4 address/port pairs available in total', 'gauge', () => one(cur().nat64.pool4.size)),
    new SnapshotMetric('sixgate_nat64_pool4_utilization_ratio', 'pool4 use, 0 to 1', 'gauge', () => one(cur().nat64.pool4.percent / 100)),
    new SnapshotMetric('sixgate_nat64_offload_enabled', '1 when the TUN device runs with checksum and TCP segmentation offload', 'gauge', () => one(cur().offload.enabled ? 1 : 0)),
    new SnapshotMetric('sixgate_nat64_udp_coalescing_enabled', '1 when runs of same-flow UDP datagrams are written as one UDP GSO super-packet', 'gauge', () => one(cur().offload.udpCoalescing ? 1 : 0)),
    new SnapshotMetric('sixgate_nat64_offload_total', 'TUN offload events, by kind (gsoPackets, gsoSegments, csumPartial, csumCompleted, softGso, badHeader, udpSuperPackets, udpSegments)', 'counter', () => {
      const { enabled: _, udpCoalescing: _c, ...kinds } = cur().offload;
      return byLabel('kind', kinds);
    }),
    new SnapshotMetric('sixgate_nat64_batch_duration_seconds', 'Time to translate one batch of packets', 'histogram', () =>
      histogramSamples('sixgate_nat64_batch_duration_seconds', cur().translatorBatch),
    ),
    ...DNS64_COUNTERS.map(([key, what, help]) => new SnapshotMetric(`sixgate_dns64_${what}`, help, 'counter', () => one(cur().dns64[key]))),
    new SnapshotMetric('sixgate_dns64_query_duration_seconds', 'Time from query to answer', 'histogram', () =>
      histogramSamples('sixgate_dns64_query_duration_seconds', cur().dns64.latencyBuckets),
    ),
    new SnapshotMetric('sixgate_session_log_written_total', 'Session log lines written', 'counter', () => one(cur().sessionLog.written)),
    new SnapshotMetric('sixgate_session_log_dropped_total', 'Session log lines dropped (writer too slow)', 'counter', () => one(cur().sessionLog.dropped)),
    ...raMetrics(cur),
  ];
  // The Registry only calls name/get(); see the module comment for why these are not prom-client classes.
  for (const f of families) registry.registerMetric(f as unknown as Metric);
  return {
    registry,
    async scrape() {
      // A concurrent scrape may replace the snapshot first; it is only newer.
      s = read();
      return registry.metrics();
    },
  };
}
