/**
 * A bounded server-sent-events writer (WHATWG HTML §9.2 event stream format:
 * `event:` and `data:` lines, a blank line ends an event; lines starting with
 * `:` are comments). Records that would grow the unread buffer beyond
 * `limit` bytes are dropped and counted, so a slow reader never makes the
 * server buffer without bound.
 */
import { PassThrough } from 'node:stream';

export class SseWriter {
  /** The stream to send as the response body. */
  readonly stream = new PassThrough();
  /** Events written / dropped so far. */
  written = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  /** Bytes written but not yet taken by the reader. */
  get buffered(): number {
    return this.stream.writableLength + this.stream.readableLength;
  }

  /** Queues one event unless the buffer is full; returns whether it was queued. */
  event(name: string, data: unknown): boolean {
    if (this.buffered > this.limit) {
      this.dropped++;
      return false;
    }
    this.stream.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    this.written++;
    return true;
  }

  /** A comment line (keepalive, banner); never counted, dropped when full. */
  comment(text: string): void {
    if (this.buffered <= this.limit) this.stream.write(`: ${text}\n\n`);
  }

  /** Writes a last event (even when full: it is small and the stream ends) and ends the stream. */
  end(name: string, data: unknown): void {
    this.stream.end(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
