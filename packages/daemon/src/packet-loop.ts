/**
 * The data path: TUN → Translator → TUN. One readiness wake-up reads batches
 * of packets into preallocated buffers (with HEADROOM in front of each, so the
 * translator rewrites headers in place), translates each, and writes every
 * result back in one batched call. Nothing here allocates per packet unless a
 * trace subscriber is listening.
 */
import { HEADROOM, MAX_FRAGMENTS, OUT_BUFFER_SIZE, ipPacketLength, type Translator } from '@sixgate/nat64';
import { allocBatch, drain, type PacketBatch, type TunDevice } from '@sixgate/tun';
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
  private readonly batch: PacketBatch;
  private readonly outs: Uint8Array[];
  private readonly wBufs: Uint8Array[];
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
    // 4→6 grows a packet by 20 bytes in place (into the headroom); room for MTU + slack after it.
    this.batch = allocBatch(n, opts.mtu + 64, HEADROOM);
    this.outs = Array.from({ length: n }, () => new Uint8Array(OUT_BUFFER_SIZE));
    const maxOut = n * MAX_FRAGMENTS;
    this.wBufs = new Array<Uint8Array>(maxOut).fill(this.outs[0]!);
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

  /** Reads and handles what is pending now (bounded); returns packets handled. */
  pump(): number {
    return drain(this.dev, this.batch, (count) => this.handle(count), this.maxBatches);
  }

  /** Translates `count` packets of the current batch and writes the results. */
  private handle(count: number): void {
    const t0 = performance.now();
    this.clock?.refresh(t0);
    const { bufs, sizes, offset } = this.batch;
    const tr = this.translator;
    const tracing = this.trace.active;
    let k = 0;
    for (let i = 0; i < count; i++) {
      const buf = bufs[i]!;
      const out = this.outs[i]!;
      const before = tracing ? buf.slice(offset, offset + sizes[i]!) : undefined;
      const r = tr.translate(buf, offset, sizes[i]!, out, 0);
      const k0 = k;
      switch (r.kind) {
        case 'forward':
          this.wBufs[k] = buf;
          this.wOff[k] = r.offset;
          this.wLen[k++] = r.length;
          break;
        case 'reply':
          this.wBufs[k] = out;
          this.wOff[k] = r.offset;
          this.wLen[k++] = r.length;
          break;
        case 'forward-many':
          for (let j = 0; j < r.count; j++) {
            this.wBufs[k] = out;
            this.wOff[k] = r.offsets[j]!;
            this.wLen[k++] = r.lengths[j]!;
          }
          break;
        default:
          break;
      }
      if (before !== undefined) this.traceOne(before, r.kind, 'reason' in r ? r.reason : undefined, k0, k);
    }
    this.counters.batches++;
    this.counters.packets += count;
    if (k > 0) {
      const w = this.dev.writeAt(this.wBufs, this.wOff, this.wLen, k);
      this.counters.written += w;
      if (w < k) this.counters.writeShort += k - w;
    }
    this.batchTime.observe((performance.now() - t0) / 1000);
  }

  /** Writes extra packets (e.g. timer-driven ICMP replies) to the device. */
  writeExtra(packets: readonly Uint8Array[]): number {
    if (packets.length === 0 || this.dev.closed) return 0;
    const offs = new Int32Array(packets.length);
    const lens = Int32Array.from(packets, (p) => ipPacketLength(p, 0) > 0 ? Math.min(ipPacketLength(p, 0), p.length) : p.length);
    return this.dev.writeAt(packets, offs, lens, packets.length);
  }

  private traceOne(before: Uint8Array, kind: string, reason: string | undefined, from: number, to: number): void {
    const after = to > from ? this.wBufs[from]!.slice(this.wOff[from]!, this.wOff[from]! + this.wLen[from]!) : undefined;
    this.trace.packet(this.translator.prefix, before, kind, reason, after);
  }
}
