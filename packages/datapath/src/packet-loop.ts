/**
 * The data path: TUN → Translator → TUN. One readiness wake-up reads batches
 * of packets into one preallocated arena (with HEADROOM in front of each, so
 * the translator rewrites headers in place), translates each, and writes every
 * result back in one batched call. Nothing here allocates per packet unless a
 * trace subscriber is listening.
 *
 * Arena layout: `batchSize` input slots of HEADROOM + mtu + 64 bytes, then
 * `batchSize` out areas of OUT_BUFFER_SIZE bytes. The translator gets the
 * arena as both input and output buffer, so every result offset it returns is
 * already absolute in the arena and goes straight to writeFlat().
 *
 * On an offloading device (TunDevice.offload) input slots hold 64 KiB TCP
 * super-packets, each packet comes and goes with a virtio_net_hdr (`vin`,
 * `vout`, one per packet), and one more slot after the input slots is where
 * super-packets that must be cut in software are cut (see offload.ts).
 * There, too, runs of same-flow UDP results leave as one UDP GSO write each
 * (coalesce.ts).
 */
import { HEADROOM, MAX_FRAGMENTS, OUT_BUFFER_SIZE, ipPacketLength, type Translator } from '@sixgate/nat64';
import { TunError, VNET_HDR_LEN, clearVnet, type TunDevice } from '@sixgate/tun';
import { BATCH_BUCKETS, Histogram } from './histogram.js';
import { Coalescer } from './coalesce.js';
import { Offload, OffloadMode } from './offload.js';
import type { PacketTrace } from './trace.js';

export interface PacketLoopOptions {
  /** Largest packet the TUN hands us (its MTU). */
  readonly mtu: number;
  /** Batches handled per wake-up before yielding to the event loop. */
  readonly maxBatches?: number;
  /** A clock the loop refreshes once per batch (the translator reads it per packet). */
  readonly clock?: { refresh(t?: number): void };
  /** On an offload device that takes UDP GSO, write runs of same-flow UDP datagrams as one super-packet (default true). */
  readonly coalesce?: boolean;
  /**
   * The device failed for good (poll error, fatal read or write: deleted
   * interface, fd error). The loop has stopped; the caller recovers.
   */
  readonly onFatal?: (err: Error) => void;
  /** A batch threw and was dropped; `reason` is a short stable label (see batchErrorReason). */
  readonly onBatchError?: (reason: string, err: unknown) => void;
}

/** How many distinct batch-error reasons are counted apart; the rest count as "other". */
const MAX_ERROR_REASONS = 16;

/** A short label for an exception thrown while a batch was handled: its code, else its class name. */
export function batchErrorReason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code.length <= 40 ? code : err.name.slice(0, 40) || 'Error';
  }
  return typeof err;
}

/** A device error that no later read can get past. */
function isFatal(err: unknown): boolean {
  return err instanceof TunError && (err.code === 'ERR_TUN_IO' || err.code === 'ERR_TUN_CLOSED');
}

export class PacketLoop {
  private readonly arena: Uint8Array;
  /** Bytes per input slot: HEADROOM + mtu (64 KiB with offload) + 64 (4→6 grows a packet by 20 bytes into the headroom). */
  private readonly slot: number;
  /** Offload state and the virtio_net_hdrs read and written; undefined without offload. */
  readonly offload: Offload | undefined;
  private readonly vin: Uint8Array | undefined;
  private readonly vout: Uint8Array | undefined;
  /** UDP coalescing on write and its pieces-per-packet array; undefined when turned off or the device cannot take UDP GSO. */
  readonly coalescer: Coalescer | undefined;
  private readonly parts: Int32Array;
  /** Where software segments are built (offload only). */
  private readonly scratch: number;
  /** Where the out areas start in the arena. */
  private readonly outStart: number;
  private readonly sizes: Int32Array;
  private readonly wOff: Int32Array;
  private readonly wLen: Int32Array;
  private readonly maxBatches: number;
  private readonly clock: { refresh(t?: number): void } | undefined;
  /** Per-batch processing time. */
  readonly batchTime = new Histogram(BATCH_BUCKETS);
  /** Loop-level counters (translator and TUN keep their own). */
  readonly counters = {
    batches: 0, packets: 0, written: 0, writeShort: 0,
    /** Fatal device errors (the loop stopped). */
    fatal: 0,
    /** Batches dropped because handling them threw, and the packets in them. */
    batchErrors: 0, batchErrorPackets: 0,
  };
  /** Dropped batches by reason (at most MAX_ERROR_REASONS + "other"). */
  readonly batchErrorsByReason = new Map<string, number>();
  /** The error that stopped the loop, if one did. */
  failure: Error | undefined;
  private readonly onFatal: ((err: Error) => void) | undefined;
  private readonly onBatchError: ((reason: string, err: unknown) => void) | undefined;
  private running = false;

