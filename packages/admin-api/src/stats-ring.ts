/**
 * Metric history without Prometheus (SPEC §7, GET /api/v1/stats/history): a
 * bounded ring of the key counters, sampled every few seconds from the same
 * {@link Stats} that GET /api/v1/stats returns. The dashboard plots it.
 *
 * Memory is fixed when the ring is built: one Float64Array of `capacity`
 * samples for the timestamps and for each series (16 fixed series), plus one
 * per drop reason as reasons first appear, at most `maxReasons` of them (the
 * rest are summed under "other"). With the defaults (720 samples = one hour at
 * 5 s) that is 720 × 8 B = 5.6 KiB per column: 96 KiB for the 17 fixed columns and
 * at most 49 × 5.6 KiB = 276 KiB for drop reasons. Sampling allocates nothing
 * but a reason's array the first time that reason is seen.
 *
 * Gauges (sessions, bindings, pool4 use) are stored as sampled; counters are
 * stored as a per-second rate over the interval before the sample. A counter
 * that went down (the translator is rebuilt by some configuration changes)
 * counts from zero, as Prometheus' rate() does. The first sample has no
 * rate (NaN, served as null).
 */
import type { Stats } from './schemas/stats.js';

/** The series of the ring, in the order of the response. */
export const HISTORY_GAUGES = ['sessions', 'sessionsTcp', 'sessionsUdp', 'sessionsIcmp', 'bindings', 'pool4Used'] as const;
export const HISTORY_RATES = ['packets6to4', 'packets4to6', 'bytes6to4', 'bytes4to6', 'drops', 'dnsQueries', 'dnsSynthesized', 'dnsCacheHits', 'dnsCacheMisses', 'dnsUpstreamErrors'] as const;
export type HistorySeries = (typeof HISTORY_GAUGES)[number] | (typeof HISTORY_RATES)[number];

/** GET /api/v1/stats/history: columns of equal length, oldest first. */
export interface StatsHistory {
  intervalSeconds: number;
  capacity: number;
  /** Sample times, Unix milliseconds. */
  t: number[];
  /** Gauges as sampled; rates per second (null: no rate for the first sample). */
  series: Record<HistorySeries, (number | null)[]>;
  /** Dropped packets per second by reason. */
  drops: Record<string, (number | null)[]>;
}

export interface StatsRingOptions {
  /** Samples kept (default 720). */
  readonly capacity?: number;
  /** Sampling interval the owner uses, reported to clients (default 5000 ms). */
  readonly intervalMs?: number;
  /** Drop reasons with their own series (default 48); more are summed as "other". */
  readonly maxReasons?: number;
}

const RATE_COUNT = HISTORY_RATES.length;

function rateInputs(s: Stats, out: Float64Array): void {
  const n = s.nat64;
  const d = s.dns64;
  let drops = 0;
  for (const k in n.drops) drops += n.drops[k]!;
  out[0] = n.packets['6to4'];
  out[1] = n.packets['4to6'];
  out[2] = n.bytes['6to4'];
  out[3] = n.bytes['4to6'];
  out[4] = drops;
  out[5] = d.queries;
  out[6] = d.synthesized;
  out[7] = d.cacheHits;
  out[8] = d.cacheMisses;
  out[9] = d.upstreamErrors + d.upstreamTimeouts;
}

/** Sessions of one protocol: its own key (the daemon's "tcp") or the sum of its "tcp/<state>" keys. */
function sessionsOf(ss: Record<string, number>, proto: string): number {
  const own = ss[proto];
  if (own !== undefined) return own;
  let n = 0;
  for (const k in ss) if (k.startsWith(proto) && k.charCodeAt(proto.length) === 47) n += ss[k]!;
  return n;
}

export class StatsRing {
  readonly capacity: number;
  readonly intervalMs: number;
  readonly maxReasons: number;
  readonly #t: Float64Array;
  readonly #gauges: Float64Array[];
  readonly #rates: Float64Array[];
  readonly #drops = new Map<string, Float64Array>();
  readonly #prevDrops = new Map<string, number>();
  readonly #prev = new Float64Array(RATE_COUNT);
  readonly #cur = new Float64Array(RATE_COUNT);
  #prevMono = NaN;
  /** Index the next sample goes to. */
  #head = 0;
  #count = 0;

  constructor(opts: StatsRingOptions = {}) {
    this.capacity = opts.capacity ?? 720;
    this.intervalMs = opts.intervalMs ?? 5000;
    this.maxReasons = opts.maxReasons ?? 48;
    if (!Number.isInteger(this.capacity) || this.capacity < 2 || this.capacity > 100_000) throw new RangeError('capacity must be an integer from 2 to 100000');
    this.#t = new Float64Array(this.capacity);
    this.#gauges = HISTORY_GAUGES.map(() => new Float64Array(this.capacity));
    this.#rates = HISTORY_RATES.map(() => new Float64Array(this.capacity));
  }

