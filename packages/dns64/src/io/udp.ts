/**
 * UDP listeners of the DNS64 server, two interchangeable backends chosen in
 * one place (`openUdpListener`):
 *
 * - `native`: the addon (native/udp.c). Per wake-up, up to MAX_ROUNDS
 *   recvmmsg batches; each query is answered synchronously when it can be
 *   (cache hit, error) into the outgoing arena, and the batch goes out in one
 *   sendmmsg. Queries that need upstream answer later (`LateReplies`: the
 *   sender's address is kept in an arena slot, no object per query); the
 *   answers completed in one callback go out together in one sendmmsg too.
 * - `dgram`: node:dgram, one 'message' event per datagram. Used when the
 *   addon cannot load, or when asked for.
 */
import dgram from 'node:dgram';
import type { Endpoint } from '../config.js';
import { Dns64Error } from '../errors.js';
import type { Dns64Counters } from '../metrics.js';
import type { ClientCache, ClientInfo } from './client-cache.js';
import { ADDR_SLOT, loadNativeUdp, nativeUdpLoadError, NativeUdpSocket, type NativeUdpStats } from './native-udp.js';
import { atBatchEnd, enterBatch, leaveBatch } from './turn.js';

/** Answers one UDP query: the wire to send now, later, or never (undefined). */
export type UdpAnswerFn = (raw: Buffer, client: ClientInfo) => Buffer | Promise<Buffer | undefined> | undefined;

/**
 * Answers the UDP query at `rx[off, off+len)`, datagram `i` of the batch: a
 * number is the length of an answer already written to `out[outOff…]` (at
 * most `outCap` bytes), anything else means what `UdpAnswerFn` returns. An
 * answer that comes later may also go through `late`: `late.hold(i)` during
 * the call, then `late.reply(token, wire)` once.
 */
export type UdpAnswerIntoFn = (
  rx: Buffer, off: number, len: number, client: ClientInfo, out: Uint8Array, outOff: number, outCap: number,
  late: LateReplies, i: number,
) => number | Buffer | Promise<Buffer | undefined> | undefined;

/** Answers sent after the call that received their query (the native listener's). */
export interface LateReplies {
  /** Keeps the sender's address of datagram `i` of the batch being answered; returns the token for `reply`. */
  hold(i: number): number;
  /** Sends `wire` (nothing when undefined) to the address kept under `token`, and frees it. Once per token. */
  reply(token: number, wire: Buffer | undefined): void;
}

/** Which UDP implementation to use; `auto` takes the addon when it loads. */
export type UdpBackend = 'auto' | 'native' | 'dgram';

/** A bound UDP listener. */
export interface UdpListener {
  readonly kind: 'native' | 'dgram';
  address(): { address: string; port: number };
  /** The addon's counters (native only). */
  nativeStats(): NativeUdpStats | undefined;
  close(): void;
}

/** What a listener needs from the server. */
export interface UdpContext {
  readonly clients: ClientCache;
  readonly counters: Dns64Counters;
  readonly answer: UdpAnswerFn;
  /** The in-place variant the batched listener prefers (cache hits without a copy); `answer` when absent. */
  readonly answerInto?: UdpAnswerIntoFn;
  /** Called before each received batch is answered (the fast path reads its clock here). */
  readonly batchStart?: () => void;
}

/** recvmmsg batches per wake-up: the poll is level-triggered, so the rest waits one loop turn (fairness to TCP and upstream). */
const MAX_ROUNDS = 16;

/**
 * Queries that leave the fast path (cache misses, errors, refused clients)
 * handled per wake-up before the listener yields the loop turn: a miss costs
 * a parse and an upstream send, so 16 full batches of them would hold every
 * upstream answer that arrived meanwhile for tens of milliseconds. With this
 * bound an answer waits behind at most about one batch of misses (plus the
 * cache hits, which cost a few microseconds each). The rest stays in the
 * socket (level-triggered poll) for the next turn. SIXGATE_DNS64_TURN_MISSES
 * overrides it (a large value restores the unbounded behaviour).
 */
export function turnMissBudget(): number {
  const env = Number(process.env.SIXGATE_DNS64_TURN_MISSES);
  return process.env.SIXGATE_DNS64_TURN_MISSES !== undefined && Number.isInteger(env) && env >= 1 ? env : 64;
}

/**
 * Receive buffer of a listener: a burst of queries (a client's window, or
 * many clients at once) waits here while one batch is answered. The Linux
 * default (212992 bytes, ~256 small datagrams) overflows under a 400-query
 * burst. 1 MiB (the kernel doubles it) is what nsd asks for: about 2500
 * queries, some 40 ms of queue at 60k qps, so overload still drops rather
 * than builds seconds of latency. SIXGATE_DNS64_RCVBUF (bytes; 0 = system
 * default) overrides it.
 */
export function recvBufferBytes(): number {
  const env = Number(process.env.SIXGATE_DNS64_RCVBUF);
  return process.env.SIXGATE_DNS64_RCVBUF !== undefined && Number.isInteger(env) && env >= 0 ? env : 1024 * 1024;
}

