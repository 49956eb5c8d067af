/**
 * Batched UDP through the N-API addon (native/udp.c): recvmmsg/sendmmsg into
 * preallocated arenas, readiness from a uv_poll_t on the Node loop, one JS
 * call per wake-up. Loaded lazily, from `../../build/Release/dns64_udp.node`
 * relative to this module (`src/io/` under vitest, `dist/io/` when built);
 * when it is missing the server falls back to node:dgram.
 */
import { createRequire } from 'node:module';
import { tryParseIpv4, tryParseIpv6 } from '@sixgate/addressing';

/** Opaque handle owned by the addon (a napi external). */
export type NativeUdpHandle = { readonly __udpHandle: unique symbol };

/** Functions exported by build/Release/dns64_udp.node; see native/udp.c for the contract. */
export interface NativeUdp {
  open(family: 4 | 6, address: Uint8Array, port: number, v6only: boolean, rcvbuf: number): NativeUdpHandle;
  localPort(h: NativeUdpHandle): number;
  recvBatch(h: NativeUdpHandle, arena: Uint8Array, slot: number, sizes: Int32Array, addrs: Uint8Array, max: number): number;
  sendBatch(h: NativeUdpHandle, arena: Uint8Array, slot: number, lengths: Int32Array, addrs: Uint8Array, count: number): number;
  sendTo(h: NativeUdpHandle, buf: Uint8Array, length: number, addrs: Uint8Array, index: number): number;
  poll(h: NativeUdpHandle, cb: ((status: number) => void) | null): void;
  stats(h: NativeUdpHandle, out: Float64Array): void;
  close(h: NativeUdpHandle): void;
  readonly STATS_COUNT: number;
  readonly MAX_BATCH: number;
}

/** Bytes per peer address slot: a raw `struct sockaddr_in6` (see native/udp.c). */
export const ADDR_SLOT = 28;
/** Address family values in a slot (Linux AF_INET / AF_INET6, host byte order). */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** Counter slots written by the addon's stats(), in order (enum in udp.c). */
export const NATIVE_UDP_STAT_SLOTS = [
  'rxPackets', 'rxBytes', 'rxTruncated', 'rxWakeups', 'txPackets', 'txBytes', 'txDropsAgain', 'txErrors',
] as const;
export type NativeUdpStats = Record<(typeof NATIVE_UDP_STAT_SLOTS)[number], number>;

/** Where the addon lives, relative to this module. */
export const UDP_ADDON_PATH = '../../build/Release/dns64_udp.node';

let cached: NativeUdp | undefined;
let loadError: Error | undefined;

/** Loads the addon once; undefined (and `nativeUdpLoadError()` says why) when it cannot. */
export function loadNativeUdp(): NativeUdp | undefined {
  if (cached !== undefined || loadError !== undefined) return cached;
  try {
    const addon = createRequire(import.meta.url)(UDP_ADDON_PATH) as NativeUdp;
    if (addon.STATS_COUNT !== NATIVE_UDP_STAT_SLOTS.length) throw new Error('addon and wrapper disagree on the stats layout; rebuild the addon');
    cached = addon;
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
  }
  return cached;
}

/** Why the addon did not load (undefined when it did or was not tried). */
export function nativeUdpLoadError(): Error | undefined {
  return loadError;
}

/** Sizes of a socket's arenas. */
export interface NativeUdpSizes {
  /** Datagrams per recvmmsg/sendmmsg call (1–MAX_BATCH). */
  readonly batch?: number;
  /** Receive slot bytes: longer datagrams are counted in rxTruncated and skipped. */
  readonly rxSlot?: number;
  /** Transmit slot bytes. */
  readonly txSlot?: number;
  /** Socket receive buffer bytes (0: the system default). */
  readonly rcvbuf?: number;
}

