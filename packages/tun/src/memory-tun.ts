/**
 * MemoryTun: the test device (STYLE §5, after wireguard-go's tuntest). Tests
 * inject packets as if the kernel routed them into the interface and collect
 * what the code under test writes. It follows LinuxTun's contract: same
 * validation, same counters, level-triggered onReadable delivered on a later
 * event-loop turn, drops instead of blocking when the "kernel queue" is full.
 */
import { resolveOptions, checkMtu, type TunOptions } from './config.js';
import { checkFlatRead, TUN_GATHER_MAX, type ReadableCallback, type TunDevice } from './device.js';
import { TunClosedError, TunError } from './errors.js';
import { emptyStats, type TunStats } from './metrics.js';
import { VNET, VNET_GSO_UDP_L4, VNET_HDR_LEN } from './vnet.js';

/** Extra knobs of the fake. */
export interface MemoryTunOptions extends Partial<TunOptions> {
  /** Written packets kept before further writes count as txDropsQueueFull. Default unlimited. */
  txQueueLimit?: number;
  /**
   * With `offload`: whether UDP GSO super-packets may be written, as on
   * Linux 6.2 and later (default true). When false, such a write fails as
   * the kernel would fail it (EINVAL): a txError, nothing recorded.
   */
  udpGso?: boolean;
}

export class MemoryTun implements TunDevice {
  readonly batchSize: number;
  readonly offload: boolean;
  readonly udpGso: boolean;
  /** Copies of the packets written, oldest first; takeWritten() empties it. */
  readonly written: Uint8Array[] = [];
  /** With `offload`: the virtio_net_hdr each written packet went out behind, same order as `written`. */
  readonly writtenVnet: Uint8Array[] = [];
  readonly #name: string;
  readonly #txQueueLimit: number;
  readonly #rx: Uint8Array[] = [];
  readonly #rxVnet: (Uint8Array | undefined)[] = [];
  readonly #stats = emptyStats();
  #mtu: number;
  #up: boolean;
  #closed = false;
  #cb: ReadableCallback | null = null;
  #scheduled = false;
  #failure: TunError | null = null;

