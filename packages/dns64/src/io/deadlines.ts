/**
 * Timeouts of many outstanding requests on one timer. Entries are kept in
 * deadline order in an intrusive doubly linked list (the entry object itself
 * carries the links, so adding and removing allocate nothing); one
 * `setTimeout` is armed for the earliest deadline and, when it fires, expires
 * every entry that is due and re-arms for the next. Upstream queries of one
 * client all have the same timeout, so an entry is appended at the tail and
 * the order holds without a search; an entry with an earlier deadline walks
 * back from the tail to its place.
 */

/** The fields an entry carries for the queue; `deadline` is set by `add`. */
export interface DeadlineEntry {
  deadline: number;
  prev: DeadlineEntry | undefined;
  next: DeadlineEntry | undefined;
  /** True while the entry is in a queue. */
  queued: boolean;
}

/** Deadline-ordered entries on one timer; `onExpire` runs for each entry whose time is up (already removed). */
export class DeadlineQueue<T extends DeadlineEntry> {
  #head: DeadlineEntry | undefined;
  #tail: DeadlineEntry | undefined;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for (Infinity when it is not). */
  #armedFor = Infinity;
  readonly #fire = (): void => this.#expire();

  constructor(
    private readonly onExpire: (e: T) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Entries waiting. */
  get size(): number {
    return this.#size;
  }

  /** Queues `e` to expire `timeoutMs` from now; throws if it is already queued. */
  add(e: T, timeoutMs: number): void {
    if (e.queued) throw new Error('entry is already queued');
    e.deadline = this.clock() + timeoutMs;
    e.queued = true;
    let after = this.#tail;
    while (after !== undefined && after.deadline > e.deadline) after = after.prev;
    e.prev = after;
    e.next = after === undefined ? this.#head : after.next;
    if (e.prev === undefined) this.#head = e;
    else e.prev.next = e;
    if (e.next === undefined) this.#tail = e;
    else e.next.prev = e;
    this.#size++;
    if (this.#head === e) this.#arm();
  }

  /** Takes `e` out (its answer came, or it failed otherwise); does nothing when it is not queued. */
  remove(e: T): void {
    if (!e.queued) return;
    e.queued = false;
    if (e.prev === undefined) this.#head = e.next;
    else e.prev.next = e.next;
    if (e.next === undefined) this.#tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = undefined;
    e.next = undefined;
    this.#size--;
    // The timer stays armed: when it fires early it finds nothing due and re-arms for the new head.
    // Empty, it no longer holds the process open, and a query that comes before it fires needs no
    // new timer (one per query at a low, steady rate: each query alone in the queue).
    if (this.#size === 0) this.#timer?.unref();
  }

  /** Empties the queue without expiring anything; the entries are handed to `each` (already removed). */
  clear(each: (e: T) => void = () => undefined): void {
    while (this.#head !== undefined) {
      const e = this.#head as T;
      this.remove(e);
      each(e);
    }
    this.#disarm();
  }

  /** Whether a timer is armed and holds the process open (false while the queue is empty). */
  get holding(): boolean {
    return this.#timer?.hasRef() === true;
  }

  #arm(): void {
    const head = this.#head;
    if (head === undefined) return this.#disarm();
    if (this.#timer !== undefined && this.#armedFor <= head.deadline) {
      this.#timer.ref();
      return;
    }
    this.#disarm();
    this.#armedFor = head.deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(head.deadline - this.clock())));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.clock();
    // Entries added by onExpire (a retry) have later deadlines, so this loop ends.
    while (this.#head !== undefined && this.#head.deadline <= now) {
      const e = this.#head as T;
      this.remove(e);
      this.onExpire(e);
    }
    this.#arm();
  }
}
