/**
 * Prometheus exposition of the daemon's counters. The numbers live in the
 * daemon (fixed-shape counter objects on the hot path); at scrape time the
 * API takes one `ports.stats()` snapshot and hands it to prom-client through
 * the documented `collect()` hook of real Counter and Gauge objects, which a
 * Registry owned by this app instance renders (never the global registry).
 *
 * Histograms are counted elsewhere (allocation-free bucket arrays in the
 * packet loop and the DNS64 server) and prom-client's Histogram can only
 * `observe()` one value at a time, with no way to adopt existing bucket
 * counts: those families are rendered here, after the registry's output, in
 * the same text format (cumulative `_bucket`, `_sum`, `_count`).
 * Names follow `<ns>_<room>_<what>_total` (STYLE §4).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Histogram, Stats } from './schemas/stats.js';
import type { ProbeMetricSample } from './schemas/probes.js';

type Labels = Record<string, string>;
/** Receives one sample of a family; called from a family's fill function. */
type Emit = (labels: Labels, value: number) => void;
type Fill = (s: Stats, emit: Emit) => void;

/** Samples of a record keyed by one label: `{reason: value}`. */
const byLabel =
  (label: string, pick: (s: Stats) => Record<string, number>): Fill =>
  (s, emit) => {
    for (const [k, v] of Object.entries(pick(s))) emit({ [label]: k }, v);
  };

/** One unlabelled sample. */
const one =
  (pick: (s: Stats) => number): Fill =>
  (s, emit) =>
    emit({}, pick(s));

/** "tcp/established" → {protocol: tcp, state: established}; a bare key has state "all". */
const sessionSamples: Fill = (s, emit) => {
  for (const [k, v] of Object.entries(s.nat64.sessions)) {
    const slash = k.indexOf('/');
    emit(slash < 0 ? { protocol: k, state: 'all' } : { protocol: k.slice(0, slash), state: k.slice(slash + 1) }, v);
  }
};

