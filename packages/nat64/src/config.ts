/**
 * Translator options (RFC 7915 knobs plus NAT64 safety switches), their
 * defaults and their one-time validation. `resolveTranslatorOptions` is the
 * only way to a `TranslatorConfig`; the hot path trusts it (STYLE §4).
 */
import {
  embedIpv4Bytes,
  formatIpv4,
  type Ipv4Cidr,
  type Nat64Prefix,
  parseIpv4,
  parseIpv4Cidr,
  tryParseIpv4,
} from '@sixgate/addressing';

/** Stable codes of `Nat64ConfigError`. */
export type Nat64ConfigErrorCode = 'ERR_NAT64_MTU' | 'ERR_NAT64_ADDRESS' | 'ERR_NAT64_OPTION';

/** A translator option that breaks a rule; `code` is stable, the message names the key. */
export class Nat64ConfigError extends Error {
  constructor(
    readonly code: Nat64ConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'Nat64ConfigError';
  }
}

/** What the caller may pass: everything but `prefix` has a default. */
export interface TranslatorOptions {
  /** The NAT64 prefix (RFC 6052). Changed at runtime with `Translator.setPrefix`. */
  readonly prefix: Nat64Prefix;
  /** pool4 ranges; only used to pick the translator's own IPv4 address (the first one). */
  readonly pool4?: readonly Ipv4Cidr[];
  /** RFC 6052 §3.1: no non-global IPv4 under 64:ff9b::/96. Default true. */
  readonly wkpStrict?: boolean;
  /** Size of IPv6 fragments made from IPv4 DF=0 packets (RFC 7915 §4.1). Default 1280. */
  readonly lowestIpv6Mtu?: number;
  /** MTU of the IPv4 side. Default 1500. */
  readonly ipv4Mtu?: number;
  /** MTU of the IPv6 side. Default 1500. */
  readonly ipv6Mtu?: number;
  /** Clamp the TCP MSS option of SYNs so translated segments never fragment. Default true. */
  readonly mssClamp?: boolean;
  /**
   * RFC 6791 sources for ICMPv6 errors whose source cannot be mapped: IPv4
   * prefixes ("203.0.113.0/28") or addresses ("203.0.113.8" = /32). Default []:
   * the translator's own address.
   */
  readonly rfc6791Pool?: readonly string[];
  /** Source translated ICMPv6 errors from prefix + the IPv4 router (traceroute works). Default true. */
  readonly sourceIcmpErrorsBetter?: boolean;
  /** Set the IPv6 Traffic Class to 0 instead of copying the IPv4 TOS. Default false. */
  readonly zeroizeTrafficClass?: boolean;
  /** Override the IPv4 TOS of 6→4 packets with this value (0-255); undefined copies the Traffic Class. */
  readonly overrideTos?: number;
  /** The translator's own IPv4 address (source of its ICMPv4 errors). Default: first pool4 address. */
  readonly ipv4Address?: string;
  /** Hop limit / TTL of packets the translator originates. Default 64. */
  readonly ownHopLimit?: number;
  /** Lifetime of a fragment-tracking entry, ms. Default 10 000. */
  readonly fragmentTimeoutMs?: number;
  /** Fragment-tracking entries (each direction). Default 4096. */
  readonly fragmentEntries?: number;
  /** Out-of-order fragments held until their first fragment arrives. Default 64. */
  readonly heldFragments?: number;
  /** Own ICMP errors per second, all sources together (RFC 4443 §2.4(f)); 0 sends none. Default 1000. */
  readonly icmpErrorRate?: number;
  /** Errors that may leave at once before the global rate applies. Default 200. */
  readonly icmpErrorBurst?: number;
  /** Own ICMP errors per second to one source prefix (IPv4 /24, IPv6 /64); 0 sends none. Default 100. */
  readonly icmpErrorRatePerSource?: number;
  /** Burst of the per-source bucket. Default 100. */
  readonly icmpErrorBurstPerSource?: number;
}

/** Validated options with every default filled in. */
export interface TranslatorConfig {
  readonly prefix: Nat64Prefix;
  readonly wkpStrict: boolean;
  readonly lowestIpv6Mtu: number;
  readonly ipv4Mtu: number;
  readonly ipv6Mtu: number;
  readonly mssClamp: boolean;
  /** RFC 6791 pool: the usable addresses of each prefix, as runs of uint32 addresses. */
  readonly rfc6791Pool: readonly Rfc6791Range[];
  /** Addresses in the RFC 6791 pool (sum of the runs' counts); 0 = use `ipv4Address`. */
  readonly rfc6791Size: number;
  readonly sourceIcmpErrorsBetter: boolean;
  readonly zeroizeTrafficClass: boolean;
  /** -1 when the TOS is copied. */
  readonly overrideTos: number;
  /** uint32. */
  readonly ipv4Address: number;
  readonly ownHopLimit: number;
  readonly fragmentTimeoutMs: number;
  readonly fragmentEntries: number;
  readonly heldFragments: number;
  readonly icmpErrorRate: number;
  readonly icmpErrorBurst: number;
  readonly icmpErrorRatePerSource: number;
  readonly icmpErrorBurstPerSource: number;
}

/** A run of RFC 6791 source addresses: `first` … `first + count - 1`. */
export interface Rfc6791Range {
  readonly first: number;
  readonly count: number;
}

