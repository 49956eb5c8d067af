/**
 * Storage for bindings (BIB entries), sessions and IPv6 clients.
 *
 * Each record is a row number. The fields read on every packet sit together
 * in one 32-byte record (8 int32 in one typed array, a float64 view for the
 * session expiry), so an established-flow lookup touches one cache line and
 * one page per table instead of one per field; rarely used fields are
 * separate columns. Free rows form a list through one field, so creating and
 * deleting allocate nothing.
 *
 * Growth never stalls a packet: a table starts small (tests and idle states
 * stay cheap) and, the first time it fills, goes straight to rows for the
 * state's session limit (`reservedRows`), copying only its few initial rows.
 * A typed array of that size costs address space, not memory: its pages are
 * zero pages the kernel maps on first touch (the allocator takes a block that
 * large from mmap), so a new row costs at most a page fault and an idle
 * table holds almost nothing. Rows past `top` are never read. Only a table
 * that needs more rows than it reserved (static bindings beyond the session
 * limit, a limit above `MAX_RESERVED_ROWS`, or a reservation the system
 * refused) doubles in one copy after that.
 *
 * Sessions also carry two intrusive doubly-linked lists:
 * - the timer list of their timeout class (RFC 6146 §3.5.2/§3.5.3 lifetimes).
 *   Within one class every session gets the same lifetime, so the list is
 *   ordered by expiry when new and refreshed sessions go to the tail;
 *   expiring is popping heads, O(expired).
 * - the list of sessions of their binding (for address-dependent filtering
 *   and for removing a binding with its sessions).
 */

type Column = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/** The most rows a table reserves up front (16 M: 576 MB of address space for sessions). */
export const MAX_RESERVED_ROWS = 1 << 24;

/** Rows to make a table with: its limit (capped), at least `initial`. */
export function reservedRows(initial: number, limit: number): number {
  return Math.max(initial, Math.min(limit, MAX_RESERVED_ROWS));
}

/**
 * Grows a table of `cap` rows: straight to its reservation `want` the first
 * time (a copy of the few initial rows), doubling after that. If the system
 * refuses the reservation (a strict overcommit policy), doubles instead.
 */
function growTo(cap: number, want: number, make: (n: number) => void): number {
  const n = cap < want ? want : cap * 2;
  try {
    make(n);
    return n;
  } catch (e) {
    if (!(e instanceof RangeError) || n === cap * 2) throw e;
    make(cap * 2);
    return cap * 2;
  }
}

function grown<T extends Column>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** Timer classes (index into the timer lists). */
export const T_UDP = 0;
export const T_EST = 1;
export const T_TRANS = 2;
export const T_ICMP = 3;
export const TIMER_CLASSES = 4;

/** Binding record layout (int32 words). */
export const B_STRIDE = 8;
/** proto (bits 0-7) | kind << 8 (0 dynamic, 1 static, 255 free). */
export const B_PK = 0;
/** Words 1-4: the IPv6 address, big-endian words. */
export const B_A6 = 1;
export const B_ADDR4 = 5;
/** port6 | port4 << 16. */
export const B_PORTS = 6;
export const B_CLIENT = 7;
export const FREE = 255;

export class Bindings {
  cap: number;
  /** Rows to grow to the first time (see the module doc). */
  private readonly want: number;
  count = 0;
  /** Rows ever used (high-water mark); rows below it are live or on the free list. */
  top = 0;
  private freeHead = -1;
  rec: Int32Array;
  /** Sessions of the binding. */
  sessions: Uint32Array;
  /** First session of this binding (-1 none); also the free-list link. */
  head: Int32Array;
  /** pool4 index of the IPv4 address. */
  aidx: Int32Array;

  /** `cap` rows now, `reservedRows(cap, limit)` at the first growth (see the module doc). */
  constructor(cap = 256, limit = 0) {
    this.cap = cap;
    this.want = reservedRows(cap, limit);
    this.rec = new Int32Array(cap * B_STRIDE);
    this.sessions = new Uint32Array(cap);
    this.head = new Int32Array(cap);
    this.aidx = new Int32Array(cap);
  }

  alloc(): number {
    let r = this.freeHead;
    if (r >= 0) {
      this.freeHead = this.head[r]!;
    } else {
      if (this.top === this.cap) this.grow();
      r = this.top++;
    }
    this.count++;
    this.head[r] = -1;
    this.sessions[r] = 0;
    return r;
  }

  free(r: number): void {
    this.rec[r * B_STRIDE + B_PK] = FREE << 8;
    this.head[r] = this.freeHead;
    this.freeHead = r;
    this.count--;
  }

