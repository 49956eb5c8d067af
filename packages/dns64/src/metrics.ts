/**
 * DNS64 counters: one fixed-shape object, created once, read through
 * `snapshot()`. Metric names are `sixgate_dns64_<field in snake case>_total`
 * (see README, Metrics).
 */

/** Counter fields. */
export interface Dns64Counters {
  /** Queries received (UDP and TCP), including refused and malformed ones. */
  queries: number;
  /** Queries over TCP. */
  tcpQueries: number;
  /** Answers that carry at least one synthesized AAAA or PTR CNAME. */
  synthesized: number;
  /** Answers served from the cache. */
  cacheHits: number;
  /** Lookups that missed the cache. */
  cacheMisses: number;
  /** Questions sent upstream (each retry counted). */
  upstreamQueries: number;
  /** Upstream failures: network errors, bad or mismatched answers. */
  upstreamErrors: number;
  /** Upstream queries that timed out. */
  upstreamTimeouts: number;
  /** Upstream UDP answers with TC that were retried over TCP. */
  upstreamTcpRetries: number;
  /** Upstream lookups refused by the outstanding-query cap. */
  upstreamOverload: number;
  /** Queries from clients outside `clients` (REFUSED). */
  refused: number;
  /** Queries over the rate limit (answered TC=1 or REFUSED, see rateLimit.response). */
  rateLimited: number;
  /** Of those, limited by their prefix's ceiling rather than their address's rate. */
  rateLimitedPrefix: number;
  /** Queries over a limit let through because their client was the only one asking (rateLimit.exemptLoneClient). */
  rateLimitSpared: number;
  /** Malformed queries answered with FORMERR (or NOTIMP/BADVERS). */
  formerr: number;
  /** Packets dropped without an answer (too short, responses). */
  dropped: number;
  /** SERVFAIL answers we generated. */
  servfail: number;
  /** UDP answers cut to the client's buffer size (TC set). */
  truncated: number;
  /** AAAA records removed by the exclusion prefixes. */
  excluded: number;
  /** A records not synthesized because the prefix may not carry them (RFC 6052 §3.1). */
  notEmbeddable: number;
  /** Synthesized AAAA removed because the translator would not translate to them. */
  policyDenied: number;
  /** Answers given from local ipv4only.arpa data. */
  ipv4only: number;
  /** AAAA answers that would have been synthesized while synthesis was suspended (translator down): NODATA instead. */
  synthesisSuspended: number;
  /** TCP connections refused by the connection cap (total or per client). */
  tcpRejected: number;
  /** TCP connections closed because a message did not arrive whole within tcp.messageTimeoutMs. */
  tcpTimeouts: number;
  /** Upstream answers dropped because their question's letter case differs from ours (0x20). */
  upstreamCaseMismatch: number;
}

/** A fresh set of zero counters. */
export function createCounters(): Dns64Counters {
  return {
    queries: 0, tcpQueries: 0, synthesized: 0, cacheHits: 0, cacheMisses: 0, upstreamQueries: 0, upstreamErrors: 0,
    upstreamTimeouts: 0, upstreamTcpRetries: 0, upstreamOverload: 0, refused: 0, rateLimited: 0, rateLimitedPrefix: 0, rateLimitSpared: 0,
    formerr: 0, dropped: 0, servfail: 0, truncated: 0, excluded: 0, notEmbeddable: 0, policyDenied: 0, ipv4only: 0,
    synthesisSuspended: 0, tcpRejected: 0, tcpTimeouts: 0, upstreamCaseMismatch: 0,
  };
}

/** A copy of the counters. */
export function snapshot(c: Dns64Counters): Readonly<Dns64Counters> {
  return { ...c };
}
