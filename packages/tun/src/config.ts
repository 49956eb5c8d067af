/**
 * Option validation, done once at open (STYLE §4): the hot path trusts the
 * values checked here.
 */
import { TunError } from './errors.js';

/** Options of LinuxTun.open() and new MemoryTun(). */
export interface TunOptions {
  /** Interface name, 1–15 bytes (IFNAMSIZ − 1); `%d` lets the kernel pick a number. */
  name: string;
  /** MTU to set, 68–65535 (the TUN driver's bounds; IPv6 needs ≥ 1280, RFC 8200 §5). Default 1500. */
  mtu?: number;
  /** Packets per read/write batch, fixed for the device's lifetime, 1–1024. Default 64. */
  batchSize?: number;
  /** Open with IFF_MULTI_QUEUE so several devices can share the name. Default false. */
  multiQueue?: boolean;
  /** Bring the link up after opening. Default true. */
  up?: boolean;
  /**
   * Open with IFF_VNET_HDR and checksum + TCP segmentation offload
   * (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6): packets carry a virtio_net_hdr
   * (src/vnet.ts) and may be TCP super-packets of up to 64 KiB. Default false.
   */
  offload?: boolean;
}

/** Validated options with defaults applied. */
export interface ResolvedTunOptions {
  readonly name: string;
  readonly mtu: number;
  readonly batchSize: number;
  readonly multiQueue: boolean;
  readonly up: boolean;
  readonly offload: boolean;
}

export const MTU_MIN = 68;
export const MTU_MAX = 65535;
export const BATCH_MAX = 1024;
/** IFNAMSIZ is 16 including the terminating NUL (linux/if.h). */
export const NAME_MAX_BYTES = 15;

/** Throws ERR_TUN_ARGUMENT unless `name` is a valid Linux interface name. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TunError('ERR_TUN_ARGUMENT', 'interface name must be a non-empty string');
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  // dev_valid_name() in the kernel: no '/', ':' or whitespace, not '.' or '..'.
  if (bytes > NAME_MAX_BYTES || name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    throw new TunError('ERR_TUN_ARGUMENT', `invalid interface name ${JSON.stringify(name)} (1-15 bytes, no '/', ':' or spaces)`);
  }
  return name;
}

/** Throws ERR_TUN_ARGUMENT unless `mtu` is an integer in [68, 65535]. */
export function checkMtu(mtu: unknown): number {
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < MTU_MIN || mtu > MTU_MAX) {
    throw new TunError('ERR_TUN_ARGUMENT', `MTU must be an integer ${MTU_MIN}-${MTU_MAX}, got ${String(mtu)}`);
  }
  return mtu;
}

/** Validates every option once and applies the defaults. */
export function resolveOptions(opts: TunOptions): ResolvedTunOptions {
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > BATCH_MAX) {
    throw new TunError('ERR_TUN_ARGUMENT', `batchSize must be an integer 1-${BATCH_MAX}, got ${String(batchSize)}`);
  }
  return {
    name: checkName(opts.name),
    mtu: checkMtu(opts.mtu ?? 1500),
    batchSize,
    multiQueue: opts.multiQueue ?? false,
    up: opts.up ?? true,
    offload: opts.offload ?? false,
  };
}
