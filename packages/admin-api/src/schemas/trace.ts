/**
 * Live trace: one record per translator or DNS64 decision, streamed as
 * server-sent events or collected into a pcap file.
 */
import { Type, type Static } from '@sinclair/typebox';

export const MAX_TRACE_SECONDS = 300;

export const TraceQuerySchema = Type.Object(
  {
    client: Type.Optional(Type.String({ maxLength: 64, description: 'IPv6 client address or prefix (or IPv4 for 4→6 traffic)' })),
    dst: Type.Optional(Type.String({ maxLength: 64, description: 'Destination address or prefix, IPv4 or IPv6' })),
    seconds: Type.Integer({ minimum: 1, maximum: MAX_TRACE_SECONDS, default: 10, description: 'How long to trace' }),
    format: Type.Union([Type.Literal('sse'), Type.Literal('pcap')], { default: 'sse' }),
  },
  { additionalProperties: false },
);
export type TraceQuery = Static<typeof TraceQuerySchema>;

/** The JSON part of a trace record (what one SSE `record` event carries). */
export const TraceEventSchema = Type.Object({
  ts: Type.Number({ description: 'Milliseconds since the Unix epoch' }),
  source: Type.Union([Type.Literal('nat64'), Type.Literal('dns64')]),
  direction: Type.Optional(Type.Union([Type.Literal('6to4'), Type.Literal('4to6')])),
  client: Type.String({ description: 'Client address (IPv6 client, or IPv4 remote for 4→6)' }),
  dst: Type.String({ description: 'Destination address, or the query name for DNS64' }),
  protocol: Type.Optional(Type.String()),
  decision: Type.String({ description: 'forward, reply, drop, synthesized, passthrough, refused, …' }),
  reason: Type.Optional(Type.String({ description: 'Drop reason or rule that decided' })),
  detail: Type.Optional(Type.String({ description: 'Free text, e.g. "AAAA example.org"' })),
  beforeLength: Type.Optional(Type.Integer({ description: 'Bytes of the packet as received' })),
  afterLength: Type.Optional(Type.Integer({ description: 'Bytes of the packet as sent' })),
});
export type TraceEvent = Static<typeof TraceEventSchema>;

/** The SSE `end` event: why and with how many records the trace ended. */
export const TraceEndSchema = Type.Object({
  records: Type.Integer({ minimum: 0 }),
  dropped: Type.Integer({ minimum: 0, description: 'Records dropped because the client read too slowly' }),
  reason: Type.Union([Type.Literal('timeout'), Type.Literal('limit'), Type.Literal('shutdown')]),
});
export type TraceEnd = Static<typeof TraceEndSchema>;