/**
 * One bound UDP socket with its receive and transmit arenas. Datagram i of
 * the last `recv()` is `rx[i*rxSlot ..+rxSizes[i]]` (size -1: oversized,
 * skip it) from `rxAddrs[i*28..]`; `send(n)` sends `tx[i*txSlot ..+txLengths[i]]`
 * to `txAddrs[i*28..]` for i < n.
 */
export class NativeUdpSocket {
  readonly batch: number;
  readonly rxSlot: number;
  readonly txSlot: number;
  readonly rx: Buffer;
  readonly rxSizes: Int32Array;
  readonly rxAddrs: Uint8Array;
  readonly tx: Buffer;
  readonly txLengths: Int32Array;
  readonly txAddrs: Uint8Array;
  readonly #native: NativeUdp;
  readonly #h: NativeUdpHandle;
  readonly #stats: Float64Array;
  #closed = false;

  private constructor(native: NativeUdp, h: NativeUdpHandle, sizes: NativeUdpSizes) {
    this.#native = native;
    this.#h = h;
    this.batch = Math.max(1, Math.min(sizes.batch ?? 64, native.MAX_BATCH));
    this.rxSlot = sizes.rxSlot ?? 4096;
    this.txSlot = sizes.txSlot ?? 1280;
    this.rx = Buffer.alloc(this.batch * this.rxSlot);
    this.rxSizes = new Int32Array(this.batch);
    this.rxAddrs = new Uint8Array(this.batch * ADDR_SLOT);
    this.tx = Buffer.alloc(this.batch * this.txSlot);
    this.txLengths = new Int32Array(this.batch);
    this.txAddrs = new Uint8Array(this.batch * ADDR_SLOT);
    this.#stats = new Float64Array(native.STATS_COUNT);
  }

  /** Binds `address:port` (port 0 picks one). Throws the addon's `{errno, syscall}` error. */
  static open(native: NativeUdp, address: string, port: number, ipv6Only: boolean, sizes: NativeUdpSizes = {}): NativeUdpSocket {
    const v4 = tryParseIpv4(address);
    let h: NativeUdpHandle;
    if (v4 >= 0) {
      h = native.open(4, Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff), port, false, sizes.rcvbuf ?? 0);
    } else {
      const v6 = tryParseIpv6(address);
      if (v6 === undefined) throw new Error(`not an IP address: ${address}`);
      h = native.open(6, v6, port, ipv6Only, sizes.rcvbuf ?? 0);
    }
    return new NativeUdpSocket(native, h, sizes);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bound port. */
  port(): number {
    return this.#native.localPort(this.#h);
  }

  /** Receives up to `batch` queued datagrams without blocking; returns how many slots were filled. */
  recv(): number {
    return this.#native.recvBatch(this.#h, this.rx, this.rxSlot, this.rxSizes, this.rxAddrs, this.batch);
  }

  /** Sends tx slots 0..count-1 in one sendmmsg; returns how many went out (drops are counted). */
  send(count: number): number {
    if (count <= 0) return 0;
    return this.#native.sendBatch(this.#h, this.tx, this.txSlot, this.txLengths, this.txAddrs, count);
  }

  /** Sends one datagram to the address in `addrs[index*28..]`; false when dropped (counted). */
  sendTo(buf: Uint8Array, addrs: Uint8Array, index = 0): boolean {
    return this.#native.sendTo(this.#h, buf, buf.length, addrs, index) === 1;
  }

  /** Calls `cb` once per readable wake-up (level-triggered); null stops. */
  onReadable(cb: (() => void) | null): void {
    this.#native.poll(this.#h, cb === null ? null : () => cb());
  }

  /** The addon's counters for this socket (also after close). */
  stats(): NativeUdpStats {
    this.#native.stats(this.#h, this.#stats);
    const out = {} as NativeUdpStats;
    NATIVE_UDP_STAT_SLOTS.forEach((k, i) => (out[k] = this.#stats[i]!));
    return out;
  }

  /** Stops the poll and closes the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close(this.#h);
  }
}