  live(r: number): boolean {
    return r < this.top && this.kind(r) !== FREE;
  }

  proto(r: number): number {
    return this.rec[r * B_STRIDE + B_PK]! & 0xff;
  }

  kind(r: number): number {
    return (this.rec[r * B_STRIDE + B_PK]! >>> 8) & 0xff;
  }

  word(r: number, i: number): number {
    return this.rec[r * B_STRIDE + B_A6 + i]!;
  }

  addr4(r: number): number {
    return this.rec[r * B_STRIDE + B_ADDR4]! >>> 0;
  }

  port6(r: number): number {
    return this.rec[r * B_STRIDE + B_PORTS]! & 0xffff;
  }

  port4(r: number): number {
    return this.rec[r * B_STRIDE + B_PORTS]! >>> 16;
  }

  client(r: number): number {
    return this.rec[r * B_STRIDE + B_CLIENT]!;
  }

  /** Bytes of the rows ever used (the reserved rest is untouched address space). */
  get bytes(): number {
    return this.top * (B_STRIDE * 4 + 4 + 4 + 4);
  }

  /** Grows (in one step) to hold at least `n` rows, if it reserved fewer: a carry-over sizes the new tables once instead of doubling as it goes. */
  reserve(n: number): void {
    while (this.cap < n) this.grow();
  }

  /** Takes the reservation now (see the module doc) instead of at the first growth. */
  reserveAll(): void {
    if (this.cap < this.want) this.grow();
  }

  private grow(): void {
    this.cap = growTo(this.cap, this.want, (n) => {
      const rec = grown(this.rec, n * B_STRIDE);
      const sessions = grown(this.sessions, n);
      const head = grown(this.head, n);
      const aidx = grown(this.aidx, n);
      this.rec = rec;
      this.sessions = sessions;
      this.head = head;
      this.aidx = aidx;
    });
  }
}

/** Session record layout: 8 int32 words; the float64 at word 6-7 is the expiry. */
export const S_STRIDE = 8;
/** Binding row; -1 = free row. */
export const S_BIND = 0;
export const S_REMOTE4 = 1;
/** remote port | TCP state << 16 | timer class << 24. */
export const S_PST = 2;
export const S_TPREV = 3;
/** Next in the timer list; also the free-list link. */
export const S_TNEXT = 4;
export const S_BNEXT = 5;
/** Index of the expiry in the float64 view (word 6). */
export const S_EXP64 = 3;

export class Sessions {
  cap: number;
  /** Rows to grow to the first time (see the module doc). */
  private readonly want: number;
  count = 0;
  top = 0;
  private freeHead = -1;
  rec: Int32Array;
  exp: Float64Array;
  bprev: Int32Array;
  readonly thead = new Int32Array(TIMER_CLASSES).fill(-1);
  readonly ttail = new Int32Array(TIMER_CLASSES).fill(-1);
  /**
   * While sessions are carried over from an older state (core.ts), the last
   * carried session of each timer list: carried sessions form each list's
   * prefix (their expiries are at most the commit time + lifetime, below any
   * session set after the commit), -1 when there is none.
   */
  readonly carryTail = new Int32Array(TIMER_CLASSES).fill(-1);

  /** `cap` rows now, `reservedRows(cap, limit)` at the first growth (see the module doc). Rows past `top` are never read, so they need no "free" mark. */
  constructor(cap = 256, limit = 0) {
    this.cap = cap;
    this.want = reservedRows(cap, limit);
    this.rec = new Int32Array(cap * S_STRIDE);
    this.exp = new Float64Array(this.rec.buffer);
    this.bprev = new Int32Array(cap);
  }

  alloc(): number {
    let r = this.freeHead;
    if (r >= 0) {
      this.freeHead = this.rec[r * S_STRIDE + S_TNEXT]!;
    } else {
      if (this.top === this.cap) this.grow();
      r = this.top++;
    }
    this.count++;
    return r;
  }

  free(r: number): void {
    this.rec[r * S_STRIDE + S_BIND] = -1;
    this.rec[r * S_STRIDE + S_TNEXT] = this.freeHead;
    this.freeHead = r;
    this.count--;
  }

  bind(r: number): number {
    return this.rec[r * S_STRIDE + S_BIND]!;
  }

  remote4(r: number): number {
    return this.rec[r * S_STRIDE + S_REMOTE4]! >>> 0;
  }

  rport(r: number): number {
    return this.rec[r * S_STRIDE + S_PST]! & 0xffff;
  }

  state(r: number): number {
    return (this.rec[r * S_STRIDE + S_PST]! >>> 16) & 0xff;
  }

