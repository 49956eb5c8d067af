/**
 * One look at the routers on a link, for `sixgate check`: send a Router
 * Solicitation and collect the valid advertisements that arrive within
 * `waitMs`. Routers answer a solicitation within MAX_RA_DELAY_TIME, or by
 * multicast at most MIN_DELAY_BETWEEN_RAS later (RFC 4861 §6.2.6), so ~4 s
 * sees every router that follows the RFC.
 */
import { formatIpv6 } from '@sixgate/addressing';
import { buildRouterSolicit, isLinkLocal, parseRouterAdvert, type RouterAdvert } from './message.js';
import { osInterfaceAddresses, type LinkSocket } from './service.js';
import { RaSocket } from './socket.js';

export interface SeenRouter {
  readonly router: string;
  readonly advert: RouterAdvert;
}

export interface ProbeDeps {
  readonly openSocket?: (ifname: string) => LinkSocket;
  readonly interfaceAddresses?: (ifname: string) => Uint8Array[];
  /** Every address of this host (its own RAs are not another router's). */
  readonly localAddresses?: () => Uint8Array[];
}

const ALL_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

/** Solicits on `ifname` and returns the other routers' advertisements (latest per router). */
export async function probeRouters(ifname: string, waitMs: number, deps: ProbeDeps = {}): Promise<SeenRouter[]> {
  const sock = (deps.openSocket ?? ((n) => RaSocket.open(n)))(ifname);
  const addrs = deps.interfaceAddresses ?? osInterfaceAddresses;
  const local = (deps.localAddresses?.() ?? addrs(ifname)).map((a) => Buffer.from(a).toString('hex'));
  const seen = new Map<string, SeenRouter>();
  try {
    sock.listen(
      (m) => {
        if (m.truncated || local.includes(Buffer.from(m.source).toString('hex'))) return;
        const r = parseRouterAdvert(m.bytes, m.length, { source: m.source, hopLimit: m.hopLimit });
        if (r.ok) seen.set(formatIpv6(m.source), { router: formatIpv6(m.source), advert: r.message });
      },
      () => undefined,
    );
    sock.send(buildRouterSolicit(), ALL_ROUTERS, addrs(ifname).find(isLinkLocal) ?? null);
    await new Promise((r) => setTimeout(r, waitMs));
  } finally {
    sock.close();
  }
  return [...seen.values()];
}
