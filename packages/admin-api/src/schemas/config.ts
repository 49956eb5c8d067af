/**
 * Configuration, prefix, policy and history schemas. The configuration shapes
 * come from @sixgate/config (the one schema of SPEC §4); this file only wraps
 * them for the API's requests and responses.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ConfigPatchSchema as ConfigPatch, ConfigSchema, PolicyRuleSchema as PolicyRule, type Config } from '@sixgate/config';

/** A copy without `$id`, so the schema can sit inline in several routes. */
function inline<T extends TSchema>(schema: T): T {
  const { $id: _id, ...rest } = schema;
  return rest as T;
}

/** The effective configuration (token redacted). */
export const ConfigViewSchema = inline(ConfigSchema);
export type ConfigView = Config;

/**
 * RFC 7396 (JSON Merge Patch): `null` removes a key. @sixgate/config's
 * `applyPatch` honours it for keys that are optional in the configuration
 * (e.g. `api.token`: removed, the daemon generates one), so the PATCH schema
 * accepts `null` exactly there. Arrays are replaced whole and left alone.
 */
function nullWhereOptional(full: TSchema, patch: TSchema): TSchema {
  const fullProps = full['properties'] as Record<string, TSchema> | undefined;
  const patchProps = patch['properties'] as Record<string, TSchema> | undefined;
  if (full['type'] !== 'object' || fullProps === undefined || patchProps === undefined) return patch;
  const required = new Set((full['required'] as string[] | undefined) ?? []);
  const properties: Record<string, TSchema> = {};
  for (const [key, p] of Object.entries(patchProps)) {
    const f = fullProps[key];
    const inner = f === undefined ? p : nullWhereOptional(f, p);
    properties[key] = required.has(key) ? inner : Type.Union([inner, Type.Null()], { description: inner['description'] as string | undefined });
  }
  return { ...patch, properties } as TSchema;
}

/** PATCH body: every key optional, unknown keys rejected, `null` removes an optional key. */
export const ConfigPatchSchema = nullWhereOptional(ConfigSchema, inline(ConfigPatch));

export const ConfigStateSchema = Type.Object({
  config: ConfigViewSchema,
  pinned: Type.Record(Type.String(), Type.String(), {
    description: 'Read-only keys: dotted key → the flag or environment variable that pinned it',
  }),
});

export const PrefixSchema = Type.Object({
  prefix: Type.String({ description: 'NAT64 prefix, e.g. 64:ff9b::/96' }),
  pinned: Type.Optional(Type.String({ description: 'The flag or environment variable that pinned it' })),
});

export const PrefixBodySchema = Type.Object(
  {
    prefix: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'New NAT64 prefix; RFC 6052 §2.2 allows /32, /40, /48, /56, /64 and /96',
    }),
  },
  { additionalProperties: false },
);

export const PolicyRuleSchema = inline(PolicyRule);
export type { PolicyRule } from '@sixgate/config';

export const PolicyRuleWithHitsSchema = Type.Composite([
  PolicyRuleSchema,
  Type.Object({ hits: Type.Integer({ minimum: 0, description: 'New sessions this rule decided' }) }),
]);
export type PolicyRuleWithHits = Static<typeof PolicyRuleWithHitsSchema>;

export const PolicyListSchema = Type.Object({ items: Type.Array(PolicyRuleWithHitsSchema) });

export const PositionQuerySchema = Type.Object(
  {
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 4096, description: 'Index in the rule list (0 = first); default: last, or unchanged' })),
  },
  { additionalProperties: false },
);

export const HistoryEntrySchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  appliedAt: Type.String({ description: 'ISO 8601 time the configuration was applied' }),
  summary: Type.String(),
});
export type HistoryEntry = Static<typeof HistoryEntrySchema>;

export const HistorySchema = Type.Object({ items: Type.Array(HistoryEntrySchema) });

/** GET /api/v1/config/history/:version: one version with its configuration (token redacted). */
export const HistoryVersionSchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  appliedAt: Type.String({ description: 'ISO 8601 time the configuration was applied' }),
  summary: Type.String(),
  config: ConfigViewSchema,
});
export type HistoryVersion = Static<typeof HistoryVersionSchema>;

export const VersionParamsSchema = Type.Object({ version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export const RollbackBodySchema = Type.Object(
  { version: Type.Integer({ minimum: 0, description: 'A version from GET /api/v1/config/history' }) },
  { additionalProperties: false },
);
