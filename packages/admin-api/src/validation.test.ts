import { describe, expect, it } from 'vitest';
import type { FastifySchemaValidationError } from 'fastify';
import { describeValidation } from './validation.js';

const err = (e: Partial<FastifySchemaValidationError>): FastifySchemaValidationError =>
  ({ keyword: 'type', instancePath: '', schemaPath: '#', params: {}, message: 'must be string', ...e }) as FastifySchemaValidationError;

describe('describeValidation', () => {
  it('names the path in dotted form, unescaping JSON pointer segments', () => {
    expect(describeValidation([err({ instancePath: '/a~1b/c~0d/0' })], 'body')).toBe('body.a/b.c~d.0 must be string');
  });

  it('names an unknown key and a missing key', () => {
    expect(describeValidation([err({ keyword: 'additionalProperties', params: { additionalProperty: 'x' } })], 'querystring')).toBe('querystring has unknown key "x"');
    expect(describeValidation([err({ keyword: 'required', instancePath: '/nat64', params: { missingProperty: 'tun' } })], 'body')).toBe(
      'body.nat64 is missing the required key "tun"',
    );
  });

  it('lists the allowed values of a union of literals, only for the failing field', () => {
    const errors = [
      err({ keyword: 'const', instancePath: '/p', params: { allowedValue: 'a' } }),
      err({ keyword: 'const', instancePath: '/p', params: { allowedValue: 'b' } }),
      err({ keyword: 'const', instancePath: '/q', params: { allowedValue: 'z' } }),
      err({ keyword: 'anyOf', instancePath: '/p' }),
    ];
    expect(describeValidation(errors, 'body')).toBe('body.p must be one of "a", "b"');
  });

  it('copes with no errors and no context', () => {
    expect(describeValidation([], undefined)).toBe('request is invalid');
    expect(describeValidation([err({ message: undefined })], undefined)).toBe('request is invalid');
  });
});
