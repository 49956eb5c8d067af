/**
 * Flushes of batched sends, run at the end of the callback that queued them.
 *
 * The listener's answers and the upstream queries of one loop callback go
 * out together, one sendmmsg per socket. The two callbacks that do most of
 * the work (a listener's wake-up, an upstream socket's) open a batch scope
 * with `enterBatch`/`leaveBatch`: what they queue is flushed when the scope closes, with
 * nothing scheduled. Anything queued outside a scope (a timeout, a TCP
 * query, a test) is flushed in one microtask, as before.
 *
 * Module state: one event loop per thread, and a worker thread has its own
 * copy of this module.
 */

/** The flushes queued: the first `count` (the array is kept, not emptied, so it is not reallocated). */
const pending: ((() => void) | undefined)[] = [];
let count = 0;
let depth = 0;
let scheduled = false;

function runPending(): void {
  scheduled = false;
  // A flush may queue another (an answer completed by the first): run until none is left.
  for (let i = 0; i < count; i++) {
    const flush = pending[i]!;
    pending[i] = undefined;
    try {
      flush();
    } catch {
      // A flush counts its own failures; one that throws must not keep the others from running.
    }
  }
  count = 0;
}

/**
 * Runs `flush` when the current batch scope closes, or in a microtask when
 * none is open. The caller queues each flush once per batch (its own
 * "queued" flag).
 */
export function atBatchEnd(flush: () => void): void {
  pending[count++] = flush;
  if (depth === 0 && !scheduled) {
    scheduled = true;
    queueMicrotask(runPending);
  }
}

/**
 * Opens a batch scope: what is queued with `atBatchEnd` until the matching
 * `leaveBatch` is flushed then. Pair them with try/finally.
 */
export function enterBatch(): void {
  depth++;
}

/** Closes a batch scope; the outermost one runs the flushes queued inside it. */
export function leaveBatch(): void {
  if (--depth === 0 && !scheduled && count > 0) runPending();
}
