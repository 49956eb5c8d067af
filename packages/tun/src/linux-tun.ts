/**
 * LinuxTun: a TunDevice over the N-API addon. All validation happens here, once;
 * readFlat()/writeFlat() pass straight to C with no per-packet allocation.
 */
import { fromNative, TunClosedError, TunError } from './errors.js';
import { checkMtu, resolveOptions, type ResolvedTunOptions, type TunOptions } from './config.js';
import { checkFlatRead, type ReadableCallback, type TunDevice } from './device.js';
import { emptyStats, type TunStats } from './metrics.js';
import { loadNative, NATIVE_STAT_SLOTS, type NativeHandle, type NativeTun } from './native.js';

export class LinuxTun implements TunDevice {
  readonly batchSize: number;
  readonly offload: boolean;
  readonly udpGso: boolean;
  readonly #native: NativeTun;
  readonly #handle: NativeHandle;
  readonly #name: string;
  readonly #statsBuf: Float64Array;
  #mtu: number;
  #closed = false;

  private constructor(native: NativeTun, handle: NativeHandle, opts: ResolvedTunOptions) {
    this.#native = native;
    this.#handle = handle;
    this.#name = native.name(handle);
    this.batchSize = opts.batchSize;
    this.offload = opts.offload;
    this.udpGso = opts.offload && native.udpGso(handle);
    this.#mtu = opts.mtu;
    this.#statsBuf = new Float64Array(native.STATS_COUNT);
  }

  /**
   * Creates (or attaches to) the TUN interface `name`, sets its MTU and, unless
   * `up: false`, brings it up. Throws TunError: ERR_TUN_PERMISSION, ERR_TUN_BUSY,
   * ERR_TUN_UNAVAILABLE, ERR_TUN_OPEN, ERR_TUN_CONFIG, ERR_TUN_ARGUMENT, ERR_TUN_ADDON.
   */
  static open(options: TunOptions): LinuxTun {
    const opts = resolveOptions(options);
    const native = loadNative();
    let handle: NativeHandle;
    try {
      handle = native.open(opts.name, opts.multiQueue, opts.offload);
    } catch (err) {
      throw fromNative(err, 'open', opts.name);
    }
    const dev = new LinuxTun(native, handle, opts);
    try {
      dev.#mtu = native.ifconfig(dev.#name, opts.mtu, opts.up ? 1 : -1);
    } catch (err) {
      dev.close();
      throw fromNative(err, 'config', dev.#name);
    }
    return dev;
  }

  get closed(): boolean {
    return this.#closed;
  }

  name(): string {
    return this.#name;
  }

  mtu(): number {
    return this.#mtu;
  }

  readFlat(arena: Uint8Array, slot: number, offset: number, sizes: Int32Array, vnet?: Uint8Array): number {
    if (this.#closed) throw new TunClosedError(this.#name);
    checkFlatRead(this.#name, arena, slot, offset, sizes, vnet);
    try {
      return this.#native.readFlat(this.#handle, arena, slot, offset, sizes, this.batchSize, vnet);
    } catch (err) {
      throw this.#ioError(err);
    }
  }

  writeFlat(arena: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number, vnet?: Uint8Array, parts?: Int32Array): number {
    if (this.#closed) throw new TunClosedError(this.#name);
    if (parts !== undefined && !(parts instanceof Int32Array)) {
      throw new TunError('ERR_TUN_ARGUMENT', `${this.#name}: writeFlat parts must be an Int32Array or undefined`);
    }
    // With parts, count is packets; the addon bounds their pieces by offsets/lengths.
    const n = parts === undefined ? Math.min(count, offsets.length, lengths.length) : Math.min(count, parts.length);
    if (!(n > 0)) return 0; // also NaN; a negative count must not wrap to uint32 in C
    try {
      return this.#native.writeFlat(this.#handle, arena, offsets, lengths, n, vnet, parts);
    } catch (err) {
      throw this.#ioError(err);
    }
  }

  onReadable(cb: ReadableCallback | null): void {
    if (this.#closed) throw new TunClosedError(this.#name);
    if (cb === null) {
      this.#native.poll(this.#handle, null);
      return;
    }
    const name = this.#name;
    this.#native.poll(this.#handle, (status: number) => {
      if (status >= 0) cb();
      else cb(new TunError('ERR_TUN_IO', `${name}: readiness poll failed (status ${status})`));
    });
  }

  setMtu(mtu: number): void {
    checkMtu(mtu);
    this.#mtu = this.#ifconfig(mtu, -1);
  }

  up(): void {
    this.#ifconfig(0, 1);
  }

  down(): void {
    this.#ifconfig(0, 0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close(this.#handle);
  }

  stats(): TunStats {
    this.#native.stats(this.#handle, this.#statsBuf);
    const out = emptyStats();
    NATIVE_STAT_SLOTS.forEach((key, i) => {
      out[key] = this.#statsBuf[i] ?? 0;
    });
    return out;
  }

  #ifconfig(mtu: number, up: number): number {
    if (this.#closed) throw new TunClosedError(this.#name);
    try {
      return this.#native.ifconfig(this.#name, mtu, up);
    } catch (err) {
      throw fromNative(err, 'config', this.#name);
    }
  }

  #ioError(err: unknown): TunError {
    const e = fromNative(err, 'io', this.#name);
    // Bad buffers are the caller's bug, not a device failure.
    const { syscall: s, code } = err as { syscall?: unknown; code?: unknown };
    if (s === 'bufs' || s === 'vnet' || s === 'sizes' || s === 'lengths' || s === 'offsets' || s === 'parts' || code === 'ERR_TUN_NATIVE') {
      return new TunError('ERR_TUN_ARGUMENT', `${this.#name}: bad batch arguments (bufs: Uint8Array[] with room after offset, sizes/lengths: Int32Array, offset/count: integers ≥ 0)`);
    }
    return e;
  }
}
