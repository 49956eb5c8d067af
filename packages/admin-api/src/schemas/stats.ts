/**
 * Health and counters. `Stats` is what the daemon's counters look like when
 * snapshotted; GET /api/v1/stats returns it as JSON and GET /metrics renders
 * the same numbers as Prometheus text.
 */
import { Type, type Static } from '@sinclair/typebox';
import { RaStatsSchema } from './ra.js';

const Count = Type.Integer({ minimum: 0 });

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  dns64: Type.Boolean({ description: 'DNS64 listeners are serving' }),
  nat64: Type.Boolean({ description: 'The translator loop is running' }),
  reasons: Type.Array(Type.String(), { description: 'Why the status is degraded (empty when ok)' }),
  warnings: Type.Optional(Type.Array(Type.String(), { description: 'Problems that do not stop service, e.g. another router announcing a different PREF64, or the HA peer lost' })),
});
export type Health = Static<typeof HealthSchema>;

/**
 * A latency histogram as plain numbers. `counts[i]` is the number of
 * observations in bucket i alone (le[i-1] < v <= le[i]), NOT cumulative:
 * that is what a hot path can bump with one increment. Observations above the
 * last bound are `count - sum(counts)`. Bounds and `sum` are in seconds.
 */
export const HistogramSchema = Type.Object({
  le: Type.Array(Type.Number(), { description: 'Upper bounds in seconds, ascending' }),
  counts: Type.Array(Count, { description: 'Observations per bucket (not cumulative)' }),
  sum: Type.Number({ minimum: 0, description: 'Sum of all observations in seconds' }),
  count: Count,
});
export type Histogram = Static<typeof HistogramSchema>;

const PerDirection = Type.Object({
  '6to4': Count,
  '4to6': Count,
});

export const Nat64StatsSchema = Type.Object({
  packets: PerDirection,
  bytes: PerDirection,
  drops: Type.Record(Type.String(), Count, { description: 'Dropped packets by reason' }),
  sessions: Type.Record(Type.String(), Count, {
    description: 'Sessions by "protocol/state", e.g. "tcp/established", "udp/established"',
  }),
  bindings: Count,
  pool4: Type.Object({
    used: Count,
    size: Count,
    percent: Type.Number({ minimum: 0, maximum: 100 }),
  }),
});

export const Dns64StatsSchema = Type.Object({
  queries: Count,
  synthesized: Count,
  cacheHits: Count,
  cacheMisses: Count,
  upstreamErrors: Count,
  upstreamTimeouts: Count,
  refused: Count,
  rateLimited: Count,
  rateLimitedPrefix: Type.Optional(Count),
  rateLimitSpared: Type.Optional(Count),
  formerr: Count,
  tcpRejected: Type.Optional(Count),
  tcpTimeouts: Type.Optional(Count),
  upstreamCaseMismatch: Type.Optional(Count),
  loopLagP99: Type.Optional(Type.Number({ minimum: 0, description: 'Event-loop lag, 99th percentile over the last 10 s (seconds)' })),
  loopLagMax: Type.Optional(Type.Number({ minimum: 0, description: 'Event-loop lag, maximum over the last 10 s (seconds)' })),
  upstreamRtt: Type.Optional(Type.Number({ minimum: 0, description: 'Upstream round trip: the shortest time an AAAA question took to be answered over the last 10–20 s (seconds; absent before the first answer)' })),
  parallelA: Type.Optional(Type.Boolean({ description: 'Whether AAAA misses ask the A question at once now (dns64.parallelA; "auto" decides by upstreamRtt)' })),
  synthesisSuspended: Type.Optional(Type.Integer({ minimum: 0, description: 'AAAA answered NODATA instead of synthesized while the translator was down' })),
  latencyBuckets: HistogramSchema,
});

export const DatapathStatsSchema = Type.Object(
  {
    up: Type.Boolean({ description: 'The packet loop runs on a working TUN device' }),
    failures: Type.Integer({ minimum: 0, description: 'Times the TUN device failed (deleted, fd or poll error)' }),
    recoveries: Type.Integer({ minimum: 0, description: 'Times the device, its routes and offloads were re-created after a failure' }),
    lastError: Type.Optional(Type.String({ description: 'The last failure, while recovering' })),
    batchErrors: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Batches dropped because handling them threw, by reason' }),
  },
  { description: 'The data path: TUN device health and dropped batches' },
);

