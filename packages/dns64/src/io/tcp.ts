/**
 * DNS over TCP (RFC 7766): two-byte length framing, several queries per
 * connection answered as they complete (§6.2.1.1 allows out-of-order
 * answers), an idle timeout, a cap on connections and on queries in flight
 * per connection, and a malformed frame closes only its own connection.
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
    this.#conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.opts.idleTimeoutMs, () => sock.destroy());
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('error', () => sock.destroy());
    const remote = sock.remoteAddress ?? '';
    let buf = Buffer.alloc(0);
    let inFlight = 0;
    const write = (a: Answer | undefined): void => {
      if (a === undefined || sock.destroyed) return;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(a.wire.length);
      sock.write(Buffer.concat([len, a.wire]));
    };
    sock.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = Buffer.from(buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
        let r: ReturnType<TcpAnswerFn>;
        try {
          r = this.answer(msg, remote);
        } catch {
          this.counters.dropped++; // a bug costs one query, never the server
          continue;
        }
        if (r === undefined && n < 12) {
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
    });
  }
}
