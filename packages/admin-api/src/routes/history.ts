/** GET /api/v1/config/history[/:version], POST /api/v1/config/rollback — applied configurations. */
import type { RoutePlugin } from '../type-provider.js';
import { ApplyResultSchema, secured } from '../schemas/common.js';
import { redact } from '@sixgate/config';
import { HistorySchema, HistoryVersionSchema, RollbackBodySchema, VersionParamsSchema } from '../schemas/config.js';
import { setEtag, writeOptions } from '../etag.js';

export const historyRoutes: RoutePlugin = async (app) => {
  app.get(
    '/config/history',
    {
      schema: {
        tags: ['config'],
        summary: 'The last applied configurations, newest first (at most 20)',
        response: secured({ 200: HistorySchema }),
      },
    },
    async (_request, reply) => {
      setEtag(reply, app.ports.configVersion());
      return { items: app.ports.history() };
    },
  );

  app.post(
    '/config/rollback',
    {
      schema: {
        tags: ['config'],
        summary: 'Restore one configuration from the history atomically',
        body: RollbackBodySchema,
        response: secured({ 200: ApplyResultSchema }, 400, 404, 409, 412),
      },
    },
    async (request, reply) => {
      const result = await app.ports.rollback(request.body.version, writeOptions(request));
      setEtag(reply, result.version);
      return result;
    },
  );

  app.get(
    '/config/history/:version',
    {
      schema: {
        tags: ['config'],
        summary: 'One configuration of the history (token redacted), e.g. to show what a version changed',
        params: VersionParamsSchema,
        response: secured({ 200: HistoryVersionSchema }, 400, 404),
      },
    },
    // Redacted here too, so a port that forgets cannot leak the token.
    async (request) => {
      const v = await app.ports.historyVersion(request.params.version);
      return { ...v, config: redact(v.config) };
    },
  );
};