  setState(r: number, st: number): void {
    const i = r * S_STRIDE + S_PST;
    this.rec[i] = (this.rec[i]! & ~0xff0000) | (st << 16);
  }

  timer(r: number): number {
    return this.rec[r * S_STRIDE + S_PST]! >>> 24;
  }

  expires(r: number): number {
    return this.exp[r * (S_STRIDE / 2) + S_EXP64]!;
  }

  tprev(r: number): number {
    return this.rec[r * S_STRIDE + S_TPREV]!;
  }

  tnext(r: number): number {
    return this.rec[r * S_STRIDE + S_TNEXT]!;
  }

  bnext(r: number): number {
    return this.rec[r * S_STRIDE + S_BNEXT]!;
  }

  /** Appends `r` to timer class `t` with expiry `at` (the caller keeps each list sorted). */
  timerAppend(r: number, t: number, at: number): void {
    this.exp[r * (S_STRIDE / 2) + S_EXP64] = at;
    this.timerLink(r, t);
  }

  /**
   * Appends `r`, whose expiry is already written, to timer class `t`. (The hot
   * path writes the float64 expiry itself: passing a double to a call that is
   * not inlined would box it.)
   */
  timerLink(r: number, t: number): void {
    const rec = this.rec;
    const o = r * S_STRIDE;
    rec[o + S_PST] = (rec[o + S_PST]! & 0xffffff) | (t << 24);
    const tail = this.ttail[t]!;
    rec[o + S_TPREV] = tail;
    rec[o + S_TNEXT] = -1;
    if (tail >= 0) rec[tail * S_STRIDE + S_TNEXT] = r;
    else this.thead[t] = r;
    this.ttail[t] = r;
  }

  /** Inserts `r` into class `t` at its place by expiry, searching from the tail (restore only). */
  timerInsertSorted(r: number, t: number, at: number): void {
    let after = this.ttail[t]!;
    while (after >= 0 && this.expires(after) > at) after = this.tprev(after);
    if (after === this.ttail[t]) return this.timerAppend(r, t, at);
    const rec = this.rec;
    const o = r * S_STRIDE;
    rec[o + S_PST] = (rec[o + S_PST]! & 0xffffff) | (t << 24);
    this.exp[r * (S_STRIDE / 2) + S_EXP64] = at;
    const next = after >= 0 ? this.tnext(after) : this.thead[t]!;
    rec[o + S_TPREV] = after;
    rec[o + S_TNEXT] = next;
    rec[next * S_STRIDE + S_TPREV] = r;
    if (after >= 0) rec[after * S_STRIDE + S_TNEXT] = r;
    else this.thead[t] = r;
  }

  /**
   * Inserts carried session `r` into list `t` by expiry within the carried
   * prefix, searching back from its end at most `maxSteps` places; past
   * that, the expiry is raised to the neighbour's (a session found that far
   * out of order expires a little late instead of unsorting the list).
   */
  timerInsertCarried(r: number, t: number, at: number, maxSteps: number): void {
    let after = this.carryTail[t]!;
    for (let k = 0; k < maxSteps && after >= 0 && this.expires(after) > at; k++) after = this.tprev(after);
    if (after >= 0 && this.expires(after) > at) at = this.expires(after);
    const rec = this.rec;
    const o = r * S_STRIDE;
    rec[o + S_PST] = (rec[o + S_PST]! & 0xffffff) | (t << 24);
    this.exp[r * (S_STRIDE / 2) + S_EXP64] = at;
    const next = after >= 0 ? this.tnext(after) : this.thead[t]!;
    rec[o + S_TPREV] = after;
    rec[o + S_TNEXT] = next;
    if (next >= 0) rec[next * S_STRIDE + S_TPREV] = r;
    else this.ttail[t] = r;
    if (after >= 0) rec[after * S_STRIDE + S_TNEXT] = r;
    else this.thead[t] = r;
    if (after === this.carryTail[t]) this.carryTail[t] = r;
  }

  /** Inserts `r` into class `t` right after `after` (a member of that list), with expiry `at`; the caller keeps the order (sync import). */
  timerInsertAfter(r: number, t: number, at: number, after: number): void {
    const rec = this.rec;
    const o = r * S_STRIDE;
    rec[o + S_PST] = (rec[o + S_PST]! & 0xffffff) | (t << 24);
    this.exp[r * (S_STRIDE / 2) + S_EXP64] = at;
    const next = this.tnext(after);
    rec[o + S_TPREV] = after;
    rec[o + S_TNEXT] = next;
    rec[after * S_STRIDE + S_TNEXT] = r;
    if (next >= 0) rec[next * S_STRIDE + S_TPREV] = r;
    else this.ttail[t] = r;
  }

