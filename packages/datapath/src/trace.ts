/**
 * What the packet loop tells a live trace. The loop reads `active` once per
 * batch and copies nothing while it is false; the daemon passes the admin
 * API's TraceHub, which matches subscribers' filters and builds the records.
 */
import type { Nat64Prefix } from '@sixgate/addressing';

export interface PacketTrace {
  /** True while someone listens: only then does the loop copy packets and call `packet`. */
  readonly active: boolean;
  /**
   * One translator decision about `before` (the packet as received, a copy);
   * `after` is what was written (undefined for drops and replies not written).
   */
  packet(prefix: Nat64Prefix, before: Uint8Array, decision: string, reason: string | undefined, after: Uint8Array | undefined): void;
}

/** A trace nobody listens to (tests, benchmarks). */
export const NO_TRACE: PacketTrace = { active: false, packet: () => undefined };
