/**
 * DNS over TCP (RFC 7766): two-byte length framing, several queries per
 * connection answered as they complete (§6.2.1.1 allows out-of-order
 * answers), an idle timeout, a deadline for each whole message (from its
 * first byte, not reset by later bytes: a slow sender cannot hold a slot,
 * §6.2.3), caps on connections in total and per client address and on
 * queries in flight per connection, and a malformed frame closes only its
 * own connection.
 */
import net from 'node:net';
import type { Dns64TcpOptions } from '../config.js';
import type { Dns64Counters } from '../metrics.js';
import type { ParsedQuery } from '../wire.js';

type Answer = { wire: Buffer; q: ParsedQuery | undefined };
/** Answers one query (see Dns64Server). */
export type TcpAnswerFn = (raw: Buffer, remote: string) => Answer | Promise<Answer | undefined> | undefined;

const MAX_IN_FLIGHT = 64;

/** One TCP listener and its connections. */
export class TcpHandler {
  readonly #server: net.Server;
  readonly #conns = new Set<net.Socket>();
  /** Open connections per client address. */
  readonly #perClient = new Map<string, number>();

  constructor(
    private opts: Dns64TcpOptions,
    private readonly counters: Dns64Counters,
    private readonly answer: TcpAnswerFn,
  ) {
    this.#server = net.createServer((s) => this.#accept(s));
    this.#server.maxConnections = opts.maxConnections;
    this.#server.on('drop', () => this.counters.tcpRejected++);
  }

  /** New limits; existing connections keep their idle timer until the next packet. */
  setOptions(opts: Dns64TcpOptions): void {
    this.opts = opts;
    this.#server.maxConnections = opts.maxConnections;
  }

  listen(host: string, port: number, ipv6Only = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port, ipv6Only }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  address(): { address: string; port: number } {
    const a = this.#server.address() as net.AddressInfo | null;
    return { address: a?.address ?? '', port: a?.port ?? 0 };
  }

  close(): Promise<void> {
    for (const c of this.#conns) c.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(sock: net.Socket): void {
    const remote = sock.remoteAddress ?? '';
    const mine = (this.#perClient.get(remote) ?? 0) + 1;
    if (mine > this.opts.maxConnectionsPerClient) {
      // One client may not hold every slot (slow senders, a leak): over its cap it is closed at once.
      this.counters.tcpRejected++;
      sock.destroy();
      return;
    }
    this.#perClient.set(remote, mine);
    this.#conns.add(sock);
    sock.setNoDelay(true);
    // Idle between messages; any byte resets it, so it is not what bounds a slow sender.
    sock.setTimeout(this.opts.idleTimeoutMs, () => sock.destroy());
    /** Running from the first byte of a message until its last: a whole message in time, whatever trickles in. */
    let deadline: NodeJS.Timeout | undefined;
    sock.on('close', () => {
      if (deadline !== undefined) clearTimeout(deadline);
      this.#conns.delete(sock);
      const n = (this.#perClient.get(remote) ?? 1) - 1;
      if (n <= 0) this.#perClient.delete(remote);
      else this.#perClient.set(remote, n);
    });
    sock.on('error', () => sock.destroy());
    const frames = new FrameReader();
    let inFlight = 0;
    const write = (a: Answer | undefined): void => {
      if (a === undefined || sock.destroyed) return;
      const out = Buffer.allocUnsafe(2 + a.wire.length);
      out.writeUInt16BE(a.wire.length, 0);
      a.wire.copy(out, 2);
      sock.write(out);
    };
    sock.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      for (let msg = frames.next(); msg !== undefined; msg = frames.next()) {
        let r: ReturnType<TcpAnswerFn>;
        try {
          r = this.answer(msg, remote);
        } catch {
          this.counters.dropped++; // a bug costs one query, never the server
          continue;
        }
        if (r === undefined && msg.length < 12) {
          // Not even a header: the stream cannot be trusted any more.
          sock.destroy();
          return;
        }
        if (r instanceof Promise) {
          inFlight++;
          if (inFlight >= MAX_IN_FLIGHT) sock.pause();
          r.then(write, () => undefined).finally(() => {
            inFlight--;
            if (inFlight < MAX_IN_FLIGHT && sock.isPaused()) sock.resume();
          });
        } else {
          write(r);
        }
      }
      if (frames.buffered === 0) {
        if (deadline !== undefined) clearTimeout(deadline);
        deadline = undefined;
      } else if (deadline === undefined) {
        deadline = setTimeout(() => {
          this.counters.tcpTimeouts++;
          sock.destroy();
        }, this.opts.messageTimeoutMs);
      }
    });
  }
}

/**
 * RFC 1035 §4.2.2 framing: once a message's two length bytes are in, its
 * buffer is allocated and every later byte is copied straight into it — each
 * byte copied once, whatever the chunking, and never more than one partial
 * message held (no concatenation per chunk, no list of tiny chunks).
 */
export class FrameReader {
  /** The first length byte while the second is awaited, else -1. */
  #lenHi = -1;
  #msg: Buffer | undefined;
  #filled = 0;
  readonly #ready: Buffer[] = [];

  /** Bytes of the message in progress (length bytes included); 0 between messages. */
  get buffered(): number {
    return (this.#lenHi >= 0 ? 1 : 0) + (this.#msg === undefined ? 0 : 2 + this.#filled);
  }

  push(chunk: Uint8Array): void {
    let o = 0;
    while (o < chunk.length) {
      const msg = this.#msg;
      if (msg === undefined) {
        if (this.#lenHi < 0) {
          this.#lenHi = chunk[o++]!;
          continue;
        }
        const n = (this.#lenHi << 8) | chunk[o++]!;
        this.#lenHi = -1;
        if (n === 0) this.#ready.push(Buffer.alloc(0));
        else {
          this.#msg = Buffer.allocUnsafe(n);
          this.#filled = 0;
        }
        continue;
      }
      const take = Math.min(msg.length - this.#filled, chunk.length - o);
      msg.set(chunk.subarray(o, o + take), this.#filled);
      this.#filled += take;
      o += take;
      if (this.#filled === msg.length) {
        this.#ready.push(msg);
        this.#msg = undefined;
      }
    }
  }

  /** The next whole message, or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    return this.#ready.shift();
  }
}
