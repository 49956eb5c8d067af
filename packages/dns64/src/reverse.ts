/**
 * PTR names under the prefix's ip6.arpa zone (RFC 6147 §5.3.1). A full,
 * valid name becomes a CNAME into in-addr.arpa (option b) that the resolver
 * then chases; a partial name (an empty non-terminal of the prefix) gets
 * NODATA with a local SOA; a name that can never be a synthesized address
 * (bad labels, u octet or suffix not zero, RFC 6052 §2.2) gets NXDOMAIN.
 */
import { extractIpv4, mayEmbed, type Nat64Prefix } from '@sixgate/addressing';
import { responseFlags, type ResponseDraft, type Rr } from './message.js';
import { RCODE, type ParsedQuery } from './wire.js';

const zones = new WeakMap<Nat64Prefix, string>();
const HEX = '0123456789abcdef';

/** The ip6.arpa zone of `prefix`, e.g. `b.9.f.f.4.6.0.0.ip6.arpa`-style, lower case. */
export function reverseZoneOf(prefix: Nat64Prefix): string {
  let z = zones.get(prefix);
  if (z === undefined) {
    const nibbles: string[] = [];
    for (let i = 0; i < prefix.length / 4; i++) {
      const b = prefix.bytes[i >> 1]!;
      nibbles.push(HEX[i % 2 === 0 ? b >> 4 : b & 0xf]!);
    }
    z = `${nibbles.reverse().join('.')}.ip6.arpa`;
    zones.set(prefix, z);
  }
  return z;
}

/** What a name under the prefix's zone is. */
export type ReverseName = { readonly kind: 'invalid' } | { readonly kind: 'partial' } | { readonly kind: 'full'; readonly v4: number };

/** Bytes that must be zero in an embedded address: the u octet and the suffix. */
function mustBeZero(prefix: Nat64Prefix, byte: number): boolean {
  return byte === 8 || (byte >= prefix.length / 8 && !prefix.v4Offsets.includes(byte));
}

/** Classifies `qname` (normalized, under `reverseZoneOf(prefix)`). */
export function classifyReverse(qname: string, prefix: Nat64Prefix, wkpStrict = true): ReverseName {
  const zone = reverseZoneOf(prefix);
  const below = qname === zone ? '' : qname.slice(0, qname.length - zone.length - 1);
  const labels = below === '' ? [] : below.split('.').reverse();
  const known = prefix.length / 4;
  if (known + labels.length > 32) return { kind: 'invalid' };
  const bytes = Uint8Array.from(prefix.bytes);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const v = label.length === 1 ? HEX.indexOf(label) : -1;
    if (v < 0) return { kind: 'invalid' };
    const n = known + i;
    if (v !== 0 && mustBeZero(prefix, n >> 1)) return { kind: 'invalid' };
    bytes[n >> 1] = n % 2 === 0 ? (v << 4) | (bytes[n >> 1]! & 0xf) : (bytes[n >> 1]! & 0xf0) | v;
  }
  if (known + labels.length < 32) return { kind: 'partial' };
  const v4 = extractIpv4(prefix, bytes, 0);
  // An address the prefix may not carry was never synthesized (RFC 6052 §3.1).
  if (v4 < 0 || !mayEmbed(prefix, v4, { wkpStrict })) return { kind: 'invalid' };
  return { kind: 'full', v4 };
}

/** `d.c.b.a.in-addr.arpa` for an IPv4 address. */
export function inAddrName(v4: number): string {
  return `${v4 & 0xff}.${(v4 >>> 8) & 0xff}.${(v4 >>> 16) & 0xff}.${v4 >>> 24}.in-addr.arpa`;
}

/** TTL of the local SOA for the prefix's reverse zone. */
export const REVERSE_SOA_TTL = 600;

/** NODATA (partial) or NXDOMAIN (invalid) with the local SOA of the prefix's reverse zone. */
export function reverseNegative(q: ParsedQuery, prefix: Nat64Prefix, kind: 'partial' | 'invalid'): ResponseDraft {
  const soa = {
    name: reverseZoneOf(prefix), type: 'SOA', class: 'IN', ttl: REVERSE_SOA_TTL,
    data: { mname: 'localhost', rname: 'nobody.invalid', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: REVERSE_SOA_TTL },
  } as Rr;
  return { flags: responseFlags(q, kind === 'partial' ? RCODE.noError : RCODE.nxDomain), answers: [], authorities: [soa], additionals: [] };
}

/** The synthesized CNAME (§5.3.1 b) with the TTL of what it leads to (600 when nothing does). */
export function reverseCname(owner: string, target: string, ttl: number): Rr {
  return { name: owner, type: 'CNAME', class: 'IN', ttl, data: target } as Rr;
}
