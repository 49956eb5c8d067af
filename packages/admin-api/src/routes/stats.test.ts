import { describe, expect, it } from 'vitest';
import type { Stats } from '../schemas/stats.js';
import { parsePrometheus, type Family } from '../test/prometheus.js';
import { useApp } from '../test/helper.js';
import { Counter, Gauge } from 'prom-client';
import { createMetrics } from '../metrics.js';

function busyStats(): Stats {
  return {
    nat64: {
      packets: { '6to4': 1000, '4to6': 900 },
      bytes: { '6to4': 1_200_000, '4to6': 800_000 },
      drops: { noBinding: 3, 'pool4-exhausted': 1 },
      sessions: { 'tcp/ESTABLISHED': 10, 'tcp/V6_FIN_RCV': 1, 'udp/established': 4, icmp: 2 },
      bindings: 12,
      pool4: { used: 17, size: 64_512, percent: (17 / 64_512) * 100 },
    },
    dns64: {
      queries: 500, synthesized: 120, cacheHits: 300, cacheMisses: 200, upstreamErrors: 2,
      upstreamTimeouts: 1, refused: 5, rateLimited: 3, rateLimitedPrefix: 1, rateLimitSpared: 9, formerr: 4,
      tcpRejected: 0, tcpTimeouts: 2, upstreamCaseMismatch: 1, loopLagP99: 0.004, loopLagMax: 0.012, upstreamRtt: 0.021, parallelA: true,
      latencyBuckets: { le: [0.001, 0.01, 0.1], counts: [300, 150, 40], sum: 3.25, count: 500 },
    },
    offload: { enabled: true, udpCoalescing: true, gsoPackets: 50, gsoSegments: 2200, csumPartial: 700, csumCompleted: 3, softGso: 1, badHeader: 0, udpSuperPackets: 40, udpSegments: 900 },
    translatorBatch: { le: [0.0001, 0.001], counts: [70, 20], sum: 0.05, count: 95 },
    sessionLog: { written: 40, dropped: 2 },
  };
}

const sample = (f: Family | undefined, labels: Record<string, string> = {}): number | undefined =>
  f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;

describe('GET /api/v1/stats', () => {
  const ctx = useApp();

  it('returns the daemon counters unchanged', async () => {
    ctx.ports.statsValue = busyStats();
    const res = await ctx.call('GET', '/api/v1/stats');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(busyStats());
  });
});

