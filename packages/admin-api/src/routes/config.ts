/** GET/PATCH /api/v1/config — the effective configuration and partial changes. */
import { redact } from '@sixgate/config';
import type { RoutePlugin } from '../type-provider.js';
import { ApplyResultSchema, secured } from '../schemas/common.js';
import { ConfigPatchSchema, ConfigStateSchema } from '../schemas/config.js';
import { setEtag, writeOptions } from '../etag.js';

export const configRoutes: RoutePlugin = async (app) => {
  app.get(
    '/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Effective configuration (token redacted) and the keys pinned by flags or environment variables',
        response: secured({ 200: ConfigStateSchema }),
      },
    },
    // The port redacts already; redacting again here means a daemon bug cannot leak the token.
    async (_request, reply) => {
      setEtag(reply, app.ports.configVersion());
      const state = app.ports.getConfig();
      return { config: redact(state.config), pinned: state.pinned };
    },
  );

  app.patch(
    '/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Change part of the configuration; applied atomically to DNS64, NAT64 and routes, then persisted',
        body: ConfigPatchSchema,
        response: secured({ 200: ApplyResultSchema }, 400, 409, 412),
      },
    },
    async (request, reply) => {
      const result = await app.ports.patchConfig(request.body, writeOptions(request));
      setEtag(reply, result.version);
      return result;
    },
  );
};
