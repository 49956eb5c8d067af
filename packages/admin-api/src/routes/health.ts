/** GET /api/v1/health — open (no token), for container health checks. */
import type { RoutePlugin } from '../type-provider.js';
import { HealthSchema } from '../schemas/stats.js';
import { errorResponses } from '../schemas/common.js';

export const healthRoutes: RoutePlugin = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Whether DNS64 and NAT64 are running (200) or not (503)',
        security: [],
        response: {
          200: { ...HealthSchema, description: 'DNS64 and NAT64 are running' },
          503: { ...HealthSchema, description: 'Degraded: see reasons' },
          ...errorResponses(500),
        },
      },
    },
    async (_request, reply) => {
      const health = app.ports.health();
      return reply.code(health.status === 'ok' ? 200 : 503).send(health);
    },
  );
};
