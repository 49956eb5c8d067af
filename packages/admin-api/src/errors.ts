/**
 * Errors at the API's edge. Ports throw {@link ApplyError} with the status the
 * client should see; the single error handler (app.ts) turns it, and Fastify's
 * own validation errors, into `{statusCode, error, message}`. Ports may also
 * let @sixgate/config's ConfigError through: ERR_CONFIG_INVALID → 400,
 * ERR_CONFIG_PINNED → 409, ERR_CONFIG_HISTORY → 404, the rest → 500; and
 * @sixgate/addressing's AddressError → 400.
 */
import { STATUS_CODES } from 'node:http';

/** Status codes a port may ask for. */
export type ApplyStatus = 400 | 404 | 409 | 412 | 429 | 500 | 503;

/** A refused or failed change, reported to the API client as is. */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
  constructor(
    readonly statusCode: ApplyStatus,
    message: string,
  ) {
    super(message);
  }
}

/** A key pinned by a flag or environment variable cannot change (SPEC §3). */
export function pinnedError(key: string, source: string): ApplyError {
  return new ApplyError(409, `${key} is pinned by ${source}; change or remove ${source} and restart to change it`);
}

/** Errors of the API's own configuration (thrown at build time, never per request). */
export type AdminConfigErrorCode = 'ERR_API_LISTEN' | 'ERR_API_TOKEN';

export class AdminConfigError extends Error {
  override readonly name = 'AdminConfigError';
  constructor(
    readonly code: AdminConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The body of every error response. */
export function errorBody(statusCode: number, message: string): { statusCode: number; error: string; message: string } {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}