  /** Samples kept so far (at most `capacity`). */
  get length(): number {
    return this.#count;
  }

  /** Bytes held by the typed arrays now. */
  get bytes(): number {
    return (1 + this.#gauges.length + this.#rates.length + this.#drops.size) * this.capacity * 8;
  }

  /** Adds one sample: `wallMs` is what clients see, `monoMs` (monotonic) measures the interval. */
  sample(s: Stats, wallMs: number, monoMs: number): void {
    const i = this.#head;
    const dt = (monoMs - this.#prevMono) / 1000;
    const first = !(dt > 0);
    this.#t[i] = wallMs;

    const ss = s.nat64.sessions;
    const tcp = sessionsOf(ss, 'tcp');
    const udp = sessionsOf(ss, 'udp');
    const icmp = sessionsOf(ss, 'icmp');
    const g = this.#gauges;
    g[0]![i] = ss['total'] ?? tcp + udp + icmp;
    g[1]![i] = tcp;
    g[2]![i] = udp;
    g[3]![i] = icmp;
    g[4]![i] = s.nat64.bindings;
    g[5]![i] = s.nat64.pool4.used;

    rateInputs(s, this.#cur);
    for (let k = 0; k < RATE_COUNT; k++) {
      const cur = this.#cur[k]!;
      const prev = this.#prev[k]!;
      this.#rates[k]![i] = first ? NaN : (cur >= prev ? cur - prev : cur) / dt;
      this.#prev[k] = cur;
    }

    // Reasons not reported this time (the daemon omits zeros) count as 0.
    for (const [reason, col] of this.#drops) if (!(reason in s.nat64.drops) && reason !== 'other') col[i] = first ? NaN : 0;
    const other = this.#drops.get('other');
    if (other !== undefined) other[i] = first ? NaN : 0;
    for (const reason in s.nat64.drops) {
      const cur = s.nat64.drops[reason]!;
      const prev = this.#prevDrops.get(reason) ?? 0;
      this.#prevDrops.set(reason, cur);
      const rate = first ? NaN : (cur >= prev ? cur - prev : cur) / dt;
      const col = this.#column(reason);
      if (col === this.#drops.get('other') && reason !== 'other') col[i] = (Number.isNaN(col[i]!) ? 0 : col[i]!) + rate;
      else col[i] = rate;
    }
    this.#prevMono = monoMs;
    this.#head = (i + 1) % this.capacity;
    if (this.#count < this.capacity) this.#count++;
  }

  /** The reason's column; a new one (NaN before now) while under the bound, else "other". */
  #column(reason: string): Float64Array {
    let col = this.#drops.get(reason);
    if (col !== undefined) return col;
    const named = [...this.#drops.keys()].filter((k) => k !== 'other').length;
    const key = named < this.maxReasons ? reason : 'other';
    col = this.#drops.get(key);
    if (col === undefined) {
      col = new Float64Array(this.capacity).fill(NaN);
      this.#drops.set(key, col);
    }
    return col;
  }

  /** The samples of the last `seconds` (all when absent), oldest first. */
  read(seconds?: number): StatsHistory {
    const n = this.#count;
    const start = (this.#head - n + this.capacity) % this.capacity;
    let skip = 0;
    if (seconds !== undefined && n > 0) {
      const newest = this.#t[(this.#head - 1 + this.capacity) % this.capacity]!;
      const from = newest - seconds * 1000;
      while (skip < n && this.#t[(start + skip) % this.capacity]! < from) skip++;
    }
    const col = (a: Float64Array): (number | null)[] => {
      const out: (number | null)[] = new Array(n - skip);
      for (let k = skip; k < n; k++) {
        const v = a[(start + k) % this.capacity]!;
        out[k - skip] = Number.isNaN(v) ? null : v;
      }
      return out;
    };
    const series = {} as Record<HistorySeries, (number | null)[]>;
    HISTORY_GAUGES.forEach((name, k) => (series[name] = col(this.#gauges[k]!)));
    HISTORY_RATES.forEach((name, k) => (series[name] = col(this.#rates[k]!)));
    const drops: Record<string, (number | null)[]> = {};
    for (const [reason, a] of this.#drops) drops[reason] = col(a);
    return { intervalSeconds: this.intervalMs / 1000, capacity: this.capacity, t: col(this.#t) as number[], series, drops };
  }
}
