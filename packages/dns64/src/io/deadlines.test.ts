import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue, type DeadlineEntry } from './deadlines.js';

interface Item extends DeadlineEntry {
  readonly name: string;
}

function item(name: string): Item {
  return { name, deadline: 0, prev: undefined, next: undefined, queued: false };
}

describe('DeadlineQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires entries in deadline order on one timer, and only those that are due', () => {
    vi.useFakeTimers();
    let now = 1000;
    const expired: string[] = [];
    const q = new DeadlineQueue<Item>((e) => expired.push(e.name), () => now);
    const [a, b, c] = [item('a'), item('b'), item('c')];
    q.add(a, 100);
    now = 1010;
    q.add(b, 100);
    now = 1020;
    q.add(c, 100);
    expect(q.size).toBe(3);
    expect(vi.getTimerCount()).toBe(1);
    now = 1105;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['a']);
    expect([a.queued, b.queued, c.queued]).toEqual([false, true, true]);
    now = 1125;
    vi.advanceTimersByTime(25);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never expires a removed entry, stops holding the process when empty, and ignores a second remove', () => {
    vi.useFakeTimers();
    let now = 0;
    const expired: string[] = [];
    const q = new DeadlineQueue<Item>((e) => expired.push(e.name), () => now);
    const [a, b] = [item('a'), item('b')];
    q.add(a, 50);
    q.add(b, 60);
    q.remove(a);
    q.remove(a);
    expect(q.size).toBe(1);
    now = 55;
    vi.advanceTimersByTime(55);
    expect(expired).toEqual([]);
    now = 60;
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['b']);
    q.add(a, 10);
    expect(q.holding).toBe(true);
    q.remove(a);
    // Armed still, but it no longer keeps the process alive; the next entry reuses it.
    expect(vi.getTimerCount()).toBe(1);
    expect(q.holding).toBe(false);
    q.add(b, 20);
    expect(vi.getTimerCount()).toBe(1);
    expect(q.holding).toBe(true);
    q.remove(b);
    // Firing with nothing due, it is not re-armed.
    now = 80;
    vi.advanceTimersByTime(20);
    expect(vi.getTimerCount()).toBe(0);
    expect(expired).toEqual(['b']);
  });

  it('puts an entry with an earlier deadline in its place and re-arms for it', () => {
    vi.useFakeTimers();
    let now = 0;
    const expired: string[] = [];
    const q = new DeadlineQueue<Item>((e) => expired.push(e.name), () => now);
    const [late, mid, early] = [item('late'), item('mid'), item('early')];
    q.add(late, 300);
    q.add(mid, 200);
    q.add(early, 100);
    now = 100;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['early']);
    now = 300;
    vi.advanceTimersByTime(200);
    expect(expired).toEqual(['early', 'mid', 'late']);
  });

  it('refuses an entry that is already queued', () => {
    const q = new DeadlineQueue<Item>(() => undefined);
    const a = item('a');
    q.add(a, 1000);
    expect(() => q.add(a, 1000)).toThrow(/already queued/);
    q.clear();
    expect(q.size).toBe(0);
  });

  it('lets onExpire queue a new entry (a retry) without expiring it in the same sweep', () => {
    vi.useFakeTimers();
    let now = 0;
    const expired: string[] = [];
    const retry = item('retry');
    const q: DeadlineQueue<Item> = new DeadlineQueue<Item>((e) => {
      expired.push(e.name);
      if (e !== retry) q.add(retry, 100);
    }, () => now);
    q.add(item('first'), 100);
    now = 100;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['first']);
    expect(q.size).toBe(1);
    now = 200;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['first', 'retry']);
  });

  it('clear hands every entry over in order and expires none', () => {
    vi.useFakeTimers();
    const expired: string[] = [];
    const q = new DeadlineQueue<Item>((e) => expired.push(e.name), () => 0);
    for (const n of ['x', 'y', 'z']) q.add(item(n), 10);
    const got: string[] = [];
    q.clear((e) => got.push(e.name));
    expect(got).toEqual(['x', 'y', 'z']);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
