import { describe, expect, it } from 'vitest';
import type { ProbesView } from '../schemas/probes.js';
import { parsePrometheus } from '../test/prometheus.js';
import { useApp } from '../test/helper.js';

const VIEW: ProbesView = {
  probes: [
    {
      target: '192.0.2.9:81',
      critical: true,
      intervalSeconds: 60,
      running: false,
      runs: 3,
      failures: 3,
      nextRunAt: '2026-01-01T00:01:00.000Z',
      last: {
        target: '192.0.2.9:81',
        kind: 'tcp',
        status: 'fail',
        step: 'tcp',
        diagnosis: 'TCP refused',
        address4: '192.0.2.9',
        address6: '64:ff9b::c000:209',
        source6: '2001:db8:1::1',
        startedAt: '2026-01-01T00:00:00.000Z',
        ms: 4,
        steps: [
          { step: 'dns', status: 'skip', ms: 0, detail: 'IPv4 literal' },
          { step: 'tcp', status: 'fail', ms: 3.5, detail: 'ECONNREFUSED', diagnosis: 'TCP refused' },
        ],
      },
    },
    { target: 'www.example.net', critical: false, intervalSeconds: 30, running: true, runs: 0, failures: 0 },
  ],
};

describe('GET /api/v1/probes', () => {
  const ctx = useApp();

  it('returns the probes and their last results as the daemon has them', async () => {
    ctx.ports.probesValue = VIEW;
    const res = await ctx.call('GET', '/api/v1/probes');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(VIEW);
  });

  it('needs the token', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/probes' });
    expect(res.statusCode).toBe(401);
  });

  it('renders sixgate_probe_success and sixgate_probe_duration_seconds per target and step', async () => {
    ctx.ports.probeSamplesValue = [
      { target: '192.0.2.9:81', step: 'all', success: 0, seconds: 0.004 },
      { target: '192.0.2.9:81', step: 'tcp', success: 0, seconds: 0.0035 },
      { target: 'www.example.net', step: 'dns', success: 1, seconds: 0.002 },
    ];
    const m = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect(m.get('sixgate_probe_success')?.type).toBe('gauge');
    expect(m.get('sixgate_probe_success')?.samples).toEqual([
      { name: 'sixgate_probe_success', labels: { target: '192.0.2.9:81', step: 'all' }, value: 0 },
      { name: 'sixgate_probe_success', labels: { target: '192.0.2.9:81', step: 'tcp' }, value: 0 },
      { name: 'sixgate_probe_success', labels: { target: 'www.example.net', step: 'dns' }, value: 1 },
    ]);
    expect(m.get('sixgate_probe_duration_seconds')?.samples.map((s) => s.value)).toEqual([0.004, 0.0035, 0.002]);
  });
});

describe('GET /api/v1/health with a failing critical probe', () => {
  const ctx = useApp();
  it('is degraded with the reason but still 200 while DNS64 and NAT64 run', async () => {
    ctx.ports.healthValue = { status: 'degraded', dns64: true, nat64: true, reasons: ['critical probe 192.0.2.9:81 failed at tcp: TCP refused'] };
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'degraded', reasons: ['critical probe 192.0.2.9:81 failed at tcp: TCP refused'] });
  });
});
