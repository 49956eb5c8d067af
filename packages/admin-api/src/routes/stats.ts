/** GET /api/v1/stats — the counters as JSON (GET /metrics has them as Prometheus text); GET /api/v1/stats/history — their recent past. */
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { StatsHistoryQuerySchema, StatsHistorySchema, StatsSchema } from '../schemas/stats.js';

export const statsRoutes: RoutePlugin = async (app) => {
  app.get(
    '/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Packets/bytes per direction, drops by reason, sessions, pool4 use, DNS64 counters',
        response: secured({ 200: StatsSchema }),
      },
    },
    async () => app.ports.stats(),
  );

  app.get(
    '/stats/history',
    {
      schema: {
        tags: ['stats'],
        summary: 'The last hour of the key counters at 5 s resolution (bounded, in memory; no Prometheus needed)',
        querystring: StatsHistoryQuerySchema,
        response: secured({ 200: StatsHistorySchema }, 400),
      },
    },
    async (request) => app.ports.statsHistory(request.query.seconds),
  );
};
