/**
 * Schemas shared by every route: the one error shape, protocols, the result of
 * a configuration change. Plain TypeBox, so the same objects validate requests
 * (Fastify/Ajv), type the handlers and generate the OpenAPI document.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Every error the API returns: `{statusCode, error, message}`. */
const errorProperties = {
  statusCode: Type.Integer({ description: 'HTTP status code, repeated in the body' }),
  error: Type.String({ description: 'HTTP reason phrase, e.g. "Bad Request"' }),
  message: Type.String({ description: 'What went wrong, in words a person can act on' }),
};
export const ErrorSchema = Type.Object(errorProperties, { description: 'An error' });
export type ApiErrorBody = Static<typeof ErrorSchema>;

/** A protocol with NAT64 state. */
export const ProtocolSchema = Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('icmp')], {
  description: 'tcp, udp or icmp (ICMP query identifiers take the place of ports)',
});
export type Protocol = Static<typeof ProtocolSchema>;

/** `[2001:db8::10]:80` — shape only; the route parses the address itself. */
export const Ipv6EndpointSchema = Type.String({
  pattern: '^\\[[0-9A-Fa-f:.]{2,45}\\]:[0-9]{1,5}$',
  description: 'IPv6 address and port, e.g. [2001:db8::10]:80',
});

/** `192.0.2.1:8080` — shape only; the route parses the address itself. */
export const Ipv4EndpointSchema = Type.String({
  pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}:[0-9]{1,5}$',
  description: 'IPv4 address and port, e.g. 192.0.2.1:8080',
});

/** What a configuration change returns once it is applied and persisted. */
export const ApplyResultSchema = Type.Object(
  {
    version: Type.Integer({ minimum: 0, description: 'History version of the configuration now in effect' }),
    changed: Type.Array(Type.String(), { description: 'Dotted keys whose value changed (empty: nothing to do)' }),
    summary: Type.String({ description: 'One line describing the change, as kept in the history' }),
    steps: Type.Optional(
      Type.Array(
        Type.Object({
          step: Type.String({ description: 'kernel routes, static BIB entries, DNS64, config file, translator, history' }),
          outcome: Type.Union([Type.Literal('done'), Type.Literal('unchanged'), Type.Literal('skipped'), Type.Literal('failed')]),
          detail: Type.Optional(Type.String()),
        }),
        { description: 'What each step of the apply transaction did, in order (absent when nothing changed)' },
      ),
    ),
  },
  { description: 'The configuration change took effect' },
);
export type ApplyResult = Static<typeof ApplyResultSchema>;
export type ApplyStep = NonNullable<ApplyResult['steps']>[number];

const ERROR_REASONS: Record<number, string> = {
  400: 'Invalid request: the message names the field and the rule',
  401: 'Missing or wrong bearer token',
  404: 'No such object',
  409: 'Conflict, e.g. a key pinned by a flag or environment variable',
  412: 'If-Match names a configuration version that is no longer current; nothing changed',
  429: 'Too many concurrent traces',
  500: 'Internal error',
  503: 'Unavailable',
};

/** Response schemas for the listed error codes (401 is added by {@link secured}). */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const code of codes) out[code] = Type.Object(errorProperties, { description: ERROR_REASONS[code] ?? 'Error' });
  return out;
}

/** Responses of a route behind the bearer token: always 401 and 500 besides its own. */
export function secured(ok: Record<number, unknown>, ...codes: number[]): Record<number, unknown> {
  return { ...ok, ...errorResponses(401, ...codes, 500) };
}
