/**
 * ProbePorts: what a probe needs of the running system, and nothing more. The
 * daemon implements it twice: inside `sixgate run` over the live appliance, and
 * for the `sixgate probe` command over the admin API plus the host's routing
 * table. Tests implement it with a fake.
 */

/** Facts of the running appliance a probe reads once per run. */
export interface ProbeContext {
  /** The live NAT64 prefix, e.g. "64:ff9b::/96". */
  readonly prefix: string;
  /** sixgate's own DNS64 listener as the probe reaches it (an unspecified listen address becomes loopback). */
  readonly dns: { readonly address: string; readonly port: number };
  /** The TUN device the prefix must be routed into. */
  readonly tun: string;
  /** pool4 prefixes ("203.0.113.0/28"). */
  readonly pool4: readonly string[];
}

/** Where the kernel routes things; read by the routing step. */
export interface RouteFacts {
  /** The device the kernel routes `probeAddress` (an address under the prefix) to; undefined: no route. */
  readonly prefixDevice: string | undefined;
  /** pool4 addresses found on an interface (each one steals the replies meant for the translator). */
  readonly pool4OnInterface: readonly { readonly address: string; readonly device: string }[];
}

/** The translator's cumulative counters; the probe compares two readings. */
export interface TranslatorCounters {
  /** Drops by reason (nat64's DropReason names: "pool-exhausted", "session-limit", "policy-deny", …). */
  readonly drops: Readonly<Record<string, number>>;
  /** Packets translated IPv6 → IPv4 and IPv4 → IPv6. */
  readonly packets6to4: number;
  readonly packets4to6: number;
  /** pool4 address/port pairs used and available. */
  readonly pool4Used: number;
  readonly pool4Size: number;
}

export interface ProbePorts {
  context(): Promise<ProbeContext>;
  /**
   * The id of the policy rule that refuses `source6` → `v4`: with `proto`
   * (and `port`), for that flow; without, the rule that makes DNS64 refuse to
   * synthesize (every flow refused). Undefined: allowed.
   */
  refusingRule(source6: string, v4: string, flow?: { proto: 'tcp' | 'udp' | 'icmp'; port?: number }): Promise<string | undefined>;
  /** Routing facts for an address under the prefix. */
  routes(probeAddress: string, ctx: ProbeContext): Promise<RouteFacts>;
  counters(): Promise<TranslatorCounters>;
  /**
   * Makes the appliance advertise at most `mss` in TCP SYNs it sends to
   * `dst6` (the path MTU search); resolves to the undo. Absent: no search.
   */
  limitMss?(dst6: string, mss: number): Promise<() => Promise<void>>;
}
