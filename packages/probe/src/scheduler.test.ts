import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseEntries } from './config.js';
import { probeSamples } from './metrics.js';
import { formatTable, toJson } from './report.js';
import type { ProbeResult } from './result.js';
import { ProbeScheduler } from './scheduler.js';
import type { Target } from './targets.js';

const result = (target: string, status: ProbeResult['status'], diagnosis = 'ok', step?: ProbeResult['step']): ProbeResult => ({
  target,
  kind: 'name',
  status,
  diagnosis,
  ...(step ? { step } : {}),
  startedAt: '2026-01-01T00:00:00.000Z',
  ms: 12,
  steps: [
    { step: 'dns', status: 'pass', ms: 2, detail: '' },
    { step: 'route', status: status === 'fail' ? 'fail' : 'pass', ms: 10, detail: '' },
    { step: 'icmp', status: 'skip', ms: 0, detail: '' },
  ],
});

describe('ProbeScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every target each interval, never two runs of one target at once, at most `concurrency` at once', async () => {
    vi.useFakeTimers();
    const targets = parseEntries([{ target: '192.0.2.1', interval: 10 }, { target: '192.0.2.2', interval: 10 }, { target: '192.0.2.3', interval: 10, critical: true }]);
    let active = 0;
    let peak = 0;
    const running = new Set<string>();
    const runs: string[] = [];
    const run = async (t: Target): Promise<ProbeResult> => {
      expect(running.has(t.text)).toBe(false);
      running.add(t.text);
      active++;
      peak = Math.max(peak, active);
      // Each run takes 25 s: longer than the interval.
      await new Promise((r) => setTimeout(r, 25_000));
      active--;
      running.delete(t.text);
      runs.push(t.text);
      return result(t.text, t.text === '192.0.2.3' ? 'fail' : 'pass', 'TCP refused', 'tcp');
    };
    const s = new ProbeScheduler(targets, run, { concurrency: 2, jitter: 0.1, random: () => 0.5 });
    s.start();
    await vi.advanceTimersByTimeAsync(200_000);
    expect(peak).toBe(2);
    for (const t of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) expect(runs.filter((r) => r === t).length).toBeGreaterThanOrEqual(2);
    expect(s.criticalFailures().map((r) => r.target)).toEqual(['192.0.2.3']);
    const st = s.states();
    expect(st[2]).toMatchObject({ target: '192.0.2.3', critical: true, intervalSeconds: 10 });
    expect(st[2]!.failures).toBe(st[2]!.runs);
    const stopping = s.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    await stopping;
    const before = runs.length;
    await vi.advanceTimersByTimeAsync(100_000);
    expect(runs.length).toBe(before);
  });

  it('spreads the delay by the jitter', async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    let rnd = 0;
    const s = new ProbeScheduler(parseEntries([{ target: '192.0.2.1', interval: 100 }]), async (t) => {
      starts.push(Date.now());
      return result(t.text, 'pass');
    }, { jitter: 0.2, random: () => [0, 1, 0][rnd++ % 3]! * 0.999 });
    s.start();
    await vi.advanceTimersByTimeAsync(400_000);
    await s.stop();
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(80_000);
      expect(g).toBeLessThanOrEqual(120_000);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });

  it('a run that throws counts as a failure and the schedule goes on', async () => {
    vi.useFakeTimers();
    let n = 0;
    const s = new ProbeScheduler(parseEntries([{ target: '192.0.2.1', interval: 5 }]), async () => {
      n++;
      throw new Error('bug');
    });
    s.start();
    await vi.advanceTimersByTimeAsync(30_000);
    await s.stop();
    expect(n).toBeGreaterThanOrEqual(4);
    expect(s.states()[0]).toMatchObject({ runs: n, failures: n });
  });
});

describe('report and metrics', () => {
  const rs = [result('www.example.net', 'pass'), result('dual.example.net', 'native', 'has native IPv6: NAT64 not involved', 'dns'), result('192.0.2.9:81', 'fail', 'TCP refused', 'tcp')];
  it('one line per target with the failing step and its diagnosis', () => {
    expect(formatTable(rs)).toBe(
      [
        'TARGET            RESULT  STEP  DIAGNOSIS',
        'www.example.net   ok      -     ok',
        'dual.example.net  native  dns   has native IPv6: NAT64 not involved',
        '192.0.2.9:81      FAIL    tcp   TCP refused',
        '',
      ].join('\n'),
    );
    expect(toJson(rs).ok).toBe(false);
    expect(toJson(rs.slice(0, 2)).ok).toBe(true);
  });
  it('success and duration per step, plus step="all"; skipped steps have no sample', () => {
    const s = probeSamples([rs[2]!]);
    expect(s).toEqual([
      { target: '192.0.2.9:81', step: 'all', success: 0, seconds: 0.012 },
      { target: '192.0.2.9:81', step: 'dns', success: 1, seconds: 0.002 },
      { target: '192.0.2.9:81', step: 'route', success: 0, seconds: 0.01 },
    ]);
  });
});