/** Binds `ep` with the chosen backend. Throws ERR_DNS64_LISTEN when it cannot bind (or `native` was required and is missing). */
export async function openUdpListener(backend: UdpBackend, ep: Endpoint, ipv6Only: boolean, ctx: UdpContext): Promise<UdpListener> {
  if (backend !== 'dgram') {
    const native = loadNativeUdp();
    if (native !== undefined) {
      try {
        return new NativeListener(NativeUdpSocket.open(native, ep.address, ep.port, ipv6Only, { rcvbuf: recvBufferBytes() }), ep.address, ctx);
      } catch (e) {
        throw new Dns64Error('ERR_DNS64_LISTEN', `cannot listen on UDP ${ep.address}:${ep.port}: ${(e as Error).message}`);
      }
    }
    if (backend === 'native') {
      throw new Dns64Error('ERR_DNS64_LISTEN', `the UDP addon is not available (${nativeUdpLoadError()?.message}); build it with \`npm run build:native -w @sixgate/dns64\``);
    }
  }
  return DgramListener.open(ep, ipv6Only, ctx);
}

/** 32-bit words of a sockaddr slot. */
const ADDR_WORDS = ADDR_SLOT >> 2;

/** Copies sockaddr slot `from` of `src` to slot `to` of `dst` (arenas seen as 32-bit words: 7 words a slot). */
function copySlot(src: Int32Array, from: number, dst: Int32Array, to: number): void {
  const a = from * ADDR_WORDS;
  const b = to * ADDR_WORDS;
  for (let w = 0; w < ADDR_WORDS; w++) dst[b + w] = src[a + w]!;
}

class NativeListener implements UdpListener, LateReplies {
  readonly kind = 'native';
  readonly #port: number;
  /** The address arenas as 32-bit words: a 28-byte sockaddr slot is copied as 7 words. */
  readonly #rxAddr32: Int32Array;
  readonly #txAddr32: Int32Array;
  readonly #missBudget = turnMissBudget();
  /** Queries of this wake-up that took the full path. */
  #misses = 0;
  /** Answers that completed after their batch (upstream), waiting in the tx arena for one sendmmsg. */
  #lateCount = 0;
  #lateQueued = false;
  /** Sender addresses of queries answered later, one slot per token (grows, never shrinks), and the free tokens. */
  #held = new Int32Array(256 * ADDR_WORDS);
  readonly #freeTokens: number[] = [];
  #tokens = 0;
  /** True while #drain runs: its batch owns the tx arena, so late replies wait (local data answers synchronously). */
  #draining = false;
  readonly #deferredTokens: number[] = [];
  readonly #deferredWires: Buffer[] = [];

