/** GET/POST /api/v1/policy, PUT/DELETE /api/v1/policy/:id — ordered translation rules. */
import type { RoutePlugin } from '../type-provider.js';
import { ApplyResultSchema, secured } from '../schemas/common.js';
import { PolicyListSchema, PolicyRuleSchema, PositionQuerySchema } from '../schemas/config.js';
import { IdParamsSchema } from '../schemas/nat64.js';
import { ApplyError } from '../errors.js';
import { setEtag, writeOptions } from '../etag.js';

export const policyRoutes: RoutePlugin = async (app) => {
  app.get(
    '/policy',
    {
      schema: {
        tags: ['policy'],
        summary: 'Translation policy rules in order (first match wins) with hit counters',
        response: secured({ 200: PolicyListSchema }),
      },
    },
    async (_request, reply) => {
      setEtag(reply, app.ports.configVersion());
      return { items: app.ports.listPolicy() };
    },
  );

  app.post(
    '/policy',
    {
      schema: {
        tags: ['policy'],
        summary: 'Add a rule at ?position (0 = first; default last)',
        querystring: PositionQuerySchema,
        body: PolicyRuleSchema,
        response: secured({ 201: ApplyResultSchema }, 400, 409, 412),
      },
    },
    async (request, reply) => {
      const result = await app.ports.addPolicy(request.body, request.query.position, writeOptions(request));
      setEtag(reply, result.version);
      return reply.code(201).send(result);
    },
  );

  app.put(
    '/policy/:id',
    {
      schema: {
        tags: ['policy'],
        summary: 'Replace a rule; ?position also moves it',
        params: IdParamsSchema,
        querystring: PositionQuerySchema,
        body: PolicyRuleSchema,
        response: secured({ 200: ApplyResultSchema }, 400, 404, 409, 412),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (request.body.id !== id) {
        throw new ApplyError(400, `body.id "${request.body.id}" differs from the rule id "${id}" in the URL; remove and add the rule to rename it`);
      }
      const result = await app.ports.replacePolicy(id, request.body, request.query.position, writeOptions(request));
      setEtag(reply, result.version);
      return result;
    },
  );

  app.delete(
    '/policy/:id',
    {
      schema: {
        tags: ['policy'],
        summary: 'Remove a rule',
        params: IdParamsSchema,
        response: secured({ 200: ApplyResultSchema }, 404, 409, 412),
      },
    },
    async (request, reply) => {
      const result = await app.ports.removePolicy(request.params.id, writeOptions(request));
      setEtag(reply, result.version);
      return result;
    },
  );
};
