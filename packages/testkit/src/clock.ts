/**
 * A manual clock for tests: structurally compatible with nat64's `Clock`
 * (`now(): number`, milliseconds, monotonic). Time moves only when told.
 */

/** A clock that only moves when `advance`d. */
export class FakeClock {
  private t: number;

  /** Starts at `startMs` (default 0). */
  constructor(startMs = 0) {
    this.t = startMs;
  }

  /** Current time in milliseconds. */
  now(): number {
    return this.t;
  }

  /** Moves time forward by `ms` (must be ≥ 0: the clock is monotonic); returns the new time. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ${ms} is not a non-negative number`);
    this.t += ms;
    return this.t;
  }
}