  /** Inserts `r` into class `t` at its place by expiry, searching from the head (sync import of a session expiring soon). */
  timerInsertFromHead(r: number, t: number, at: number): void {
    let before = this.thead[t]!;
    while (before >= 0 && this.expires(before) <= at) before = this.tnext(before);
    if (before < 0) return this.timerAppend(r, t, at);
    const prev = this.tprev(before);
    if (prev >= 0) return this.timerInsertAfter(r, t, at, prev);
    // A new head.
    const rec = this.rec;
    const o = r * S_STRIDE;
    rec[o + S_PST] = (rec[o + S_PST]! & 0xffffff) | (t << 24);
    this.exp[r * (S_STRIDE / 2) + S_EXP64] = at;
    rec[o + S_TPREV] = -1;
    rec[o + S_TNEXT] = before;
    rec[before * S_STRIDE + S_TPREV] = r;
    this.thead[t] = r;
  }

  timerUnlink(r: number): void {
    const rec = this.rec;
    const o = r * S_STRIDE;
    const t = rec[o + S_PST]! >>> 24;
    const p = rec[o + S_TPREV]!;
    const n = rec[o + S_TNEXT]!;
    if (this.carryTail[t] === r) this.carryTail[t] = p;
    if (p >= 0) rec[p * S_STRIDE + S_TNEXT] = n;
    else this.thead[t] = n;
    if (n >= 0) rec[n * S_STRIDE + S_TPREV] = p;
    else this.ttail[t] = p;
  }

  /** Bytes of the rows ever used (the reserved rest is untouched address space). */
  get bytes(): number {
    return this.top * (S_STRIDE * 4 + 4);
  }

  /** Grows (in one step) to hold at least `n` rows, if it reserved fewer: a carry-over sizes the new tables once instead of doubling as it goes. */
  reserve(n: number): void {
    while (this.cap < n) this.grow();
  }

  /** Takes the reservation now (see the module doc) instead of at the first growth. */
  reserveAll(): void {
    if (this.cap < this.want) this.grow();
  }

  private grow(): void {
    this.cap = growTo(this.cap, this.want, (n) => {
      const rec = grown(this.rec, n * S_STRIDE);
      const bprev = grown(this.bprev, n);
      this.rec = rec;
      this.exp = new Float64Array(rec.buffer);
      this.bprev = bprev;
    });
  }
}

/** IPv6 clients: per-address session count (limits) and paired pool4 address. */
export class Clients {
  cap: number;
  /** Rows to grow to the first time (see the module doc). */
  private readonly want: number;
  count = 0;
  top = 0;
  private freeHead = -1;
  a6: Int32Array;
  sessions: Uint32Array;
  bindings: Uint32Array;
  /** pool4 index used for this client's bindings (RFC 6146 §3.5.1.1 paired pooling). */
  pool: Int32Array;

  /** `cap` rows now, `reservedRows(cap, limit)` at the first growth (see the module doc). */
  constructor(cap = 64, limit = 0) {
    this.cap = cap;
    this.want = reservedRows(cap, limit);
    this.a6 = new Int32Array(cap * 4);
    this.sessions = new Uint32Array(cap);
    this.bindings = new Uint32Array(cap);
    this.pool = new Int32Array(cap);
  }

  alloc(): number {
    let r = this.freeHead;
    if (r >= 0) {
      this.freeHead = this.pool[r]!;
    } else {
      if (this.top === this.cap) this.grow();
      r = this.top++;
    }
    this.count++;
    this.sessions[r] = 0;
    this.bindings[r] = 0;
    return r;
  }

  free(r: number): void {
    this.pool[r] = this.freeHead;
    this.freeHead = r;
    this.bindings[r] = 0;
    this.count--;
  }

  /** Bytes of the rows ever used (the reserved rest is untouched address space). */
  get bytes(): number {
    return this.top * (16 + 4 + 4 + 4);
  }

  /** Grows (in one step) to hold at least `n` rows, if it reserved fewer: a carry-over sizes the new tables once instead of doubling as it goes. */
  reserve(n: number): void {
    while (this.cap < n) this.grow();
  }

  /** Takes the reservation now (see the module doc) instead of at the first growth. */
  reserveAll(): void {
    if (this.cap < this.want) this.grow();
  }

  private grow(): void {
    this.cap = growTo(this.cap, this.want, (n) => {
      const a6 = grown(this.a6, n * 4);
      const sessions = grown(this.sessions, n);
      const bindings = grown(this.bindings, n);
      const pool = grown(this.pool, n);
      this.a6 = a6;
      this.sessions = sessions;
      this.bindings = bindings;
      this.pool = pool;
    });
  }
}
