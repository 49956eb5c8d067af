/**
 * Struct-of-arrays storage for bindings (BIB entries), sessions and IPv6
 * clients. Each record is a row number; columns are typed arrays that double
 * when full. Free rows form a list through one column, so creating and
 * deleting never allocates once the arrays are large enough.
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

export class Bindings {
  cap: number;
  count = 0;
  /** Rows ever used (high-water mark); rows below it are live or on the free list. */
  top = 0;
  private freeHead = -1;
  proto: Uint8Array;
  /** IPv6 address as 4 big-endian int32 words per row. */
  a6: Int32Array;
  port6: Uint16Array;
  addr4: Uint32Array;
  /** pool4 index of addr4. */
  aidx: Int32Array;
  port4: Uint16Array;
  sessions: Uint32Array;
  /** 1 static, 0 dynamic; 255 = free row. */
  kind: Uint8Array;
  client: Int32Array;
  /** First session of this binding (-1 none); also the free-list link. */
  head: Int32Array;

  constructor(cap = 256) {
    this.cap = cap;
    this.proto = new Uint8Array(cap);
    this.a6 = new Int32Array(cap * 4);
    this.port6 = new Uint16Array(cap);
    this.addr4 = new Uint32Array(cap);
    this.aidx = new Int32Array(cap);
    this.port4 = new Uint16Array(cap);
    this.sessions = new Uint32Array(cap);
    this.kind = new Uint8Array(cap).fill(255);
    this.client = new Int32Array(cap);
    this.head = new Int32Array(cap);
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
    this.kind[r] = 255;
    this.head[r] = this.freeHead;
    this.freeHead = r;
    this.count--;
  }

  live(r: number): boolean {
    return this.kind[r] !== 255;
  }

  get bytes(): number {
    return this.cap * (1 + 16 + 2 + 4 + 4 + 2 + 4 + 1 + 4 + 4);
  }

  private grow(): void {
    const n = this.cap * 2;
    this.proto = grown(this.proto, n);
    this.a6 = grown(this.a6, n * 4);
    this.port6 = grown(this.port6, n);
    this.addr4 = grown(this.addr4, n);
    this.aidx = grown(this.aidx, n);
    this.port4 = grown(this.port4, n);
    this.sessions = grown(this.sessions, n);
    const kind = new Uint8Array(n).fill(255);
    kind.set(this.kind);
    this.kind = kind;
    this.client = grown(this.client, n);
    this.head = grown(this.head, n);
    this.cap = n;
  }
}

export class Sessions {
  cap: number;
  count = 0;
  top = 0;
  private freeHead = -1;
  /** Binding row; -1 = free row. */
  bind: Int32Array;
  remote4: Uint32Array;
  /** Remote port (0 for ICMP: the identifier lives in the binding). */
  rport: Uint16Array;
  /** TCP state (tcp.ts); ESTABLISHED for UDP/ICMP. */
  state: Uint8Array;
  timer: Uint8Array;
  expires: Float64Array;
  tprev: Int32Array;
  /** Next in the timer list; also the free-list link. */
  tnext: Int32Array;
  bprev: Int32Array;
  bnext: Int32Array;
  readonly thead = new Int32Array(TIMER_CLASSES).fill(-1);
  readonly ttail = new Int32Array(TIMER_CLASSES).fill(-1);

  constructor(cap = 256) {
    this.cap = cap;
    this.bind = new Int32Array(cap).fill(-1);
    this.remote4 = new Uint32Array(cap);
    this.rport = new Uint16Array(cap);
    this.state = new Uint8Array(cap);
    this.timer = new Uint8Array(cap);
    this.expires = new Float64Array(cap);
    this.tprev = new Int32Array(cap);
    this.tnext = new Int32Array(cap);
    this.bprev = new Int32Array(cap);
    this.bnext = new Int32Array(cap);
  }

  alloc(): number {
    let r = this.freeHead;
    if (r >= 0) {
      this.freeHead = this.tnext[r]!;
    } else {
      if (this.top === this.cap) this.grow();
      r = this.top++;
    }
    this.count++;
    return r;
  }

  free(r: number): void {
    this.bind[r] = -1;
    this.tnext[r] = this.freeHead;
    this.freeHead = r;
    this.count--;
  }

  /** Appends `r` to timer class `t` with expiry `at` (the caller keeps each list sorted). */
  timerAppend(r: number, t: number, at: number): void {
    this.timer[r] = t;
    this.expires[r] = at;
    const tail = this.ttail[t]!;
    this.tprev[r] = tail;
    this.tnext[r] = -1;
    if (tail >= 0) this.tnext[tail] = r;
    else this.thead[t] = r;
    this.ttail[t] = r;
  }

  /** Inserts `r` into class `t` at its place by expiry, searching from the tail (restore only). */
  timerInsertSorted(r: number, t: number, at: number): void {
    let after = this.ttail[t]!;
    while (after >= 0 && this.expires[after]! > at) after = this.tprev[after]!;
    if (after === this.ttail[t]) return this.timerAppend(r, t, at);
    this.timer[r] = t;
    this.expires[r] = at;
    const next = after >= 0 ? this.tnext[after]! : this.thead[t]!;
    this.tprev[r] = after;
    this.tnext[r] = next;
    this.tprev[next] = r;
    if (after >= 0) this.tnext[after] = r;
    else this.thead[t] = r;
  }

  timerUnlink(r: number): void {
    const t = this.timer[r]!;
    const p = this.tprev[r]!;
    const n = this.tnext[r]!;
    if (p >= 0) this.tnext[p] = n;
    else this.thead[t] = n;
    if (n >= 0) this.tprev[n] = p;
    else this.ttail[t] = p;
  }

  get bytes(): number {
    return this.cap * (4 + 4 + 2 + 1 + 1 + 8 + 4 * 4);
  }

  private grow(): void {
    const n = this.cap * 2;
    const bind = new Int32Array(n).fill(-1);
    bind.set(this.bind);
    this.bind = bind;
    this.remote4 = grown(this.remote4, n);
    this.rport = grown(this.rport, n);
    this.state = grown(this.state, n);
    this.timer = grown(this.timer, n);
    this.expires = grown(this.expires, n);
    this.tprev = grown(this.tprev, n);
    this.tnext = grown(this.tnext, n);
    this.bprev = grown(this.bprev, n);
    this.bnext = grown(this.bnext, n);
    this.cap = n;
  }
}

/** IPv6 clients: per-address session count (limits) and paired pool4 address. */
export class Clients {
  cap: number;
  count = 0;
  top = 0;
  private freeHead = -1;
  a6: Int32Array;
  sessions: Uint32Array;
  bindings: Uint32Array;
  /** pool4 index used for this client's bindings (RFC 6146 §3.5.1.1 paired pooling). */
  pool: Int32Array;

  constructor(cap = 64) {
    this.cap = cap;
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
    this.count--;
  }

  get bytes(): number {
    return this.cap * (16 + 4 + 4 + 4);
  }

  private grow(): void {
    const n = this.cap * 2;
    this.a6 = grown(this.a6, n * 4);
    this.sessions = grown(this.sessions, n);
    this.bindings = grown(this.bindings, n);
    this.pool = grown(this.pool, n);
    this.cap = n;
  }
}
