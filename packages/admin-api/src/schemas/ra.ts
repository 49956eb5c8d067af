/**
 * GET /api/v1/ra: what sixgate announces in router advertisements on each
 * link (PREF64, RDNSS, DNSSL, prefixes), its counters, and the conflicts it
 * saw in other routers' advertisements.
 */
import { Type, type Static } from '@sinclair/typebox';

const Count = Type.Integer({ minimum: 0 });

export const RaCountersSchema = Type.Object({
  rasSent: Count,
  rasSolicitedUnicast: Count,
  rsReceived: Count,
  rsAnswered: Count,
  rsRateLimited: Count,
  sendErrors: Count,
  rasReceived: Count,
  foreignPref64: Count,
  foreignRdnss: Count,
});

export const RaConflictSchema = Type.Object({
  kind: Type.Union([Type.Literal('pref64'), Type.Literal('rdnss')], { description: 'pref64: another NAT64 prefix; rdnss: our PREF64 with another resolver' }),
  interface: Type.String(),
  router: Type.String({ description: 'The other router (its link-local address)' }),
  announced: Type.String({ description: 'What it announces' }),
  ours: Type.String({ description: 'What sixgate announces on that link' }),
  firstSeen: Type.String({ description: 'ISO 8601' }),
  lastSeen: Type.String({ description: 'ISO 8601' }),
  expires: Type.String({ description: 'When its lifetime ends, ISO 8601' }),
  count: Count,
});

export const RaLinkSchema = Type.Object({
  interface: Type.String(),
  running: Type.Boolean(),
  pref64: Type.Array(Type.Object({ prefix: Type.String(), lifetime: Count }), { description: 'The prefix announced, then withdrawn ones (lifetime 0)' }),
  rdnss: Type.Array(Type.Object({ addresses: Type.Array(Type.String()), lifetime: Count })),
  dnssl: Type.Array(Type.Object({ domains: Type.Array(Type.String()), lifetime: Count })),
  prefixes: Type.Array(Type.Object({ prefix: Type.String(), onLink: Type.Boolean(), autonomous: Type.Boolean(), validLifetime: Count, preferredLifetime: Count })),
  routerLifetime: Count,
  lastSent: Type.Optional(Type.String({ description: 'ISO 8601' })),
  nextUnsolicited: Type.Optional(Type.String({ description: 'ISO 8601' })),
  lastSendError: Type.Optional(Type.String({ description: 'errno code of the last RA that could not be sent, e.g. EADDRNOTAVAIL while the link-local address is in DAD' })),
  counters: Type.Intersect([RaCountersSchema, Type.Object({ invalid: Type.Record(Type.String(), Count, { description: 'Received RS/RA dropped by RFC 4861 §6.1 validation, by reason' }) })]),
});

export const RaViewSchema = Type.Object({
  enabled: Type.Boolean({ description: 'ra.interfaces names at least one interface' }),
  links: Type.Array(RaLinkSchema),
  conflicts: Type.Array(RaConflictSchema),
});
export type RaView = Static<typeof RaViewSchema>;

/** The RA part of /api/v1/stats (absent when RAs are off). */
export const RaStatsSchema = Type.Intersect([
  RaCountersSchema,
  Type.Object({
    conflicts: Count,
    foreign: Type.Array(Type.Object({ interface: Type.String(), router: Type.String(), prefix: Type.String(), count: Count }), { description: 'Foreign PREF64 sightings by router and prefix' }),
  }),
]);
export type RaStats = Static<typeof RaStatsSchema>;
