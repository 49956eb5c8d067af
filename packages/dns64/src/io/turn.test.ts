import { describe, expect, it } from 'vitest';
import { atBatchEnd, enterBatch, leaveBatch } from './turn.js';

describe('flushes at the end of a batch', () => {
  it('outside a batch scope, runs each queued flush once, in a microtask (not synchronously)', async () => {
    const ran: string[] = [];
    atBatchEnd(() => ran.push('a'));
    atBatchEnd(() => ran.push('b'));
    expect(ran).toEqual([]);
    await Promise.resolve();
    expect(ran).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual(['a', 'b']);
  });

  it('inside nested scopes, runs them when the outermost scope closes, with no microtask of its own', async () => {
    const ran: string[] = [];
    enterBatch();
    try {
      atBatchEnd(() => ran.push('outer'));
      enterBatch();
      try {
        atBatchEnd(() => ran.push('inner'));
      } finally {
        leaveBatch();
      }
      expect(ran).toEqual([]);
    } finally {
      leaveBatch();
    }
    // Synchronously, as the callback that opened the scope ends.
    expect(ran).toEqual(['outer', 'inner']);
    await Promise.resolve();
    expect(ran).toEqual(['outer', 'inner']);
  });

  it('runs a flush queued by another flush, and the rest when one throws', () => {
    const ran: string[] = [];
    enterBatch();
    atBatchEnd(() => {
      ran.push('first');
      atBatchEnd(() => ran.push('queued by first'));
    });
    atBatchEnd(() => {
      throw new Error('a broken flush');
    });
    atBatchEnd(() => ran.push('after the broken one'));
    leaveBatch();
    expect(ran).toEqual(['first', 'after the broken one', 'queued by first']);
  });

  it('a scope left by an exception still flushes (try/finally), and the next scope starts clean', () => {
    const ran: string[] = [];
    expect(() => {
      enterBatch();
      try {
        atBatchEnd(() => ran.push('x'));
        throw new Error('the callback failed');
      } finally {
        leaveBatch();
      }
    }).toThrow('the callback failed');
    expect(ran).toEqual(['x']);
    enterBatch();
    atBatchEnd(() => ran.push('y'));
    leaveBatch();
    expect(ran).toEqual(['x', 'y']);
  });
});
