/**
 * The lab's CLAT (464XLAT customer-side translator, RFC 6877): TAYGA in the
 * IPv6-only client namespace, configured from the PREF64 (RFC 8781) the
 * client hears in sixgate's router advertisements, so `curl http://192.0.2.80/`
 * works from a client without IPv4 — translated to IPv6 by the CLAT, back to
 * IPv4 by sixgate. Pure data and functions; the daemon's `lab clat` command
 * listens for the RAs and (re)starts TAYGA.
 *
 *   app (IPv4 192.0.0.1) → clat0 → TAYGA → IPv6 2001:db8:64::464 → prefix + 192.0.2.80
 *                                                    (proxy NDP on lab0)   → sixgate
 */
import { LAB, type IpCommand } from './plan.js';

export const CLAT = {
  dev: 'clat0',
  /** The client's IPv4 address (RFC 7335: 192.0.0.0/29 is for 464XLAT). */
  v4: '192.0.0.1',
  /** TAYGA's own IPv4 address (source of its ICMP errors). */
  taygaV4: '192.0.0.2',
  /** The IPv6 address the client's IPv4 is translated to: on the client link, answered by proxy NDP. */
  v6: '2001:db8:64::464',
  /** IPv4 packets ≤ 1280 become IPv6 packets ≤ 1300, inside the link's 1500. */
  mtu: 1280,
} as const;

/** TAYGA's configuration for `prefix` (as announced, e.g. "64:ff9b:1::/96"). */
export function taygaConf(prefix: string): string {
  return `# sixgate lab CLAT: written from the PREF64 in sixgate's router advertisements\ntun-device ${CLAT.dev}\nipv4-addr ${CLAT.taygaV4}\nprefix ${prefix}\nmap ${CLAT.v4} ${CLAT.v6}\n`;
}

/**
 * The NAT64 prefix a CLAT should use from one RA's PREF64 options: the first
 * with a lifetime (a lifetime of 0 withdraws a prefix, RFC 8781 §4);
 * undefined when the RA announces none (keep what you have).
 */
export function chosenPref64(options: readonly { prefix: string; lifetime: number }[]): string | undefined {
  return options.find((o) => o.lifetime > 0)?.prefix;
}

/** Commands (in the client namespace) that make clat0 the IPv4 path, after `tayga --mktun`. */
export function clatSetupCommands(): IpCommand[] {
  const c = LAB.ns.client;
  return [
    ['-n', c, 'link', 'set', CLAT.dev, 'up', 'mtu', String(CLAT.mtu)],
    ['-n', c, 'addr', 'add', `${CLAT.v4}/32`, 'dev', CLAT.dev],
    ['-n', c, 'route', 'add', 'default', 'dev', CLAT.dev, 'src', CLAT.v4],
    ['-n', c, '-6', 'route', 'add', `${CLAT.v6}/128`, 'dev', CLAT.dev],
    ['-n', c, '-6', 'neigh', 'add', 'proxy', CLAT.v6, 'dev', 'lab0'],
  ];
}

/**
 * sysctls of the client namespace: forwarding (TAYGA's IPv6 leaves through
 * lab0), proxy NDP for the CLAT address, and accept_ra=2 so the kernel still
 * takes RAs while forwarding.
 */
export const CLAT_SYSCTLS = ['net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.lab0.accept_ra=2', 'net.ipv6.conf.lab0.proxy_ndp=1'] as const;
