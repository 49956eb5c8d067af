/**
 * Time for the translator comes only from an injected clock (milliseconds,
 * monotonic). Tests use a fake; the daemon passes `performance.now`-based time.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
}
