import { describe, expect, it } from 'vitest';
import { StatsRing } from './stats-ring.js';
import { zeroStats } from './fake-ports.js';
import type { Stats } from './schemas/stats.js';
import { useApp } from './test/helper.js';

const at = (p6: number, drops: Record<string, number> = {}, sessions: Record<string, number> = {}): Stats => {
  const s = zeroStats();
  s.nat64.packets['6to4'] = p6;
  s.nat64.bytes['6to4'] = p6 * 100;
  s.nat64.drops = drops;
  s.nat64.sessions = sessions;
  s.nat64.pool4.used = 3;
  s.dns64.queries = p6 * 2;
  s.dns64.cacheHits = p6;
  return s;
};

describe('StatsRing', () => {
  it('stores gauges as sampled and counters as per-second rates; the first sample has no rate', () => {
    const r = new StatsRing({ capacity: 4, intervalMs: 5000 });
    r.sample(at(0, {}, { 'tcp/established': 2, 'udp/established': 1, icmp: 4 }), 1_000, 0);
    r.sample(at(50, { truncated: 10 }, { 'tcp/established': 3 }), 6_000, 5000);
    const h = r.read();
    expect(h.t).toEqual([1_000, 6_000]);
    expect(h.intervalSeconds).toBe(5);
    expect(h.capacity).toBe(4);
    expect(h.series.sessions).toEqual([7, 3]);
    expect(h.series.sessionsTcp).toEqual([2, 3]);
    expect(h.series.sessionsIcmp).toEqual([4, 0]);
    expect(h.series.pool4Used).toEqual([3, 3]);
    expect(h.series.packets6to4).toEqual([null, 10]);
    expect(h.series.bytes6to4).toEqual([null, 1000]);
    expect(h.series.dnsQueries).toEqual([null, 20]);
    expect(h.series.drops).toEqual([null, 2]);
    expect(h.drops).toEqual({ truncated: [null, 2] });
  });

  it('wraps at capacity, oldest first, and a counter that went down counts from zero', () => {
    const r = new StatsRing({ capacity: 3 });
    for (let i = 0; i < 5; i++) r.sample(at(i * 10), i * 1000, i * 1000);
    r.sample(at(4), 5000, 5000); // translator rebuilt: counters restarted
    const h = r.read();
    expect(h.t).toEqual([3000, 4000, 5000]);
    expect(h.series.packets6to4).toEqual([10, 10, 4]);
    expect(r.length).toBe(3);
    expect(r.read(1.5).t).toEqual([4000, 5000]);
  });

  it('a reason that stops being reported counts 0; reasons beyond the bound go to "other"', () => {
    const r = new StatsRing({ capacity: 8, maxReasons: 2 });
    r.sample(at(0, { a: 0 }), 0, 0);
    r.sample(at(0, { a: 5, b: 5, c: 5, d: 10 }), 1000, 1000);
    r.sample(at(0, { b: 6 }), 2000, 2000);
    const h = r.read();
    expect(Object.keys(h.drops).sort()).toEqual(['a', 'b', 'other']);
    expect(h.drops['a']).toEqual([null, 5, 0]);
    expect(h.drops['b']).toEqual([null, 5, 1]);
    expect(h.drops['other']).toEqual([null, 15, 0]);
  });

  it('memory is fixed by capacity: 17 columns of 720 doubles by default, plus one per reason', () => {
    const r = new StatsRing();
    expect(r.bytes).toBe(17 * 720 * 8);
    for (let i = 0; i < 2000; i++) r.sample(at(i, { x: i }), i * 5000, i * 5000);
    expect(r.length).toBe(720);
    expect(r.bytes).toBe(18 * 720 * 8);
  });

  it('refuses a silly capacity', () => {
    expect(() => new StatsRing({ capacity: 1 })).toThrow(RangeError);
    expect(() => new StatsRing({ capacity: 1e9 })).toThrow(RangeError);
  });
});

describe('GET /api/v1/stats/history', () => {
  const ctx = useApp();

  it('serves the ring, optionally only the last seconds', async () => {
    ctx.ports.ring.sample(at(0), 10_000, 0);
    ctx.ports.ring.sample(at(25), 15_000, 5000);
    const all = await ctx.call('GET', '/api/v1/stats/history');
    expect(all.statusCode).toBe(200);
    const body = all.json() as { t: number[]; series: Record<string, (number | null)[]> };
    expect(body.t).toEqual([10_000, 15_000]);
    expect(body.series['packets6to4']).toEqual([null, 5]);
    expect((await ctx.call('GET', '/api/v1/stats/history?seconds=1')).json()).toMatchObject({ t: [15_000] });
  });

  it('400 for a bad window; 401 without the token', async () => {
    expect((await ctx.call('GET', '/api/v1/stats/history?seconds=0')).statusCode).toBe(400);
    expect((await ctx.call('GET', '/api/v1/stats/history?seconds=abc')).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/stats/history' })).statusCode).toBe(401);
  });
});
