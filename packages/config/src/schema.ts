/**
 * THE sixgate configuration schema (SPEC §4). One TypeBox object validates the
 * config file, the admin API's PATCH bodies (through `ConfigPatchSchema`) and
 * generates the OpenAPI document.
 *
 * Contract: every key has a `default` and a `description`; times are seconds,
 * sizes are bytes. Objects reject unknown keys (a typo must not be ignored).
 * TypeBox cannot express CIDR rules, so `semantic.ts` runs after it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

/** `"lo-hi"` or `"n"`; the numeric bounds are checked in semantic.ts. */
const RANGE_PATTERN = '^[0-9]{1,5}(-[0-9]{1,5})?$';

function enumOf<T extends string>(values: readonly T[], options: { default?: T; description: string }) {
  return Type.Union(values.map((v) => Type.Literal(v)), options);
}

function seconds(def: number, description: string, minimum = 1, maximum = 86_400 * 7) {
  return Type.Number({ default: def, minimum, maximum, description });
}

function int(def: number, description: string, minimum: number, maximum: number) {
  return Type.Integer({ default: def, minimum, maximum, description });
}

function flag(def: boolean, description: string) {
  return Type.Boolean({ default: def, description });
}

function strings(def: string[], description: string, options: { minItems?: number; maxItems?: number } = {}) {
  return Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { default: def, description, maxItems: 1024, ...options });
}

/** DNS64 response cache limits. */
export const CacheSchema = Type.Object(
  {
    maxEntries: int(100_000, 'Most answers kept in the DNS64 cache (0 disables the cache)', 0, 100_000_000),
    maxBytes: int(67_108_864, 'Most bytes the DNS64 cache holds: each answer counts its arena block (the answer and its TTL offsets, rounded up to a power of two, at least 64 bytes) and 64 bytes of index', 0, 2 ** 40),
    // The bounds are the DNS64 resolver's own (packages/dns64 validateDns64Options): a day, a week, a day.
    minTtl: int(0, 'Shortest TTL the cache keeps an answer for (seconds)', 0, 86_400),
    // RFC 2181 §8: a TTL is a 31-bit unsigned value; the cache keeps an answer a week at most.
    maxTtl: int(86_400, 'Longest TTL the cache keeps an answer for (seconds)', 0, 604_800),
    // RFC 2308 §5: negative answers are cached for the SOA minimum, capped here.
    maxNegativeTtl: int(3_600, 'Longest time a negative answer (NXDOMAIN/NODATA) is cached (seconds)', 0, 86_400),
  },
  { ...strict, default: {}, description: 'DNS64 answer cache' },
);

/** Per-client query rate limiting: a token bucket per client address under a larger one per client subnet. */
export const RateLimitSchema = Type.Object(
  {
    perSecond: int(1_000, 'Queries per second allowed per client address (0 = no per-address limit)', 0, 10_000_000),
    burst: int(2_000, 'Queries a client address may send at once above the rate', 0, 10_000_000),
    prefixPerSecond: int(50_000, 'Queries per second allowed per client subnet, all its addresses together (0 = no per-subnet limit)', 0, 10_000_000),
    prefixBurst: int(100_000, 'Queries a client subnet may send at once above its rate', 0, 100_000_000),
    ipv4PrefixLength: int(24, 'IPv4 clients are grouped into subnets of this length for the per-subnet limit', 0, 32),
    ipv6PrefixLength: int(56, 'IPv6 clients are grouped into subnets of this length for the per-subnet limit', 0, 128),
    // RRL practice: a limited query gets a small answer (TC=1 "slip" or REFUSED), never silence.
    response: enumOf(['truncate', 'refuse'] as const, { default: 'truncate', description: 'Answer to a query over the limit: "truncate" (TC=1, the client retries over TCP) or "refuse" (REFUSED)' }),
    exemptLoneClient: flag(true, 'Do not limit an address (subnet) while no other address (subnet) has asked in the last second: it delays nobody'),
  },
  { ...strict, default: {}, description: 'Per-client DNS query rate limit (UDP)' },
);

