/**
 * Special-purpose IPv4 ranges (RFC 6890 and the IANA IPv4 Special-Purpose
 * Address Registry) and the one rule DNS64 and NAT64 share: may this NAT64
 * prefix carry this IPv4 address?
 */
import { parseIpv4Cidr, ipv4InCidr, type Ipv4Cidr } from './ipv4.js';
import type { Nat64Prefix } from './rfc6052.js';

/** A named special-purpose range. */
export interface SpecialRange {
  readonly cidr: Ipv4Cidr;
  readonly name: string;
  readonly rfc: string;
}

const r = (text: string, name: string, rfc: string): SpecialRange => ({ cidr: parseIpv4Cidr(text), name, rfc });

/** IPv4 ranges that are not globally reachable. */
export const NON_GLOBAL_IPV4: readonly SpecialRange[] = Object.freeze([
  r('0.0.0.0/8', 'this network', 'RFC 791'),
  r('10.0.0.0/8', 'private use', 'RFC 1918'),
  r('100.64.0.0/10', 'shared address space', 'RFC 6598'),
  r('127.0.0.0/8', 'loopback', 'RFC 1122'),
  r('169.254.0.0/16', 'link local', 'RFC 3927'),
  r('172.16.0.0/12', 'private use', 'RFC 1918'),
  r('192.0.0.0/24', 'IETF protocol assignments', 'RFC 6890'),
  r('192.0.2.0/24', 'documentation (TEST-NET-1)', 'RFC 5737'),
  r('192.88.99.0/24', '6to4 relay anycast', 'RFC 7526'),
  r('192.168.0.0/16', 'private use', 'RFC 1918'),
  r('198.18.0.0/15', 'benchmarking', 'RFC 2544'),
  r('198.51.100.0/24', 'documentation (TEST-NET-2)', 'RFC 5737'),
  r('203.0.113.0/24', 'documentation (TEST-NET-3)', 'RFC 5737'),
  r('224.0.0.0/4', 'multicast', 'RFC 5771'),
  r('240.0.0.0/4', 'reserved (incl. limited broadcast)', 'RFC 1112'),
]);

/** 192.0.0.170 and 192.0.0.171, the ipv4only.arpa well-known addresses (RFC 7050). */
export const IPV4ONLY_ADDRESSES: readonly number[] = Object.freeze([0xc00000aa, 0xc00000ab]);

/** The special-purpose range containing `addr`, if any. */
export function specialRangeOf(addr: number): SpecialRange | undefined {
  for (const s of NON_GLOBAL_IPV4) if (ipv4InCidr(addr, s.cidr)) return s;
  return undefined;
}

/** Whether `addr` (uint32) is globally reachable. Allocation-free. */
export function isGlobalIpv4(addr: number): boolean {
  const a = addr >>> 24;
  const b = (addr >>> 16) & 0xff;
  const c = (addr >>> 8) & 0xff;
  switch (a) {
    case 0: case 10: case 127: return false;
    case 100: return (b & 0xc0) !== 64;
    case 169: return b !== 254;
    case 172: return (b & 0xf0) !== 16;
    case 192:
      if (b === 168) return false;
      if (b === 0 && (c === 0 || c === 2)) return false;
      return !(b === 88 && c === 99);
    case 198:
      if ((b & 0xfe) === 18) return false;
      return !(b === 51 && c === 100);
    case 203: return !(b === 0 && c === 113);
    default: return a < 224;
  }
}

/** Options of `mayEmbed`. */
export interface EmbedPolicy {
  /**
   * RFC 6052 §3.1 forbids non-global IPv4 under the well-known prefix. Labs may
   * turn the ban off (an IETF draft proposes dropping it); default true.
   */
  readonly wkpStrict?: boolean;
}

/**
 * May `prefix` carry `v4`? The well-known prefix only embeds global IPv4
 * (RFC 6052 §3.1) plus the ipv4only.arpa addresses (RFC 7050 §2.2); RFC 8215
 * 64:ff9b:1::/48 and network-specific prefixes embed any address. DNS64 asks
 * before synthesizing and NAT64 before translating, so they always agree.
 */
export function mayEmbed(prefix: Nat64Prefix, v4: number, policy?: EmbedPolicy): boolean {
  if (!prefix.wellKnown || policy?.wkpStrict === false) return true;
  return isGlobalIpv4(v4) || v4 === 0xc00000aa || v4 === 0xc00000ab;
}
