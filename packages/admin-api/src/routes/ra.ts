/** GET /api/v1/ra — router advertisements: what is announced where, counters, conflicts. */
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { RaViewSchema } from '../schemas/ra.js';

export const raRoutes: RoutePlugin = async (app) => {
  app.get(
    '/ra',
    {
      schema: {
        tags: ['ra'],
        summary: 'Router advertisements: PREF64/RDNSS announced per link, counters, conflicts with other routers',
        response: secured({ 200: RaViewSchema }),
      },
    },
    async () => app.ports.ra(),
  );
};