/** DNS over TCP listener limits. */
export const DnsTcpSchema = Type.Object(
  {
    idleTimeout: seconds(10, 'Seconds of idle time after which a DNS TCP connection is closed', 0.1, 3_600),
    // RFC 7766 §6.2.3: a server may close connections that hold resources without progress.
    messageTimeout: seconds(5, 'Seconds a DNS message may take to arrive whole over TCP, from its first byte (later bytes do not extend it)', 0.1, 3_600),
    maxConnections: int(256, 'Most concurrent DNS TCP connections', 1, 65_535),
    maxConnectionsPerClient: int(16, 'Most concurrent DNS TCP connections from one client address', 1, 65_535),
  },
  { ...strict, default: {}, description: 'DNS over TCP' },
);

/** The DNS64 resolver (RFC 6147). */
export const Dns64Schema = Type.Object(
  {
    listen: strings(['[::]:53'], 'Addresses the DNS64 resolver listens on, "addr:port" or "[v6addr]:port" (UDP and TCP)', { minItems: 1 }),
    upstreams: strings([], 'Upstream resolvers "addr" or "addr:port" / "[v6addr]:port" (empty = the nameservers in /etc/resolv.conf)'),
    clients: strings([], 'Client prefixes allowed to query, IPv4 or IPv6 CIDR (empty = loopback + the subnets of the host\'s interfaces that do not carry a default route; the uplink\'s subnet is refused)'),
    // RFC 6147 §5.1.4: AAAA answers inside these prefixes are treated as absent.
    exclude: strings(['::ffff:0:0/96'], 'IPv6 prefixes whose AAAA records are ignored, so A records are synthesized instead (RFC 6147 §5.1.4)'),
    // RFC 6147 §5.1.2: a server failure answer may be treated as "no AAAA".
    synthesizeOnError: flag(true, 'Synthesize from A records when the AAAA query fails with an error other than NXDOMAIN (RFC 6147 §5.1.2)'),
    // RFC 6147 §5.1.8: the two queries MAY be sent in parallel.
    parallelA: enumOf(['auto', 'always', 'never'] as const, { default: 'auto', description: 'When the A question goes out together with the AAAA question instead of after an empty AAAA answer (RFC 6147 §5.1.8; never for DNSSEC-OK queries): "auto" while the upstream round trip (the shortest AAAA answer time of the last 10–20 s) is 1 ms or more, "always", "never". Together, a synthesized answer waits for one upstream round trip instead of two, and a name with AAAA records costs one A query more' }),
    noSynthesis: strings([], 'Domain names (and their subdomains) for which no AAAA record is ever synthesized'),
    ignoreAaaa: strings([], 'Domain names (and their subdomains) whose real AAAA records are ignored and always synthesized'),
    timeout: seconds(2, 'Seconds to wait for an upstream answer before trying the next upstream', 0.1, 60),
    cache: CacheSchema,
    rateLimit: RateLimitSchema,
    maxOutstanding: int(4_096, 'Most upstream queries in flight at once; more are answered SERVFAIL', 1, 1_000_000),
    // draft-vixie-dnsext-dns0x20: the answer must echo the random case, one more thing a spoofer must guess.
    upstreamCaseRandomization: flag(true, 'Ask upstreams with random letter case in the name (0x20) and drop answers that do not echo it exactly'),
    // RFC 5452 §9.2: a port an attacker learned stays useful for at most this many more queries.
    upstreamPortUses: int(32, 'Upstream queries sent from one random UDP source port before it is replaced by a new one (1 = a new port per query)', 1, 65_535),
    tcp: DnsTcpSchema,
  },
  { ...strict, default: {}, description: 'DNS64 resolver (RFC 6147)' },
);

/** Pool4 port ranges per protocol, `"lo-hi"`. */
export const PortRangesSchema = Type.Object(
  {
    tcp: Type.String({ default: '1024-65535', pattern: RANGE_PATTERN, description: 'TCP ports of pool4 addresses the translator allocates, "lo-hi"' }),
    udp: Type.String({ default: '1024-65535', pattern: RANGE_PATTERN, description: 'UDP ports of pool4 addresses the translator allocates, "lo-hi"' }),
    icmp: Type.String({ default: '1024-65535', pattern: RANGE_PATTERN, description: 'ICMP query identifiers the translator allocates, "lo-hi"' }),
  },
  { ...strict, default: {}, description: 'Pool4 port (ICMP identifier) ranges' },
);

