/**
 * Diagnoses as pure functions of what the steps saw: an errno code or a
 * timeout, and two readings of the translator's counters around the attempt.
 */
import { EXHAUSTED, TCP_REFUSED, translationRefusedByPolicy, translatorDropped, unreachableFromPool4 } from './diagnoses.js';
import type { TranslatorCounters } from './ports.js';

/** Drop reasons that mean "the session table or a pool4 range is full" (nat64's DropReason names). */
export const EXHAUSTION_DROPS = ['pool-exhausted', 'session-limit', 'client-session-limit'] as const;
/** Drop reasons that stop a new outbound flow at the translator itself. */
export const FLOW_DROPS = ['forbidden-destination', 'non-global-ipv4', 'unsupported-protocol', 'ttl-expired', 'not-nat64-destination'] as const;

/** What changed in the counters while a probe's packets went through. */
export interface CounterDelta {
  readonly exhausted: boolean;
  readonly policyDeny: boolean;
  /** A flow-stopping drop reason that grew, if any. */
  readonly drop?: string;
  /** Packets were translated IPv6 → IPv4 / IPv4 → IPv6. */
  readonly sent: boolean;
  readonly received: boolean;
}

const grew = (b: TranslatorCounters, a: TranslatorCounters, reason: string): boolean => (a.drops[reason] ?? 0) > (b.drops[reason] ?? 0);

export function counterDelta(before: TranslatorCounters, after: TranslatorCounters): CounterDelta {
  const drop = FLOW_DROPS.find((r) => grew(before, after, r));
  return {
    exhausted: EXHAUSTION_DROPS.some((r) => grew(before, after, r)) || (after.pool4Size > 0 && after.pool4Used >= after.pool4Size),
    policyDeny: grew(before, after, 'policy-deny'),
    ...(drop ? { drop } : {}),
    sent: after.packets6to4 > before.packets6to4,
    received: after.packets4to6 > before.packets4to6,
  };
}

/** What was sent, in the words of the diagnosis. */
export type Probe = 'SYN' | 'datagram' | 'echo request';

/**
 * Names why an attempt got no answer or an error. `code` is an errno code
 * (ECONNREFUSED, EHOSTUNREACH, EACCES, …) or "timeout"; `rule` is the policy
 * rule that refuses this flow, when the policy port named one.
 */
export function diagnoseFailure(what: Probe, code: string, delta: CounterDelta, rule: string | undefined): string {
  if (delta.exhausted) return EXHAUSTED;
  if (rule !== undefined) return translationRefusedByPolicy(rule);
  if (code === 'ECONNREFUSED') return what === 'SYN' ? TCP_REFUSED : 'UDP port closed: ICMP port unreachable came back';
  if (delta.drop !== undefined) return translatorDropped(delta.drop);
  if (code === 'timeout') {
    if (!delta.sent) return 'no packet reached the translator: check that the prefix is routed into the TUN device';
    return unreachableFromPool4(what);
  }
  return `IPv4 server unreachable: an ICMP error came back (${code})`;
}
