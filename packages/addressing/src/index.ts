/**
 * @sixgate/addressing — IPv4/IPv6 addresses and prefixes, RFC 6052 embedding,
 * and the special-purpose registries. Pure: no I/O, no imports of other rooms.
 */
export { AddressError, type AddressErrorCode } from './errors.js';
export {
  type Ipv4Cidr,
  tryParseIpv4,
  parseIpv4,
  formatIpv4,
  ipv4Mask,
  parseIpv4Cidr,
  formatIpv4Cidr,
  ipv4InCidr,
  ipv4CidrsOverlap,
  ipv4CidrSize,
  readIpv4,
  writeIpv4,
} from './ipv4.js';
export {
  type Ipv6Cidr,
  tryParseIpv6,
  parseIpv6,
  formatIpv6,
  parseIpv6Cidr,
  formatIpv6Cidr,
  ipv6InCidr,
  ipv6CidrsOverlap,
  ipv6Equal,
  type IfInet6Entry,
  parseIfInet6,
} from './ipv6.js';
export {
  NAT64_PREFIX_LENGTHS,
  type Nat64PrefixLength,
  type Nat64Prefix,
  parseNat64Prefix,
  WELL_KNOWN_PREFIX,
  embedIpv4,
  embedIpv4Bytes,
  matchesNat64Prefix,
  extractIpv4,
} from './rfc6052.js';
export {
  type SpecialRange,
  NON_GLOBAL_IPV4,
  IPV4ONLY_ADDRESSES,
  specialRangeOf,
  isGlobalIpv4,
  type EmbedPolicy,
  mayEmbed,
} from './special.js';