export const OffloadStatsSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: 'The TUN device runs with checksum and TCP segmentation offload' }),
    udpCoalescing: Type.Boolean({ description: 'Runs of same-flow UDP datagrams are written as one UDP GSO super-packet (nat64.coalesce on, and a kernel that takes them: Linux 6.2 or later)' }),
    gsoPackets: Type.Integer({ minimum: 0, description: 'TCP super-packets translated as one (each counts once in nat64.packets)' }),
    gsoSegments: Type.Integer({ minimum: 0, description: 'Segments those super-packets stood for' }),
    csumPartial: Type.Integer({ minimum: 0, description: 'Packets with a partial checksum passed on partial' }),
    csumCompleted: Type.Integer({ minimum: 0, description: 'Partial checksums completed in software' }),
    softGso: Type.Integer({ minimum: 0, description: 'Super-packets cut into segments in software (IPv4 without DF, unusual layouts)' }),
    badHeader: Type.Integer({ minimum: 0, description: 'Packets dropped for an unusable offload header' }),
    udpSuperPackets: Type.Integer({ minimum: 0, description: 'UDP GSO super-packets written: runs of same-flow datagrams sent in one write (nat64.coalesce)' }),
    udpSegments: Type.Integer({ minimum: 0, description: 'Datagrams those super-packets carried' }),
  },
  { description: 'TUN offload (nat64.offload)' },
);

export const StatsSchema = Type.Object({
  nat64: Nat64StatsSchema,
  dns64: Dns64StatsSchema,
  offload: OffloadStatsSchema,
  translatorBatch: HistogramSchema,
  sessionLog: Type.Object({ written: Count, dropped: Count }),
  ra: Type.Optional(RaStatsSchema),
  datapath: Type.Optional(DatapathStatsSchema),
  ha: Type.Optional(
    Type.Object(
      {
        active: Type.Boolean(),
        peerConnected: Type.Boolean(),
        splitBrain: Type.Boolean(),
        lagEntries: Count,
        lagMs: Type.Number({ minimum: 0 }),
        queueDrops: Count,
        recordsSent: Count,
        recordsReceived: Count,
        recordsRejected: Count,
        bulkTransfersSent: Count,
        bulkTransfersReceived: Count,
        authFailures: Count,
        disconnects: Count,
        standbyDrops: Count,
        configConflicts: Count,
        staleConfig: Type.Boolean(),
      },
      { description: 'The HA pair (present when ha.enabled)' },
    ),
  ),
});
export type Stats = Static<typeof StatsSchema>;

const Column = Type.Array(Type.Union([Type.Number(), Type.Null()]));

/** GET /api/v1/stats/history (the daemon's bounded in-memory ring; see stats-ring.ts). */
export const StatsHistorySchema = Type.Object(
  {
    intervalSeconds: Type.Number({ description: 'Seconds between samples' }),
    capacity: Type.Integer({ description: 'Samples the ring keeps (capacity × interval = how far back it reaches)' }),
    t: Type.Array(Type.Number(), { description: 'Sample times in Unix milliseconds, oldest first' }),
    series: Type.Object(
      {
        sessions: Column,
        sessionsTcp: Column,
        sessionsUdp: Column,
        sessionsIcmp: Column,
        bindings: Column,
        pool4Used: Column,
        packets6to4: Column,
        packets4to6: Column,
        bytes6to4: Column,
        bytes4to6: Column,
        drops: Column,
        dnsQueries: Column,
        dnsSynthesized: Column,
        dnsCacheHits: Column,
        dnsCacheMisses: Column,
        dnsUpstreamErrors: Column,
      },
      { description: 'One column per series, as long as t. sessions*, bindings and pool4Used are values at the sample; the rest are per-second rates over the interval before it (null for the first sample)' },
    ),
    drops: Type.Record(Type.String(), Column, { description: 'Dropped packets per second by reason ("other": reasons beyond the bound)' }),
  },
  { description: 'Metric history: the last hour of the key counters at 5 s resolution, kept in memory' },
);

export const StatsHistoryQuerySchema = Type.Object({
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'Only the samples of the last N seconds (default: all kept)' })),
});
