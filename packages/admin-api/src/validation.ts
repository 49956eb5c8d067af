/**
 * Turns Ajv's validation errors (Fastify request validation) into one line a
 * person can act on: where (body.dns64.cache.maxTtl), what (the rule) and, for
 * unknown keys and enumerations, the offending key or the allowed values.
 */
import type { FastifySchemaValidationError } from 'fastify';

function where(context: string | undefined, instancePath: string): string {
  const path = instancePath
    .split('/')
    .filter((p) => p.length > 0)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [context ?? 'request', ...path].join('.');
}

/** One readable message from the (first) failing rule. */
export function describeValidation(errors: FastifySchemaValidationError[], context: string | undefined): string {
  const first = errors[0];
  if (first === undefined) return `${context ?? 'request'} is invalid`;
  const at = where(context, first.instancePath);
  const params = first.params as Record<string, unknown>;
  switch (first.keyword) {
    case 'additionalProperties':
      return `${at} has unknown key "${String(params['additionalProperty'])}"`;
    case 'required':
      return `${at} is missing the required key "${String(params['missingProperty'])}"`;
    case 'const': {
      // A union of literals: every branch failed; list what would have passed.
      const allowed = errors
        .filter((e) => e.keyword === 'const' && e.instancePath === first.instancePath)
        .map((e) => JSON.stringify((e.params as Record<string, unknown>)['allowedValue']));
      return `${at} must be one of ${allowed.join(', ')}`;
    }
    default:
      return `${at} ${first.message ?? 'is invalid'}`;
  }
}
