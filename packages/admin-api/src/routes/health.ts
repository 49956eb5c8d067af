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
        summary: 'Whether DNS64 and NAT64 are running (200) or not (503); "degraded" with 200 when only a critical probe fails',
        security: [],
        response: {
          200: { ...HealthSchema, description: 'DNS64 and NAT64 are running (status "degraded" when a critical probe fails: see reasons)' },
          503: { ...HealthSchema, description: 'Degraded: see reasons' },
          ...errorResponses(500),
        },
      },
    },
    async (_request, reply) => {
      const health = app.ports.health();
      // A failing critical probe degrades the status but is no outage of sixgate itself: still 200.
      return reply.code(health.status === 'ok' || (health.dns64 && health.nat64) ? 200 : 503).send(health);
    },
  );
};
