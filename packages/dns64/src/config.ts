/**
 * DNS64 options: the plain object the daemon passes in (`Dns64Options`), the
 * defaults, and `validateDns64Options`, which checks every key once and
 * returns parsed, trusted values (`ResolvedDns64Options`). Errors name the
 * key, the value and the rule (code ERR_DNS64_CONFIG).
 */
import {
  AddressError, parseIpv4Cidr, parseIpv6Cidr, parseNat64Prefix, tryParseIpv4, tryParseIpv6,
  WELL_KNOWN_PREFIX, type Ipv4Cidr, type Ipv6Cidr, type Nat64Prefix,
} from '@sixgate/addressing';
import { Dns64Error } from './errors.js';
import { normalizeName } from './names.js';

/** The translator's policy answer: would NAT64 translate traffic from `client6` to `v4`? */
export type WouldTranslate = (client6: Uint8Array | undefined, v4: number) => boolean;

/** Cache limits and TTL clamps (seconds). */
export interface Dns64CacheOptions {
  maxEntries: number;
  maxBytes: number;
  minTtl: number;
  maxTtl: number;
  /** Upper bound on how long a negative answer is cached (RFC 2308 §5). */
  negativeTtl: number;
}

/**
 * Response rate limiting (UDP): a token bucket per client address under a
 * larger bucket per client prefix; a limited query is answered with TC=1
 * (`truncate`) or REFUSED (`refuse`). perSecond / prefixPerSecond 0 turn a
 * level off.
 */
export interface Dns64RateLimitOptions {
  /** Queries per second per client address. */
  perSecond: number;
  /** Queries an address may send at once above its rate. */
  burst: number;
  /** Queries per second per client prefix (ipv4PrefixLength / ipv6PrefixLength). */
  prefixPerSecond: number;
  prefixBurst: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  /** The answer to a limited query: TC=1 (the client retries over TCP) or REFUSED. */
  response: 'truncate' | 'refuse';
  /** Do not limit an address (prefix) while no other address (prefix) is asking: it delays nobody. */
  exemptLoneClient: boolean;
}

/** TCP listener limits. */
export interface Dns64TcpOptions {
  /** Idle time between messages before the connection is closed. */
  idleTimeoutMs: number;
  /** A message must arrive whole within this time of its first byte (not reset by later bytes). */
  messageTimeoutMs: number;
  maxConnections: number;
  /** Connections one client address may hold at once. */
  maxConnectionsPerClient: number;
}

/** When the A question goes out with the AAAA question (`Dns64Options.parallelA`). */
export const PARALLEL_A = ['auto', 'always', 'never'] as const;
export type ParallelA = (typeof PARALLEL_A)[number];

/**
 * `parallelA: 'auto'` asks A with AAAA while the upstream round trip is at
 * least this long (ms): an upstream beyond the LAN, where waiting for the
 * AAAA answer first costs a round trip a user notices; a nearby upstream
 * answers so fast that the second question is not worth its cost.
 */
export const PARALLEL_A_AUTO_MS = 1;

/** Every DNS64 option with its type; the daemon passes a partial object. */
export interface Dns64Options {
  /** `ADDR:PORT` / `[V6]:PORT` to listen on, UDP and TCP. */
  listen: string[];
  /** `ADDR[:PORT]` upstream resolvers; empty: the nameservers of /etc/resolv.conf. */
  upstreams: string[];
  /** CIDRs allowed recursion; empty: loopback plus the subnets of the host's interfaces without a default route (not the uplink). */
  clients: string[];
  prefix: Nat64Prefix | string;
  /** RFC 6052 §3.1: never embed non-global IPv4 under 64:ff9b::/96. */
  wkpStrict: boolean;
  /** RFC 6147 §5.1.4 exclusion prefixes. */
  exclude: string[];
  /** RFC 6147 §5.1.2/§5.1.3: treat AAAA errors and timeouts as empty and synthesize. */
  synthesizeOnError: boolean;
  /**
   * RFC 6147 §5.1.8: when the A question goes out with the AAAA question
   * instead of after an empty AAAA answer (never for DO=1 queries, §5.5):
   * `auto` while the upstream round trip (`Dns64Resolver.upstreamRttMs`) is
   * at least `PARALLEL_A_AUTO_MS`, `always`, or `never`.
   */
  parallelA: ParallelA;
  /** Domains (and their subdomains) never synthesized. */
  noSynthesis: string[];
  /** Domains whose real AAAA records are ignored: always synthesized from A. */
  ignoreAaaa: string[];
  timeoutMs: number;
  /** Upstream tries per question, each on the next healthy upstream when failover is on. */
  attempts: number;
  failover: boolean;
  cache: Dns64CacheOptions;
  rateLimit: Dns64RateLimitOptions;
  /** Hard cap on upstream queries in flight. */
  maxOutstanding: number;
  /** 0x20: random letter case in upstream question names; answers must echo it exactly. */
  upstreamCaseRandomization: boolean;
  /** Upstream queries per pooled UDP socket (random port) before it is replaced by a new random port (RFC 5452 §9.2); 1 = a port per query. */
  upstreamPortUses: number;
  tcp: Dns64TcpOptions;
  wouldTranslate?: WouldTranslate;
}