  constructor(
    private readonly sock: NativeUdpSocket,
    private readonly host: string,
    private readonly ctx: UdpContext,
  ) {
    this.#port = sock.port();
    this.#rxAddr32 = new Int32Array(sock.rxAddrs.buffer, sock.rxAddrs.byteOffset, sock.rxAddrs.length >> 2);
    this.#txAddr32 = new Int32Array(sock.txAddrs.buffer, sock.txAddrs.byteOffset, sock.txAddrs.length >> 2);
    sock.onReadable(() => this.#drain());
  }

  address(): { address: string; port: number } {
    return { address: this.host, port: this.#port };
  }

  nativeStats(): NativeUdpStats {
    return this.sock.stats();
  }

  close(): void {
    this.sock.close();
  }

  #drain(): void {
    const s = this.sock;
    this.#misses = 0;
    enterBatch();
    this.#draining = true;
    try {
      for (let round = 0; round < MAX_ROUNDS && !s.closed; round++) {
        const n = s.recv();
        if (n > 0) this.ctx.batchStart?.();
        let k = 0;
        for (let i = 0; i < n; i++) {
          if (this.#one(i, k)) k++;
        }
        s.send(k);
        // Bounded work per loop turn: the rest waits in the socket (level-triggered) while upstream answers are read.
        if (n < s.batch || this.#misses >= this.#missBudget) return;
      }
    } finally {
      this.#draining = false;
      const tokens = this.#deferredTokens;
      const wires = this.#deferredWires;
      for (let j = 0; j < tokens.length; j++) this.reply(tokens[j]!, wires[j]);
      tokens.length = 0;
      wires.length = 0;
      leaveBatch();
    }
  }

  /** Handles received datagram i; true when its answer was put in tx slot k. */
  #one(i: number, k: number): boolean {
    const s = this.sock;
    const c = this.ctx.counters;
    const size = s.rxSizes[i]!;
    if (size < 0) {
      c.dropped++; // longer than the receive slot (counted by the addon as rxTruncated)
      return false;
    }
    const off = i * s.rxSlot;
    let r: number | Buffer | Promise<Buffer | undefined> | undefined;
    try {
      const client = this.ctx.clients.fromSockaddr(s.rxAddrs, i);
      r = this.ctx.answerInto === undefined
        ? this.ctx.answer(s.rx.subarray(off, off + size), client)
        : this.ctx.answerInto(s.rx, off, size, client, s.tx, k * s.txSlot, s.txSlot, this, i);
    } catch {
      c.dropped++; // a bug must cost one query, never the server
      return false;
    }
    if (typeof r !== 'number') this.#misses++;
    if (r === undefined) return false;
    if (typeof r === 'number') {
      if (r <= 0) return false;
      s.txLengths[k] = r;
      copySlot(this.#rxAddr32, i, this.#txAddr32, k);
      return true;
    }
    if (r instanceof Promise) {
      const token = this.hold(i);
      r.then((w) => this.reply(token, w), () => {
        c.dropped++;
        this.reply(token, undefined);
      });
      return false;
    }
    if (r.length > s.txSlot) {
      s.sendTo(r, s.rxAddrs.subarray(i * ADDR_SLOT, (i + 1) * ADDR_SLOT), 0);
      return false;
    }
    s.tx.set(r, k * s.txSlot);
    s.txLengths[k] = r.length;
    copySlot(this.#rxAddr32, i, this.#txAddr32, k);
    return true;
  }

  hold(i: number): number {
    let token = this.#freeTokens.pop();
    if (token === undefined) {
      token = this.#tokens++;
      if (token * ADDR_WORDS >= this.#held.length) {
        const grown = new Int32Array(this.#held.length * 2);
        grown.set(this.#held);
        this.#held = grown;
      }
    }
    copySlot(this.#rxAddr32, i, this.#held, token);
    return token;
  }

  reply(token: number, wire: Buffer | undefined): void {
    if (this.#draining && wire !== undefined) {
      this.#deferredTokens.push(token);
      this.#deferredWires.push(wire);
      return;
    }
    try {
      if (wire !== undefined) this.#late(wire, token);
    } finally {
      this.#freeTokens.push(token);
    }
  }

  #late(wire: Buffer, token: number): void {
    const s = this.sock;
    if (s.closed) {
      this.ctx.counters.dropped++; // stopped or rebound meanwhile
      return;
    }
    if (wire.length > s.txSlot) {
      s.sendTo(wire, new Uint8Array(this.#held.buffer, token * ADDR_SLOT, ADDR_SLOT), 0);
      return;
    }
    // Answers completed in the same callback (one upstream wake-up) leave together in one
    // sendmmsg when its batch scope closes (turn.ts), before the loop polls again. The tx
    // arena is free then: #drain fills and sends it within one callback, and holds back
    // the answers that complete during it.
    if (this.#lateCount === s.batch) this.#flushLate();
    const k = this.#lateCount++;
    s.tx.set(wire, k * s.txSlot);
    s.txLengths[k] = wire.length;
    copySlot(this.#held, token, this.#txAddr32, k);
    if (!this.#lateQueued) {
      this.#lateQueued = true;
      atBatchEnd(this.#flushLate);
    }
  }

  readonly #flushLate = (): void => {
    this.#lateQueued = false;
    const n = this.#lateCount;
    this.#lateCount = 0;
    if (n > 0 && !this.sock.closed) this.sock.send(n);
  };
}

class DgramListener implements UdpListener {
  readonly kind = 'dgram';

  private constructor(
    private readonly sock: dgram.Socket,
    private readonly ctx: UdpContext,
  ) {
    sock.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    sock.on('error', () => ctx.counters.dropped++);
  }

  static async open(ep: Endpoint, ipv6Only: boolean, ctx: UdpContext): Promise<DgramListener> {
    const sock = dgram.createSocket({ type: ep.family === 6 ? 'udp6' : 'udp4', ipv6Only });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => reject(new Dns64Error('ERR_DNS64_LISTEN', `cannot listen on UDP ${ep.address}:${ep.port}: ${e.message}`)));
      sock.bind(ep.port, ep.address, () => resolve());
    });
    const rcvbuf = recvBufferBytes();
    try {
      if (rcvbuf > 0) sock.setRecvBufferSize(rcvbuf); // capped by net.core.rmem_max
    } catch {
      // best effort, as in the addon
    }
    return new DgramListener(sock, ctx);
  }

  address(): { address: string; port: number } {
    const a = this.sock.address();
    return { address: a.address, port: a.port };
  }

  nativeStats(): undefined {
    return undefined;
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      const r = this.ctx.answer(msg, this.ctx.clients.fromText(rinfo.address));
      if (r instanceof Promise) r.then((w) => this.#send(w, rinfo), () => this.ctx.counters.dropped++);
      else this.#send(r, rinfo);
    } catch {
      this.ctx.counters.dropped++; // a bug must cost one query, never the server
    }
  }

  #send(wire: Buffer | undefined, rinfo: dgram.RemoteInfo): void {
    if (wire === undefined) return;
    try {
      this.sock.send(wire, rinfo.port, rinfo.address);
    } catch {
      this.ctx.counters.dropped++; // the socket closed under us (stop, rebind)
    }
  }
}