/** Rate limit of the ICMP errors the translator originates (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8). */
export const IcmpErrorLimitSchema = Type.Object(
  {
    rate: int(1_000, 'ICMP errors the translator originates per second, all sources together (token bucket; 0 = send none)', 0, 1_000_000),
    burst: int(200, 'ICMP errors that may leave at once before the global rate applies', 1, 1_000_000),
    perSourceRate: int(100, 'ICMP errors per second to one source prefix (IPv4 /24, IPv6 /64; 4096 hashed buckets; 0 = send none)', 0, 1_000_000),
    perSourceBurst: int(100, 'ICMP errors that may leave at once to one source prefix', 1, 1_000_000),
  },
  { ...strict, default: {}, description: 'Rate limit of the ICMP errors the translator sends itself (TTL exceeded, filtering, source route, limits, packet too big); excess packets are dropped and counted as icmp-rate-limited' },
);

/** Session lifetimes, RFC 6146 §3.5. */
export const TimeoutsSchema = Type.Object(
  {
    // RFC 6146 §3.5.1: at least UDP_Min = 2 minutes is recommended; 5 minutes is the default.
    udp: seconds(300, 'UDP session lifetime in seconds (RFC 6146 §3.5.1 recommends at least 120)'),
    // RFC 6146 §3.5.2.2: TCP_EST is at least 2 hours 4 minutes.
    // At most 2^31 - 1 ms (24.8 days): the translator's timers are 31-bit milliseconds.
    tcpEstablished: seconds(7_440, 'Established TCP session lifetime in seconds (RFC 6146 §3.5.2.2 TCP_EST)', 1, 2_147_483),
    tcpTransitory: seconds(240, 'Transitory TCP session lifetime in seconds (RFC 6146 §3.5.2.2 TCP_TRANS)'),
    icmp: seconds(60, 'ICMP query session lifetime in seconds (RFC 6146 §3.5.3 ICMP_DEFAULT)'),
    // RFC 6146 §3.5.2.2: an unsolicited IPv4 SYN is held at least 6 seconds.
    tcpIncomingSyn: seconds(6, 'Seconds an unsolicited IPv4 SYN is held waiting for an IPv6 SYN (RFC 6146 §3.5.2.2)', 1, 600),
  },
  { ...strict, default: {}, description: 'Session timeouts' },
);

/** One static BIB entry (RFC 6146 §3.5 "manually configured" mapping). */
export const StaticBibSchema = Type.Object(
  {
    protocol: enumOf(['tcp', 'udp', 'icmp'] as const, { description: 'Transport protocol of the mapping' }),
    ipv6: Type.String({ minLength: 1, maxLength: 64, description: 'IPv6 transport address "[addr]:port" (port = identifier for ICMP)' }),
    ipv4: Type.String({ minLength: 1, maxLength: 32, description: 'IPv4 transport address "addr:port" inside pool4 and its port range' }),
  },
  { ...strict, description: 'A static BIB entry' },
);
export type StaticBibEntry = Static<typeof StaticBibSchema>;

/** One translation policy rule; the first matching rule decides. */
export const PolicyRuleSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'Unique rule name (letters, digits, "_", ".", "-")' }),
    action: enumOf(['allow', 'deny'] as const, { description: 'What happens to a matching new session' }),
    source6: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IPv6 source prefix the rule matches (any when absent)' })),
    destination4: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'IPv4 destination prefix the rule matches (any when absent)' })),
    protocol: Type.Optional(enumOf(['tcp', 'udp', 'icmp'] as const, { description: 'Protocol the rule matches (any when absent)' })),
    ports: Type.Optional(Type.String({ pattern: RANGE_PATTERN, description: 'Destination port "80" or range "1000-2000" (tcp/udp only)' })),
  },
  { ...strict, description: 'A translation policy rule' },
);
export type PolicyRule = Static<typeof PolicyRuleSchema>;

