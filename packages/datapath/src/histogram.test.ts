import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';

describe('Histogram', () => {
  it('counts each observation in its own bucket (not cumulative) and above the last bound in count only', () => {
    const h = new Histogram([0.001, 0.01]);
    for (const v of [0.0005, 0.002, 0.003, 0.5]) h.observe(v);
    expect(h.snapshot()).toEqual({ le: [0.001, 0.01], counts: [1, 2], sum: 0.5055, count: 4 });
  });
});
