/**
 * Probe targets: the text an operator writes on the command line or in a
 * targets file, parsed into what the steps need. Forms:
 *
 *   www.example.org                  a name: DNS, routing, ICMP echo
 *   192.0.2.10                       an IPv4 literal, reached under the prefix as a CLAT would
 *   https://www.example.org/login    a URL (http or https): DNS, routing, TCP, TLS, HTTP, path MTU
 *   www.example.org:443              host:port: DNS, routing, TCP handshake
 *   udp:ntp.example.org:123          a UDP exchange with a payload
 *   dns:192.0.2.53                   a resolver reached through NAT64 (one query)
 */
import { tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';

export type TargetKind = 'name' | 'ipv4' | 'url' | 'tcp' | 'udp' | 'dns';

/** Per-target options (from flags or the targets file). */
export interface TargetOptions {
  /** URL targets: the status that counts as success (default: any 2xx or 3xx). */
  readonly expectStatus?: number;
  /** URL targets: text the body must contain. */
  readonly expectBody?: string;
  /** https: skip the certificate chain and name check. */
  readonly insecure?: boolean;
  /** https: PEM file of extra trusted CA certificates. */
  readonly ca?: string;
  /** udp targets: the datagram to send (default "sixgate probe\n"). */
  readonly payload?: string;
}

export interface Target extends TargetOptions {
  /** The text as given; the key in tables, JSON and metrics. */
  readonly text: string;
  readonly kind: TargetKind;
  /** A DNS name (lower case, no trailing dot) or an IPv4 literal. */
  readonly host: string;
  /** True when `host` is an IPv4 literal (no DNS step). */
  readonly literal: boolean;
  readonly port?: number;
  /** URL targets. */
  readonly scheme?: 'http' | 'https';
  /** URL targets: path and query. */
  readonly path?: string;
}

export class TargetError extends Error {
  readonly code = 'ERR_PROBE_TARGET';
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A DNS name as written by people (trailing dot allowed), lower-cased; throws on anything else. */
function parseName(text: string, whole: string): string {
  const name = text.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw new TargetError(`"${whole}": "${text}" is neither a DNS name nor an IPv4 address`);
  }
  return name;
}

function parseHost(text: string, whole: string): { host: string; literal: boolean } {
  if (tryParseIpv4(text) >= 0 && /^[\d.]+$/.test(text)) return { host: text, literal: true };
  if (text.startsWith('[') || tryParseIpv6(text) !== undefined) {
    throw new TargetError(`"${whole}": an IPv6 address is reached without NAT64; probe the IPv4 address or a name`);
  }
  return { host: parseName(text, whole), literal: false };
}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new TargetError(`"${whole}": port "${text}" is not 1-65535`);
  return Number(text);
}

function parseUrl(text: string): Target {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new TargetError(`"${text}" is not a valid URL`);
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') throw new TargetError(`"${text}": only http and https URLs can be probed`);
  if (u.username || u.password) throw new TargetError(`"${text}": credentials in a URL are not sent by probes`);
  const h = parseHost(u.hostname, text);
  const port = u.port === '' ? (scheme === 'https' ? 443 : 80) : Number(u.port);
  return { text, kind: 'url', ...h, port, scheme, path: `${u.pathname}${u.search}` };
}

/**
 * Parses one target; options from the file (`strict`: an option that does not
 * apply is an error) or from flags (not strict: options that do not apply to
 * this kind of target are left out) are merged in. Throws {@link TargetError}.
 */
export function parseTarget(input: string, options: TargetOptions = {}, strict = true): Target {
  const text = input.trim();
  if (text.length === 0) throw new TargetError('empty target');
  if (text.length > 2048) throw new TargetError(`target "${text.slice(0, 40)}…" is longer than 2048 characters`);
  if (/\s/.test(text)) throw new TargetError(`"${text}": a target has no spaces`);
  let t: Target;
  if (/^https?:\/\//i.test(text)) t = parseUrl(text);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new TargetError(`"${text}": only http and https URLs can be probed`);
  else if (text.startsWith('udp:')) {
    const m = /^udp:(.+):([^:]+)$/.exec(text);
    if (!m) throw new TargetError(`"${text}": write udp:host:port`);
    t = { text, kind: 'udp', ...parseHost(m[1]!, text), port: parsePort(m[2]!, text) };
  } else if (text.startsWith('dns:')) {
    const a = text.slice(4);
    if (tryParseIpv4(a) < 0 || !/^[\d.]+$/.test(a)) throw new TargetError(`"${text}": write dns:<IPv4 address> (a resolver reached through NAT64)`);
    t = { text, kind: 'dns', host: a, literal: true, port: 53 };
  } else if (/^[^:]+:[^:]+$/.test(text)) {
    const [h, p] = text.split(':') as [string, string];
    t = { text, kind: 'tcp', ...parseHost(h, text), port: parsePort(p, text) };
  } else {
    const h = parseHost(text, text);
    t = { text, kind: h.literal ? 'ipv4' : 'name', ...h };
  }
  return withOptions(t, strict ? options : applicable(t, options));
}

function applicable(t: Target, o: TargetOptions): TargetOptions {
  return {
    ...(t.kind === 'url' ? { expectStatus: o.expectStatus, expectBody: o.expectBody } : {}),
    ...(t.scheme === 'https' ? { insecure: o.insecure, ca: o.ca } : {}),
    ...(t.kind === 'udp' ? { payload: o.payload } : {}),
  };
}

function withOptions(t: Target, o: TargetOptions): Target {
  if (o.expectStatus !== undefined && (!Number.isInteger(o.expectStatus) || o.expectStatus < 100 || o.expectStatus > 599)) {
    throw new TargetError(`"${t.text}": expectStatus ${String(o.expectStatus)} is not an HTTP status (100-599)`);
  }
  if ((o.expectStatus !== undefined || o.expectBody !== undefined) && t.kind !== 'url') throw new TargetError(`"${t.text}": expectStatus and expectBody apply to URL targets only`);
  if ((o.insecure !== undefined || o.ca !== undefined) && t.scheme !== 'https') throw new TargetError(`"${t.text}": insecure and ca apply to https URLs only`);
  if (o.payload !== undefined && t.kind !== 'udp') throw new TargetError(`"${t.text}": payload applies to udp targets only`);
  if (o.payload !== undefined && Buffer.byteLength(o.payload) > 1200) throw new TargetError(`"${t.text}": payload is longer than 1200 bytes`);
  const out: Record<string, unknown> = { ...t };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as unknown as Target;
}

/** The HTTP Host header of a URL target (RFC 9110 §7.2: the port only when not the scheme's default). */
export function hostHeader(t: Target): string {
  return t.port === (t.scheme === 'https' ? 443 : 80) ? t.host : `${t.host}:${t.port}`;
}
