/** GET /metrics — Prometheus text, behind the bearer token like the rest. */
import { Type } from '@sinclair/typebox';
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { createMetrics } from '../metrics.js';

export const metricsRoutes: RoutePlugin = async (app) => {
  const metrics = createMetrics(() => app.ports.stats(), () => app.ports.probeSamples?.() ?? []);
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['stats'],
        summary: 'The counters of /api/v1/stats in Prometheus text format',
        produces: ['text/plain'],
        response: secured({ 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) }),
      },
    },
    async (_request, reply) => {
      const text = await metrics.scrape();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
};
