/**
 * The bounded queue between the packet path and the sync link: a ring of
 * preallocated sync records (48 bytes each). `push` is what the state's
 * `onSync` hook calls on the packet path: it copies one session into the next
 * slot and returns, allocating nothing; when the ring is full the record is
 * dropped and counted (the sender then owes the peer a bulk resync).
 */
import { SYNC_WORDS } from '@sixgate/nat64';
import { HaError } from './errors.js';

/** What the queue needs of the state tables (nat64's `Nat64State`). */
export interface SessionExporter {
  exportSession(s: number, op: number, out: Int32Array, off: number): boolean;
}

export class SyncQueue {
  readonly capacity: number;
  readonly words: Int32Array;
  private head = 0;
  private len = 0;
  /** Records dropped because the ring was full, since start. */
  drops = 0;
  /** Records accepted, since start. */
  pushed = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) throw new HaError('ERR_HA_OPTIONS', `queue capacity must be 1..16777216 records, got ${String(capacity)}`);
    this.capacity = capacity;
    this.words = new Int32Array(capacity * SYNC_WORDS);
  }

  get length(): number {
    return this.len;
  }

  /** Copies session `s` of `state` with `op` into the ring; false when dropped (full) or not a live session. */
  push(state: SessionExporter, op: number, s: number): boolean {
    if (this.len === this.capacity) {
      this.drops++;
      return false;
    }
    let slot = this.head + this.len;
    if (slot >= this.capacity) slot -= this.capacity;
    if (!state.exportSession(s, op, this.words, slot * SYNC_WORDS)) return false;
    this.len++;
    this.pushed++;
    return true;
  }

  /** Word offset of the i-th queued record (0 = oldest). */
  at(i: number): number {
    let slot = this.head + i;
    if (slot >= this.capacity) slot -= this.capacity;
    return slot * SYNC_WORDS;
  }

  /** Forgets the `n` oldest records (after they were framed). */
  consume(n: number): void {
    const k = Math.min(n, this.len);
    this.head = (this.head + k) % this.capacity;
    this.len -= k;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }
}