/** What the daemon passes: any subset, nested objects partial too. */
export type Dns64Input = Partial<Omit<Dns64Options, 'cache' | 'rateLimit' | 'tcp'>> & {
  cache?: Partial<Dns64CacheOptions>;
  rateLimit?: Partial<Dns64RateLimitOptions>;
  tcp?: Partial<Dns64TcpOptions>;
};

/** Defaults of every option (SPEC §3, §5). */
export const DNS64_DEFAULTS: Readonly<Dns64Options> = Object.freeze({
  listen: ['[::]:53'],
  upstreams: [],
  clients: [],
  prefix: WELL_KNOWN_PREFIX,
  wkpStrict: true,
  exclude: ['::ffff:0:0/96'],
  synthesizeOnError: true,
  parallelA: 'auto',
  noSynthesis: [],
  ignoreAaaa: [],
  timeoutMs: 2000,
  attempts: 3,
  failover: true,
  cache: { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024, minTtl: 0, maxTtl: 86_400, negativeTtl: 3600 },
  rateLimit: {
    perSecond: 1000, burst: 2000, prefixPerSecond: 50_000, prefixBurst: 100_000,
    ipv4PrefixLength: 24, ipv6PrefixLength: 56, response: 'truncate' as const, exemptLoneClient: true,
  },
  maxOutstanding: 2048,
  upstreamCaseRandomization: true,
  upstreamPortUses: 32,
  tcp: { idleTimeoutMs: 10_000, messageTimeoutMs: 5_000, maxConnections: 256, maxConnectionsPerClient: 16 },
});

/** A host and port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** Client networks, split by family. */
export interface ClientNets {
  readonly v4: readonly Ipv4Cidr[];
  readonly v6: readonly Ipv6Cidr[];
}

/** Validated options; the server trusts these. */
export interface ResolvedDns64Options extends Omit<Dns64Options, 'listen' | 'upstreams' | 'clients' | 'prefix' | 'exclude'> {
  readonly listen: readonly Endpoint[];
  readonly upstreams: readonly Endpoint[];
  readonly clients: ClientNets;
  readonly prefix: Nat64Prefix;
  readonly exclude: readonly Ipv6Cidr[];
}

function fail(key: string, value: unknown, rule: string): never {
  throw new Dns64Error('ERR_DNS64_CONFIG', `dns64.${key}: ${JSON.stringify(value)} ${rule}`);
}

