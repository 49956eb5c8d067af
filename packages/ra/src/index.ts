/**
 * @sixgate/ra — router advertisements (RFC 4861 §6.2) carrying the NAT64
 * prefix (PREF64, RFC 8781) and the DNS64 resolver (RDNSS, RFC 8106) on the
 * links the operator names; answers Router Solicitations and watches other
 * routers' RAs for a conflicting PREF64 or RDNSS. The raw ICMPv6 socket comes
 * from this room's own small addon (native/ra.c).
 */
export {
  ICMP6_ROUTER_SOLICIT,
  ICMP6_ROUTER_ADVERT,
  OPT_SOURCE_LINK_ADDR,
  OPT_PREFIX_INFO,
  OPT_MTU,
  OPT_RDNSS,
  OPT_DNSSL,
  OPT_PREF64,
  PREF64_MAX_LIFETIME,
  plcOf,
  maskPrefix,
  isLinkLocal,
  encodeDomain,
  buildRouterAdvert,
  buildRouterSolicit,
  parseRouterAdvert,
  parseRouterSolicit,
  type Pref64Option,
  type PrefixInfoOption,
  type RdnssOption,
  type DnsslOption,
  type RouterAdvert,
  type RouterSolicit,
  type ReceivedMeta,
  type Parsed,
} from './message.js';
export {
  LinkAdvertiser,
  checkTiming,
  ALL_NODES,
  MAX_INITIAL_RTR_ADVERT_INTERVAL,
  MAX_INITIAL_RTR_ADVERTISEMENTS,
  MAX_FINAL_RTR_ADVERTISEMENTS,
  MIN_DELAY_BETWEEN_RAS,
  MAX_RA_DELAY_TIME,
  WITHDRAW_COUNT,
  CHANGE_GAP,
  type Timers,
  type SendFn,
  type Announcement,
  type LinkTiming,
  type Conflict,
  type LinkCounters,
} from './advertiser.js';
export { RaSocket, loadNativeRa, type NativeRa, type Received } from './socket.js';
export { RaService, rdnssFor, osInterfaceAddresses, usableLinkLocal, linkNetworks, type LinkSocket, type LinkStatus, type RaServiceDeps, type RaServiceOptions } from './service.js';
export { probeRouters, type SeenRouter, type ProbeDeps } from './probe.js';
