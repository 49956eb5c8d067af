/**
 * The virtio_net_hdr that an offloading TUN device (IFF_VNET_HDR) puts in
 * front of every packet (linux/virtio_net.h; 10 bytes, fields in host byte
 * order, little-endian here). LinuxTun and MemoryTun move it in a separate
 * array next to the packet arena, VNET_HDR_LEN bytes per packet, so the
 * packets themselves keep their layout.
 */

/** Bytes per header (struct virtio_net_hdr without num_buffers). */
export const VNET_HDR_LEN = 10;

/** Byte offsets inside one header. */
export const VNET = Object.freeze({
  FLAGS: 0,
  GSO_TYPE: 1,
  HDR_LEN: 2,
  GSO_SIZE: 4,
  CSUM_START: 6,
  CSUM_OFFSET: 8,
});

/** flags: the transport checksum field holds the pseudo-header sum only; the rest is to be added from csum_start. */
export const VNET_F_NEEDS_CSUM = 1;
/**
 * flags, reads only: the checksum is complete and the kernel has verified it
 * (a NIC's receive checksum offload, CHECKSUM_UNNECESSARY). The packet is an
 * ordinary one; the flag is information, never needed on write.
 */
export const VNET_F_DATA_VALID = 2;
/** gso_type values the device announces (TUN_F_TSO4 / TUN_F_TSO6). */
export const VNET_GSO_NONE = 0;
export const VNET_GSO_TCPV4 = 1;
export const VNET_GSO_TCPV6 = 4;
/** A UDP super-packet cut into datagrams of gso_size payload bytes (written only; the device does not announce it for reads). */
export const VNET_GSO_UDP_L4 = 5;

/** Little-endian 16-bit field of header `i` in `hdrs`. */
export function vnetU16(hdrs: Uint8Array, i: number, field: number): number {
  const o = i * VNET_HDR_LEN + field;
  return hdrs[o]! | (hdrs[o + 1]! << 8);
}

/** Writes header `i` of `hdrs`. */
export function setVnet(
  hdrs: Uint8Array,
  i: number,
  flags: number,
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOffset: number,
): void {
  const o = i * VNET_HDR_LEN;
  hdrs[o] = flags;
  hdrs[o + 1] = gsoType;
  hdrs[o + 2] = hdrLen & 0xff;
  hdrs[o + 3] = hdrLen >>> 8;
  hdrs[o + 4] = gsoSize & 0xff;
  hdrs[o + 5] = gsoSize >>> 8;
  hdrs[o + 6] = csumStart & 0xff;
  hdrs[o + 7] = csumStart >>> 8;
  hdrs[o + 8] = csumOffset & 0xff;
  hdrs[o + 9] = csumOffset >>> 8;
}

/** Zeroes header `i`: no offload, checksum complete. */
export function clearVnet(hdrs: Uint8Array, i: number): void {
  hdrs.fill(0, i * VNET_HDR_LEN, (i + 1) * VNET_HDR_LEN);
}
