import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './status.js';

describe('sixgate status', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
  });
  afterEach(() => h.close());

  it('prints health, prefix and the counters', async () => {
    const s = h.ports.statsValue;
    s.nat64.sessions = { 'tcp/ESTABLISHED': 3, 'udp/established': 2 };
    s.nat64.drops = { noBinding: 4 };
    s.nat64.pool4 = { used: 5, size: 100, percent: 5 };
    s.dns64.queries = 10;
    s.dns64.cacheHits = 3;
    s.dns64.cacheMisses = 1;
    const run = await h.run(['status']);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out.split('\n')).toEqual([
      'status    ok (dns64 up, nat64 up)',
      'prefix    64:ff9b::/96',
      'sessions  5 (tcp 3, udp 2)',
      'bindings  0',
      'pool4     5/100 ports (5.0%)',
      'packets   6to4 0 (0 B), 4to6 0 (0 B)',
      'drops     4 (noBinding 4)',
      'dns64     10 queries, 0 synthesized, cache hits 75.0%, 0 upstream errors/timeouts, 0 refused',
      '',
    ]);
  });

  it('--json prints the three answers', async () => {
    const run = await h.run(['--json', 'status']);
    const body = JSON.parse(run.out) as { health: { status: string }; prefix: { prefix: string }; stats: unknown };
    expect(body.health.status).toBe('ok');
    expect(body.prefix.prefix).toBe('64:ff9b::/96');
    expect(body.stats).toEqual(h.ports.statsValue);
  });

  it('exits 1 with the reasons when degraded, after printing the summary', async () => {
    h.ports.healthValue = { status: 'degraded', dns64: false, nat64: true, reasons: ['DNS64 is not listening'] };
    h.ports.pinned = { prefix: '--prefix' };
    const run = await h.run(['status']);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^status +degraded \(dns64 down, nat64 up\)\n +DNS64 is not listening\nprefix +64:ff9b::\/96 \(pinned by --prefix\)/);
    expect(run.err).toBe('sixgate: sixgate is degraded: DNS64 is not listening\n');
  });

  it('shows health warnings and the router advertisement counters, exit 0 (a warning is not degraded)', async () => {
    h.ports.healthValue = { status: 'ok', dns64: true, nat64: true, reasons: [], warnings: ['router fe80::99 on lan0 announces PREF64 2001:db8:bad::/96, sixgate announces 64:ff9b::/96: clients may use either'] };
    h.ports.statsValue = { ...h.ports.statsValue, ra: { rasSent: 5, rasSolicitedUnicast: 1, rsReceived: 1, rsAnswered: 1, rsRateLimited: 0, sendErrors: 0, rasReceived: 2, foreignPref64: 2, foreignRdnss: 0, conflicts: 1, foreign: [] } };
    const run = await h.run(['status']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^warning +router fe80::99 on lan0 announces PREF64 2001:db8:bad::\/96/m);
    expect(run.out).toMatch(/^router adverts +5 sent, 1 solicitations answered, 1 conflicts$/m);
  });

  it('a missing token fails with the API message', async () => {
    const run = await h.run(['--api', h.url, '--token', 'nope', 'status'], { auth: false });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^sixgate: wrong bearer token/);
  });
});
