/**
 * The diagnoses `sixgate probe` names, word for word. Tests (unit and
 * end-to-end) and operators' alerting match these strings exactly, so they are
 * written once, here, and changed only on purpose.
 */

/** The name has no A record (NXDOMAIN, or no A and no AAAA): nothing to translate to. */
export const NO_A_RECORD = 'no A record';
/** The name has AAAA records of its own and no A record. */
export const NATIVE_AAAA_ONLY = 'native AAAA only';
/** The name has a real AAAA next to its A: clients use IPv6 end to end. A result, not a failure. */
export const NATIVE_IPV6 = 'has native IPv6: NAT64 not involved';
/** What the operator should check when the IPv4 side never answers. */
export const ROUTE_POOL4_HINT = 'check that the upstream routes pool4 to this router';
/** The session table or a pool4 range is full (the translator's drop counters say so). */
export const EXHAUSTED = 'session table or pool4 exhausted';
/** The server answered the SYN with a reset (or an ICMP port unreachable came back). */
export const TCP_REFUSED = 'TCP refused';

/** DNS64 did not synthesize because the policy rule `id` refuses every flow to the A record. */
export function synthesisRefusedByPolicy(id: string): string {
  return `synthesis refused by policy rule ${id}`;
}

/** A synthesized address sits under a prefix other than the live one (a stale cache, a foreign DNS64). */
export function prefixMismatch(address: string, livePrefix: string): string {
  return `prefix mismatch: ${address} is not under the live prefix ${livePrefix}`;
}

/** Packets left through the translator and nothing came back. `what`: "SYN", "echo request", "datagram". */
export function unreachableFromPool4(what: string): string {
  return `IPv4 server unreachable from pool4: ${what} sent, nothing back (${ROUTE_POOL4_HINT})`;
}

/** The TLS handshake failed; `reason` is the library's reason (e.g. "self-signed certificate"). */
export function tlsFailure(reason: string): string {
  return `TLS failure: ${reason}`;
}

/** The HTTP status was not the one expected. */
export function httpStatusMismatch(got: number, expected: string): string {
  return `HTTP status mismatch: got ${got}, expected ${expected}`;
}

/** The response body lacks the expected text. */
export function httpBodyMismatch(expected: string): string {
  return `HTTP body does not contain "${expected}"`;
}

/** Big packets vanish without an ICMP error; `bytes` is the largest IPv4 packet that got through. */
export function pmtuBlackHole(bytes: number): string {
  return `PMTU black hole above ${bytes} bytes`;
}

/** The translator's policy refuses the flow itself (a literal target, or a rule for a protocol or port). */
export function translationRefusedByPolicy(id: string): string {
  return `translation refused by policy rule ${id}`;
}

/** The translator dropped the first packet for a named reason (one of its drop counters). */
export function translatorDropped(reason: string): string {
  return `the translator dropped the packet: ${reason}`;
}
