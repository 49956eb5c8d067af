/** GET/PUT /api/v1/prefix — the NAT64 prefix both halves use, changed in one step. */
import type { RoutePlugin } from '../type-provider.js';
import { ApplyResultSchema, secured } from '../schemas/common.js';
import { PrefixBodySchema, PrefixSchema } from '../schemas/config.js';
import { checkNat64Prefix } from '../config.js';
import { setEtag, writeOptions } from '../etag.js';

export const prefixRoutes: RoutePlugin = async (app) => {
  app.get(
    '/prefix',
    {
      schema: {
        tags: ['prefix'],
        summary: 'The NAT64 prefix (and the flag or variable pinning it, if any)',
        response: secured({ 200: PrefixSchema }),
      },
    },
    async (_request, reply) => {
      setEtag(reply, app.ports.configVersion());
      return app.ports.getPrefix();
    },
  );

  app.put(
    '/prefix',
    {
      schema: {
        tags: ['prefix'],
        summary: "Change the prefix for DNS64 and NAT64 at once; the old prefix's sessions and synthesized cache entries are dropped and routes moved",
        body: PrefixBodySchema,
        response: secured({ 200: ApplyResultSchema }, 400, 409, 412),
      },
    },
    // RFC 6052 §2.2 lengths and the u octet are checked here, so a bad prefix never reaches the daemon.
    async (request, reply) => {
      const result = await app.ports.setPrefix(checkNat64Prefix(request.body.prefix), writeOptions(request));
      setEtag(reply, result.version);
      return result;
    },
  );
};
