/** GET /api/v1/probes — the continuous probes and the last result of each. */
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { ProbesSchema } from '../schemas/probes.js';

export const probeRoutes: RoutePlugin = async (app) => {
  app.get(
    '/probes',
    {
      schema: {
        tags: ['probes'],
        summary: 'Last result and diagnosis of each configured probe (config `probes`)',
        response: secured({ 200: ProbesSchema }),
      },
    },
    async () => app.ports.probes?.() ?? { probes: [] },
  );
};
