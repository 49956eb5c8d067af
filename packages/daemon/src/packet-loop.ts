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
 */
import { HEADROOM, MAX_FRAGMENTS, OUT_BUFFER_SIZE, ipPacketLength, type Translator } from '@sixgate/nat64';
import type { TunDevice } from '@sixgate/tun';
import { BATCH_BUCKETS, Histogram } from './histogram.js';
import type { TraceHub } from './trace-hub.js';

export interface PacketLoopOptions {
  /** Largest packet the TUN hands us (its MTU). */
  readonly mtu: number;
  /** Batches handled per wake-up before yielding to the event loop. */
  readonly maxBatches?: number;
  /** A clock the loop refreshes once per batch (the translator reads it per packet). */
  readonly clock?: { refresh(t?: number): void };
}

export class PacketLoop {
  private readonly arena: Uint8Array;
  /** Bytes per input slot: HEADROOM + mtu + 64 (4→6 grows a packet by 20 bytes into the headroom). */
  private readonly slot: number;
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
  readonly counters = { batches: 0, packets: 0, written: 0, writeShort: 0, errors: 0 };
  private running = false;

  constructor(
    private readonly dev: TunDevice,
    /** Swapped atomically by the daemon when translator options change. */
    public translator: Translator,
    private readonly trace: TraceHub,
    opts: PacketLoopOptions,
  ) {
    const n = dev.batchSize;
    this.slot = HEADROOM + opts.mtu + 64;
    this.outStart = n * this.slot;
    this.arena = new Uint8Array(this.outStart + n * OUT_BUFFER_SIZE);
    this.sizes = new Int32Array(n);
    const maxOut = n * MAX_FRAGMENTS;
    this.wOff = new Int32Array(maxOut);
    this.wLen = new Int32Array(maxOut);
    this.maxBatches = opts.maxBatches ?? 16;
    this.clock = opts.clock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.dev.onReadable((err) => {
      if (err) {
        this.counters.errors++;
        return;
      }
      this.pump();
    });
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
    for (let b = 0; b < this.maxBatches; b++) {
      const n = this.dev.readFlat(this.arena, this.slot, HEADROOM, this.sizes);
      if (n === 0) break;
      total += n;
      this.handle(n);
      if (n < full) break; // a short batch means the queue was empty (EAGAIN)
    }
    return total;
  }

  /** Translates `count` packets of the arena and writes the results. */
  private handle(count: number): void {
    const t0 = performance.now();
    this.clock?.refresh(t0);
    const { arena, sizes, slot, wOff, wLen } = this;
    const tr = this.translator;
    const tracing = this.trace.active;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const off = i * slot + HEADROOM;
      const outBase = this.outStart + i * OUT_BUFFER_SIZE;
      const before = tracing ? arena.slice(off, off + sizes[i]!) : undefined;
      const r = tr.translate(arena, off, sizes[i]!, arena, outBase);
      const k0 = k;
      let end = 0;
      switch (r.kind) {
        case 'forward':
          wOff[k] = r.offset;
          wLen[k++] = r.length;
          break;
        case 'reply':
          wOff[k] = r.offset;
          wLen[k++] = r.length;
          end = r.offset + r.length;
          break;
        case 'forward-many':
          for (let j = 0; j < r.count; j++) {
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
    }
    this.counters.batches++;
    this.counters.packets += count;
    this.flush(k);
    this.batchTime.observe((performance.now() - t0) / 1000);
  }

  /** Writes the first `k` collected results with one call; returns 0 (the new count). */
  private flush(k: number): number {
    if (k === 0) return 0;
    const w = this.dev.writeFlat(this.arena, this.wOff, this.wLen, k);
    this.counters.written += w;
    if (w < k) this.counters.writeShort += k - w;
    return 0;
  }

  /** Writes extra packets (e.g. timer-driven ICMP replies) to the device. */
  writeExtra(packets: readonly Uint8Array[]): number {
    if (packets.length === 0 || this.dev.closed) return 0;
    const offs = new Int32Array(packets.length);
    const lens = Int32Array.from(packets, (p) => ipPacketLength(p, 0) > 0 ? Math.min(ipPacketLength(p, 0), p.length) : p.length);
    return this.dev.writeAt(packets, offs, lens, packets.length);
  }

  private traceOne(before: Uint8Array, kind: string, reason: string | undefined, from: number, to: number): void {
    const after = to > from ? this.arena.slice(this.wOff[from]!, this.wOff[from]! + this.wLen[from]!) : undefined;
    this.trace.packet(this.translator.prefix, before, kind, reason, after);
  }
}
