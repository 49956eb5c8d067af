/**
 * The contract between the translator (src/translator.ts, src/translate/) and
 * the RFC 6146 state tables (src/state/). The translator never touches the
 * tables' internals; it calls this interface with primitive arguments so the
 * hot path allocates nothing, and reads session fields through a handle.
 *
 * A handle is a non-negative integer naming one session. It is valid until the
 * next mutating call (outbound, inbound, tick, flush, add/remove static).
 * Negative results are the `StateFail` codes below.
 */
import type { Pool4Usage } from './pool4.js';
import type { Ipv4Cidr, Ipv6Cidr } from '@sixgate/addressing';

/** Protocol numbers as in IPv4; ICMPv6 echo flows use ICMP (1). */
export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
/** A protocol with state: TCP, UDP or ICMP query. */
export type Proto = typeof TCP | typeof UDP | typeof ICMP;

/** TCP flag bits as in byte 13 of the TCP header. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Why the state layer refused a packet (negative handle values). */
export const StateFail = {
  /** 4→6: nothing in the BIB for this pool4 address/port (RFC 6146 §3.5.x). */
  noBinding: -1,
  /** 6→4: no free address/port in pool4 for a new binding. */
  poolExhausted: -2,
  /** The total session limit is reached. */
  sessionLimit: -3,
  /** This IPv6 client's session limit is reached. */
  clientSessionLimit: -4,
  /** 4→6: address-dependent filtering refused an unknown remote (RFC 6146 §3.5.2.1). */
  filtered: -5,
  /** 4→6: externally initiated TCP while `dropExternallyInitiatedTcp` is on. */
  externalTcp: -6,
  /** 4→6: a TCP SYN with no binding was queued for simultaneous open (not a drop yet). */
  synHeld: -7,
  /** 4→6: a SYN would be held but the queue is full. */
  synQueueFull: -8,
  /** TCP segment that cannot start a session (e.g. 6→4 non-SYN with no session). */
  tcpNoSession: -9,
  /**
   * A packet that would create state (binding, session, held SYN) reached an
   * HA standby (`standby` set): only the active allocates (ADR 8). Packets of
   * sessions the standby holds are translated as usual.
   */
  standby: -10,
} as const;

/** Session lifetimes in milliseconds (RFC 6146 §4 defaults in comments). */
export interface Timeouts {
  /** UDP, default 300 000 (5 min). */
  readonly udp: number;
  /** TCP established, default 7 440 000 (2 h 4 min). */
  readonly tcpEstablished: number;
  /** TCP transitory, default 240 000 (4 min). */
  readonly tcpTransitory: number;
  /** ICMP query, default 60 000. */
  readonly icmp: number;
  /** Held incoming SYN for simultaneous open, default 6 000. */
  readonly tcpIncomingSyn: number;
}

/** One pool4 range with the ports each protocol may use. */
export interface Pool4Range {
  readonly cidr: Ipv4Cidr;
  /** Inclusive port ranges; ICMP uses identifiers. Defaults: 1024-65535 for each. */
  readonly ports?: { readonly tcp?: readonly [number, number]; readonly udp?: readonly [number, number]; readonly icmp?: readonly [number, number] };
}

/** Options of the state tables. */
export interface StateOptions {
  readonly pool4: readonly Pool4Range[];
  readonly timeouts: Timeouts;
  /** Maximum sessions in total (default 1 000 000) and per IPv6 client (default 10 000). */
  readonly maxSessions: number;
  readonly maxSessionsPerClient: number;
  /** RFC 6146 §3.5.2.1 / RFC 4787: only remotes the client talked to may come in. */
  readonly addressDependentFiltering: boolean;
  /** Drop IPv4-initiated TCP SYNs that match no session (RFC 6146 §3.5.2.2). */
  readonly dropExternallyInitiatedTcp: boolean;
  /** Maximum held SYNs for simultaneous open (default 10). */
  readonly maxHeldSyns: number;
  /** Key of the RFC 6056 algorithm 3 port-selection hash; random when absent. */
  readonly portSecret?: Uint8Array;
}

/** A held incoming SYN whose 6 s ran out: the translator answers ICMPv4 3/3 quoting it. */
export interface ExpiredSyn {
  readonly packet: Uint8Array;
}

/** One BIB entry as the API shows it. */
export interface BibEntry {
  readonly id: string;
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly ipv6: string; // "[2001:db8::1]:1234"
  readonly ipv4: string; // "192.0.2.1:1234"
  readonly static: boolean;
  readonly sessions: number;
}

/** One session as the API shows it. */
export interface SessionEntry {
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly ipv6Client: string; // "[2001:db8::1]:1234"
  readonly ipv6Server: string; // "[64:ff9b::c000:221]:80" (prefix + remote)
  readonly ipv4Local: string; // pool4 side "192.168.255.1:61000"
  readonly ipv4Remote: string; // "192.0.2.33:80"
  readonly state: string; // TCP state name or "established" for UDP/ICMP
  readonly expiresInMs: number;
}