/** Parses `ADDR[:PORT]`, `[V6]:PORT` or a bare IPv6 address. */
export function parseEndpoint(text: string, defaultPort: number, key: string): Endpoint {
  let host = text.trim();
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (/^[\d.]+:\d+$/.test(host)) {
    port = Number(host.slice(host.indexOf(':') + 1));
    host = host.slice(0, host.indexOf(':'));
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(key, text, 'has a port outside 0-65535');
  if (tryParseIpv4(host) >= 0) return { address: host, port, family: 4 };
  if (tryParseIpv6(host) !== undefined) return { address: host, port, family: 6 };
  return fail(key, text, 'is not ADDR[:PORT] with an IPv4 or IPv6 address (write IPv6 with a port as [ADDR]:PORT)');
}

function parseClients(list: readonly string[]): ClientNets {
  const v4: Ipv4Cidr[] = [];
  const v6: Ipv6Cidr[] = [];
  for (const raw of list) {
    const text = raw.includes('/') ? raw : `${raw}/${raw.includes(':') ? 128 : 32}`;
    try {
      if (text.includes(':')) v6.push(parseIpv6Cidr(text));
      else v4.push(parseIpv4Cidr(text));
    } catch (e) {
      fail('clients', raw, `is not a CIDR (${(e as Error).message})`);
    }
  }
  return { v4, v6 };
}

function positiveInt(key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(key, v, `must be an integer from ${min} to ${max}`);
  return v;
}

function domains(key: string, list: unknown): string[] {
  if (!Array.isArray(list)) fail(key, list, 'must be a list of domain names');
  return list.map((d) => {
    if (typeof d !== 'string' || !/^[a-z0-9_.-]*$/i.test(d.trim())) fail(key, d, 'is not a domain name');
    return normalizeName(d);
  });
}

function strings(key: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(key, v, 'must be a list of strings');
  return v as string[];
}

function validatePrefix(p: unknown): Nat64Prefix {
  if (typeof p !== 'string') return p as Nat64Prefix;
  try {
    return parseNat64Prefix(p);
  } catch (e) {
    if (e instanceof AddressError) fail('prefix', p, `is not a NAT64 prefix: ${e.message}`);
    throw e;
  }
}

function validateNumbers(o: Dns64Options): void {
  positiveInt('timeoutMs', o.timeoutMs, 50, 60_000);
  positiveInt('attempts', o.attempts, 1, 10);
  positiveInt('maxOutstanding', o.maxOutstanding, 1, 1_000_000);
  positiveInt('upstreamPortUses', o.upstreamPortUses, 1, 65_535);
  positiveInt('cache.maxEntries', o.cache.maxEntries, 0, 100_000_000);
  positiveInt('cache.maxBytes', o.cache.maxBytes, 0, 2 ** 40);
  positiveInt('cache.minTtl', o.cache.minTtl, 0, 86_400);
  positiveInt('cache.maxTtl', o.cache.maxTtl, o.cache.minTtl, 7 * 86_400);
  positiveInt('cache.negativeTtl', o.cache.negativeTtl, 0, 86_400);
  positiveInt('rateLimit.perSecond', o.rateLimit.perSecond, 0, 10_000_000);
  positiveInt('rateLimit.burst', o.rateLimit.burst, o.rateLimit.perSecond === 0 ? 0 : 1, 100_000_000);
  positiveInt('rateLimit.prefixPerSecond', o.rateLimit.prefixPerSecond, 0, 10_000_000);
  positiveInt('rateLimit.prefixBurst', o.rateLimit.prefixBurst, o.rateLimit.prefixPerSecond === 0 ? 0 : 1, 100_000_000);
  if (o.rateLimit.response !== 'truncate' && o.rateLimit.response !== 'refuse') fail('rateLimit.response', o.rateLimit.response, 'must be "truncate" or "refuse"');
  if (typeof o.rateLimit.exemptLoneClient !== 'boolean') fail('rateLimit.exemptLoneClient', o.rateLimit.exemptLoneClient, 'must be true or false');
  positiveInt('rateLimit.ipv4PrefixLength', o.rateLimit.ipv4PrefixLength, 0, 32);
  positiveInt('rateLimit.ipv6PrefixLength', o.rateLimit.ipv6PrefixLength, 0, 128);
  positiveInt('tcp.idleTimeoutMs', o.tcp.idleTimeoutMs, 100, 3_600_000);
  positiveInt('tcp.maxConnections', o.tcp.maxConnections, 1, 100_000);
  positiveInt('tcp.messageTimeoutMs', o.tcp.messageTimeoutMs, 100, 3_600_000);
  positiveInt('tcp.maxConnectionsPerClient', o.tcp.maxConnectionsPerClient, 1, 100_000);
}

/** Merges `input` over the defaults and validates every key. Throws Dns64Error (ERR_DNS64_CONFIG). */
export function validateDns64Options(input: Dns64Input = {}): ResolvedDns64Options {
  const o: Dns64Options = {
    ...DNS64_DEFAULTS,
    ...input,
    cache: { ...DNS64_DEFAULTS.cache, ...input.cache },
    rateLimit: { ...DNS64_DEFAULTS.rateLimit, ...input.rateLimit },
    tcp: { ...DNS64_DEFAULTS.tcp, ...input.tcp },
  };
  validateNumbers(o);
  for (const k of ['wkpStrict', 'synthesizeOnError', 'failover', 'upstreamCaseRandomization'] as const) {
    if (typeof o[k] !== 'boolean') fail(k, o[k], 'must be true or false');
  }
  if (!PARALLEL_A.includes(o.parallelA)) fail('parallelA', o.parallelA, `must be one of ${PARALLEL_A.join(', ')}`);
  if (o.wouldTranslate !== undefined && typeof o.wouldTranslate !== 'function') fail('wouldTranslate', typeof o.wouldTranslate, 'must be a function');
  const listen = strings('listen', o.listen).map((l) => parseEndpoint(l, 53, 'listen'));
  if (listen.length === 0) fail('listen', o.listen, 'must name at least one address');
  const exclude = strings('exclude', o.exclude).map((e) => {
    try {
      return parseIpv6Cidr(e);
    } catch (err) {
      return fail('exclude', e, `is not an IPv6 CIDR (${(err as Error).message})`);
    }
  });
  return {
    ...o,
    listen,
    upstreams: strings('upstreams', o.upstreams).map((u) => parseEndpoint(u, 53, 'upstreams')),
    clients: parseClients(strings('clients', o.clients)),
    prefix: validatePrefix(o.prefix),
    exclude,
    noSynthesis: domains('noSynthesis', o.noSynthesis),
    ignoreAaaa: domains('ignoreAaaa', o.ignoreAaaa),
  };
}
