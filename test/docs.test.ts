// Generated documentation stays in step with the code it describes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateReference } from '@sixgate/config';

const ROOT = join(import.meta.dirname, '..');

describe('docs', () => {
  it('docs/configuration.md is the reference generated from the schema (npm run docs)', () => {
    expect(readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8')).toBe(generateReference());
  });

  it('the README quick start has the two commands of SPEC §2 and .ci/run runs the test one', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm install && npm test$/m);
  });

  it('every doc the README links to exists', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/\]\((docs\/[^)#]+|docker\/[^)#]*)\)/g)) {
      expect(() => readFileSync(join(ROOT, m[1]!.endsWith('/') ? `${m[1]}` : m[1]!)), m[1]).not.toThrow(/ENOENT/);
    }
  });
});
