/**
 * NAT64 state as the API shows it: BIB entries and sessions (RFC 6146 §3.1,
 * §3.2). The shapes match `BibEntry` / `SessionEntry` of @sixgate/nat64
 * field for field, so the daemon passes the translator's objects through;
 * the API still owns its schemas and imports nothing from nat64 at runtime.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ipv4EndpointSchema, Ipv6EndpointSchema, ProtocolSchema } from './common.js';

/** One binding (BIB entry): an IPv6 transport address mapped to a pool4 one. */
export const BibEntrySchema = Type.Object({
  id: Type.String({ description: 'Stable id, used by DELETE /api/v1/bib/:id' }),
  protocol: ProtocolSchema,
  ipv6: Type.String({ description: 'IPv6 side, e.g. [2001:db8::10]:80' }),
  ipv4: Type.String({ description: 'pool4 side, e.g. 192.168.255.1:8080' }),
  static: Type.Boolean({ description: 'Configured (static) rather than created by traffic' }),
  sessions: Type.Integer({ minimum: 0, description: 'Sessions using this binding' }),
});
export type BibEntry = Static<typeof BibEntrySchema>;

/** One session: both sides' transport addresses, state and expiry. */
export const SessionSchema = Type.Object({
  protocol: ProtocolSchema,
  ipv6Client: Type.String({ description: 'IPv6 client, e.g. [2001:db8::1]:40000' }),
  ipv6Server: Type.String({ description: 'Server as the client sees it (prefix + IPv4), e.g. [64:ff9b::c000:221]:80' }),
  ipv4Local: Type.String({ description: 'pool4 address and port, e.g. 192.168.255.1:61000' }),
  ipv4Remote: Type.String({ description: 'IPv4 server, e.g. 192.0.2.33:80' }),
  state: Type.String({ description: 'TCP state name, or "established" for UDP and ICMP' }),
  expiresInMs: Type.Integer({ description: 'Milliseconds until the session times out' }),
});
export type SessionEntry = Static<typeof SessionSchema>;

export const ProtocolFilterSchema = Type.Object(
  { protocol: Type.Optional(ProtocolSchema) },
  { additionalProperties: false },
);

/** Pages are bounded so a large table never becomes one huge response. */
export const MAX_PAGE = 10_000;

export const SessionsQuerySchema = Type.Object(
  {
    protocol: Type.Optional(ProtocolSchema),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100, description: `Page size, 1-${MAX_PAGE}` }),
    offset: Type.Integer({ minimum: 0, default: 0, description: 'Sessions to skip' }),
  },
  { additionalProperties: false },
);
export type SessionsQuery = Static<typeof SessionsQuerySchema>;

export const SessionsPageSchema = Type.Object({
  total: Type.Integer({ minimum: 0, description: 'Sessions matching the filter, before paging' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
  items: Type.Array(SessionSchema),
});

export const FlushResultSchema = Type.Object({
  removed: Type.Integer({ minimum: 0, description: 'Dynamic sessions removed' }),
});

export const BibListSchema = Type.Object({ items: Type.Array(BibEntrySchema) });

/** POST /api/v1/bib: publish an IPv6 server on a pool4 address and port. */
export const StaticBibSchema = Type.Object(
  { protocol: ProtocolSchema, ipv6: Ipv6EndpointSchema, ipv4: Ipv4EndpointSchema },
  { additionalProperties: false },
);
export type StaticBibRequest = Static<typeof StaticBibSchema>;

/** Fastify answers 414 for path parameters over 100 characters before validation. */
export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

const PortUse = Type.Object({ used: Type.Integer({ minimum: 0 }), size: Type.Integer({ minimum: 0 }) }, { description: 'Ports (ICMP identifiers for icmp) in use and available' });

/** GET /api/v1/pool4: how full each pool4 address is, per protocol. */
export const Pool4UsageSchema = Type.Object({
  addressCount: Type.Integer({ minimum: 0, description: 'Addresses in pool4' }),
  tcp: PortUse,
  udp: PortUse,
  icmp: PortUse,
  addresses: Type.Array(Type.Object({ address: Type.String(), tcp: PortUse, udp: PortUse, icmp: PortUse }), {
    description: 'Every address of a pool of up to 256; of a bigger pool, the addresses with ports in use (at most 256)',
  }),
  truncated: Type.Boolean({ description: 'More addresses have ports in use than are listed' }),
});
export type Pool4Usage = Static<typeof Pool4UsageSchema>;
