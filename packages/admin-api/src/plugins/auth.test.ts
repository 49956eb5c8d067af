import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenMatches } from './auth.js';

const TOKEN = 'tok-0123456789abcdef';
const expected = createHash('sha256').update(TOKEN).digest();

describe('tokenMatches', () => {
  it.each([
    { name: 'exact', header: `Bearer ${TOKEN}`, ok: true },
    { name: 'lower-case scheme', header: `bearer ${TOKEN}`, ok: true },
    { name: 'extra spaces', header: `Bearer   ${TOKEN}  `, ok: true },
    { name: 'missing', header: undefined, ok: false },
    { name: 'empty', header: '', ok: false },
    { name: 'scheme only', header: 'Bearer', ok: false },
    { name: 'no scheme', header: TOKEN, ok: false },
    { name: 'other scheme', header: `Basic ${TOKEN}`, ok: false },
    { name: 'prefix of the token', header: `Bearer ${TOKEN.slice(0, 8)}`, ok: false },
    { name: 'token plus more', header: `Bearer ${TOKEN}0`, ok: false },
    { name: 'two tokens', header: `Bearer ${TOKEN} ${TOKEN}`, ok: false },
    { name: 'different case', header: `Bearer ${TOKEN.toUpperCase()}`, ok: false },
    { name: 'oversized', header: `Bearer ${'x'.repeat(100_000)}`, ok: false },
  ])('$name → $ok', ({ header, ok }) => {
    expect(tokenMatches(header, expected)).toBe(ok);
  });

  it('an empty presented token never matches, whatever the expected digest', () => {
    const emptyDigest = createHash('sha256').update('').digest();
    expect(tokenMatches('Bearer ', emptyDigest)).toBe(false);
    expect(tokenMatches(undefined, emptyDigest)).toBe(false);
  });
});
