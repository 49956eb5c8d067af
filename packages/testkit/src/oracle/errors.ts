/**
 * Why untrusted bytes were refused by a `check()`. Values, never thrown: each
 * code has one preallocated frozen `WireError`, so rejecting a packet
 * allocates nothing. Compare with `instanceof WireError` or `isWireError`,
 * then switch on `code` (stable; also usable as a metric label).
 */

/** Stable reasons a header failed `check()` (or an extension-header walk). */
export type WireErrorCode =
  /** Fewer bytes than the fixed header needs. */
  | 'truncated'
  /** IP version nibble is not 4 (IPv4) or 6 (IPv6). */
  | 'bad-version'
  /** IPv4 IHL < 5, IHL × 4 beyond the buffer, TCP data offset < 5 or beyond the segment. */
  | 'bad-header-length'
  /** IPv4 total length / IPv6 payload length / UDP length inconsistent with the buffer. */
  | 'bad-length'
  /** A checksum that was to be verified does not verify. */
  | 'bad-checksum'
  /** An IPv6 extension header is malformed, out of order or runs past the data. */
  | 'bad-extension-header';

/** A `check()` rejection: stable `code` plus a human-readable `message`. */
export class WireError {
  /** Constructs an error value; use the preallocated ones in `WIRE_ERROR`. */
  constructor(
    /** Stable machine-readable reason. */
    readonly code: WireErrorCode,
    /** Human-readable text for logs. */
    readonly message: string,
  ) {
    Object.freeze(this);
  }

  /** `wire: <code>: <message>`. */
  toString(): string {
    return `wire: ${this.code}: ${this.message}`;
  }
}

/** One preallocated frozen `WireError` per code. */
export const WIRE_ERROR: { readonly [K in WireErrorCode]: WireError } = Object.freeze({
  truncated: new WireError('truncated', 'buffer shorter than the header'),
  'bad-version': new WireError('bad-version', 'wrong IP version'),
  'bad-header-length': new WireError('bad-header-length', 'header length field out of range'),
  'bad-length': new WireError('bad-length', 'length field inconsistent with the buffer'),
  'bad-checksum': new WireError('bad-checksum', 'checksum does not verify'),
  'bad-extension-header': new WireError('bad-extension-header', 'malformed IPv6 extension header chain'),
});

/** Type guard: whether a `check()` result is a rejection. */
export function isWireError(x: unknown): x is WireError {
  return x instanceof WireError;
}

/** Whether `check()` verifies checksums it can verify alone (smoltcp `ChecksumCapabilities`). */
export type ChecksumPolicy = 'verify' | 'ignore';
