/**
 * RFC 6146 state tables: BIB, sessions, pool4, timers, TCP state machine.
 * The contract with the translator is api.ts; `Nat64State` implements it.
 */
export * from './api.js';
export { Nat64State } from './nat64-state.js';
export { StateError, type StateErrorCode } from './errors.js';
export { DEFAULT_TIMEOUTS, defaultStateOptions } from './options.js';
export { TCP_STATE_NAMES } from './tcp.js';
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './snapshot.js';
export * from './sync-record.js';
