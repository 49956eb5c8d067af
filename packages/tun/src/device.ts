/**
 * The batched device interface shared by LinuxTun and MemoryTun (STYLE §5,
 * after wireguard-go's tun.Device). Buffers are allocated once by the caller
 * and reused; packets are read at `bufs[i][offset..]` so the translator has
 * headroom in front of each packet (STYLE §3) and never copies the payload.
 *
 * readFlat() and writeFlat() are synchronous and never block: the fd is non-blocking,
 * readiness comes from onReadable(), and a full kernel queue is a counted drop.
 * See README "Why synchronous" for the measurements behind that choice.
 */
import { TunError } from './errors.js';
import type { TunStats } from './metrics.js';

/** Called once per readiness wake-up; `err` is set when polling itself failed. */
export type ReadableCallback = (err?: TunError) => void;

export interface TunDevice {
  /** Packets per batch; fixed for the device's lifetime. */
  readonly batchSize: number;
  /** True once close() ran. */
  readonly closed: boolean;
  /**
   * True when the device was opened with `offload`: every packet read comes
   * with a virtio_net_hdr (VNET_HDR_LEN bytes, src/vnet.ts) and may be a TCP
   * super-packet larger than the MTU; every packet written goes out behind one.
   */
  readonly offload: boolean;
  /**
   * True when, besides `offload`, the kernel takes UDP GSO super-packets
   * (VNET_GSO_UDP_L4) on write: Linux 6.2 and later. Reads never carry them.
   */
  readonly udpGso: boolean;
  /** Interface name as the kernel knows it. */
  name(): string;
  /** Current MTU. */
  mtu(): number;
  /**
   * Flat-arena read: packet i goes to arena[i*slot+offset .. (i+1)*slot) and
   * its length to sizes[i], for at most min(batchSize, sizes.length,
   * floor(arena.length/slot)) packets. A packet longer than the slot after `offset`
   * is dropped and counted (rxTruncated). Throws TunClosedError after close(),
   * TunError ERR_TUN_IO when the device is unusable. One buffer for the whole
   * batch, so the addon resolves it once.
   * On an offload device packet i's virtio_net_hdr goes to
   * vnet[i*VNET_HDR_LEN ..] (the batch is capped to the headers that fit);
   * without `vnet` the headers are read and discarded.
   */
  readFlat(arena: Uint8Array, slot: number, offset: number, sizes: Int32Array, vnet?: Uint8Array): number;
  /**
   * Flat-arena write: packet i is arena[offsets[i] .. offsets[i]+lengths[i])
   * for i < count. A packet outside the arena counts as txErrors; a full queue
   * as txDropsQueueFull. Returns how many the kernel took; never blocks.
   * On an offload device packet i goes out behind vnet[i*VNET_HDR_LEN ..], or
   * behind an all-zero header (no offload, checksum complete) when `vnet` is
   * absent or shorter.
   *
   * Gather: with `parts`, `count` is the number of packets and packet p is
   * the concatenation of parts[p] consecutive pieces (offsets[j], lengths[j]),
   * j running on from the pieces of the packets before it; it goes out behind
   * vnet[p*VNET_HDR_LEN ..] (or the all-zero header) in one write. A packet
   * with parts[p] outside 1..TUN_GATHER_MAX or a piece outside the arena
   * counts once as txErrors and is skipped with its pieces; a packet whose
   * pieces run past offsets/lengths counts once and ends the call. txPackets
   * and txBytes count packets and their bytes as usual, but the return value
   * is the number of PIECES written (the sum of parts[p] over the packets
   * the kernel took), to be compared with the pieces handed over.
   */
  writeFlat(arena: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number, vnet?: Uint8Array, parts?: Int32Array): number;
  /** Sets (or with null clears) the readiness callback; level-triggered. */
  onReadable(cb: ReadableCallback | null): void;
  /** Changes the MTU (68–65535). */
  setMtu(mtu: number): void;
  /** Brings the link up. */
  up(): void;
  /** Brings the link down. */
  down(): void;
  /** Stops polling and releases the device; idempotent. */
  close(): void;
  /** A snapshot of the counters. */
  stats(): TunStats;
}

/** Most pieces one packet may be gathered from in writeFlat() (the addon's TUN_GATHER_MAX). */
export const TUN_GATHER_MAX = 64;

/**
 * Validates readFlat() arguments (the same rules for LinuxTun and MemoryTun):
 * a Uint8Array arena, an Int32Array of sizes, integer slot ≥ 1 and offset with
 * 0 ≤ offset < slot. Throws TunError ERR_TUN_ARGUMENT.
 */
export function checkFlatRead(name: string, arena: Uint8Array, slot: number, offset: number, sizes: Int32Array, vnet?: Uint8Array): void {
  if (!(arena instanceof Uint8Array) || !(sizes instanceof Int32Array) || (vnet !== undefined && !(vnet instanceof Uint8Array))) {
    throw new TunError('ERR_TUN_ARGUMENT', `${name}: readFlat needs a Uint8Array arena, an Int32Array of sizes and an optional Uint8Array of vnet headers`);
  }
  if (!Number.isInteger(slot) || slot < 1 || slot > 0x7fffffff || !Number.isInteger(offset) || offset < 0 || offset >= slot) {
    throw new TunError('ERR_TUN_ARGUMENT', `${name}: readFlat needs an integer slot ≥ 1 and 0 ≤ offset < slot, got slot ${String(slot)}, offset ${String(offset)}`);
  }
}
