/**
 * Event-loop lag: how late a timer fires behind its schedule, which is how
 * long a datagram that just arrived (an upstream answer, a query) waits for
 * the turn in progress to end. Sampled by Node's `monitorEventLoopDelay` (a
 * libuv timer in C, no JS per sample); the p99 and maximum of the last
 * complete window are what `stats()` reports (`sixgate_dns64_event_loop_lag_*`).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Lag of the last complete window, in seconds. */
export interface LoopLag {
  readonly p99: number;
  readonly max: number;
}

/** Samples every `resolutionMs`, reports per `windowMs`. */
export class LoopLagMonitor {
  #h: IntervalHistogram | undefined;
  #timer: NodeJS.Timeout | undefined;
  #last: LoopLag = { p99: 0, max: 0 };

  constructor(
    private readonly windowMs = 10_000,
    private readonly resolutionMs = 10,
  ) {}

  start(): void {
    if (this.#h !== undefined) return;
    const h = monitorEventLoopDelay({ resolution: this.resolutionMs });
    h.enable();
    this.#h = h;
    this.#timer = setInterval(() => this.#rotate(), this.windowMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#h?.disable();
    this.#h = undefined;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The last complete window; before the first one ends, what has been seen so far. */
  get lag(): LoopLag {
    return this.#last.max === 0 && this.#h !== undefined ? this.#read(this.#h) : this.#last;
  }

  #read(h: IntervalHistogram): LoopLag {
    // The histogram holds whole intervals between samples (the resolution included: an idle
    // loop reads about 10 ms), in nanoseconds; the lag is what exceeds the resolution. Empty → 0.
    if (h.count === 0) return { p99: 0, max: 0 };
    const beyond = (ns: number): number => Math.max(0, ns / 1e9 - this.resolutionMs / 1e3);
    return { p99: beyond(h.percentile(99)), max: beyond(h.max) };
  }

  #rotate(): void {
    const h = this.#h;
    if (h === undefined) return;
    this.#last = this.#read(h);
    h.reset();
  }
}
