/**
 * @sixgate/testkit — private test helpers: `hex` fixtures, packet builders
 * with mutator callbacks (valid lengths and checksums, optional headroom),
 * fragmenters, a fake clock, and the oracle parser (header views written
 * independently of production code, docs/adr/0007). Used only as a
 * devDependency.
 */
export { hex, toHex } from './hex.js';
export { FakeClock } from './clock.js';
export { type Packet, type Room, allocPacket, packetAt, withRoom } from './packet.js';
export { type UdpSpec, type TcpSpec, type IcmpSpec } from './transport.js';
export {
  type Ipv6ExtSpec,
  type Ipv6Spec,
  type Ipv6Ctx,
  type Ipv6UdpCtx,
  type Ipv6TcpCtx,
  type Ipv6IcmpCtx,
  buildIpv6,
  buildIpv6Udp,
  buildIpv6Tcp,
  buildIpv6Icmp,
} from './ipv6.js';
export {
  type Ipv4Spec,
  type Ipv4Ctx,
  type Ipv4UdpCtx,
  type Ipv4TcpCtx,
  type Ipv4IcmpCtx,
  buildIpv4,
  buildIpv4Udp,
  buildIpv4Tcp,
  buildIpv4Icmp,
} from './ipv4.js';
export { fragmentIpv4, fragmentIpv6 } from './fragment.js';
export {
  vnetHeader,
  vnetField,
  onesSum,
  pseudoSum,
  l4Offset,
  l4ChecksumOk,
  ipv4ChecksumOk,
  partialize,
  nicComplete,
  nicSegment,
} from './nic.js';
export * from './oracle/index.js';
