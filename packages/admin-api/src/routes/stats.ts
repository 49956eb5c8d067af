/** GET /api/v1/stats — the counters as JSON (GET /metrics has them as Prometheus text). */
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { StatsSchema } from '../schemas/stats.js';

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
};