/** Defaults of every optional key. */
export const TRANSLATOR_DEFAULTS = Object.freeze({
  wkpStrict: true,
  lowestIpv6Mtu: 1280,
  ipv4Mtu: 1500,
  ipv6Mtu: 1500,
  mssClamp: true,
  rfc6791Pool: [] as readonly string[],
  sourceIcmpErrorsBetter: true,
  zeroizeTrafficClass: false,
  ownHopLimit: 64,
  fragmentTimeoutMs: 10_000,
  fragmentEntries: 4096,
  heldFragments: 64,
  icmpErrorRate: 1000,
  icmpErrorBurst: 200,
  icmpErrorRatePerSource: 100,
  icmpErrorBurstPerSource: 100,
});

/** The default pool4 of SPEC §3, whose first address is the default own address. */
const DEFAULT_POOL4_FIRST = parseIpv4('192.168.255.1');

function int(key: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Nat64ConfigError(key.endsWith('Mtu') ? 'ERR_NAT64_MTU' : 'ERR_NAT64_OPTION', `nat64.${key} = ${String(v)}: must be an integer from ${min} to ${max}`);
  }
  return v;
}

function addr(key: string, text: string): number {
  const v = tryParseIpv4(text);
  if (v < 0) throw new Nat64ConfigError('ERR_NAT64_ADDRESS', `nat64.${key} = "${text}": not a dotted-quad IPv4 address`);
  return v;
}

/**
 * The usable addresses of RFC 6791 pool entries. A prefix up to /30 leaves
 * out its network and broadcast addresses (an ICMP error sourced from a
 * broadcast address is dropped by most IPv4 hosts, RFC 1812 §4.2.2.11 /
 * §5.3.7); /31 and /32 use every address (RFC 3021).
 */
function rfc6791Ranges(texts: readonly string[]): Rfc6791Range[] {
  return texts.map((t) => {
    let c: Ipv4Cidr;
    try {
      c = parseIpv4Cidr(t);
    } catch (e) {
      throw new Nat64ConfigError('ERR_NAT64_ADDRESS', `nat64.rfc6791Pool = "${t}": not an IPv4 address or prefix (${(e as Error).message})`);
    }
    const size = 2 ** (32 - c.length);
    return Object.freeze(c.length <= 30 ? { first: (c.address + 1) >>> 0, count: size - 2 } : { first: c.address, count: size });
  });
}

/** First usable address of the first pool4 range (skips the network address of ranges up to /30). */
function firstPoolAddress(pool4: readonly Ipv4Cidr[] | undefined): number {
  const c = pool4?.[0];
  if (c === undefined) return DEFAULT_POOL4_FIRST;
  return c.length <= 30 ? (c.address + 1) >>> 0 : c.address;
}

/** Validates `o` once and fills in defaults. Throws `Nat64ConfigError` naming the key. */
export function resolveTranslatorOptions(o: TranslatorOptions): TranslatorConfig {
  const d = TRANSLATOR_DEFAULTS;
  const lowestIpv6Mtu = int('lowestIpv6Mtu', o.lowestIpv6Mtu ?? d.lowestIpv6Mtu, 1280, 65535);
  const ipv6Mtu = int('ipv6Mtu', o.ipv6Mtu ?? d.ipv6Mtu, 1280, 65535);
  const ipv4Mtu = int('ipv4Mtu', o.ipv4Mtu ?? d.ipv4Mtu, 576, 65535);
  const tos = o.overrideTos;
  const rfc6791 = rfc6791Ranges(o.rfc6791Pool ?? d.rfc6791Pool);
  return Object.freeze({
    prefix: o.prefix,
    wkpStrict: o.wkpStrict ?? d.wkpStrict,
    lowestIpv6Mtu,
    ipv4Mtu,
    ipv6Mtu,
    mssClamp: o.mssClamp ?? d.mssClamp,
    rfc6791Pool: Object.freeze(rfc6791),
    rfc6791Size: rfc6791.reduce((n, r) => n + r.count, 0),
    sourceIcmpErrorsBetter: o.sourceIcmpErrorsBetter ?? d.sourceIcmpErrorsBetter,
    zeroizeTrafficClass: o.zeroizeTrafficClass ?? d.zeroizeTrafficClass,
    overrideTos: tos === undefined ? -1 : int('overrideTos', tos, 0, 255),
    ipv4Address: o.ipv4Address === undefined ? firstPoolAddress(o.pool4) : addr('ipv4Address', o.ipv4Address),
    ownHopLimit: int('ownHopLimit', o.ownHopLimit ?? d.ownHopLimit, 1, 255),
    fragmentTimeoutMs: int('fragmentTimeoutMs', o.fragmentTimeoutMs ?? d.fragmentTimeoutMs, 100, 120_000),
    fragmentEntries: int('fragmentEntries', o.fragmentEntries ?? d.fragmentEntries, 16, 1 << 20),
    heldFragments: int('heldFragments', o.heldFragments ?? d.heldFragments, 0, 4096),
    icmpErrorRate: int('icmpErrorRate', o.icmpErrorRate ?? d.icmpErrorRate, 0, 1_000_000),
    icmpErrorBurst: int('icmpErrorBurst', o.icmpErrorBurst ?? d.icmpErrorBurst, 1, 1_000_000),
    icmpErrorRatePerSource: int('icmpErrorRatePerSource', o.icmpErrorRatePerSource ?? d.icmpErrorRatePerSource, 0, 1_000_000),
    icmpErrorBurstPerSource: int('icmpErrorBurstPerSource', o.icmpErrorBurstPerSource ?? d.icmpErrorBurstPerSource, 1, 1_000_000),
  });
}

/** The translator's own IPv6 address: prefix + its IPv4 address (for logs and tests). */
export function ownIpv6Address(c: TranslatorConfig): Uint8Array {
  return embedIpv4Bytes(c.prefix, c.ipv4Address);
}

/** Human-readable own IPv4 address. */
export function ownIpv4Text(c: TranslatorConfig): string {
  return formatIpv4(c.ipv4Address);
}
