import { describe, expect, it } from 'vitest';
import { bytes, diffConfigs, duration, num, pct, ratio } from './fmt.js';

describe('numbers for people', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [950, '950'],
    [999, '999'],
    [1000, '1k'],
    [1234, '1.23k'],
    [12_345, '12.3k'],
    [123_456, '123k'],
    [999_600, '1M'],
    [1_500_000, '1.5M'],
    [2_000_000_000, '2G'],
    [0.25, '0.25'],
    [12.345, '12.3'],
    [-1500, '-1.5k'],
  ])('num(%d) = %s', (n, text) => expect(num(n)).toBe(text));

  it('missing values are a dash, never NaN', () => {
    expect(num(null)).toBe('–');
    expect(num(Number.NaN)).toBe('–');
    expect(num(Infinity)).toBe('–');
    expect(pct(null)).toBe('–');
    expect(bytes(undefined)).toBe('–');
    expect(ratio(1, 0)).toBeNull();
  });

  it('bytes, percentages and durations', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1500)).toBe('1.5 kB');
    expect(bytes(120_000_000)).toBe('120 MB');
    expect(pct(0.5)).toBe('50 %');
    expect(pct(0.0512)).toBe('5.1 %');
    expect(pct(0.0004)).toBe('0.04 %');
    expect(pct(0)).toBe('0 %');
    expect(pct(1 / 3_000_000)).toBe('< 0.01 %');
    expect(pct(1)).toBe('100 %');
    expect(duration(45_000)).toBe('45 s');
    expect(duration(12 * 60_000)).toBe('12 min');
    expect(duration(125 * 60_000)).toBe('2 h 5 min');
    expect(duration(-1)).toBe('–');
  });

  it('diffs two configurations key by key', () => {
    const a = { prefix: '64:ff9b::/96', nat64: { pool4: ['203.0.113.0/28'], policy: [] }, log: { level: 'info' } };
    const b = { prefix: '2001:db8:46::/96', nat64: { pool4: ['203.0.113.0/28'], policy: [{ id: 'x', action: 'deny' }] }, log: { level: 'info' }, extra: 1 };
    expect(diffConfigs(a, b)).toEqual([
      { key: 'extra', after: '1' },
      { key: 'nat64.policy', before: '[]', after: '[{"id":"x","action":"deny"}]' },
      { key: 'prefix', before: '"64:ff9b::/96"', after: '"2001:db8:46::/96"' },
    ]);
    expect(diffConfigs(a, a)).toEqual([]);
  });
});