describe('GET /metrics', () => {
  const ctx = useApp();

  it('is valid Prometheus text with the counters of ports.stats()', async () => {
    ctx.ports.statsValue = busyStats();
    const res = await ctx.call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parsePrometheus(res.body);
    expect(m.get('sixgate_nat64_packets_total')?.type).toBe('counter');
    expect(sample(m.get('sixgate_nat64_packets_total'), { direction: '6to4' })).toBe(1000);
    expect(sample(m.get('sixgate_nat64_bytes_total'), { direction: '4to6' })).toBe(800_000);
    expect(sample(m.get('sixgate_nat64_drops_total'), { reason: 'pool4-exhausted' })).toBe(1);
    expect(sample(m.get('sixgate_nat64_sessions'), { protocol: 'tcp', state: 'ESTABLISHED' })).toBe(10);
    expect(sample(m.get('sixgate_nat64_sessions'), { protocol: 'icmp', state: 'all' })).toBe(2);
    expect(sample(m.get('sixgate_nat64_bindings'))).toBe(12);
    expect(sample(m.get('sixgate_nat64_offload_enabled'))).toBe(1);
    expect(m.get('sixgate_nat64_offload_total')?.type).toBe('counter');
    expect(sample(m.get('sixgate_nat64_offload_total'), { kind: 'gsoSegments' })).toBe(2200);
    expect(sample(m.get('sixgate_nat64_offload_total'), { kind: 'softGso' })).toBe(1);
    expect(sample(m.get('sixgate_nat64_offload_total'), { kind: 'udpSegments' })).toBe(900);
    expect(sample(m.get('sixgate_nat64_offload_total'), { kind: 'enabled' })).toBeUndefined();
    expect(sample(m.get('sixgate_nat64_offload_total'), { kind: 'udpCoalescing' })).toBeUndefined();
    expect(sample(m.get('sixgate_nat64_udp_coalescing_enabled'))).toBe(1);
    expect(sample(m.get('sixgate_nat64_pool4_utilization_ratio'))).toBeCloseTo(17 / 64_512, 12);
    expect(sample(m.get('sixgate_dns64_queries_total'))).toBe(500);
    expect(sample(m.get('sixgate_dns64_synthesized_total'))).toBe(120);
    expect(sample(m.get('sixgate_dns64_cache_hits_total'))).toBe(300);
    expect(sample(m.get('sixgate_dns64_upstream_timeouts_total'))).toBe(1);
    expect(sample(m.get('sixgate_dns64_rate_limited_prefix_total'))).toBe(1);
    expect(sample(m.get('sixgate_dns64_rate_limit_spared_total'))).toBe(9);
    expect(sample(m.get('sixgate_dns64_upstream_case_mismatch_total'))).toBe(1);
    expect(sample(m.get('sixgate_dns64_event_loop_lag_p99_seconds'))).toBe(0.004);
    expect(sample(m.get('sixgate_dns64_event_loop_lag_max_seconds'))).toBe(0.012);
    expect(sample(m.get('sixgate_dns64_upstream_rtt_seconds'))).toBe(0.021);
    expect(sample(m.get('sixgate_dns64_parallel_a'))).toBe(1);
    expect(sample(m.get('sixgate_session_log_dropped_total'))).toBe(2);
  });

  it('renders histograms with cumulative buckets ending in +Inf = count', async () => {
    ctx.ports.statsValue = busyStats();
    const m = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    const h = m.get('sixgate_dns64_query_duration_seconds')!;
    expect(h.type).toBe('histogram');
    const buckets = h.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => [s.labels['le'], s.value]);
    expect(buckets).toEqual([['0.001', 300], ['0.01', 450], ['0.1', 490], ['+Inf', 500]]);
    expect(h.samples.find((s) => s.name.endsWith('_sum'))?.value).toBe(3.25);
    expect(h.samples.find((s) => s.name.endsWith('_count'))?.value).toBe(500);
    const batch = m.get('sixgate_nat64_batch_duration_seconds')!;
    expect(batch.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.value)).toEqual([70, 90, 95]);
  });

  it('reads the counters at scrape time, not at build time', async () => {
    const first = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect(sample(first.get('sixgate_dns64_queries_total'))).toBe(0);
    // No round trip measured yet: +Inf (unknown, and what parallelA "auto" takes it for), not 0 s.
    expect(sample(first.get('sixgate_dns64_upstream_rtt_seconds'))).toBe(Infinity);
    expect(sample(first.get('sixgate_dns64_parallel_a'))).toBe(0);
    ctx.ports.statsValue = busyStats();
    const second = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect(sample(second.get('sixgate_dns64_queries_total'))).toBe(500);
  });

  it('every metric name follows <ns>_<room>_<what> and counters end in _total', async () => {
    const m = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect(m.size).toBeGreaterThanOrEqual(20);
    for (const [name, f] of m) {
      expect(name).toMatch(/^sixgate_(nat64|dns64|session_log|probe|ra|ha)_[a-z0-9_]+$/);
      expect(f.help.length, name).toBeGreaterThan(0);
      if (f.type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
    }
  });

  it('label values with quotes and backslashes are escaped', async () => {
    ctx.ports.statsValue = { ...busyStats(), nat64: { ...busyStats().nat64, drops: { 'odd"reason\\x': 1 } } };
    const m = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect(m.get('sixgate_nat64_drops_total')?.samples[0]?.labels['reason']).toBe('odd\\"reason\\\\x');
  });

  it('each app has its own registry', async () => {
    const { buildAdminApi } = await import('../app.js');
    const { FakeAdminPorts } = await import('../fake-ports.js');
    const other = new FakeAdminPorts();
    other.statsValue = busyStats();
    const app2 = buildAdminApi({ ports: other, token: 'another-token-0123456789' });
    try {
      const a = parsePrometheus((await ctx.call('GET', '/metrics')).body);
      const b = parsePrometheus((await app2.inject({ url: '/metrics', headers: { authorization: 'Bearer another-token-0123456789' } })).body);
      expect(sample(a.get('sixgate_dns64_queries_total'))).toBe(0);
      expect(sample(b.get('sixgate_dns64_queries_total'))).toBe(500);
    } finally {
      await app2.close();
    }
  });
});

describe('createMetrics', () => {
  it('feeds real prom-client Counters and Gauges through collect(), fresh at every scrape', async () => {
    let stats = busyStats();
    const metrics = createMetrics(() => stats);
    const all = metrics.registry.getMetricsAsArray();
    expect(all.length).toBeGreaterThan(10);
    for (const m of all) expect(m instanceof Counter || m instanceof Gauge).toBe(true);
    const first = parsePrometheus(await metrics.scrape());
    expect(sample(first.get('sixgate_nat64_packets_total'), { direction: '6to4' })).toBe(1000);
    stats = { ...stats, nat64: { ...stats.nat64, packets: { '6to4': 1500, '4to6': 900 }, drops: {} } };
    const second = parsePrometheus(await metrics.scrape());
    // the running total is taken as it is, not added to the last scrape's
    expect(sample(second.get('sixgate_nat64_packets_total'), { direction: '6to4' })).toBe(1500);
    expect(sample(second.get('sixgate_nat64_drops_total'), { reason: 'pool4-exhausted' })).toBeUndefined();
    expect(second.get('sixgate_nat64_batch_duration_seconds')?.type).toBe('histogram');
  });
});