/** Prometheus text of one histogram family from per-bucket counts (see HistogramSchema). */
export function histogramText(name: string, help: string, h: Histogram): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  let cumulative = 0;
  const n = Math.min(h.le.length, h.counts.length);
  for (let i = 0; i < n; i++) {
    cumulative += h.counts[i]!;
    lines.push(`${name}_bucket{le="${h.le[i]}"} ${cumulative}`);
  }
  const count = Math.max(h.count, cumulative);
  lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${h.sum}`, `${name}_count ${count}`);
  return lines.join('\n') + '\n';
}

type Dns64Counter = Exclude<keyof Stats['dns64'], 'latencyBuckets' | 'synthesisSuspended' | 'loopLagP99' | 'loopLagMax' | 'upstreamRtt' | 'parallelA'>;
const DNS64_COUNTERS: [Dns64Counter, string, string][] = [
  ['queries', 'queries_total', 'DNS queries received'],
  ['synthesized', 'synthesized_total', 'AAAA answers synthesized (RFC 6147)'],
  ['cacheHits', 'cache_hits_total', 'Queries answered from the cache'],
  ['cacheMisses', 'cache_misses_total', 'Queries that needed an upstream'],
  ['upstreamErrors', 'upstream_errors_total', 'Upstream queries that failed'],
  ['upstreamTimeouts', 'upstream_timeouts_total', 'Upstream queries that timed out'],
  ['refused', 'refused_total', 'Queries refused (client not allowed)'],
  ['rateLimited', 'rate_limited_total', 'Queries over the per-client rate limit (answered TC=1 or REFUSED)'],
  ['rateLimitedPrefix', 'rate_limited_prefix_total', 'Of the rate-limited queries, those over their subnet ceiling'],
  ['rateLimitSpared', 'rate_limit_spared_total', 'Queries over a limit let through because their client was the only one asking'],
  ['formerr', 'formerr_total', 'Malformed queries answered FORMERR or dropped'],
  ['tcpRejected', 'tcp_rejected_total', 'DNS TCP connections refused by the total or per-client cap'],
  ['tcpTimeouts', 'tcp_timeouts_total', 'DNS TCP connections closed because a message did not arrive whole in time'],
  ['upstreamCaseMismatch', 'upstream_case_mismatch_total', 'Upstream answers dropped because the question case differs (0x20)'],
];

/** Router advertisement families; no samples while RAs are off (stats without `ra`). */
const ra =
  (pick: (r: NonNullable<Stats['ra']>, emit: Emit) => void): Fill =>
  (s, emit) => {
    if (s.ra) pick(s.ra, emit);
  };
const RA_FAMILIES: [string, string, 'counter' | 'gauge', string[], Fill][] = [
  ['sixgate_ra_sent_total', 'Router advertisements sent (unsolicited and answers)', 'counter', [], ra((r, e) => e({}, r.rasSent))],
  ['sixgate_ra_rs_received_total', 'Valid router solicitations received', 'counter', [], ra((r, e) => e({}, r.rsReceived))],
  ['sixgate_ra_rs_answered_total', 'Router solicitations answered', 'counter', [], ra((r, e) => e({}, r.rsAnswered))],
  ['sixgate_ra_send_errors_total', 'Router advertisements the socket refused', 'counter', [], ra((r, e) => e({}, r.sendErrors))],
  ['sixgate_ra_foreign_pref64_total', 'Advertisements from other routers with a different PREF64, by interface, router and prefix', 'counter', ['interface', 'router', 'prefix'], ra((r, e) => r.foreign.forEach((f) => e({ interface: f.interface, router: f.router, prefix: f.prefix }, f.count)))],
  ['sixgate_ra_conflicts', 'Conflicting PREF64/RDNSS announcements currently seen', 'gauge', [], ra((r, e) => e({}, r.conflicts))],
];

/** The HA pair's families (ADR 8); no samples when ha is off. */
const haOne =
  (pick: (h: NonNullable<Stats['ha']>) => number): Fill =>
  (s, emit) => {
    if (s.ha !== undefined) emit({}, pick(s.ha));
  };
const HA_FAMILIES: [string, string, 'counter' | 'gauge', string[], Fill][] = [
  ['sixgate_ha_active', '1 when this node is the active one of the HA pair', 'gauge', [], haOne((h) => (h.active ? 1 : 0))],
  ['sixgate_ha_peer_connected', '1 when the sync link to the peer is up', 'gauge', [], haOne((h) => (h.peerConnected ? 1 : 0))],
  ['sixgate_ha_split_brain', '1 when both nodes are active', 'gauge', [], haOne((h) => (h.splitBrain ? 1 : 0))],
  ['sixgate_ha_sync_lag_records', 'Session records queued or unacknowledged by the peer', 'gauge', [], haOne((h) => h.lagEntries)],
  ['sixgate_ha_sync_lag_seconds', 'Age of the oldest unacknowledged sync frame', 'gauge', [], haOne((h) => h.lagMs / 1000)],
  ['sixgate_ha_queue_drops_total', 'Session records dropped because the sync queue was full', 'counter', [], haOne((h) => h.queueDrops)],
  ['sixgate_ha_records_sent_total', 'Session records sent to the peer', 'counter', [], haOne((h) => h.recordsSent)],
  ['sixgate_ha_records_received_total', 'Session records received from the peer', 'counter', [], haOne((h) => h.recordsReceived)],
  ['sixgate_ha_records_rejected_total', 'Received session records that did not fit this node', 'counter', [], haOne((h) => h.recordsRejected)],
  ['sixgate_ha_bulk_transfers_total', 'Whole-table transfers, by direction', 'counter', ['direction'], (s, emit) => {
    if (s.ha === undefined) return;
    emit({ direction: 'sent' }, s.ha.bulkTransfersSent);
    emit({ direction: 'received' }, s.ha.bulkTransfersReceived);
  }],
  ['sixgate_ha_auth_failures_total', 'Sync link handshakes refused (wrong pre-shared key)', 'counter', [], haOne((h) => h.authFailures)],
  ['sixgate_ha_peer_disconnects_total', 'Times the sync link to the peer was lost', 'counter', [], haOne((h) => h.disconnects)],
  ['sixgate_ha_standby_drops_total', 'New flows refused while this node was not active', 'counter', [], haOne((h) => h.standbyDrops)],
  ['sixgate_ha_config_conflicts_total', 'Configuration changes refused or lost because the peer took their version', 'counter', [], haOne((h) => h.configConflicts)],
  ['sixgate_ha_stale_config', '1 when this node is active with an older configuration than the peer\'s', 'gauge', [], haOne((h) => (h.staleConfig ? 1 : 0))],
];

/**
 * A registry rendering `read()`'s snapshot; call `scrape()` once per request.
 * Counter and gauge families: [name, help, kind, label names, fill].
 */
export function createMetrics(read: () => Stats, readProbes: () => ProbeMetricSample[] = () => []): { registry: Registry; scrape(): Promise<string> } {
  const registry = new Registry();
  let s: Stats | undefined;
  let probes: ProbeMetricSample[] = [];
  const families: [string, string, 'counter' | 'gauge', string[], Fill][] = [
    ['sixgate_nat64_packets_total', 'Packets translated, by direction', 'counter', ['direction'], byLabel('direction', (x) => x.nat64.packets)],
    ['sixgate_nat64_bytes_total', 'Bytes translated, by direction', 'counter', ['direction'], byLabel('direction', (x) => x.nat64.bytes)],
    ['sixgate_nat64_drops_total', 'Packets dropped, by reason', 'counter', ['reason'], byLabel('reason', (x) => x.nat64.drops)],
    ['sixgate_nat64_sessions', 'Sessions by protocol and state', 'gauge', ['protocol', 'state'], sessionSamples],
    ['sixgate_nat64_bindings', 'BIB entries', 'gauge', [], one((x) => x.nat64.bindings)],
    ['sixgate_nat64_pool4_ports_used', 'pool4 address/port pairs in use', 'gauge', [], one((x) => x.nat64.pool4.used)],
    ['sixgate_nat64_pool4_ports', 'pool4 address/port pairs available in total', 'gauge', [], one((x) => x.nat64.pool4.size)],
    ['sixgate_nat64_pool4_utilization_ratio', 'pool4 use, 0 to 1', 'gauge', [], one((x) => x.nat64.pool4.percent / 100)],
    ['sixgate_nat64_offload_enabled', '1 when the TUN device runs with checksum and TCP segmentation offload', 'gauge', [], one((x) => (x.offload.enabled ? 1 : 0))],
    ['sixgate_nat64_udp_coalescing_enabled', '1 when runs of same-flow UDP datagrams are written as one UDP GSO super-packet', 'gauge', [], one((x) => (x.offload.udpCoalescing ? 1 : 0))],
    [
      'sixgate_nat64_offload_total',
      'TUN offload events, by kind (gsoPackets, gsoSegments, csumPartial, csumCompleted, softGso, badHeader, udpSuperPackets, udpSegments)',
      'counter',
      ['kind'],
      byLabel('kind', (x) => {
        const { enabled: _, udpCoalescing: _c, ...kinds } = x.offload;
        return kinds;
      }),
    ],
    ...DNS64_COUNTERS.map(([key, what, help]): [string, string, 'counter', string[], Fill] => [`sixgate_dns64_${what}`, help, 'counter', [], one((x) => x.dns64[key] ?? 0)]),
    ['sixgate_nat64_up', '1 while the packet loop runs on a working TUN device', 'gauge', [], one((x) => (x.datapath?.up === false ? 0 : 1))],
    ['sixgate_nat64_tun_failures_total', 'Times the TUN device failed (deleted, fd or poll error)', 'counter', [], one((x) => x.datapath?.failures ?? 0)],
    ['sixgate_nat64_tun_recoveries_total', 'Times the TUN device, its routes and offloads were re-created after a failure', 'counter', [], one((x) => x.datapath?.recoveries ?? 0)],
    ['sixgate_nat64_batch_errors_total', 'Batches dropped because handling them threw, by reason', 'counter', ['reason'], byLabel('reason', (x) => x.datapath?.batchErrors ?? {})],
    ['sixgate_dns64_event_loop_lag_p99_seconds', 'Event-loop lag (how long a ready datagram waits for the turn in progress), 99th percentile over the last 10 s', 'gauge', [], one((x) => x.dns64.loopLagP99 ?? 0)],
    ['sixgate_dns64_event_loop_lag_max_seconds', 'Event-loop lag, maximum over the last 10 s', 'gauge', [], one((x) => x.dns64.loopLagMax ?? 0)],
    ['sixgate_dns64_upstream_rtt_seconds', 'Upstream round trip: the shortest time an AAAA question took to be answered over the last 10-20 s (+Inf before the first answer: unknown, counted as far)', 'gauge', [], one((x) => x.dns64.upstreamRtt ?? Infinity)],
    ['sixgate_dns64_parallel_a', '1 while AAAA misses ask the A question at once (dns64.parallelA; "auto" decides by the upstream round trip)', 'gauge', [], one((x) => (x.dns64.parallelA === true ? 1 : 0))],
    ['sixgate_dns64_synthesis_suspended_total', 'AAAA answered NODATA instead of synthesized while the translator was down', 'counter', [], one((x) => x.dns64.synthesisSuspended ?? 0)],
    ['sixgate_session_log_written_total', 'Session log lines written', 'counter', [], one((x) => x.sessionLog.written)],
    ['sixgate_session_log_dropped_total', 'Session log lines dropped (writer too slow)', 'counter', [], one((x) => x.sessionLog.dropped)],
    ...RA_FAMILIES,
    ...HA_FAMILIES,
  ];
  for (const [name, help, kind, labelNames, fill] of families) {
    if (kind === 'gauge') {
      new Gauge({
        name, help, labelNames, registers: [registry],
        collect() {
          this.reset();
          if (s !== undefined) fill(s, (labels, v) => this.set(labels, v));
        },
      });
    } else {
      new Counter({
        name, help, labelNames, registers: [registry],
        // A counter's value is the daemon's running total: start from zero and add it.
        collect() {
          this.reset();
          if (s !== undefined) fill(s, (labels, v) => this.inc(labels, v));
        },
      });
    }
  }
  // The continuous probes' last runs (packages/probe), one sample per target and step.
  const probeFamilies: [string, string, (p: ProbeMetricSample) => number][] = [
    ['sixgate_probe_success', 'Probes: 1 when the step passed in the last run (step "all": the whole run)', (p) => p.success],
    ['sixgate_probe_duration_seconds', 'Probes: how long the step took in the last run (step "all": the whole run)', (p) => p.seconds],
  ];
  for (const [name, help, pick] of probeFamilies) {
    new Gauge({
      name, help, labelNames: ['target', 'step'], registers: [registry],
      collect() {
        this.reset();
        for (const p of probes) this.set({ target: p.target, step: p.step }, pick(p));
      },
    });
  }
  return {
    registry,
    async scrape() {
      // A concurrent scrape may replace the snapshot first; it is only newer.
      s = read();
      probes = readProbes();
      const text = await registry.metrics();
      return (
        text +
        histogramText('sixgate_nat64_batch_duration_seconds', 'Time to translate one batch of packets', s.translatorBatch) +
        histogramText('sixgate_dns64_query_duration_seconds', 'Time from query to answer', s.dns64.latencyBuckets)
      );
    },
  };
}
