/**
 * GET /api/v1/trace — a bounded live trace. The API subscribes through
 * `ports.trace()` for `seconds` (1-300) and unsubscribes when the time is up,
 * the client goes away or the app closes, so nothing is traced while nobody
 * listens.
 *
 * format=sse (default): text/event-stream, one `record` event per decision
 * (JSON, TraceEventSchema) and a final `end` event (TraceEndSchema). A client
 * that reads too slowly loses records (counted in `end.dropped`) instead of
 * growing a buffer without bound.
 *
 * format=pcap: collects the packets before and after translation (records'
 * `before`/`after` bytes; DNS64 decisions carry none) and answers one pcap
 * file, LINKTYPE_RAW, when the time is up or MAX_PCAP_PACKETS is reached.
 */
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { TraceQuerySchema, type TraceEnd, type TraceEvent, type TraceQuery } from '../schemas/trace.js';
import type { TraceFilter, TraceRecord } from '../ports.js';
import { checkAddressFilter } from '../config.js';
import { ApplyError } from '../errors.js';
import { buildPcap, type PcapPacket } from '../pcap.js';
import { SseWriter } from '../sse.js';

/** Traces running at once; each one costs the hot path a filter check per packet. */
export const MAX_CONCURRENT_TRACES = 4;
/** Bytes of SSE output waiting for a slow client before records are dropped. */
export const SSE_BUFFER_LIMIT = 1024 * 1024;
/** Packets (before + after count separately) in one pcap answer. */
export const MAX_PCAP_PACKETS = 100_000;
/** Bytes of packets in one pcap answer. */
export const MAX_PCAP_BYTES = 64 * 1024 * 1024;
const KEEPALIVE_MS = 15_000;

type EndReason = TraceEnd['reason'];
type Finish = (reason: EndReason) => void;

/** The JSON of one record: packet bytes replaced by their lengths. */
export function traceEvent(r: TraceRecord): TraceEvent {
  const { before, after, ...rest } = r;
  return {
    ...rest,
    ...(before === undefined ? {} : { beforeLength: before.length }),
    ...(after === undefined ? {} : { afterLength: after.length }),
  };
}

function filterOf(q: TraceQuery): TraceFilter {
  if (q.client !== undefined) checkAddressFilter('client', q.client);
  if (q.dst !== undefined) checkAddressFilter('dst', q.dst);
  return {
    packets: q.format === 'pcap',
    ...(q.client === undefined ? {} : { client: q.client }),
    ...(q.dst === undefined ? {} : { dst: q.dst }),
  };
}

export const traceRoutes: RoutePlugin = async (app) => {
  const active = new Set<Finish>();
  const stopAll = async (): Promise<void> => {
    for (const finish of [...active]) finish('shutdown');
  };
  // preClose: before the server waits for open connections, which an SSE stream is.
  app.addHook('preClose', stopAll);
  app.addHook('onClose', stopAll);

  /** Subscribes for `seconds`; `finish` runs exactly once, whatever ends the trace. */
  function run(q: TraceQuery, reply: FastifyReply, onRecord: (r: TraceRecord) => boolean, onEnd: (reason: EndReason) => void): void {
    if (active.size >= MAX_CONCURRENT_TRACES) {
      throw new ApplyError(429, `${MAX_CONCURRENT_TRACES} traces are already running; wait for one to end`);
    }
    const filter = filterOf(q);
    let done = false;
    const held: { timer?: NodeJS.Timeout; unsubscribe?: () => void } = {};
    const finish: Finish = (reason) => {
      if (done) return;
      done = true;
      clearTimeout(held.timer);
      active.delete(finish);
      held.unsubscribe?.();
      onEnd(reason);
    };
    // Subscribe first: if the port throws, nothing is registered yet and the error is a 500.
    held.unsubscribe = app.ports.trace(filter, (r) => {
      if (!done && !onRecord(r)) finish('limit');
    });
    if (done) {
      held.unsubscribe(); // the limit was hit during subscribe, before `unsubscribe` was known
      return;
    }
    held.timer = setTimeout(() => finish('timeout'), q.seconds * 1000);
    active.add(finish);
    reply.raw.once('close', () => finish('shutdown'));
  }

  function serveSse(q: TraceQuery, reply: FastifyReply): FastifyReply {
    const sse = new SseWriter(SSE_BUFFER_LIMIT);
    const keepalive = setInterval(() => sse.comment('keepalive'), KEEPALIVE_MS);
    try {
      run(
        q,
        reply,
        (r) => {
          sse.event('record', traceEvent(r));
          return true;
        },
        (reason) => {
          clearInterval(keepalive);
          const end: TraceEnd = { records: sse.written, dropped: sse.dropped, reason };
          sse.end('end', end);
        },
      );
    } catch (err) {
      clearInterval(keepalive);
      throw err;
    }
    sse.comment(`sixgate trace for ${q.seconds} s`);
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .send(sse.stream);
  }

  function servePcap(q: TraceQuery, reply: FastifyReply): Promise<FastifyReply> {
    return new Promise((resolve) => {
      const packets: PcapPacket[] = [];
      let bytes = 0;
      const keep = (ts: number, data: Uint8Array | undefined): void => {
        if (data === undefined) return;
        packets.push({ ts, data: Uint8Array.from(data) });
        bytes += data.length;
      };
      run(
        q,
        reply,
        (r) => {
          keep(r.ts, r.before);
          keep(r.ts, r.after);
          return packets.length < MAX_PCAP_PACKETS && bytes < MAX_PCAP_BYTES;
        },
        // Deferred: a 'limit' end is reached inside the packet loop (datapath).
        () =>
          setImmediate(() => {
            const file = buildPcap(packets);
            resolve(
              reply
                .header('content-type', 'application/vnd.tcpdump.pcap')
                .header('content-disposition', 'attachment; filename="sixgate-trace.pcap"')
                .send(Buffer.from(file.buffer, file.byteOffset, file.byteLength)),
            );
          }),
      );
    });
  }

  app.get(
    '/trace',
    {
      schema: {
        tags: ['trace'],
        summary: 'Live trace of translator and DNS64 decisions for `seconds` (server-sent events), or a pcap of the packets with format=pcap',
        querystring: TraceQuerySchema,
        produces: ['text/event-stream', 'application/vnd.tcpdump.pcap'],
        response: secured(
          {
            200: {
              description: 'SSE stream (`record` events, then one `end` event) or a pcap file (LINKTYPE_RAW)',
              content: {
                'text/event-stream': { schema: Type.String() },
                'application/vnd.tcpdump.pcap': { schema: Type.String({ format: 'binary' }) },
              },
            },
          },
          400,
          429,
        ),
      },
    },
    async (request, reply) => (request.query.format === 'pcap' ? servePcap(request.query, reply) : serveSse(request.query, reply)),
  );
};
