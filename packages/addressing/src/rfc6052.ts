/**
 * RFC 6052 IPv4-embedded IPv6 addresses: the NAT64 prefix (Pref64) type, its
 * validation, and embed/extract.
 *
 * §2.2 address format (bits 64–71, the "u" octet, are always zero):
 *
 *   +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 *   |PL| 0-------------32--40--48--56--64--72--80--88--96--104---------|
 *   +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 *   |32|     prefix    |v4(32)         | u | suffix                    |
 *   |40|     prefix        |v4(24)     | u |(8)| suffix                |
 *   |48|     prefix            |v4(16) | u | (16)  | suffix            |
 *   |56|     prefix                |(8)| u |  v4(24)   | suffix        |
 *   |64|     prefix                    | u |   v4(32)      | suffix    |
 *   |96|     prefix                                    |    v4(32)     |
 *   +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 *
 * Only `parseNat64Prefix` makes a `Nat64Prefix`; the hot path trusts it.
 */
import { AddressError } from './errors.js';
import { formatIpv6, parseIpv6Cidr, type Ipv6Cidr } from './ipv6.js';

/** The prefix lengths RFC 6052 §2.2 allows. */
export const NAT64_PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96] as const;
/** One of the RFC 6052 §2.2 prefix lengths. */
export type Nat64PrefixLength = (typeof NAT64_PREFIX_LENGTHS)[number];

declare const nat64PrefixBrand: unique symbol;

/** A validated NAT64 prefix. Construct only through `parseNat64Prefix`. */
export interface Nat64Prefix extends Ipv6Cidr {
  readonly [nat64PrefixBrand]: true;
  readonly length: Nat64PrefixLength;
  /** Canonical text, e.g. `64:ff9b::/96`. */
  readonly text: string;
  /** The well-known prefix 64:ff9b::/96 (RFC 6052 §2.1): global IPv4 only. */
  readonly wellKnown: boolean;
  /** Inside 64:ff9b:1::/48, the RFC 8215 local-use range. */
  readonly localUse: boolean;
  /** Byte offsets (0-15) of the four IPv4 octets in an embedded address. */
  readonly v4Offsets: readonly [number, number, number, number];
}

const WKP_TEXT = '64:ff9b::/96';

function offsetsFor(length: Nat64PrefixLength): [number, number, number, number] {
  const out: number[] = [];
  let pos = length >>> 3;
  for (let i = 0; i < 4; i++) {
    if (pos === 8) pos++; // skip the u octet
    out.push(pos++);
  }
  return out as [number, number, number, number];
}

function reserved(text: string, why: string): AddressError {
  return new AddressError('ERR_PREFIX_RESERVED', `"${text}" cannot be a NAT64 prefix: ${why}`);
}

/**
 * Validates an operator's NAT64 prefix. Rules, each with its own error code:
 * IPv6 syntax, one of the six RFC 6052 lengths, no host bits, u octet zero,
 * and not inside ::/96, ::ffff:0:0/96, fe80::/10 or ff00::/8.
 */
export function parseNat64Prefix(text: string): Nat64Prefix {
  const trimmed = text.trim();
  if (!trimmed.includes('/')) {
    throw new AddressError('ERR_PREFIX_LENGTH', `"${text}" has no prefix length (RFC 6052 allows 32, 40, 48, 56, 64, 96)`);
  }
  if (/^\d+\.\d+\.\d+\.\d+\//.test(trimmed)) {
    throw new AddressError('ERR_ADDRESS_FAMILY', `"${text}" is an IPv4 prefix; a NAT64 prefix is IPv6 (e.g. 64:ff9b::/96)`);
  }
  const lenText = trimmed.slice(trimmed.indexOf('/') + 1);
  if (!(NAT64_PREFIX_LENGTHS as readonly number[]).includes(Number(lenText)) || !/^\d+$/.test(lenText)) {
    throw new AddressError('ERR_PREFIX_LENGTH', `"${text}" is not a valid NAT64 prefix length (RFC 6052 allows 32, 40, 48, 56, 64, 96)`);
  }
  const cidr = parseIpv6Cidr(trimmed);
  const length = cidr.length as Nat64PrefixLength;
  const b = cidr.bytes;
  if (b[8] !== 0) {
    throw new AddressError('ERR_PREFIX_U_OCTET', `"${text}" sets bits 64-71, which RFC 6052 §2.2 reserves and requires to be zero`);
  }
  if (b.every((x) => x === 0)) throw reserved(text, 'it is inside ::/96 (unspecified/IPv4-compatible)');
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    throw reserved(text, 'it is inside ::ffff:0:0/96 (IPv4-mapped)');
  }
  if (b[0] === 0xff) throw reserved(text, 'it is a multicast prefix (ff00::/8)');
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) throw reserved(text, 'it is link-local (fe80::/10)');
  const canonical = `${formatIpv6(b)}/${length}`;
  const localUse = b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0 && b[5] === 1;
  return Object.freeze({
    bytes: b,
    length,
    text: canonical,
    wellKnown: canonical === WKP_TEXT,
    localUse,
    v4Offsets: offsetsFor(length),
  }) as unknown as Nat64Prefix;
}

/** The well-known prefix 64:ff9b::/96. */
export const WELL_KNOWN_PREFIX: Nat64Prefix = parseNat64Prefix(WKP_TEXT);

/**
 * Writes prefix + `v4` (uint32) as 16 bytes into `out` at `off`. The u octet
 * and suffix are zero (§2.2). Allocation-free.
 */
export function embedIpv4(prefix: Nat64Prefix, v4: number, out: Uint8Array, off = 0): void {
  out.set(prefix.bytes, off);
  const o = prefix.v4Offsets;
  out[off + o[0]] = v4 >>> 24;
  out[off + o[1]] = (v4 >>> 16) & 0xff;
  out[off + o[2]] = (v4 >>> 8) & 0xff;
  out[off + o[3]] = v4 & 0xff;
}

/** Returns prefix + `v4` as a new 16-byte array (not for the hot path). */
export function embedIpv4Bytes(prefix: Nat64Prefix, v4: number): Uint8Array {
  const out = new Uint8Array(16);
  embedIpv4(prefix, v4, out, 0);
  return out;
}

/** Whether the 16 bytes at `buf[off]` are under `prefix` with a zero u octet. */
export function matchesNat64Prefix(prefix: Nat64Prefix, buf: Uint8Array, off: number): boolean {
  const full = prefix.length >>> 3;
  const p = prefix.bytes;
  for (let i = 0; i < full; i++) if (buf[off + i] !== p[i]) return false;
  return buf[off + 8] === 0;
}

/**
 * Extracts the embedded IPv4 address (uint32) from the 16 bytes at
 * `buf[off]`, or returns -1 when they are not under `prefix` or the u octet is
 * not zero. The exact inverse of `embedIpv4` (suffix bits are ignored).
 */
export function extractIpv4(prefix: Nat64Prefix, buf: Uint8Array, off = 0): number {
  if (!matchesNat64Prefix(prefix, buf, off)) return -1;
  const o = prefix.v4Offsets;
  return ((buf[off + o[0]]! << 24) | (buf[off + o[1]]! << 16) | (buf[off + o[2]]! << 8) | buf[off + o[3]]!) >>> 0;
}
