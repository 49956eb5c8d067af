/**
 * Bearer-token authentication (SPEC §7). Registered inside the encapsulated
 * context that holds the protected routes, so /api/v1/health and /docs,
 * registered outside it, stay open.
 *
 * The compare is constant-time: both sides are hashed to 32 bytes first, so
 * crypto.timingSafeEqual always sees equal lengths and the token's length
 * does not leak through timing either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { errorBody } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** True when the Authorization header carries exactly this token. */
export function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const presented = digest(m?.[1] ?? '');
  // Always compare, even without a token, so a missing header costs the same.
  return timingSafeEqual(presented, expected) && m !== null;
}

export const authPlugin = fp<{ token: string }>(
  async (app, opts) => {
    const expected = digest(opts.token);
    app.addHook('onRequest', async (request, reply) => {
      if (tokenMatches(request.headers.authorization, expected)) return;
      const message =
        request.headers.authorization === undefined
          ? 'missing Authorization header: send "Authorization: Bearer <token>" (the token is in <stateDir>/api-token)'
          : 'wrong bearer token';
      await reply.code(401).header('www-authenticate', 'Bearer realm="sixgate"').send(errorBody(401, message));
    });
  },
  { name: 'sixgate-auth', fastify: '5.x' },
);
