/**
 * Router advertisements from the one configuration: PREF64 from `prefix`,
 * RDNSS from the addresses DNS64 really listens on for each link, the rest
 * from `ra`. `apply` is a step of the config transaction (apply.ts): it moves
 * the announcement to a new config and announces it at once; applying the
 * previous config again is its undo.
 *
 * On stop: a real stop (SIGTERM/SIGINT) withdraws everything with lifetime 0
 * (RFC 4861 §6.2.5) so clients stop using a prefix nobody translates; a stop
 * for a restart (SIGUSR2, see docs/ipv6-mostly.md) sends nothing, so clients
 * keep the PREF64 (lifetime 3 × maxInterval) across the few seconds the
 * process is away, and the new process announces it again at start.
 */
import { ipv6CidrsOverlap, parseNat64Prefix, parseIpv6Cidr, type Ipv6Cidr } from '@sixgate/addressing';
import type { RaView } from '@sixgate/admin-api';
import type { Config } from '@sixgate/config';
import { linkNetworks, osInterfaceAddresses, RaService, rdnssFor, type Announcement, type Conflict, type RaServiceDeps, type RaServiceOptions } from '@sixgate/ra';
import type { Logger } from 'pino';

/** Router lifetime for `ra` (RFC 4861 §6.2.1: AdvDefaultLifetime defaults to 3 × MaxRtrAdvInterval). */
export function routerLifetime(ra: Config['ra']): number {
  if (ra.routerLifetime > 0) return ra.routerLifetime;
  return ra.defaultRouter ? Math.min(9_000, Math.ceil(3 * ra.maxInterval)) : 0;
}

/**
 * Whether DNS64 answers the clients of a link with these networks: with
 * `dns64.clients` set, some IPv6 client prefix must overlap one of them
 * (else RDNSS would point the link's hosts at a resolver that refuses them);
 * the default ACL admits the subnets of the host's own interfaces.
 */
export function dnsServesLink(clients: readonly string[], linkNets: readonly Ipv6Cidr[]): boolean {
  if (clients.length === 0) return true;
  const v6 = clients.filter((c) => c.includes(':')).map((c) => parseIpv6Cidr(c.includes('/') ? c : `${c}/128`));
  return v6.some((c) => linkNets.some((n) => ipv6CidrsOverlap(c, n)));
}

/** What `ifname` announces under `cfg`; `linkNets` (address/length on the link) decide RDNSS against `dns64.clients`. */
export function announcementFor(cfg: Config, listeners: readonly { address: string; port: number }[], linkAddresses: readonly Uint8Array[], linkNets?: readonly Ipv6Cidr[]): Announcement {
  const p = parseNat64Prefix(cfg.prefix);
  const served = linkNets === undefined || dnsServesLink(cfg.dns64.clients, linkNets);
  return {
    pref64: { prefix: p.bytes, length: p.length },
    rdnss: cfg.ra.rdnss && served ? rdnssFor(listeners, linkAddresses) : [],
    dnssl: cfg.ra.dnssl,
    prefixes: cfg.ra.prefixes.map((x) => {
      const c = parseIpv6Cidr(x.prefix);
      return { prefix: c.bytes, length: c.length, onLink: x.onLink ?? true, autonomous: x.autonomous ?? true, validLifetime: x.validLifetime ?? 86_400, preferredLifetime: x.preferredLifetime ?? 14_400 };
    }),
    routerLifetime: routerLifetime(cfg.ra),
  };
}

/** Keys whose change changes an announcement. */
export const RA_KEYS = ['prefix', 'ra', 'dns64.listen'];

export class RouterAdverts {
  private service?: RaService;
  private cfg: Config;

  constructor(
    cfg: Config,
    private readonly dnsListeners: () => { address: string; port: number }[],
    private readonly log: Logger,
    private readonly deps: RaServiceDeps & { readonly linkNetworks?: (ifname: string) => Ipv6Cidr[] } = {},
  ) {
    this.cfg = cfg;
  }

  get enabled(): boolean {
    return this.service !== undefined;
  }

  /** Starts announcing (nothing when ra.interfaces is empty); throws when a socket cannot be opened. */
  start(): void {
    this.apply(this.cfg);
    if (this.service) this.log.info({ interfaces: this.service.interfaces, prefix: parseNat64Prefix(this.cfg.prefix).text }, 'router advertisements on');
  }

  /**
   * Moves to `next` and announces it now: a new interface's socket is opened
   * first (a failure throws and nothing changed), a removed interface gets
   * final RAs, a new prefix goes out at once with the old one withdrawn.
   */
  apply(next: Config): void {
    if (next.ra.interfaces.length === 0) {
      this.service?.stop(true);
      this.service = undefined;
      this.cfg = next;
      return;
    }
    const prev = this.cfg;
    this.cfg = next;
    try {
      if (this.service) {
        this.service.update(this.options(next));
      } else {
        const s = new RaService(this.options(next), {
          onConflict: (c) => this.warn(c),
          onError: (ifname, e) => this.log.warn({ interface: ifname, err: e.message }, 'router advertisement socket error'),
          ...this.deps,
        });
        s.start();
        this.service = s;
      }
    } catch (e) {
      this.cfg = prev;
      throw e;
    }
  }

  /** Stops; `withdraw` sends final RAs with every lifetime 0 first. */
  stop(withdraw: boolean): void {
    this.service?.stop(withdraw);
    this.service = undefined;
  }

  conflicts(): Conflict[] {
    return this.service?.conflicts() ?? [];
  }

  /** Health warnings: one per conflict, and one per link whose clients DNS64 would refuse. */
  warnings(): string[] {
    const out = this.conflicts().map((c) =>
      c.kind === 'pref64'
        ? `router ${c.router} on ${c.interface} announces PREF64 ${c.announced}, sixgate announces ${c.ours}: clients may use either`
        : `router ${c.router} on ${c.interface} announces sixgate's PREF64 with RDNSS ${c.announced} (sixgate's DNS64: ${c.ours})`,
    );
    if (this.service && this.cfg.ra.rdnss) {
      for (const ifname of this.service.interfaces) {
        if (!dnsServesLink(this.cfg.dns64.clients, (this.deps.linkNetworks ?? linkNetworks)(ifname))) out.push(`no RDNSS announced on ${ifname}: dns64.clients admits none of its networks`);
      }
    }
    return out;
  }

  view(): RaView {
    const iso = (t: number): string => new Date(t).toISOString();
    return {
      enabled: this.enabled,
      links: this.service?.status() ?? [],
      conflicts: this.conflicts().map((c) => ({ ...c, firstSeen: iso(c.firstSeen), lastSeen: iso(c.lastSeen), expires: iso(c.expires) })),
    };
  }

  stats(): import('@sixgate/admin-api').Stats['ra'] {
    if (!this.service) return undefined;
    return { ...this.service.totals(), conflicts: this.conflicts().length };
  }

  private options(cfg: Config): RaServiceOptions {
    return {
      interfaces: cfg.ra.interfaces,
      timing: { minInterval: cfg.ra.minInterval, maxInterval: cfg.ra.maxInterval },
      announcement: (ifname) => announcementFor(this.cfg, this.dnsListeners(), (this.deps.interfaceAddresses ?? osInterfaceAddresses)(ifname), (this.deps.linkNetworks ?? linkNetworks)(ifname)),
    };
  }

  private warn(c: Conflict): void {
    this.log.warn({ interface: c.interface, router: c.router, kind: c.kind, announced: c.announced, ours: c.ours }, c.kind === 'pref64' ? 'another router announces a different PREF64' : 'another router announces our PREF64 with another resolver');
  }
}
