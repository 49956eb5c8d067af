/**
 * The oracle parser: header views (IPv4, IPv6 and its extension headers,
 * ICMPv4, ICMPv6, UDP, TCP), parse/emit reprs and the Internet checksum, for
 * tests only. Written independently of the code that runs in production
 * (@sixgate/wire's accessors and the nat64 translator): tests parse what the
 * translator emits with these and compare (docs/adr/0007-one-packet-parser.md).
 * Imports nothing from @sixgate/wire.
 */
export { u8, setU8, u16, setU16, u32, setU32 } from './bytes.js';
export {
  finish,
  sum,
  verify,
  addressSum4,
  addressSum6,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  update16,
  update32,
  adjust,
  normalizeUdp,
} from './checksum.js';
export { type WireErrorCode, WireError, WIRE_ERROR, isWireError, type ChecksumPolicy } from './errors.js';
export { IP_PROTOCOL, protocolName } from './ip-protocol.js';
export { HeaderView } from './view.js';
export {
  IPV4_HEADER_LEN,
  IPV4_MAX_HEADER_LEN,
  IPV4_OPTION,
  IPV4_NO_SOURCE_ROUTE,
  IPV4_OPTIONS_MALFORMED,
  Ipv4Header,
  type Ipv4Repr,
  parseIpv4Header,
  ipv4HeaderLength,
  emitIpv4Header,
  formatIpv4Header,
} from './ipv4.js';
export { IPV6_HEADER_LEN, Ipv6Header, type Ipv6Repr, parseIpv6Header, emitIpv6Header, formatIpv6Header } from './ipv6.js';
export {
  IPV6_FRAGMENT_HEADER_LEN,
  Ipv6FragmentHeader,
  type Ipv6FragmentRepr,
  parseIpv6FragmentHeader,
  emitIpv6FragmentHeader,
  formatIpv6FragmentHeader,
} from './fragment.js';
export { Ipv6Extensions, isIpv6Extension, walkIpv6Extensions, walkIpv6 } from './ipv6-ext.js';
export { UDP_HEADER_LEN, UdpHeader, type UdpRepr, parseUdpHeader, emitUdpHeader, formatUdpHeader } from './udp.js';
export {
  TCP_HEADER_LEN,
  TCP_FLAG,
  TCP_OPTION,
  TCP_NO_MSS,
  TCP_OPTIONS_MALFORMED,
  TcpHeader,
  type TcpRepr,
  parseTcpHeader,
  tcpHeaderLength,
  emitTcpHeader,
  formatTcpHeader,
} from './tcp.js';
export {
  ICMPV4_HEADER_LEN,
  ICMPV4_TYPE,
  ICMPV4_UNREACHABLE_CODE,
  ICMPV4_TIME_EXCEEDED_CODE,
  ICMPV4_PARAMETER_PROBLEM_CODE,
  isIcmpv4Error,
  Icmpv4Header,
  type Icmpv4Repr,
  icmpEchoRest,
  icmpv4MtuRest,
  icmpv4PointerRest,
  parseIcmpv4Header,
  emitIcmpv4Header,
  formatIcmpv4Header,
} from './icmpv4.js';
export {
  ICMPV6_HEADER_LEN,
  ICMPV6_TYPE,
  ICMPV6_UNREACHABLE_CODE,
  ICMPV6_TIME_EXCEEDED_CODE,
  ICMPV6_PARAMETER_PROBLEM_CODE,
  isIcmpv6Error,
  Icmpv6Header,
  type Icmpv6Repr,
  icmpv6LengthRest,
  parseIcmpv6Header,
  emitIcmpv6Header,
  formatIcmpv6Header,
} from './icmpv6.js';
