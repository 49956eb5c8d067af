/**
 * Text forms of transport addresses used in the config: listen addresses
 * (`addr:port`, `[v6addr]:port`), upstreams (port optional, default 53) and
 * port ranges (`"80"`, `"1024-65535"`). Exported so the daemon and dns64 parse
 * them exactly the way validation accepted them.
 */
import { AddressError, formatIpv6, tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';

/** A parsed transport address. `host` is canonical (RFC 5952 for IPv6). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** An inclusive port (or ICMP identifier) range. */
export interface PortRange {
  readonly low: number;
  readonly high: number;
}

function parsePort(text: string, whole: string, min: number): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535 || Number(text) < min) {
    throw new AddressError('ERR_ADDRESS_SYNTAX', `"${whole}" has an invalid port (${min}-65535)`);
  }
  return Number(text);
}

function splitHostPort(text: string): { host: string; port: string | undefined; bracketed: boolean } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { host: text, port: undefined, bracketed: true };
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { host: text, port: undefined, bracketed: true };
    return { host: text.slice(1, close), port: rest === '' ? undefined : rest.slice(1), bracketed: true };
  }
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const i = text.indexOf(':');
    return { host: text.slice(0, i), port: text.slice(i + 1), bracketed: false };
  }
  return { host: text, port: undefined, bracketed: false };
}

function parseEndpoint(text: string, opts: { defaultPort?: number; minPort: number }): HostPort {
  const { host, port, bracketed } = splitHostPort(text);
  const example = `(e.g. "192.0.2.1:${opts.defaultPort ?? 53}" or "[2001:db8::1]:${opts.defaultPort ?? 53}")`;
  if (port === undefined && opts.defaultPort === undefined) {
    throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is not "addr:port" or "[v6addr]:port" ${example}`);
  }
  const portNumber = port === undefined ? opts.defaultPort! : parsePort(port, text, opts.minPort);
  const v4 = bracketed ? -1 : tryParseIpv4(host);
  if (v4 >= 0) return { host, port: portNumber, family: 4 };
  const v6 = tryParseIpv6(host);
  if (v6 !== undefined && (bracketed || port === undefined)) return { host: formatIpv6(v6), port: portNumber, family: 6 };
  throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is not an IP address with a port ${example}`);
}

/** Parses a listen address `addr:port` / `[v6addr]:port`; port 0 means "any free port". */
export function parseListenAddress(text: string): HostPort {
  return parseEndpoint(text, { minPort: 0 });
}

/** Parses an upstream `addr`, `addr:port`, `v6addr` or `[v6addr]:port` (default port 53). */
export function parseUpstream(text: string): HostPort {
  return parseEndpoint(text, { defaultPort: 53, minPort: 1 });
}

/** Parses `"n"` or `"lo-hi"` with `min <= lo <= hi <= 65535`. */
export function parsePortRange(text: string, min = 1): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (m === null) throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is not a port "n" or range "lo-hi"`);
  const low = Number(m[1]);
  const high = m[2] === undefined ? low : Number(m[2]);
  if (low < min || high > 65_535) throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is outside ${min}-65535`);
  if (low > high) throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" has its low end above its high end`);
  return { low, high };
}
