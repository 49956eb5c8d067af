/** GET/DELETE /api/v1/sessions — the RFC 6146 session table. */
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { FlushResultSchema, SessionsPageSchema, SessionsQuerySchema } from '../schemas/nat64.js';

export const sessionRoutes: RoutePlugin = async (app) => {
  app.get(
    '/sessions',
    {
      schema: {
        tags: ['nat64'],
        summary: "Sessions with both sides' addresses and ports, state and expiry, one page at a time",
        querystring: SessionsQuerySchema,
        response: secured({ 200: SessionsPageSchema }, 400),
      },
    },
    async (request) => {
      const { protocol, limit, offset } = request.query;
      const page = app.ports.listSessions(protocol === undefined ? { limit, offset } : { protocol, limit, offset });
      return { total: page.total, limit, offset, items: page.items.slice(0, limit) };
    },
  );

  app.delete(
    '/sessions',
    {
      schema: {
        tags: ['nat64'],
        summary: 'Flush dynamic sessions (static BIB entries stay)',
        response: secured({ 200: FlushResultSchema }),
      },
    },
    async () => app.ports.flushSessions(),
  );
};