/** The stateful NAT64 translator (RFC 6146, RFC 7915). */
export const Nat64Schema = Type.Object(
  {
    tun: Type.String({ default: 'sixgate0', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$', description: 'Name of the TUN device the translator creates (at most 15 characters)' }),
    mtu: int(1_500, 'MTU of the TUN device', 1_280, 65_535),
    // The kernel's default of 500 packets is 5 ms at 100 kpps: one late wake-up of the packet loop
    // and the TUN queue drops (measured in docs/benchmarks.md, "Data path").
    txQueueLength: int(10_000, 'Transmit queue length of the TUN device in packets (packets waiting for the translator)', 1, 1_000_000),
    // One translation per TCP super-packet instead of per segment (packages/datapath/src/offload.ts).
    offload: flag(true, 'Open the TUN device with checksum and TCP segmentation offload (IFF_VNET_HDR): TCP moves as 64 KiB super-packets'),
    // One write per run of same-flow UDP datagrams instead of per datagram (packages/datapath/src/coalesce.ts, ADR 6).
    coalesce: flag(true, 'With offload, write each run of same-flow UDP datagrams in a batch to the TUN device as one UDP GSO super-packet; the kernel cuts it back into the datagrams. Needs Linux 6.2 or later; off with a warning on older kernels'),
    pool4: strings(['192.168.255.0/24'], 'IPv4 prefixes the translator uses as source addresses (must not overlap)', { minItems: 1, maxItems: 64 }),
    ports: PortRangesSchema,
    manageRoutes: flag(true, 'Route the NAT64 prefix and pool4 into the TUN device and remove the routes on exit'),
    // RFC 7915 §6: IPv6 path MTU never below 1280.
    lowestIpv6Mtu: int(1_280, 'Smallest MTU on IPv6 paths, used to size translated IPv4 packets without DF (RFC 7915 §4)', 1_280, 65_535),
    // The translator's floor: 576, what every IPv4 host must accept (RFC 791, RFC 1122 §3.3.3).
    ipv4Mtu: int(1_500, 'MTU of the IPv4 side, used in ICMPv6 Packet Too Big (RFC 7915 §5)', 576, 65_535),
    timeouts: TimeoutsSchema,
    maxSessions: int(1_000_000, 'Most sessions in the table; new flows beyond it are dropped', 1, 100_000_000),
    maxSessionsPerClient: int(10_000, 'Most sessions one IPv6 client may hold', 1, 100_000_000),
    maxHeldSyns: int(10, 'Most unsolicited IPv4 SYNs held at once (RFC 6146 §3.5.2.2)', 0, 1_000_000),
    addressDependentFiltering: flag(false, 'Accept inbound IPv4 packets only from addresses the IPv6 client has sent to (RFC 6146 §3.5.1, RFC 4787)'),
    dropExternallyInitiatedTcp: flag(false, 'Drop unsolicited inbound IPv4 TCP SYNs instead of holding them (RFC 6146 §3.5.2.2)'),
    wkpStrict: flag(true, 'With the well-known prefix 64:ff9b::/96, refuse to translate non-global IPv4 addresses (RFC 6052 §3.1)'),
    mssClamp: flag(true, 'Lower the TCP MSS option on SYNs so segments fit both MTUs'),
    rfc6791Pool: strings([], 'IPv4 prefixes or addresses that source the ICMPv4 errors translated from ICMPv6 errors whose IPv6 source cannot be mapped to IPv4 (RFC 6791 §3): one address per IPv6 source, chosen by a hash of it, network and broadcast addresses of prefixes up to /30 left out (empty = the translator\'s own address, the first usable address of the first pool4 prefix)'),
    sourceIcmpErrorsBetter: flag(true, 'Source an ICMPv6 error translated from an ICMPv4 error at the reporting IPv4 router (prefix + router address), so traceroute shows the IPv4 hops; off: prefix + the inner destination, as RFC 6146 §3.5.3 has it'),
    zeroizeTrafficClass: flag(false, 'Set the IPv6 Traffic Class / IPv4 TOS to zero instead of copying it (RFC 7915 §4.1)'),
    staticBib: Type.Array(StaticBibSchema, { default: [], maxItems: 65_536, description: 'Static BIB entries (port forwards from IPv4 to IPv6 servers)' }),
    policy: Type.Array(PolicyRuleSchema, { default: [], maxItems: 4_096, description: 'Translation policy rules, first match wins; no match means allow' }),
    sessionLog: flag(false, 'Log one JSON line per session created and removed'),
    icmpErrors: IcmpErrorLimitSchema,
  },
  { ...strict, default: {}, description: 'Stateful NAT64 translator (RFC 6146, RFC 7915)' },
);

/** A prefix announced in router advertisements (RFC 4861 §4.6.2). */
export const RaPrefixSchema = Type.Object(
  {
    prefix: Type.String({ minLength: 1, maxLength: 64, description: 'IPv6 prefix, e.g. "2001:db8:1::/64" (a /64 for SLAAC)' }),
    // Optional without defaults: array items are replaced whole by a PATCH (see deepPartial).
    onLink: Type.Optional(Type.Boolean({ description: 'On-link flag (L): hosts reach addresses in the prefix directly (default true)' })),
    autonomous: Type.Optional(Type.Boolean({ description: 'Autonomous flag (A): hosts form addresses in the prefix by SLAAC (default true)' })),
    validLifetime: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'Valid lifetime in seconds (default 86400)' })),
    preferredLifetime: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'Preferred lifetime in seconds, at most validLifetime (default 14400)' })),
  },
  { ...strict, description: 'One prefix information option' },
);

