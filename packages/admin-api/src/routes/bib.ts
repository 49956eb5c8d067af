/** GET/POST /api/v1/bib, DELETE /api/v1/bib/:id — bindings; static ones can be added and removed. */
import { Type } from '@sinclair/typebox';
import type { RoutePlugin } from '../type-provider.js';
import { secured } from '../schemas/common.js';
import { BibEntrySchema, BibListSchema, IdParamsSchema, Pool4UsageSchema, ProtocolFilterSchema, StaticBibSchema } from '../schemas/nat64.js';
import { checkIpv4Endpoint, checkIpv6Endpoint } from '../config.js';
import { ApplyError } from '../errors.js';
import { setEtag, writeOptions } from '../etag.js';

export const bibRoutes: RoutePlugin = async (app) => {
  app.get(
    '/bib',
    {
      schema: {
        tags: ['nat64'],
        summary: 'Binding information base: dynamic and static entries',
        querystring: ProtocolFilterSchema,
        response: secured({ 200: BibListSchema }, 400),
      },
    },
    async (request, reply) => {
      const { protocol } = request.query;
      setEtag(reply, app.ports.configVersion());
      return { items: app.ports.listBib(protocol === undefined ? {} : { protocol }) };
    },
  );

  app.post(
    '/bib',
    {
      schema: {
        tags: ['nat64'],
        summary: 'Add a static entry: publish an IPv6 server on a pool4 address and port',
        body: StaticBibSchema,
        response: secured({ 201: BibEntrySchema }, 400, 409, 412),
      },
    },
    async (request, reply) => {
      checkIpv6Endpoint('ipv6', request.body.ipv6);
      checkIpv4Endpoint('ipv4', request.body.ipv4);
      const entry = await app.ports.addStaticBib(request.body, writeOptions(request));
      setEtag(reply, app.ports.configVersion());
      return reply.code(201).send(entry);
    },
  );

  app.delete(
    '/bib/:id',
    {
      schema: {
        tags: ['nat64'],
        summary: 'Remove a static entry',
        params: IdParamsSchema,
        response: secured({ 204: Type.Null({ description: 'Removed' }) }, 404, 412),
      },
    },
    async (request, reply) => {
      const removed = await app.ports.removeStaticBib(request.params.id, writeOptions(request));
      setEtag(reply, app.ports.configVersion());
      if (!removed) throw new ApplyError(404, `no static BIB entry with id "${request.params.id}" (see GET /api/v1/bib)`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/pool4',
    {
      schema: {
        tags: ['nat64'],
        summary: 'pool4 use: ports in use and available per protocol, in total and per address',
        response: secured({ 200: Pool4UsageSchema }),
      },
    },
    async () => app.ports.pool4Usage(),
  );
};
