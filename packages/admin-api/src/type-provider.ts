/**
 * A Fastify type provider for TypeBox: route handlers see `Static<schema>` as
 * the type of their params, query, body and reply. (The same idea as
 * @fastify/type-provider-typebox, in a few lines, to avoid one more dependency.)
 */
import type { FastifyPluginAsync, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';

export interface TypeBoxProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}

/** A route plugin whose handlers are typed from their TypeBox schemas. */
export type RoutePlugin<Options extends object = Record<never, never>> = FastifyPluginAsync<Options, RawServerDefault, TypeBoxProvider>;
