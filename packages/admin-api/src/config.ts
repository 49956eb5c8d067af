/**
 * Validation at the API's edge: the listen address/token pair the daemon
 * checks before starting the API, and the address strings that request
 * schemas can only check by shape (endpoints, trace filters, the prefix).
 */
import { AddressError, parseIpv4Cidr, parseIpv6Cidr, parseNat64Prefix, tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';
import { AdminConfigError, ApplyError } from './errors.js';

/** Splits "addr:port" or "[v6addr]:port"; undefined when it has neither shape. */
function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = tryParseIpv4(host);
  if (v4 >= 0) return v4 >>> 24 === 127;
  const v6 = tryParseIpv6(host);
  if (v6 === undefined) return false;
  const zeros = v6.subarray(0, 15).every((b) => b === 0);
  if (zeros && v6[15] === 1) return true; // ::1
  // ::ffff:127.x.y.z (IPv4-mapped loopback)
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped && v6[12] === 127;
}

/**
 * Refuses to expose the API beyond loopback without a token: throws
 * AdminConfigError (ERR_API_LISTEN for a malformed address, ERR_API_TOKEN
 * for a missing one). Returns whether the address is loopback.
 */
export function assertSafeListen(listen: string, token: string | undefined): boolean {
  const hp = splitHostPort(listen);
  if (hp === undefined || hp.port > 65_535) {
    throw new AdminConfigError('ERR_API_LISTEN', `api.listen "${listen}" is not "addr:port" or "[v6addr]:port"`);
  }
  const loopback = isLoopback(hp.host);
  if (!loopback && (token === undefined || token.length === 0)) {
    throw new AdminConfigError(
      'ERR_API_TOKEN',
      `api.listen "${listen}" is not a loopback address, so the admin API needs a token: set api.token, --api-token or SIXGATE_API_TOKEN`,
    );
  }
  return loopback;
}

/** Checks an "[v6addr]:port" endpoint; throws ApplyError 400 naming the field. */
export function checkIpv6Endpoint(field: string, text: string): void {
  const hp = splitHostPort(text);
  if (hp === undefined || !text.startsWith('[') || tryParseIpv6(hp.host) === undefined) {
    throw new ApplyError(400, `${field} "${text}" is not "[IPv6 address]:port", e.g. [2001:db8::10]:80`);
  }
  checkPort(field, text, hp.port);
}

/** Checks an "addr:port" IPv4 endpoint; throws ApplyError 400 naming the field. */
export function checkIpv4Endpoint(field: string, text: string): void {
  const hp = splitHostPort(text);
  if (hp === undefined || text.startsWith('[') || tryParseIpv4(hp.host) < 0) {
    throw new ApplyError(400, `${field} "${text}" is not "IPv4 address:port", e.g. 192.0.2.1:8080`);
  }
  checkPort(field, text, hp.port);
}

function checkPort(field: string, text: string, port: number): void {
  if (port > 65_535) throw new ApplyError(400, `${field} "${text}" has port ${port}, above 65535`);
}

/** A trace filter: an IPv4 or IPv6 address or CIDR. Throws ApplyError 400. */
export function checkAddressFilter(field: string, text: string): void {
  if (tryParseIpv4(text) >= 0 || tryParseIpv6(text) !== undefined) return;
  if (!text.includes('/')) throw new ApplyError(400, `${field} "${text}" is not an IPv4/IPv6 address or prefix`);
  try {
    if (text.includes(':')) parseIpv6Cidr(text);
    else parseIpv4Cidr(text);
  } catch (err) {
    const why = err instanceof AddressError ? `: ${err.message}` : '';
    throw new ApplyError(400, `${field} "${text}" is not an IPv4/IPv6 address or prefix${why}`);
  }
}

/** A NAT64 prefix per RFC 6052 §2.2; returns its canonical text or throws ApplyError 400. */
export function checkNat64Prefix(text: string): string {
  try {
    return parseNat64Prefix(text).text;
  } catch (err) {
    if (err instanceof AddressError) throw new ApplyError(400, `prefix ${err.message}`);
    throw err;
  }
}