/** Router advertisements with PREF64 and RDNSS (RFC 4861, RFC 8781, RFC 8106). */
export const RaSchema = Type.Object(
  {
    interfaces: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$' }), { default: [], maxItems: 64, description: 'Interfaces to send router advertisements on (PREF64 from prefix, RDNSS from the DNS64 addresses on that link); empty: none' }),
    minInterval: seconds(200, 'MinRtrAdvInterval: shortest time between unsolicited advertisements (RFC 4861 §6.2.1: 3 to 0.75 × maxInterval)', 3, 1_350),
    maxInterval: seconds(600, 'MaxRtrAdvInterval: longest time between unsolicited advertisements (RFC 4861 §6.2.1: 4-1800)', 4, 1_800),
    routerLifetime: int(0, 'Router lifetime in seconds; 0 announces the options without claiming to be a default router', 0, 9_000),
    defaultRouter: flag(false, 'Announce sixgate as a default router (for a LAN where it is the only router): router lifetime 3 × maxInterval when routerLifetime is 0'),
    rdnss: flag(true, 'Announce the addresses DNS64 listens on for each link (RFC 8106 RDNSS)'),
    dnssl: strings([], 'DNS search domains to announce (RFC 8106 DNSSL)', { maxItems: 16 }),
    prefixes: Type.Array(RaPrefixSchema, { default: [], maxItems: 16, description: 'Prefix information options (for a LAN where sixgate is the only router)' }),
  },
  { ...strict, default: {}, description: 'Router advertisements: PREF64 (RFC 8781) and RDNSS (RFC 8106) on the named links' },
);

/** The admin API (SPEC §7). */
export const ApiSchema = Type.Object(
  {
    listen: Type.String({ default: '127.0.0.1:8064', minLength: 1, maxLength: 64, description: 'Address of the admin API, "addr:port" or "[v6addr]:port"' }),
    token: Type.Optional(Type.String({ minLength: 16, maxLength: 256, pattern: '^[\\x21-\\x7e]+$', description: 'Bearer token for the admin API, at least 16 characters (generated on first start when absent)' })),
  },
  { ...strict, default: {}, description: 'Admin API' },
);

/** Logging. */
export const LogSchema = Type.Object(
  {
    level: enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, { default: 'info', description: 'Least severe level written to the log' }),
  },
  { ...strict, default: {}, description: 'Logging' },
);

/** The high-availability pair (ADR 8, docs/high-availability.md). Every ha.* key is per node: never synced. */
export const HaSchema = Type.Object(
  {
    enabled: flag(false, 'Run as one node of a high-availability pair: sync sessions and configuration with the peer'),
    nodeId: Type.String({ default: '', maxLength: 64, pattern: '^[A-Za-z0-9._-]*$', description: 'This node\'s name in the pair (empty: the host name)' }),
    listen: Type.String({ default: '0.0.0.0:6464', minLength: 1, maxLength: 64, description: 'Where this node accepts the peer\'s sync link, "addr:port" or "[v6addr]:port"' }),
    peer: Type.String({ default: '', maxLength: 64, description: 'The peer\'s sync address (its ha.listen), "addr:port" or "[v6addr]:port"; required when enabled' }),
    key: Type.Optional(Type.String({ minLength: 64, maxLength: 1024, pattern: '^[0-9a-fA-F]+$', description: 'Pre-shared key of the sync link, hex, at least 32 bytes (prefer ha.keyFile)' })),
    keyFile: Type.String({ default: '', maxLength: 4_096, description: 'File holding the pre-shared key of the sync link (hex, e.g. "openssl rand -hex 32"); used when ha.key is absent' }),
    roleFrom: enumOf(['keepalived', 'static'] as const, { default: 'keepalived', description: 'Where the role comes from: keepalived\'s notify script ("sixgate ha notify"), or ha.role alone' }),
    role: enumOf(['standby', 'active'] as const, { default: 'standby', description: 'Role at start (with roleFrom "static": always)' }),
    queueRecords: int(65_536, 'Session records the sync queue holds; beyond it records are dropped, counted, and a bulk resync follows', 64, 16_777_216),
    refreshSeconds: int(30, 'The coarse timer refresh sends every session\'s remaining lifetime to the standby once per this many seconds', 1, 3_600),
  },
  { ...strict, default: {}, description: 'High-availability pair: session and config sync (ADR 8)' },
);