  constructor(
    private dev: TunDevice,
    /** Swapped atomically by the daemon when translator options change. */
    public translator: Translator,
    private readonly trace: PacketTrace,
    opts: PacketLoopOptions,
  ) {
    const n = dev.batchSize;
    this.slot = HEADROOM + (dev.offload ? 65535 : opts.mtu) + 64;
    this.scratch = n * this.slot + HEADROOM;
    this.outStart = (n + (dev.offload ? 1 : 0)) * this.slot;
    this.arena = new Uint8Array(this.outStart + n * OUT_BUFFER_SIZE);
    this.sizes = new Int32Array(n);
    const maxOut = n * MAX_FRAGMENTS;
    this.wOff = new Int32Array(maxOut);
    this.wLen = new Int32Array(maxOut);
    this.offload = dev.offload ? new Offload() : undefined;
    this.vin = dev.offload ? new Uint8Array(n * VNET_HDR_LEN) : undefined;
    this.vout = dev.offload ? new Uint8Array(maxOut * VNET_HDR_LEN) : undefined;
    this.coalescer = dev.offload && dev.udpGso && opts.coalesce !== false ? new Coalescer(maxOut) : undefined;
    this.parts = new Int32Array(this.coalescer !== undefined ? maxOut : 0);
    this.maxBatches = opts.maxBatches ?? 16;
    this.clock = opts.clock;
    this.onFatal = opts.onFatal;
    this.onBatchError = opts.onBatchError;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failure = undefined;
    this.dev.onReadable((err) => {
      if (err) this.fail(err);
      else this.pump();
    });
  }

  /** True when `dev` has the shape this loop's arena was laid out for. */
  fits(dev: TunDevice): boolean {
    return dev.batchSize === this.dev.batchSize && dev.offload === this.dev.offload && dev.udpGso === this.dev.udpGso;
  }

  /**
   * After a failure: carries on with a new device of the same shape (see
   * fits()); counters and histograms carry on too. Throws when the shape differs.
   */
  resume(dev: TunDevice): void {
    if (!this.fits(dev)) throw new Error('the new TUN device has another batch size or offload mode: build a new PacketLoop');
    this.stop();
    this.dev = dev;
    this.failure = undefined;
    this.start();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (!this.dev.closed) this.dev.onReadable(null);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Reads and handles what is pending now, at most `maxBatches` batches (the
   * poll is level-triggered, so what is left wakes us on the next loop turn);
   * returns packets handled.
   */
  pump(): number {
    const full = Math.min(this.dev.batchSize, this.sizes.length);
    let total = 0;
    for (let b = 0; b < this.maxBatches && this.failure === undefined; b++) {
      let n: number;
      try {
        n = this.dev.readFlat(this.arena, this.slot, HEADROOM, this.sizes, this.vin);
      } catch (e) {
        this.fail(e);
        break;
      }
      if (n === 0) break;
      total += n;
      try {
        this.handle(n);
      } catch (e) {
        // A bug or a packet nobody foresaw must cost one batch, never the process.
        if (isFatal(e)) this.fail(e);
        else this.dropBatch(e, n);
      }
      if (n < full) break; // a short batch means the queue was empty (EAGAIN)
    }
    return total;
  }

  /** The device is gone or broken: stop polling it and tell the owner (once). */
  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    const e = err instanceof Error ? err : new Error(String(err));
    this.counters.fatal++;
    this.failure = e;
    this.running = false;
    try {
      if (!this.dev.closed) this.dev.onReadable(null);
    } catch {
      // the poll is already gone with the device
    }
    this.onFatal?.(e);
  }

  private dropBatch(err: unknown, count: number): void {
    this.counters.batchErrors++;
    this.counters.batchErrorPackets += count;
    let reason = batchErrorReason(err);
    const m = this.batchErrorsByReason;
    if (!m.has(reason) && m.size >= MAX_ERROR_REASONS) reason = 'other';
    m.set(reason, (m.get(reason) ?? 0) + 1);
    this.onBatchError?.(reason, err);
  }

