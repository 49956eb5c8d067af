/** GET /api/v1/ha (the pair's state) and POST /api/v1/ha/notify (keepalived's notify script, via `sixgate ha notify`). */
import type { RoutePlugin } from '../type-provider.js';
import { ApplyError } from '../errors.js';
import { secured } from '../schemas/common.js';
import { HaNotifyBodySchema, HaNotifyResultSchema, HaStatusSchema } from '../schemas/ha.js';

export const haRoutes: RoutePlugin = async (app) => {
  const ha = () => {
    const h = app.ports.ha?.();
    if (h === undefined) throw new ApplyError(404, 'high availability is not enabled (ha.enabled)');
    return h;
  };
  app.get(
    '/ha',
    { schema: { tags: ['ha'], summary: 'Role, peer, sync lag, queue drops and bulk transfers of the HA pair', response: secured({ 200: HaStatusSchema }, 404) } },
    async () => ha(),
  );
  app.post(
    '/ha/notify',
    {
      schema: {
        tags: ['ha'],
        summary: 'keepalived\'s state change: MASTER makes this node active, BACKUP standby, FAULT/STOP fault',
        body: HaNotifyBodySchema,
        response: secured({ 200: HaNotifyResultSchema }, 400, 404),
      },
    },
    async (request) => {
      ha();
      return app.ports.haNotify!(request.body.state);
    },
  );
};
