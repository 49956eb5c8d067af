import { describe, expect, it } from 'vitest';
import { checkVersion, etagOf, parseIfMatch } from './etag.js';
import { ApplyError } from './errors.js';

describe('If-Match', () => {
  it('parses "*", single and listed strong tags; drops weak ones', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toBeUndefined();
    expect(parseIfMatch(etagOf(12))).toEqual([12]);
    expect(parseIfMatch(' "3" , W/"4", "5"')).toEqual([3, 5]);
    expect(parseIfMatch(['"1"', '"2"'])).toEqual([1, 2]);
    expect(parseIfMatch('W/"7"')).toEqual([]);
    expect(parseIfMatch('"not-a-version"')).toEqual([]);
    expect(parseIfMatch('"1234567890123456"')).toEqual([]); // too long to be a version
  });

  it.each(['', '12', '"12', '12"', '"1" "2"', 'W/12', '"1",', `"${'1'.repeat(2000)}"`])('refuses %j with 400', (h) => {
    expect(() => parseIfMatch(h)).toThrow(ApplyError);
    try {
      parseIfMatch(h);
    } catch (e) {
      expect((e as ApplyError).statusCode).toBe(400);
    }
  });

  it('checkVersion passes without If-Match or on a match, else 412', () => {
    expect(() => checkVersion(undefined, 3)).not.toThrow();
    expect(() => checkVersion({}, 3)).not.toThrow();
    expect(() => checkVersion({ ifMatch: [2, 3] }, 3)).not.toThrow();
    expect(() => checkVersion({ ifMatch: [2] }, 3)).toThrow(/If-Match names version 2, the current version is 3/);
    expect(() => checkVersion({ ifMatch: [] }, 3)).toThrow(/no usable version/);
  });
});