  /** Translates `count` packets of the arena and writes the results. */
  private handle(count: number): void {
    const t0 = performance.now();
    this.clock?.refresh(t0);
    const { arena, sizes, slot, offload, vin } = this;
    const tracing = this.trace.active;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const off = i * slot + HEADROOM;
      const outBase = this.outStart + i * OUT_BUFFER_SIZE;
      let len = sizes[i]!;
      const before = tracing ? arena.slice(off, off + len) : undefined;
      if (offload !== undefined) {
        len = offload.prepare(arena, off, len, vin!, i);
        if (offload.mode === OffloadMode.Drop) {
          if (before !== undefined) this.trace.packet(this.translator.prefix, before, 'drop', 'offload-header', undefined);
          continue;
        }
        if (offload.mode === OffloadMode.Segment) {
          k = this.segments(off, outBase, k);
          continue;
        }
      }
      k = this.one(off, len, outBase, k, before);
    }
    this.counters.batches++;
    this.counters.packets += count;
    this.flush(k);
    this.batchTime.observe((performance.now() - t0) / 1000);
  }

  /**
   * Translates the packet `arena[off..off+len)` and collects its results
   * after the `k` already collected; returns the new count.
   */
  private one(off: number, len: number, outBase: number, k: number, before: Uint8Array | undefined): number {
    const { arena, wOff, wLen, vout } = this;
    const r = this.translator.translate(arena, off, len, arena, outBase);
    const k0 = k;
    let end = 0;
    switch (r.kind) {
      case 'forward': {
        let n = r.length;
        if (vout !== undefined) n = this.offload!.finishForward(arena, r.offset, n, vout, k);
        if (n > 0) {
          wOff[k] = r.offset;
          wLen[k++] = n;
        }
        break;
      }
      case 'reply':
        if (vout !== undefined) clearVnet(vout, k);
        wOff[k] = r.offset;
        wLen[k++] = r.length;
        end = r.offset + r.length;
        break;
      case 'forward-many':
        for (let j = 0; j < r.count; j++) {
          if (vout !== undefined) clearVnet(vout, k);
          wOff[k] = r.offsets[j]!;
          wLen[k++] = r.lengths[j]!;
        }
        end = r.offsets[r.count - 1]! + r.lengths[r.count - 1]!;
        break;
      default:
        break;
    }
    if (before !== undefined) this.traceOne(before, r.kind, 'reason' in r ? r.reason : undefined, k0, k);
    // The translator bounds its output by the arena's end, not by this
    // packet's out area; results that ran into the next area are written
    // now, before the next packet's translation overwrites them.
    if (end > outBase + OUT_BUFFER_SIZE) k = this.flush(k);
    return k;
  }

  /**
   * Offload Segment mode: cuts the super-packet at `off` into segments in the
   * scratch slot and translates each alone, writing each before the next is
   * cut (they share the slot and the out area).
   */
  private segments(off: number, outBase: number, k: number): number {
    const o = this.offload!;
    const tracing = this.trace.active;
    k = this.flush(k);
    for (let j = 0; j < o.segments; j++) {
      const n = o.segment(this.arena, off, j, this.arena, this.scratch);
      const before = tracing ? this.arena.slice(this.scratch, this.scratch + n) : undefined;
      k = this.flush(this.one(this.scratch, n, outBase, k, before));
    }
    return k;
  }

  /** Writes the first `k` collected results with one call; returns 0 (the new count). */
  private flush(k: number): number {
    if (k === 0) return 0;
    const { arena, wOff, wLen, vout, coalescer } = this;
    // writeFlat with parts counts the pieces written, one per result.
    const p = coalescer !== undefined && k > 1 ? coalescer.plan(arena, wOff, wLen, vout!, k, this.parts) : k;
    const w = p < k ? this.dev.writeFlat(arena, wOff, wLen, p, vout, this.parts) : this.dev.writeFlat(arena, wOff, wLen, k, vout);
    this.counters.written += w;
    if (w < k) this.counters.writeShort += k - w;
    return 0;
  }

  /**
   * Writes extra packets (e.g. timer-driven ICMP replies) to the device
   * through the out areas of the arena, a batch at a time; returns how many
   * were written. Call it between wake-ups (the daemon's timer does), never
   * from inside a batch. A packet longer than an out area is not written.
   */
  writeExtra(packets: readonly Uint8Array[]): number {
    if (packets.length === 0 || this.dev.closed || this.failure !== undefined) return 0;
    const { arena, wOff, wLen, vout } = this;
    const per = Math.min(this.dev.batchSize, wOff.length);
    let written = 0;
    for (let i = 0; i < packets.length; ) {
      let k = 0;
      for (; k < per && i < packets.length; i++) {
        const p = packets[i]!;
        const ipLen = ipPacketLength(p, 0);
        const len = ipLen > 0 ? Math.min(ipLen, p.length) : p.length;
        if (len === 0 || len > OUT_BUFFER_SIZE) continue;
        const at = this.outStart + k * OUT_BUFFER_SIZE;
        arena.set(p.subarray(0, len), at);
        if (vout !== undefined) clearVnet(vout, k);
        wOff[k] = at;
        wLen[k++] = len;
      }
      if (k > 0) {
        try {
          written += this.dev.writeFlat(arena, wOff, wLen, k, vout);
        } catch (e) {
          if (isFatal(e)) this.fail(e);
          return written;
        }
      }
    }
    return written;
  }

  private traceOne(before: Uint8Array, kind: string, reason: string | undefined, from: number, to: number): void {
    const after = to > from ? this.arena.slice(this.wOff[from]!, this.wOff[from]! + this.wLen[from]!) : undefined;
    this.trace.packet(this.translator.prefix, before, kind, reason, after);
  }
}
