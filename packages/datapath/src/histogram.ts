/**
 * A fixed-bucket latency histogram that the hot path bumps with one
 * increment (counts are per bucket, not cumulative; the admin API makes them
 * cumulative for Prometheus). Bounds in seconds.
 */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly le: readonly number[]) {
    this.counts = new Float64Array(le.length);
  }

  /** Records one observation of `seconds`. */
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    const le = this.le;
    for (let i = 0; i < le.length; i++) {
      if (seconds <= le[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  /** A JSON-safe copy. */
  snapshot(): { le: number[]; counts: number[]; sum: number; count: number } {
    return { le: [...this.le], counts: Array.from(this.counts), sum: this.sum, count: this.count };
  }
}

/** Buckets for one translator batch (tens of µs to tens of ms). */
export const BATCH_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
