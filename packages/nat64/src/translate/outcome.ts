/**
 * What `translate()` returns (STYLE §3–4). Drops are preallocated frozen
 * objects (`DROP[reason]`); forward/reply/forward-many results are one
 * mutable object per Translator, valid until its next call — the hot path
 * allocates nothing.
 *
 * - `forward`: the translated packet is in the INPUT buffer at
 *   `offset`..`offset+length` (in-place translation using headroom).
 * - `forward-many`: `count` packets (IPv6 fragments) written back to back in
 *   `out` from `outOff`; packet i is at `offsets[i]` with `lengths[i]`.
 * - `reply`: an ICMP message for the sender, in `out` at `offset`, `length`;
 *   `reason` says why the original was not forwarded.
 * - `drop`: nothing to send; `reason` is the metric label.
 */
import { DROP_REASONS, type DropReason } from '../metrics.js';

/** Translated packet in the input buffer. */
export interface ForwardOutcome {
  readonly kind: 'forward';
  readonly offset: number;
  readonly length: number;
}

/** Several packets (fragments) in `out`. */
export interface ForwardManyOutcome {
  readonly kind: 'forward-many';
  readonly count: number;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
}

/** An ICMP error (or reply) for the sender, in `out`. */
export interface ReplyOutcome {
  readonly kind: 'reply';
  readonly offset: number;
  readonly length: number;
  readonly reason: DropReason;
}

/** Nothing to send. */
export interface DropOutcome {
  readonly kind: 'drop';
  readonly reason: DropReason;
}

/** The result of one `translate()` call. */
export type Outcome = ForwardOutcome | ForwardManyOutcome | ReplyOutcome | DropOutcome;

/** One preallocated frozen drop outcome per reason. */
export const DROP: { readonly [K in DropReason]: DropOutcome } = Object.freeze(
  Object.fromEntries(DROP_REASONS.map((r) => [r, Object.freeze({ kind: 'drop', reason: r })])) as {
    [K in DropReason]: DropOutcome;
  },
);

/** Most packets one input can become (a 65535-byte IPv4 packet in 1280-byte fragments). */
export const MAX_FRAGMENTS = 56;

/** The reusable forward slot. */
export class ForwardSlot implements ForwardOutcome {
  readonly kind = 'forward' as const;
  offset = 0;
  length = 0;
}

/** The reusable forward-many slot. */
export class ForwardManySlot implements ForwardManyOutcome {
  readonly kind = 'forward-many' as const;
  count = 0;
  readonly offsets = new Int32Array(MAX_FRAGMENTS);
  readonly lengths = new Int32Array(MAX_FRAGMENTS);
}

/** The reusable reply slot. */
export class ReplySlot implements ReplyOutcome {
  readonly kind = 'reply' as const;
  offset = 0;
  length = 0;
  reason: DropReason = 'truncated';
}

/** Length of the IPv4 or IPv6 packet at `buf[off]` from its header, or -1. */
export function ipPacketLength(buf: Uint8Array, off: number): number {
  const v = buf[off]! >> 4;
  if (v === 4) return (buf[off + 2]! << 8) | buf[off + 3]!;
  if (v === 6) return 40 + ((buf[off + 4]! << 8) | buf[off + 5]!);
  return -1;
}
