/**
 * Router advertisements on a set of interfaces: one raw socket and one
 * {@link LinkAdvertiser} per interface, received solicitations and
 * advertisements validated (RFC 4861 §6.1) and handed to it. The daemon
 * supplies what each link announces; the service owns no configuration.
 */
import { readFileSync } from 'node:fs';
import { constants, networkInterfaces } from 'node:os';
import { formatIpv6, parseIfInet6, tryParseIpv6, type IfInet6Entry, type Ipv6Cidr } from '@sixgate/addressing';
import { LinkAdvertiser, type Announcement, type Conflict, type LinkCounters, type LinkTiming, type Timers } from './advertiser.js';
import { ICMP6_ROUTER_ADVERT, ICMP6_ROUTER_SOLICIT, isLinkLocal, maskPrefix, parseRouterAdvert, parseRouterSolicit, type RouterAdvert } from './message.js';
import { RaSocket, type Received } from './socket.js';

/** Opens a link's socket (tests pass a fake). */
export interface LinkSocket {
  listen(onMessage: (m: Received) => void, onError: (e: Error) => void): void;
  send(message: Uint8Array, destination: Uint8Array, source: Uint8Array | null): number;
  close(): void;
}

export interface RaServiceDeps {
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly openSocket?: (ifname: string) => LinkSocket;
  /** Addresses of `ifname` (default: os.networkInterfaces()). */
  readonly interfaceAddresses?: (ifname: string) => Uint8Array[];
  /** The link-local address RAs leave from, once usable (default: {@link usableLinkLocal}). */
  readonly linkLocal?: (ifname: string) => Uint8Array | undefined;
  /** Called once per new conflict (its first sighting). */
  readonly onConflict?: (c: Conflict) => void;
  readonly onError?: (ifname: string, e: Error) => void;
}

export interface RaServiceOptions {
  readonly interfaces: readonly string[];
  readonly timing: LinkTiming;
  /** What `ifname` announces now; asked before every RA. */
  readonly announcement: (ifname: string) => Announcement;
}

/** GET /api/v1/ra's view of one interface. */
export interface LinkStatus {
  readonly interface: string;
  readonly running: boolean;
  readonly pref64: { prefix: string; lifetime: number }[];
  readonly rdnss: { addresses: string[]; lifetime: number }[];
  readonly dnssl: { domains: string[]; lifetime: number }[];
  readonly prefixes: { prefix: string; onLink: boolean; autonomous: boolean; validLifetime: number; preferredLifetime: number }[];
  readonly routerLifetime: number;
  readonly lastSent?: string;
  readonly nextUnsolicited?: string;
  /** errno code of the last RA that could not be sent. */
  readonly lastSendError?: string;
  readonly counters: LinkCounters & { invalid: Record<string, number> };
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** IPv6 addresses of `ifname` from the OS. */
export function osInterfaceAddresses(ifname: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of networkInterfaces()[ifname] ?? []) {
    if (a.family !== 'IPv6') continue;
    const b = tryParseIpv6(a.address.split('%')[0]!);
    if (b) out.push(b);
  }
  return out;
}

const errnoName = (n: number): string => Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;

/** IFA_F_DADFAILED | IFA_F_TENTATIVE (linux/if_addr.h). */
const NOT_USABLE = 0x08 | 0x40;

