/**
 * RFC 6888-style session logging: one JSON line per BIB/session create and
 * delete, with both tuples and a wall-clock timestamp. Events go through a
 * bounded queue that is flushed once per event-loop turn, so a burst of new
 * flows never blocks the packet loop; overflow is dropped and counted.
 */
import type { Writable } from 'node:stream';

/** What the translator reports (the shape of nat64's StateEvent). */
export interface LoggedEvent {
  readonly kind: string;
  readonly protocol: string;
  readonly ipv6: string;
  readonly ipv4: string;
  readonly remote4?: string;
  readonly reason?: string;
}

/** Counters of the session log. */
export interface SessionLogStats {
  written: number;
  dropped: number;
}

export class SessionLog {
  private queue: string[] = [];
  private scheduled = false;
  readonly counters: SessionLogStats = { written: 0, dropped: 0 };

  constructor(
    private readonly out: Writable,
    private readonly capacity = 10_000,
  ) {}

  /** Queues one event; drops (and counts) it when the queue is full. */
  push(e: LoggedEvent): void {
    if (this.queue.length >= this.capacity) {
      this.counters.dropped++;
      return;
    }
    this.queue.push(JSON.stringify({ time: new Date().toISOString(), msg: 'nat64-session', event: e.kind, protocol: e.protocol, ipv6: e.ipv6, ipv4: e.ipv4, remote4: e.remote4, reason: e.reason }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes everything queued as one chunk. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const lines = this.queue;
    this.queue = [];
    this.out.write(`${lines.join('\n')}\n`);
    this.counters.written += lines.length;
  }
}
