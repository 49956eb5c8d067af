import { describe, expect, it } from 'vitest';
import type { HaStatusView } from '../schemas/ha.js';
import { zeroStats } from '../fake-ports.js';
import { parsePrometheus } from '../test/prometheus.js';
import { errorOf, useApp } from '../test/helper.js';

export function haView(): HaStatusView {
  return {
    nodeId: 'r1',
    role: 'active',
    peer: { id: 'r2', state: 'connected', role: 'standby', address: '192.0.2.2:6464', connectedSince: '2026-12-06T01:00:00.000Z', configVersion: 4, softwareVersion: '0.1.0' },
    splitBrain: false,
    catchingUp: false,
    configVersion: 4,
    promoting: false,
    staleConfig: false,
    configDiverged: false,
    configConflicts: 1,
    lastConfigConflict: '2026-12-06T01:00:00.000Z version 4: the peer r2 is committing version 4',
    standbyDrops: 12,
    sync: { sentSeq: 120, lastAckedSeq: 119, lagEntries: 3, lagMs: 2, queued: 1, queueCapacity: 65536, queueDrops: 0, recordsSent: 5000, recordsReceived: 0, recordsRejected: 0, bulkTransfersSent: 1, bulkTransfersReceived: 0, lastBulkAt: null },
    link: { connects: 1, disconnects: 0, authFailures: 0, protocolErrors: 0, lastError: null, lastErrorAt: null },
  };
}

describe('GET /api/v1/ha, POST /api/v1/ha/notify', () => {
  const ctx = useApp();

  it('404 with a reason when ha is not enabled, for both routes', async () => {
    const res = await ctx.call('GET', '/api/v1/ha');
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).message).toMatch(/ha.enabled/);
    expect((await ctx.call('POST', '/api/v1/ha/notify', { state: 'MASTER' })).statusCode).toBe(404);
    expect(ctx.ports.haNotified).toEqual([]);
  });

  it('returns the pair state and takes keepalived states', async () => {
    ctx.ports.haValue = haView();
    const res = await ctx.call('GET', '/api/v1/ha');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(haView());
    const n = await ctx.call('POST', '/api/v1/ha/notify', { state: 'BACKUP' });
    expect(n.json()).toEqual({ role: 'standby', catchingUp: false, staleConfig: false });
    expect(ctx.ports.haNotified).toEqual(['BACKUP']);
  });

  it('refuses bad notify bodies and requests without the token', async () => {
    ctx.ports.haValue = haView();
    for (const body of [{ state: 'master' }, { state: 'MASTER', extra: 1 }, {}, [], { state: 1 }, { state: null }]) {
      const res = await ctx.call('POST', '/api/v1/ha/notify', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(ctx.ports.haNotified).toEqual([]);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/ha' })).statusCode).toBe(401);
  });

  it('/metrics has the sixgate_ha_* families (zero when ha is off)', async () => {
    const off = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect((off.get('sixgate_ha_active')?.samples ?? []).every((s) => s.value === 0)).toBe(true);
    ctx.ports.statsValue = {
      ...zeroStats(),
      ha: { active: true, peerConnected: true, splitBrain: false, lagEntries: 3, lagMs: 1500, queueDrops: 7, recordsSent: 10, recordsReceived: 2, recordsRejected: 1, bulkTransfersSent: 2, bulkTransfersReceived: 1, authFailures: 4, disconnects: 1, standbyDrops: 9, configConflicts: 2, staleConfig: true },
    };
    const m = parsePrometheus((await ctx.call('GET', '/metrics')).body);
    expect(m.get('sixgate_ha_active')?.samples[0]?.value).toBe(1);
    expect(m.get('sixgate_ha_sync_lag_seconds')?.samples[0]?.value).toBe(1.5);
    expect(m.get('sixgate_ha_standby_drops_total')?.samples[0]?.value).toBe(9);
    expect(m.get('sixgate_ha_config_conflicts_total')?.samples[0]?.value).toBe(2);
    expect(m.get('sixgate_ha_stale_config')?.samples[0]?.value).toBe(1);
    expect(m.get('sixgate_ha_queue_drops_total')?.samples[0]?.value).toBe(7);
    expect(m.get('sixgate_ha_auth_failures_total')?.samples[0]?.value).toBe(4);
    expect(m.get('sixgate_ha_bulk_transfers_total')?.samples.map((s) => [s.labels['direction'], s.value])).toEqual([['sent', 2], ['received', 1]]);
  });
});
