/**
 * Translator counters (STYLE §4): one fixed-shape object created once per
 * Translator, one numeric field per drop reason, read through `snapshot()`.
 * Metric names: `sixgate_nat64_<field>_total`, drops as
 * `sixgate_nat64_drops_total{reason="<DropReason>"}`.
 */

/**
 * Why a packet was not forwarded. Also the metric label. A packet answered
 * with an ICMP error (outcome `reply`) is counted under its reason too.
 */
export const DROP_REASONS = [
  /** Shorter than its headers or its length fields claim. */
  'truncated',
  /** First nibble is neither 4 nor 6, or does not match the direction. */
  'bad-version',
  /** IHL < 5, IPv4 total length < header, IPv6 jumbogram, malformed extension chain. */
  'bad-header',
  /** IPv4 header checksum wrong (RFC 7915 §4.1: silently dropped). */
  'bad-ipv4-checksum',
  /** 6→4: destination not under the NAT64 prefix (or u octet set). */
  'not-nat64-destination',
  /** 4→6: destination not in pool4. */
  'not-pool4-destination',
  /** Destination is loopback, multicast, 0/8, link-local, broadcast or pool4 without hairpin. */
  'forbidden-destination',
  /** Source is loopback, multicast, 0/8, broadcast or unspecified. */
  'forbidden-source',
  /** 64:ff9b::/96 and a non-global IPv4 address (RFC 6052 §3.1, `wkpStrict`). */
  'non-global-ipv4',
  /** Hop limit / TTL ran out; ICMP time exceeded sent unless the packet was an ICMP error. */
  'ttl-expired',
  /** IPv4 unexpired LSRR/SSRR (RFC 7915 §4.1); ICMPv4 3/5 sent. */
  'source-route',
  /** IPv6 routing header with Segments Left ≠ 0 (RFC 7915 §5.1); ICMPv6 4/0 sent. */
  'routing-header',
  /** Extension header after a Fragment header; ICMPv6 1/1 sent. */
  'extension-after-fragment',
  /** Too big for the next MTU with DF / IPv6; packet-too-big or fragmentation-needed sent. */
  'packet-too-big',
  /** ICMP type/code without a translation (RFC 7915 §4.2, §5.2): silently dropped. */
  'icmp-untranslatable',
  /** ICMP error about an ICMP error, or whose inner packet is untranslatable (extension headers other than one Fragment header, unknown transport, too short). */
  'icmp-error-inner',
  /** ICMP error whose inner packet matches no session (a later fragment: no fragment entry for its datagram). */
  'icmp-error-no-session',
  /** Transport without NAT64 state (not TCP, UDP or ICMP), e.g. DCCP, ESP, No Next Header. */
  'unsupported-protocol',
  /** Translation policy deny rule; ICMPv6 1/1 sent. */
  'policy-deny',
  /** 6→4 new flow, pool4 exhausted; ICMPv6 1/1 sent. */
  'pool-exhausted',
  /** 6→4 new flow, total session limit; ICMPv6 1/1 sent. */
  'session-limit',
  /** 6→4 new flow, per-client session limit; ICMPv6 1/1 sent. */
  'client-session-limit',
  /** 6→4 TCP segment that cannot open a session (not a SYN). */
  'tcp-no-session',
  /** A new flow (6→4, or 4→6 to a binding without that session, or an unsolicited SYN) reached an HA standby: only the active creates state (ADR 8); dropped silently. */
  'ha-standby',
  /** 4→6 packet to pool4 with no binding (silently dropped, see README). */
  'no-binding',
  /** 4→6 refused by address-dependent filtering; ICMPv4 3/13 sent. */
  'filtered',
  /** 4→6 TCP SYN refused by `dropExternallyInitiatedTcp`. */
  'external-tcp',
  /** 4→6 TCP SYN queued for simultaneous open (not lost: answered by tick() or a v6 SYN). */
  'syn-held',
  /** 4→6 TCP SYN refused: the simultaneous-open queue is full. */
  'syn-queue-full',
  /** Hairpin to a pool4 address/port with no binding; ICMPv6 1/4 sent. */
  'hairpin-no-binding',
  /** Non-first fragment whose first fragment was never seen (hold full or disabled), or released without its first. */
  'fragment-no-session',
  /** Out-of-order fragment held (not lost yet: released with its first fragment). */
  'fragment-held',
  /** A held fragment expired before its first fragment arrived. */
  'fragment-expired',
  /** Fragment of an IPv4 UDP datagram with checksum 0 held to compute it, when the hold is full or disabled (the held fragments of the datagram go too). */
  'udp-zero-checksum-fragment',
  /** Caller gave less headroom in front of the packet than the translation needs. */
  'no-headroom',
  /** The `out` buffer is too small for the ICMP error or fragments (or a released datagram has more than MAX_FRAGMENTS pieces). */
  'out-too-small',
  /** A fragment with the same range as one already held (RFC 5722 allows dropping exact duplicates). */
  'fragment-duplicate',
  /** A held-for fragment that overlaps or contradicts the held ones, or is malformed (RFC 5722): its datagram's held fragments go too. */
  'fragment-invalid',
  /** Fragment of an ICMP echo datagram held until complete, when the hold is full or disabled (the held fragments of the datagram go too). */
  'fragment-hold-full',
  /** An ICMP error the translator would originate (TTL, filtering, source route, limits, too big …) was over its rate limit (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8): the packet is dropped without an answer. */
  'icmp-rate-limited',
] as const;

/** One of `DROP_REASONS`. */
export type DropReason = (typeof DROP_REASONS)[number];

/** Drop counters: one field per reason. */
export type DropCounters = { [K in DropReason]: number };

/** Fixed-shape counters of one Translator. */
export class TranslatorCounters {
  /** IPv6 packets received (translate() calls with an IPv6 packet). */
  packetsIn6 = 0;
  /** IPv4 packets received. */
  packetsIn4 = 0;
  /** Packets forwarded 6→4 (fragments count one each). */
  packetsOut4 = 0;
  /** Packets forwarded 4→6 (fragments count one each). */
  packetsOut6 = 0;
  /** Bytes of forwarded IPv4 packets. */
  bytesOut4 = 0;
  /** Bytes of forwarded IPv6 packets. */
  bytesOut6 = 0;
  /** Packets hairpinned 6→4→6. */
  hairpinned = 0;
  /** ICMP errors the translator generated itself. */
  icmpErrorsSent = 0;
  /** ICMP errors translated across families. */
  icmpErrorsTranslated = 0;
  /** IPv6 fragments produced by splitting IPv4 packets. */
  fragmentsMade = 0;
  /** TCP SYNs whose MSS option was lowered. */
  mssClamped = 0;
  /** IPv4 UDP packets with checksum 0 whose checksum was computed. */
  udpZeroChecksumFixed = 0;
  /** Held SYNs answered with ICMPv4 3/3 by tick(). */
  expiredSynReplies = 0;
  /** Packets not forwarded, by reason. */
  readonly drops: DropCounters = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as DropCounters;
}

/** A detached copy of the counters. */
export type TranslatorSnapshot = Omit<TranslatorCounters, 'drops'> & { readonly drops: Readonly<DropCounters> };

/** Copies `c` into a plain object (not on the hot path). */
export function snapshotCounters(c: TranslatorCounters): TranslatorSnapshot {
  return { ...c, drops: { ...c.drops } };
}
