/**
 * Host defaults: upstreams from /etc/resolv.conf and the client networks on
 * the host's interfaces that do not face the uplink (SPEC §3 defaults of
 * --upstream and --dns-clients).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseIfInet6, tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';

/** `nameserver` lines of a resolv.conf (RFC-less but universal format); missing file → []. */
export function resolvConfNameservers(path = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const addr = m[1]!.replace(/%.*$/, '');
    if (tryParseIpv4(addr) >= 0) out.push(addr);
    else if (tryParseIpv6(addr) !== undefined) out.push(`[${addr}]:53`);
  }
  return out;
}

function maskedText(bytes: number[], bits: number, v6: boolean): string {
  const b = bytes.map((x, i) => (i * 8 >= bits ? 0 : i * 8 + 8 <= bits ? x : x & (0xff << (8 - (bits - i * 8))) & 0xff));
  if (!v6) return `${b.join('.')}/${bits}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return `${words.join(':')}/${bits}`;
}

/**
 * Route tables as the kernel shows them (/proc/net/route and
 * /proc/net/ipv6_route), and the IPv6 addresses (/proc/net/if_inet6, optional);
 * missing → ''.
 */
export interface RouteTables {
  readonly ipv4: string;
  readonly ipv6: string;
  readonly ifInet6?: string;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The host's route tables. */
export function hostRouteTables(): RouteTables {
  return { ipv4: readOr('/proc/net/route'), ipv6: readOr('/proc/net/ipv6_route'), ifInet6: readOr('/proc/net/if_inet6') };
}

const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

/** Interfaces that carry a default route (0.0.0.0/0 or ::/0, up, not a reject route): the uplink. */
export function defaultRouteInterfaces(t: RouteTables): Set<string> {
  const out = new Set<string>();
  for (const line of t.ipv4.split('\n').slice(1)) {
    // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3]!, 16);
    if (f[1] === '00000000' && f[7] === '00000000' && (flags & RTF_UP) !== 0 && (flags & RTF_REJECT) === 0) out.add(f[0]!);
  }
  for (const line of t.ipv6.split('\n')) {
    // dest dest_len src src_len next_hop metric refcnt use flags iface
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const flags = parseInt(f[8]!, 16);
    if (/^0{32}$/.test(f[0]!) && f[1] === '00' && (flags & RTF_UP) !== 0 && (flags & RTF_REJECT) === 0 && f[9] !== 'lo') out.add(f[9]!);
  }
  return out;
}

/**
 * The default `clients`: loopback plus the subnet of every address on the
 * host's interfaces, except the interfaces that carry a default route —
 * those face the uplink, and hosts there must not get recursion (a query from
 * the uplink's subnet is REFUSED). Widen it by listing `clients`.
 *
 * os.networkInterfaces() leaves out an interface whose link is not yet up
 * (no IFF_RUNNING: the kernel sets it up to a second after the carrier), so a
 * daemon started with its LAN would refuse the LAN. The kernel's own tables
 * do not wait: IPv6 addresses from /proc/net/if_inet6 and IPv4 on-link
 * subnets (routes without a gateway) from /proc/net/route count as well.
 */
export function hostClientNetworks(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
  routes: RouteTables = hostRouteTables(),
): string[] {
  const out = new Set<string>(['127.0.0.0/8', '::1/128']);
  const uplinks = defaultRouteInterfaces(routes);
  for (const [name, list] of Object.entries(interfaces)) {
    if (uplinks.has(name)) continue;
    for (const a of list ?? []) {
      const bits = Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128));
      if (a.family === 'IPv4') {
        out.add(maskedText(a.address.split('.').map(Number), bits, false));
      } else {
        const bytes = tryParseIpv6(a.address.replace(/%.*$/, ''));
        if (bytes) out.add(maskedText([...bytes], bits, true));
      }
    }
  }
  for (const e of parseIfInet6(routes.ifInet6 ?? '')) {
    if (!uplinks.has(e.ifname)) out.add(maskedText([...e.address], e.prefixLength, true));
  }
  for (const line of routes.ipv4.split('\n').slice(1)) {
    // Iface Destination Gateway Flags RefCnt Use Metric Mask: an on-link subnet has no gateway
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || uplinks.has(f[0]!) || f[0] === 'lo' || f[2] !== '00000000') continue;
    const flags = parseInt(f[3]!, 16);
    if ((flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0 || !/^[0-9a-f]{8}$/i.test(f[1]!) || !/^[0-9a-f]{8}$/i.test(f[7]!)) continue;
    const mask = hostWord(f[7]!);
    let bits = 0;
    while (bits < 32 && (mask & (0x80000000 >>> bits)) !== 0) bits++;
    // The default route (mask 0) is the uplink's; a mask that is not a prefix is no subnet.
    if (bits === 0 || (mask & ~(bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits))) !== 0) continue;
    const dest = hostWord(f[1]!);
    out.add(maskedText([dest >>> 24, (dest >>> 16) & 0xff, (dest >>> 8) & 0xff, dest & 0xff], bits, false));
  }
  return [...out];
}

/** /proc/net/route prints each address as the host-order word in hex ("0033A8C0" is 192.168.51.0 on a little-endian host). */
function hostWord(hex: string): number {
  const v = parseInt(hex, 16) >>> 0;
  if (os.endianness() === 'BE') return v;
  return (((v & 0xff) << 24) | (((v >>> 8) & 0xff) << 16) | (((v >>> 16) & 0xff) << 8) | ((v >>> 24) & 0xff)) >>> 0;
}
