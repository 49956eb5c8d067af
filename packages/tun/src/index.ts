/**
 * @sixgate/tun: the appliance's TUN device. A batch-oriented, synchronous,
 * non-blocking TunDevice interface; LinuxTun over a small N-API addon
 * (native/tun.c); MemoryTun for tests. See README.md.
 */
export type { TunDevice, ReadableCallback } from './device.js';
export { LinuxTun } from './linux-tun.js';
export { MemoryTun, type MemoryTunOptions } from './memory-tun.js';
export { TunError, TunClosedError, TUN_ERROR_CODES, fromNative, errnoName, type TunErrorCode } from './errors.js';
export { type TunOptions, type ResolvedTunOptions, resolveOptions, MTU_MIN, MTU_MAX, BATCH_MAX } from './config.js';
export { type TunStats, TUN_METRICS, emptyStats } from './metrics.js';
export {
  VNET_HDR_LEN,
  VNET,
  VNET_F_DATA_VALID,
  VNET_F_NEEDS_CSUM,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_GSO_UDP_L4,
  vnetU16,
  setVnet,
  clearVnet,
} from './vnet.js';