/** The kernel's IPv6 address table (`ifInet6` stands in for its text in tests); undefined where it cannot be read. */
function ifInet6Table(ifInet6?: string): IfInet6Entry[] | undefined {
  if (ifInet6 !== undefined) return parseIfInet6(ifInet6);
  try {
    return parseIfInet6(readFileSync('/proc/net/if_inet6', 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * The link-local address of `ifname` that may be a source now: not still in
 * duplicate address detection (RFC 4862 §5.4; the kernel refuses a tentative
 * source) and not failed. Read from /proc/net/if_inet6; where that file cannot
 * be read, the first link-local address the OS lists.
 */
export function usableLinkLocal(ifname: string, ifInet6?: string): Uint8Array | undefined {
  const table = ifInet6Table(ifInet6);
  if (table === undefined) return osInterfaceAddresses(ifname).find(isLinkLocal);
  return table.find((e) => e.ifname === ifname && isLinkLocal(e.address) && (e.flags & NOT_USABLE) === 0)?.address;
}

/** The IPv6 networks on `ifname` (address/prefix length, link-local included), from /proc/net/if_inet6; [] where it cannot be read. */
export function linkNetworks(ifname: string, ifInet6?: string): Ipv6Cidr[] {
  return (ifInet6Table(ifInet6) ?? []).filter((e) => e.ifname === ifname).map((e) => ({ bytes: maskPrefix(e.address, e.prefixLength), length: e.prefixLength }));
}

interface Link {
  readonly name: string;
  readonly socket: LinkSocket;
  readonly adv: LinkAdvertiser;
  readonly invalid: Record<string, number>;
}

export class RaService {
  private readonly links = new Map<string, Link>();
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly openSocket: (ifname: string) => LinkSocket;
  private readonly addressesOf: (ifname: string) => Uint8Array[];
  private readonly linkLocalOf: (ifname: string) => Uint8Array | undefined;
  private opts: RaServiceOptions;

  constructor(opts: RaServiceOptions, private readonly deps: RaServiceDeps = {}) {
    this.opts = opts;
    this.timers = deps.timers ?? realTimers;
    this.random = deps.random ?? Math.random;
    this.openSocket = deps.openSocket ?? ((n) => RaSocket.open(n));
    this.addressesOf = deps.interfaceAddresses ?? osInterfaceAddresses;
    this.linkLocalOf = deps.linkLocal ?? (deps.interfaceAddresses ? (n) => deps.interfaceAddresses!(n).find(isLinkLocal) : usableLinkLocal);
  }

  /** Opens every interface's socket and sends the first RAs; on a failure closes what it opened and throws. */
  start(): void {
    this.update(this.opts);
  }

  get interfaces(): string[] {
    return [...this.links.keys()];
  }

  /**
   * Moves to `next`: opens the sockets of new interfaces first (a failure
   * throws and changes nothing), then stops removed interfaces with final RAs
   * (RFC 4861 §6.2.5), retimes the rest and announces the new content at once.
   */
  update(next: RaServiceOptions): void {
    const added: Link[] = [];
    try {
      for (const name of next.interfaces) {
        if (this.links.has(name) || added.some((l) => l.name === name)) continue;
        added.push(this.makeLink(name, next));
      }
    } catch (e) {
      for (const l of added) l.socket.close();
      throw e;
    }
    this.opts = next;
    for (const [name, l] of this.links) {
      if (next.interfaces.includes(name)) continue;
      l.adv.stop(true);
      l.socket.close();
      this.links.delete(name);
    }
    for (const l of this.links.values()) {
      l.adv.setTiming(next.timing);
      l.adv.changed();
    }
    for (const l of added) {
      this.links.set(l.name, l);
      l.adv.start();
    }
  }

  /** What each link announces changed (prefix, DNS64 addresses): announce it now. */
  changed(): void {
    for (const l of this.links.values()) l.adv.changed();
  }

  /** Stops every link; with `withdraw`, final RAs with every lifetime 0 first. */
  stop(withdraw: boolean): void {
    for (const l of this.links.values()) {
      l.adv.stop(withdraw);
      l.socket.close();
    }
    this.links.clear();
  }

  conflicts(): Conflict[] {
    return [...this.links.values()].flatMap((l) => l.adv.conflicts());
  }

  /** Counters summed over the links, with foreign PREF64 sightings. */
  totals(): LinkCounters & { foreign: { interface: string; router: string; prefix: string; count: number }[] } {
    const sum: LinkCounters = { rasSent: 0, rasSolicitedUnicast: 0, rsReceived: 0, rsAnswered: 0, rsRateLimited: 0, sendErrors: 0, rasReceived: 0, foreignPref64: 0, foreignRdnss: 0 };
    const foreign: { interface: string; router: string; prefix: string; count: number }[] = [];
    for (const l of this.links.values()) {
      for (const k of Object.keys(sum) as (keyof LinkCounters)[]) sum[k] += l.adv.counters[k];
      for (const f of l.adv.foreign.values()) foreign.push({ interface: l.name, ...f });
    }
    return { ...sum, foreign };
  }

  status(): LinkStatus[] {
    return [...this.links.values()].map((l) => {
      const ra = l.adv.preview();
      const iso = (t: number): string | undefined => (t > 0 ? new Date(t).toISOString() : undefined);
      const lastSent = iso(l.adv.lastSentAt);
      const next = iso(l.adv.nextUnsolicitedAt);
      return {
        interface: l.name,
        running: l.adv.isRunning,
        pref64: ra.pref64.map((p) => ({ prefix: `${formatIpv6(p.prefix)}/${p.length}`, lifetime: p.lifetime })),
        rdnss: ra.rdnss.map((r) => ({ addresses: r.addresses.map((a) => formatIpv6(a)), lifetime: r.lifetime })),
        dnssl: ra.dnssl.map((d) => ({ domains: [...d.domains], lifetime: d.lifetime })),
        prefixes: ra.prefixes.map((p) => ({ prefix: `${formatIpv6(p.prefix)}/${p.length}`, onLink: p.onLink, autonomous: p.autonomous, validLifetime: p.validLifetime, preferredLifetime: p.preferredLifetime })),
        routerLifetime: ra.routerLifetime,
        ...(lastSent ? { lastSent } : {}),
        ...(next ? { nextUnsolicited: next } : {}),
        ...(l.adv.lastError ? { lastSendError: errnoName(l.adv.lastError) } : {}),
        counters: { ...l.adv.counters, invalid: { ...l.invalid } },
      };
    });
  }

  private makeLink(name: string, opts: RaServiceOptions): Link {
    let socket: LinkSocket;
    try {
      socket = this.openSocket(name);
    } catch (e) {
      const err = e as Error & { errno?: number };
      // EPERM: a raw ICMPv6 socket needs CAP_NET_RAW (Docker grants it by default; podman's default depends on containers.conf).
      const hint = err.errno === 1 ? ' (a raw ICMPv6 socket needs CAP_NET_RAW: run as root, or the container with --cap-add NET_RAW)' : '';
      throw Object.assign(new Error(`router advertisements on ${name}: ${err.message}${hint}`), { errno: err.errno });
    }
    const invalid: Record<string, number> = {};
    const send = (msg: Uint8Array, dst: Uint8Array): number => {
      // RFC 4861 §6.1.2: hosts drop an RA whose source is not link-local.
      const src = this.linkLocalOf(name);
      if (src === undefined) return 99; // EADDRNOTAVAIL: no usable link-local address (yet)
      return socket.send(msg, dst, src);
    };
    const adv = new LinkAdvertiser(name, opts.timing, () => this.opts.announcement(name), send, this.timers, this.random);
    const link: Link = { name, socket, adv, invalid };
    socket.listen(
      (m) => this.receive(link, m),
      (e) => this.deps.onError?.(name, e),
    );
    return link;
  }

  private receive(link: Link, m: Received): void {
    const bad = (reason: string): void => {
      link.invalid[reason] = (link.invalid[reason] ?? 0) + 1;
    };
    if (m.truncated) return bad('oversized');
    const meta = { source: m.source, hopLimit: m.hopLimit };
    const type = m.length > 0 ? m.bytes[0] : -1;
    if (type === ICMP6_ROUTER_SOLICIT) {
      const rs = parseRouterSolicit(m.bytes, m.length, meta);
      if (!rs.ok) return bad(rs.reason);
      link.adv.solicited(m.source);
    } else if (type === ICMP6_ROUTER_ADVERT) {
      // Our own RAs (another of our sockets on the same link) are not foreign.
      const own = this.interfaces.some((n) => this.addressesOf(n).some((a) => Buffer.compare(a, m.source) === 0));
      if (own) return;
      const ra = parseRouterAdvert(m.bytes, m.length, meta);
      if (!ra.ok) return bad(ra.reason);
      this.noteAdvert(link, m.source, ra.message);
    } else {
      bad('unexpected type');
    }
  }

  private noteAdvert(link: Link, source: Uint8Array, ra: RouterAdvert): void {
    const before = new Set(link.adv.conflicts().map((c) => `${c.kind} ${c.router} ${c.announced}`));
    link.adv.advertised(source, ra);
    if (!this.deps.onConflict) return;
    for (const c of link.adv.conflicts()) if (!before.has(`${c.kind} ${c.router} ${c.announced}`)) this.deps.onConflict(c);
  }
}

/**
 * The RDNSS addresses for a link (RFC 8106): only addresses DNS64 really
 * answers on, port 53 (hosts have no way to learn another port). A wildcard
 * IPv6 listener ("::") serves every address of the link: its global and
 * unique-local ones, or its link-local one when it has nothing else. A
 * listener on a specific address counts when that address is on the link.
 */
export function rdnssFor(listeners: readonly { address: string; port: number }[], linkAddresses: readonly Uint8Array[]): Uint8Array[] {
  const on53 = listeners.filter((l) => l.port === 53);
  const parsed = on53.map((l) => tryParseIpv6(l.address.replace(/^\[|\]$/g, '').split('%')[0]!)).filter((a): a is Uint8Array => a !== undefined);
  const wildcard = parsed.some((a) => a.every((x) => x === 0));
  const out: Uint8Array[] = [];
  const add = (a: Uint8Array): void => {
    if (!out.some((o) => Buffer.compare(o, a) === 0)) out.push(a);
  };
  if (wildcard) {
    const wide = linkAddresses.filter((a) => !isLinkLocal(a) && !(a.every((x, i) => (i < 15 ? x === 0 : x <= 1))));
    for (const a of wide.length > 0 ? wide : linkAddresses.filter(isLinkLocal).slice(0, 1)) add(a);
  }
  for (const a of parsed) if (linkAddresses.some((l) => Buffer.compare(l, a) === 0)) add(a);
  // RFC 8106 §5.1 has room for 127 addresses; a link rarely has more than a few.
  return out.slice(0, 8);
}
