/**
 * From the one configuration (@sixgate/config) to each room's own options.
 * Pure functions: the rooms never see the config schema, and the daemon is
 * the only place that knows how keys map (seconds → ms, "lo-hi" → tuples).
 */
import { parseIpv4Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { parsePortRange, type Config } from '@sixgate/config';
import type { Dns64Input, WouldTranslate } from '@sixgate/dns64';
import type { Pool4Range, StateOptions, TranslatorOptions } from '@sixgate/nat64';

const range = (text: string): readonly [number, number] => {
  const r = parsePortRange(text, 0);
  return [r.low, r.high] as const;
};

/** pool4 ranges with their per-protocol ports. */
export function pool4Ranges(cfg: Config): Pool4Range[] {
  const ports = { tcp: range(cfg.nat64.ports.tcp), udp: range(cfg.nat64.ports.udp), icmp: range(cfg.nat64.ports.icmp) };
  return cfg.nat64.pool4.map((c) => ({ cidr: parseIpv4Cidr(c), ports }));
}

/** RFC 6146 state options (timeouts in ms). */
export function stateOptions(cfg: Config): StateOptions {
  const t = cfg.nat64.timeouts;
  const ms = (s: number): number => Math.max(1, Math.round(s * 1000));
  return {
    pool4: pool4Ranges(cfg),
    timeouts: { udp: ms(t.udp), tcpEstablished: ms(t.tcpEstablished), tcpTransitory: ms(t.tcpTransitory), icmp: ms(t.icmp), tcpIncomingSyn: ms(t.tcpIncomingSyn) },
    maxSessions: cfg.nat64.maxSessions,
    maxSessionsPerClient: cfg.nat64.maxSessionsPerClient,
    addressDependentFiltering: cfg.nat64.addressDependentFiltering,
    dropExternallyInitiatedTcp: cfg.nat64.dropExternallyInitiatedTcp,
    maxHeldSyns: cfg.nat64.maxHeldSyns,
  };
}

/** RFC 7915 translator options. */
export function translatorOptions(cfg: Config): TranslatorOptions {
  const n = cfg.nat64;
  return {
    prefix: parseNat64Prefix(cfg.prefix),
    pool4: n.pool4.map((c) => parseIpv4Cidr(c)),
    wkpStrict: n.wkpStrict,
    lowestIpv6Mtu: n.lowestIpv6Mtu,
    ipv4Mtu: n.ipv4Mtu,
    ipv6Mtu: n.mtu,
    mssClamp: n.mssClamp,
    rfc6791Pool: n.rfc6791Pool,
    sourceIcmpErrorsBetter: n.sourceIcmpErrorsBetter,
    zeroizeTrafficClass: n.zeroizeTrafficClass,
    icmpErrorRate: n.icmpErrors.rate,
    icmpErrorBurst: n.icmpErrors.burst,
    icmpErrorRatePerSource: n.icmpErrors.perSourceRate,
    icmpErrorBurstPerSource: n.icmpErrors.perSourceBurst,
  };
}

/** DNS64 options; `wouldTranslate` is the translator's policy answer. */
export function dns64Options(cfg: Config, wouldTranslate: WouldTranslate): Dns64Input {
  const d = cfg.dns64;
  return {
    listen: d.listen,
    upstreams: d.upstreams,
    clients: d.clients,
    prefix: parseNat64Prefix(cfg.prefix),
    wkpStrict: cfg.nat64.wkpStrict,
    exclude: d.exclude,
    synthesizeOnError: d.synthesizeOnError,
    parallelA: d.parallelA === 'always' || d.parallelA === 'never' ? d.parallelA : 'auto',
    noSynthesis: d.noSynthesis,
    ignoreAaaa: d.ignoreAaaa,
    timeoutMs: Math.round(d.timeout * 1000),
    cache: { maxEntries: d.cache.maxEntries, maxBytes: d.cache.maxBytes, minTtl: d.cache.minTtl, maxTtl: d.cache.maxTtl, negativeTtl: d.cache.maxNegativeTtl },
    rateLimit: { ...d.rateLimit, response: d.rateLimit.response === 'refuse' ? 'refuse' : 'truncate' },
    maxOutstanding: d.maxOutstanding,
    upstreamCaseRandomization: d.upstreamCaseRandomization,
    upstreamPortUses: d.upstreamPortUses,
    tcp: {
      idleTimeoutMs: Math.round(d.tcp.idleTimeout * 1000), maxConnections: d.tcp.maxConnections,
      messageTimeoutMs: Math.round(d.tcp.messageTimeout * 1000), maxConnectionsPerClient: d.tcp.maxConnectionsPerClient,
    },
    wouldTranslate,
  };
}

/** The routes sixgate points into its TUN device: the prefix and every pool4 range. */
export function routedPrefixes(cfg: Config): string[] {
  return [parseNat64Prefix(cfg.prefix).text, ...cfg.nat64.pool4];
}

/** Dotted keys whose values differ between two configs (leaves; arrays compared whole). */
export function changedKeys(a: unknown, b: unknown, path = ''): string[] {
  if (a === b) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedKeys(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}
