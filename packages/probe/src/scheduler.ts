/**
 * Continuous probes: each target runs every `intervalMs` (± jitter), at most
 * `concurrency` runs at once, never two runs of one target at once; the last
 * result of each is kept for the API, the metrics and the health.
 */
import type { ScheduledTarget } from './config.js';
import { passed, type ProbeResult } from './result.js';
import type { Target } from './targets.js';

export interface SchedulerOptions {
  /** Most runs at once (default 4). */
  readonly concurrency?: number;
  /** Fraction of the interval each delay may move by, 0 to 0.5 (default 0.1). */
  readonly jitter?: number;
  /** Random in [0, 1) (injected in tests). */
  readonly random?: () => number;
  /** Called after each run. */
  readonly onResult?: (r: ProbeResult, s: ScheduledTarget) => void;
}

/** One target's state, as GET /api/v1/probes shows it. */
export interface ProbeState {
  readonly target: string;
  readonly critical: boolean;
  readonly intervalSeconds: number;
  readonly running: boolean;
  readonly runs: number;
  readonly failures: number;
  readonly last?: ProbeResult;
  readonly nextRunAt?: string;
}

interface Slot {
  readonly s: ScheduledTarget;
  running: boolean;
  runs: number;
  failures: number;
  last?: ProbeResult;
  timer?: NodeJS.Timeout;
  nextAt?: number;
}

export class ProbeScheduler {
  private readonly slots: Slot[];
  private readonly concurrency: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private stopped = true;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    targets: readonly ScheduledTarget[],
    private readonly run: (t: Target) => Promise<ProbeResult>,
    private readonly opts: SchedulerOptions = {},
  ) {
    this.slots = targets.map((s) => ({ s, running: false, runs: 0, failures: 0 }));
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.jitter = Math.min(0.5, Math.max(0, opts.jitter ?? 0.1));
    this.random = opts.random ?? Math.random;
  }

  /** Schedules every target; the first runs spread over the first interval's jitter window (and 0-2 s). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const slot of this.slots) this.schedule(slot, this.random() * Math.min(2000 + slot.s.intervalMs * this.jitter, slot.s.intervalMs));
  }

  /** Cancels the timers and waits for runs under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots) clearTimeout(slot.timer);
    for (const w of this.waiting.splice(0)) w();
    await Promise.allSettled([...this.inflight]);
  }

  /** The last result of each target, in configuration order. */
  states(): ProbeState[] {
    return this.slots.map((x) => ({
      target: x.s.target.text,
      critical: x.s.critical,
      intervalSeconds: x.s.intervalMs / 1000,
      running: x.running,
      runs: x.runs,
      failures: x.failures,
      ...(x.last ? { last: x.last } : {}),
      ...(x.nextAt !== undefined && !x.running ? { nextRunAt: new Date(x.nextAt).toISOString() } : {}),
    }));
  }

  /** Critical targets whose last run failed. */
  criticalFailures(): ProbeResult[] {
    return this.slots.filter((x) => x.s.critical && x.last !== undefined && !passed(x.last)).map((x) => x.last!);
  }

  private delay(slot: Slot): number {
    const j = slot.s.intervalMs * this.jitter;
    return Math.max(0, slot.s.intervalMs - j + 2 * j * this.random());
  }

  private schedule(slot: Slot, ms: number): void {
    if (this.stopped) return;
    slot.nextAt = Date.now() + ms;
    slot.timer = setTimeout(() => this.fire(slot), ms);
    slot.timer.unref?.();
  }

  private fire(slot: Slot): void {
    if (this.stopped || slot.running) return;
    slot.running = true;
    const p = this.runOne(slot).finally(() => {
      this.inflight.delete(p);
      slot.running = false;
      this.schedule(slot, this.delay(slot));
    });
    this.inflight.add(p);
  }

  private async runOne(slot: Slot): Promise<void> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    if (this.stopped) return;
    this.active++;
    try {
      const r = await this.run(slot.s.target);
      slot.last = r;
      slot.runs++;
      if (!passed(r)) slot.failures++;
      this.opts.onResult?.(r, slot.s);
    } catch {
      // run() turns failures into results; an exception here is a bug in a port: count the run as failed.
      slot.runs++;
      slot.failures++;
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
