/**
 * Defaults and validation of StateOptions. Validation runs once, in the
 * constructor; the packet path trusts the result.
 */
import type { Pool4Range, StateOptions, Timeouts } from './api.js';
import { StateError } from './errors.js';

/** RFC 6146 §4 default lifetimes in ms. */
export const DEFAULT_TIMEOUTS: Timeouts = Object.freeze({
  udp: 300_000,
  tcpEstablished: 7_440_000,
  tcpTransitory: 240_000,
  icmp: 60_000,
  tcpIncomingSyn: 6_000,
});

/** Options with every default filled in for the given pool4. */
export function defaultStateOptions(pool4: readonly Pool4Range[], overrides: Partial<StateOptions> = {}): StateOptions {
  return {
    pool4,
    timeouts: DEFAULT_TIMEOUTS,
    maxSessions: 1_000_000,
    maxSessionsPerClient: 10_000,
    addressDependentFiltering: false,
    dropExternallyInitiatedTcp: false,
    maxHeldSyns: 10,
    ...overrides,
  };
}

function positiveInt(v: unknown, name: string, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new StateError('ERR_STATE_OPTIONS', `${name} must be an integer from 1 to ${max}, got ${String(v)}`);
  }
}

/** Checks everything except pool4 (Pool4 checks its own input); returns `o`. */
export function validateOptions(o: StateOptions): StateOptions {
  if (o === null || typeof o !== 'object') throw new StateError('ERR_STATE_OPTIONS', 'state options must be an object');
  const t = o.timeouts;
  if (t === null || typeof t !== 'object') throw new StateError('ERR_STATE_OPTIONS', 'timeouts must be an object');
  for (const k of ['udp', 'tcpEstablished', 'tcpTransitory', 'icmp', 'tcpIncomingSyn'] as const) {
    positiveInt(t[k], `timeouts.${k} (ms)`, 2 ** 31 - 1);
  }
  // RFC 6146 §4: UDP ≥ 2 min, TCP_EST ≥ 2 h 4 min, TCP_TRANS ≥ 4 min are
  // minimums for interoperability; shorter values are allowed (tests, labs)
  // but never zero.
  positiveInt(o.maxSessions, 'maxSessions', 2 ** 30);
  positiveInt(o.maxSessionsPerClient, 'maxSessionsPerClient', 2 ** 30);
  // 0 is allowed: never hold an unsolicited SYN (every one gets synQueueFull).
  if (o.maxHeldSyns !== 0) positiveInt(o.maxHeldSyns, 'maxHeldSyns', 1_000_000);
  if (typeof o.addressDependentFiltering !== 'boolean') throw new StateError('ERR_STATE_OPTIONS', 'addressDependentFiltering must be a boolean');
  if (typeof o.dropExternallyInitiatedTcp !== 'boolean') throw new StateError('ERR_STATE_OPTIONS', 'dropExternallyInitiatedTcp must be a boolean');
  if (o.portSecret !== undefined && (!(o.portSecret instanceof Uint8Array) || o.portSecret.length < 8)) {
    throw new StateError('ERR_STATE_OPTIONS', 'portSecret must be a Uint8Array of at least 8 bytes');
  }
  return o;
}