  constructor(options: MemoryTunOptions = {}) {
    const opts = resolveOptions({ name: 'mem0', ...options });
    this.#name = opts.name;
    this.#mtu = opts.mtu;
    this.#up = opts.up;
    this.batchSize = opts.batchSize;
    this.offload = opts.offload;
    this.udpGso = opts.offload && options.udpGso !== false;
    this.#txQueueLimit = options.txQueueLimit ?? Number.POSITIVE_INFINITY;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Packets injected and not yet read. */
  get pending(): number {
    return this.#rx.length;
  }

  /** True while the link is up. */
  get isUp(): boolean {
    return this.#up;
  }

  /**
   * Queues a copy of `packet` as if the kernel routed it into the device; on
   * an offload device `vnet` is its virtio_net_hdr (all zero when omitted).
   */
  inject(packet: Uint8Array, vnet?: Uint8Array): void {
    if (this.#closed) throw new TunClosedError(this.#name);
    if (vnet !== undefined && vnet.length !== VNET_HDR_LEN) {
      throw new TunError('ERR_TUN_ARGUMENT', `${this.#name}: a vnet header has ${VNET_HDR_LEN} bytes`);
    }
    this.#rx.push(packet.slice());
    this.#rxVnet.push(vnet?.slice());
    this.#schedule();
  }

  /** Makes the next read() throw ERR_TUN_IO, as a vanished device would. */
  failNextRead(message = 'injected failure'): void {
    this.#failure = new TunError('ERR_TUN_IO', `${this.#name}: ${message}`);
    this.#schedule();
  }

  /**
   * Fails the readiness poll as the kernel does when the interface is deleted
   * under an open fd (libuv reports EBADF and stops the poll): the callback
   * gets a TunError ERR_TUN_IO once, and no further wake-ups come.
   */
  failPoll(message = 'readiness poll failed (status -9)'): void {
    const cb = this.#cb;
    this.#cb = null;
    if (cb === null || this.#closed) return;
    setImmediate(() => cb(new TunError('ERR_TUN_IO', `${this.#name}: ${message}`)));
  }

  /** Returns and clears the written packets. */
  takeWritten(): Uint8Array[] {
    this.writtenVnet.length = 0;
    return this.written.splice(0, this.written.length);
  }

  name(): string {
    return this.#name;
  }

  mtu(): number {
    return this.#mtu;
  }

  readFlat(arena: Uint8Array, slot: number, offset: number, sizes: Int32Array, vnet?: Uint8Array): number {
    this.#checkOpen();
    if (this.#failure !== null) {
      const f = this.#failure;
      this.#failure = null;
      throw f;
    }
    checkFlatRead(this.#name, arena, slot, offset, sizes, vnet);
    let max = Math.min(this.batchSize, sizes.length, Math.floor(arena.length / slot));
    if (this.offload && vnet !== undefined) max = Math.min(max, Math.floor(vnet.length / VNET_HDR_LEN));
    const room = slot - offset;
    let count = 0;
    while (count < max && this.#rx.length > 0) {
      const pkt = this.#rx.shift()!;
      const hdr = this.#rxVnet.shift();
      if (pkt.length > room) {
        this.#stats.rxTruncated++;
        continue;
      }
      arena.set(pkt, count * slot + offset);
      if (this.offload && vnet !== undefined) {
        if (hdr !== undefined) vnet.set(hdr, count * VNET_HDR_LEN);
        else vnet.fill(0, count * VNET_HDR_LEN, (count + 1) * VNET_HDR_LEN);
      }
      sizes[count++] = pkt.length;
      this.#stats.rxPackets++;
      this.#stats.rxBytes += pkt.length;
    }
    return count;
  }

  writeFlat(arena: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number, vnet?: Uint8Array, parts?: Int32Array): number {
    this.#checkOpen();
    if (!(arena instanceof Uint8Array) || !(offsets instanceof Int32Array) || !(lengths instanceof Int32Array) || (vnet !== undefined && !(vnet instanceof Uint8Array))) {
      throw new TunError('ERR_TUN_ARGUMENT', `${this.#name}: writeFlat needs a Uint8Array arena, Int32Array offsets/lengths and an optional Uint8Array of vnet headers`);
    }
    if (parts !== undefined && !(parts instanceof Int32Array)) {
      throw new TunError('ERR_TUN_ARGUMENT', `${this.#name}: writeFlat parts must be an Int32Array or undefined`);
    }
    const nvnet = vnet === undefined ? 0 : Math.floor(vnet.length / VNET_HDR_LEN);
    const hdrOf = (i: number) => (i < nvnet ? vnet!.subarray(i * VNET_HDR_LEN, (i + 1) * VNET_HDR_LEN) : undefined);
    if (parts !== undefined) return this.#writeGather(arena, offsets, lengths, Math.min(count, parts.length), parts, hdrOf);
    const n = Math.min(count, offsets.length, lengths.length);
    let written = 0;
    for (let i = 0; i < n; i++) {
      if (this.#writeOne(arena, offsets[i]!, lengths[i]!, hdrOf(i))) written++;
    }
    return written;
  }

  /** writeFlat with `parts`, with the addon's validation; returns the pieces written. */
  #writeGather(
    arena: Uint8Array,
    offsets: Int32Array,
    lengths: Int32Array,
    n: number,
    parts: Int32Array,
    hdrOf: (i: number) => Uint8Array | undefined,
  ): number {
    const npieces = Math.min(offsets.length, lengths.length);
    let j = 0;
    let pieces = 0;
    for (let p = 0; p < n; p++) {
      const k = parts[p]!;
      if (k >= 1 && j + k > npieces) {
        this.#stats.txErrors++; // runs past the arrays: nothing after it can be found
        break;
      }
      if (k < 1 || k > TUN_GATHER_MAX) {
        this.#stats.txErrors++;
        if (k > 0) j += k;
        continue;
      }
      const first = j;
      j += k;
      let total = 0;
      let ok = true;
      for (let q = first; q < j; q++) {
        const off = offsets[q]!;
        const len = lengths[q]!;
        if (off < 0 || len <= 0 || off + len > arena.length) ok = false;
        total += len;
      }
      if (!ok || this.#refused(hdrOf(p))) {
        this.#stats.txErrors++;
        continue;
      }
      if (!this.#accept(total)) continue;
      const pkt = new Uint8Array(total);
      for (let q = first, at = 0; q < j; q++) {
        pkt.set(arena.subarray(offsets[q]!, offsets[q]! + lengths[q]!), at);
        at += lengths[q]!;
      }
      this.#record(pkt, hdrOf(p));
      pieces += k;
    }
    return pieces;
  }

  #writeOne(buf: Uint8Array, offset: number, len: number, vnet?: Uint8Array): boolean {
    if (offset < 0 || offset + len > buf.length || this.#refused(vnet)) {
      this.#stats.txErrors++;
      return false;
    }
    if (!this.#accept(len)) return false;
    this.#record(buf.slice(offset, offset + len), vnet);
    return true;
  }

  /** A UDP GSO header on a device (kernel) that does not take them. */
  #refused(vnet: Uint8Array | undefined): boolean {
    return !this.udpGso && vnet !== undefined && vnet[VNET.GSO_TYPE] === VNET_GSO_UDP_L4;
  }

  /** Counts a packet of `len` bytes the kernel would refuse or drop; true when it would take it. */
  #accept(len: number): boolean {
    // The kernel refuses empty packets and writes while down (EIO). Beyond 64 KiB the real
    // device takes the write and leaves the packet to the IP layer; here it is an error.
    if (len <= 0 || len > 65535 || !this.#up) {
      this.#stats.txErrors++;
      return false;
    }
    if (this.written.length >= this.#txQueueLimit) {
      this.#stats.txDropsQueueFull++;
      return false;
    }
    return true;
  }

  /** Keeps `pkt` (a copy the caller no longer touches) as written, with its header. */
  #record(pkt: Uint8Array, vnet?: Uint8Array): void {
    this.written.push(pkt);
    if (this.offload) this.writtenVnet.push(vnet !== undefined ? vnet.slice() : new Uint8Array(VNET_HDR_LEN));
    this.#stats.txPackets++;
    this.#stats.txBytes += pkt.length;
  }

  onReadable(cb: ReadableCallback | null): void {
    this.#checkOpen();
    this.#cb = cb;
    this.#schedule();
  }

  setMtu(mtu: number): void {
    this.#checkOpen();
    this.#mtu = checkMtu(mtu);
  }

  up(): void {
    this.#checkOpen();
    this.#up = true;
  }

  down(): void {
    this.#checkOpen();
    this.#up = false;
  }

  close(): void {
    this.#closed = true;
    this.#cb = null;
    this.#rx.length = 0;
    this.#rxVnet.length = 0;
  }

  stats(): TunStats {
    return { ...this.#stats };
  }

  #checkOpen(): void {
    if (this.#closed) throw new TunClosedError(this.#name);
  }

  /** Level-triggered like uv_poll: wakes again while packets remain. */
  #schedule(): void {
    if (this.#scheduled || this.#cb === null || (this.#rx.length === 0 && this.#failure === null)) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const cb = this.#cb;
      if (this.#closed || cb === null || (this.#rx.length === 0 && this.#failure === null)) return;
      this.#stats.rxWakeups++;
      cb();
      this.#schedule();
    });
  }
}
