import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';

describe('FakeClock', () => {
  it('moves only when advanced', () => {
    const c = new FakeClock();
    expect(c.now()).toBe(0);
    expect(c.advance(1500)).toBe(1500);
    expect(c.now()).toBe(1500);
    expect(new FakeClock(10_000).now()).toBe(10_000);
  });

  it('is monotonic', () => {
    const c = new FakeClock(5);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.advance(Number.NaN)).toThrow(RangeError);
    expect(c.now()).toBe(5);
  });
});