/** One continuous probe: a `sixgate probe` target the daemon runs every `interval` seconds (packages/probe). */
export const ProbeTargetSchema = Type.Object(
  {
    target: Type.String({ minLength: 1, maxLength: 2048, description: 'What to probe: a name, an IPv4 address, an http(s) URL, "host:port" (TCP), "udp:host:port" or "dns:<IPv4>"' }),
    interval: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400, description: 'Seconds between runs (default 60; each delay varies by ±10 %)' })),
    critical: Type.Optional(Type.Boolean({ description: 'When its last run failed, GET /api/v1/health says "degraded" (still 200: sixgate itself runs)' })),
    expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'URL targets: the HTTP status that counts as success (default: any 2xx or 3xx)' })),
    expectBody: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'URL targets: text the response body must contain' })),
    insecure: Type.Optional(Type.Boolean({ description: 'https targets: do not check the certificate chain and name' })),
    ca: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'https targets: PEM file with extra trusted CA certificates' })),
    payload: Type.Optional(Type.String({ minLength: 1, maxLength: 1200, description: 'udp targets: the datagram to send (default "sixgate probe\\n")' })),
  },
  { ...strict, description: 'A continuous probe' },
);

/** Continuous probes through DNS64 and the translator (`sixgate probe`'s targets, run by the daemon). */
export const ProbesSchema = Type.Object(
  {
    concurrency: int(4, 'Most probe runs at once', 1, 64),
    timeoutMs: int(5_000, 'Bound of each probe step in milliseconds', 100, 60_000),
    targets: Type.Array(ProbeTargetSchema, { default: [], maxItems: 256, description: 'Targets probed continuously (empty: no probes)' }),
  },
  { ...strict, default: {}, description: 'Continuous probes (packages/probe)' },
);

/** The whole configuration (SPEC §4): prefix, dns64, nat64, api, stateDir, log. */
export const ConfigSchema = Type.Object(
  {
    prefix: Type.String({ default: '64:ff9b::/96', minLength: 1, maxLength: 64, description: 'NAT64 prefix used by DNS64 synthesis and the translator (RFC 6052: /32, /40, /48, /56, /64 or /96)' }),
    dns64: Dns64Schema,
    nat64: Nat64Schema,
    api: ApiSchema,
    stateDir: Type.String({ default: '/var/lib/sixgate', minLength: 1, maxLength: 4_096, description: 'Directory for state: session snapshots, config history, the generated API token' }),
    log: LogSchema,
    ra: RaSchema,
    probes: ProbesSchema,
    ha: HaSchema,
  },
  { ...strict, description: 'sixgate configuration' },
);

/** A complete, validated configuration. */
export type Config = Static<typeof ConfigSchema>;

/** A deep copy of `schema` with every property optional and no defaults. */
function deepPartial(schema: TSchema): TSchema {
  const copy: Record<string, unknown> = { ...schema };
  delete copy['default'];
  const props = copy['properties'] as Record<string, TSchema> | undefined;
  if (props !== undefined && schema['type'] === 'object') {
    const out: Record<string, TSchema> = {};
    // Array items stay complete: an array in a patch replaces the whole array.
    for (const [k, v] of Object.entries(props)) out[k] = v['type'] === 'object' ? deepPartial(v) : stripDefault(v);
    copy['properties'] = out;
    delete copy['required'];
  }
  return copy as TSchema;
}

function stripDefault(schema: TSchema): TSchema {
  const copy: Record<string, unknown> = { ...schema };
  delete copy['default'];
  return copy as TSchema;
}

/**
 * The PATCH body schema: the config's shape with every key optional and no
 * defaults (so a validator with `useDefaults` cannot fill in untouched keys).
 */
export const ConfigPatchSchema = deepPartial(ConfigSchema);

/** A partial configuration: what PATCH accepts. */
export type ConfigPatch = {
  [K in keyof Config]?: Config[K] extends unknown[] ? Config[K] : Config[K] extends object ? DeepPartial<Config[K]> : Config[K];
};
type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