/** A session or binding event for RFC 6888-style logging. */
export interface StateEvent {
  readonly kind: 'bib-created' | 'bib-removed' | 'session-created' | 'session-removed';
  readonly at: number; // clock ms
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly ipv6: string;
  readonly ipv4: string;
  readonly remote4?: string;
  readonly reason?: 'expired' | 'flushed' | 'removed' | 'prefix-change';
}

/**
 * The RFC 6146 state: BIB, sessions, pool4, timers, TCP state machine.
 * Implemented by `Nat64State` in src/state/.
 *
 * IPv4 address arguments are 32-bit values passed as int32 or uint32 (the
 * translator passes int32: no boxing at calls); implementations must treat
 * both forms alike (`| 0` or `>>> 0`). Returned addresses are uint32.
 */
export interface StateApi {
  /**
   * 6→4 packet from the 16-byte IPv6 address at `buf[src6Off]`, port or ICMP
   * id `port6`, to `dst4:dstPort` (for ICMP, dstPort = port6). Finds or creates
   * the binding (endpoint-independent mapping) and the session, updates the
   * timer and TCP state. Returns a handle or a negative StateFail.
   */
  outbound(proto: Proto, buf: Uint8Array, src6Off: number, port6: number, dst4: number, dstPort: number, tcpFlags: number): number;
  /**
   * 4→6 packet from `src4:srcPort` to the pool4 address `dst4:dstPort` (ICMP:
   * srcPort = dstPort = identifier). Finds the binding, applies filtering,
   * creates or updates the session. Returns a handle or a negative StateFail.
   * For a TCP SYN without binding, the state copies `packet[pktOff..+pktLen)`
   * (default: all of it; passing the window avoids a subarray per SYN) into the
   * simultaneous-open queue and returns `synHeld` (or `synQueueFull`).
   */
  inbound(proto: Proto, src4: number, srcPort: number, dst4: number, dstPort: number, tcpFlags: number, packet: Uint8Array, pktOff?: number, pktLen?: number): number;
  /** Side-effect-free lookup by the IPv6 tuple (inner packets of ICMP errors). -1 if none. */
  findOutbound(proto: Proto, buf: Uint8Array, src6Off: number, port6: number, dst4: number, dstPort: number): number;
  /**
   * 6→4 packet of the session `h` just returned by `findOutbound` (no
   * mutating call in between): applies it exactly as `outbound` would to that
   * existing session (timer restart, TCP state step from `tcpFlags`) without a
   * second lookup. Returns `h`, or -1 when `h` names no live session.
   */
  refreshOutbound(h: number, tcpFlags: number): number;
  /** Side-effect-free lookup by the IPv4 tuple. -1 if none. */
  findInbound(proto: Proto, src4: number, srcPort: number, dst4: number, dstPort: number): number;
  /** Side-effect-free lookup of a binding's IPv6 side by its pool4 address/port; copies the address. Returns port6 or -1. */
  findBinding4(proto: Proto, addr4: number, port4: number, out6: Uint8Array, outOff: number): number;

  /**
   * Optional: the translator hands over a one-element Float64Array holding
   * the time of the packet it translates (written once per packet); the
   * packet path then reads it instead of calling the clock (no boxed doubles).
   */
  shareTime?(cell: Float64Array): void;
    /** Handle accessors. */
  addr4(h: number): number;
  /** `addr4` as an int32 (`| 0`): a uint32 above 2^31 returned from a call that is not inlined is boxed (allocated). */
  addr4i(h: number): number;
  port4(h: number): number;
  port6(h: number): number;
  remote4(h: number): number;
  remotePort(h: number): number;
  copyAddr6(h: number, out: Uint8Array, off: number): void;

  /** Is `addr` one of pool4's addresses? (hairpin detection, loop protection) */
  isPool4(addr: number): boolean;

  /** Runs due timers: expires sessions (and bindings left without sessions); returns SYNs whose hold ran out. O(expired). */
  tick(): readonly ExpiredSyn[];

  /** Static BIB entries: publish an IPv6 server on a pool4 address:port. Throws on conflict. */
  addStatic(proto: Proto, addr6: Uint8Array, port6: number, addr4: number, port4: number): BibEntry;
  removeStatic(id: string): boolean;

  listBib(filter?: { protocol?: Proto }): BibEntry[];
  listSessions(filter: { protocol?: Proto; limit: number; offset: number }, prefix: Ipv6Cidr): { total: number; items: SessionEntry[] };
  /** Removes every dynamic session and binding; returns how many sessions went. */
  flush(reason: StateEvent['reason']): number;
  /** Sessions by protocol and TCP state, bindings, pool4 ports in use vs available. */
  stats(): { sessions: Record<string, number>; bindings: number; pool4Used: number; pool4Size: number };
  /** pool4 ports in use vs available per protocol, in total and per address (at most `limit` addresses; see Pool4.usage). */
  pool4Usage(limit: number): Pool4Usage;

  /** A JSON-safe snapshot with remaining lifetimes, and its inverse. */
  snapshot(): unknown;
  restore(snap: unknown): number;

  /** Called for every BIB/session create and delete when set. */
  onEvent: ((e: StateEvent) => void) | undefined;
}

export type { Pool4Usage } from './pool4.js';
