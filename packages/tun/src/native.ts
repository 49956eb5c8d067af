/**
 * Loader and typed surface of the N-API addon (native/tun.c). The addon is
 * loaded lazily, on the first LinuxTun.open(), so MemoryTun and the rest of the
 * package work where the addon is not built. The path is relative to this
 * module's directory, which is `src/` under vitest and `dist/` when built:
 * both sit next to `build/`.
 */
import { createRequire } from 'node:module';
import { TunError } from './errors.js';

/** Opaque handle owned by the addon (a napi external). */
export type NativeHandle = { readonly __tunHandle: unique symbol };

/** Functions exported by build/Release/tun.node; see native/tun.c for the contract. */
export interface NativeTun {
  open(name: string, multiQueue: boolean, offload: boolean): NativeHandle;
  name(h: NativeHandle): string;
  /** True when the kernel takes VIRTIO_NET_HDR_GSO_UDP_L4 on write (asked at open, with offload). */
  udpGso(h: NativeHandle): boolean;
  /** mtu <= 0 keeps it; up: -1 keeps, 0 down, 1 up. Returns the MTU now set. */
  ifconfig(name: string, mtu: number, up: number): number;
  readFlat(h: NativeHandle, arena: Uint8Array, slot: number, offset: number, sizes: Int32Array, max: number, vnet?: Uint8Array): number;
  /** With `parts`, count is packets and the result is pieces written (TunDevice.writeFlat). */
  writeFlat(h: NativeHandle, arena: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number, vnet?: Uint8Array, parts?: Int32Array): number;
  poll(h: NativeHandle, cb: ((status: number) => void) | null): void;
  stats(h: NativeHandle, out: Float64Array): void;
  close(h: NativeHandle): void;
  readonly STATS_COUNT: number;
}

/** Counter slots written by the addon's stats(), in order (enum in tun.c). */
export const NATIVE_STAT_SLOTS = [
  'rxPackets',
  'rxBytes',
  'rxTruncated',
  'rxWakeups',
  'txPackets',
  'txBytes',
  'txDropsQueueFull',
  'txErrors',
] as const;

/** Where the addon lives, relative to this module. */
export const ADDON_PATH = '../build/Release/tun.node';

let cached: NativeTun | undefined;

/** Loads the addon once; throws TunError ERR_TUN_ADDON with the fix when missing. */
export function loadNative(): NativeTun {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  let addon: NativeTun;
  try {
    addon = require(ADDON_PATH) as NativeTun;
  } catch (err) {
    throw new TunError(
      'ERR_TUN_ADDON',
      `cannot load ${new URL(ADDON_PATH, import.meta.url).pathname}; build it with \`npm run build:native -w @sixgate/tun\``,
      { cause: err },
    );
  }
  if (addon.STATS_COUNT !== NATIVE_STAT_SLOTS.length) {
    throw new TunError('ERR_TUN_ADDON', 'addon and wrapper disagree on the stats layout; rebuild the addon');
  }
  cached = addon;
  return addon;
}
