/**
 * @sixgate/wire — what production code reads packets with: byte access on
 * (buffer, offset), the Internet checksum (full and RFC 1624 incremental), and
 * the allocation-free header accessors the translator runs (IPv4 header check
 * and options walk, IPv6 extension-header chain walk, TCP MSS option). Plain
 * functions on (buffer, offset); no header objects (docs/adr/0007). Pure: no
 * I/O.
 */
export { u8, setU8, u16, setU16, u32, setU32, copyBytes, bytesEqual } from './bytes.js';
export {
  fold,
  finish,
  combine,
  sum,
  verify,
  sumU32,
  addressSum4,
  addressSum4At,
  addressSum6,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  update16,
  update32,
  adjust,
  pseudoSwap6to4,
  pseudoSwap4to6,
  normalizeUdp,
} from './checksum.js';
export {
  IPV4_TRUNCATED,
  IPV4_BAD_VERSION,
  IPV4_BAD_HEADER,
  IPV4_NO_SOURCE_ROUTE,
  IPV4_OPTIONS_MALFORMED,
  ipv4HeaderCheck,
  ipv4EmbeddedHeaderLength,
  ipv4SourceRoute,
} from './ipv4.js';
export {
  IPV6_MAX_EXTENSIONS,
  IPV6_CHAIN_OK,
  IPV6_CHAIN_TRUNCATED,
  IPV6_CHAIN_BAD,
  IPV6_CHAIN_AFTER_FRAGMENT,
  IPV6_CHAIN_SEGMENTS_LEFT,
  Ipv6Chain,
  walkIpv6Chain,
} from './ipv6.js';
export { TCP_NO_MSS, TCP_OPTIONS_MALFORMED, tcpMssOffset } from './tcp.js';
