import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register, vrrpState } from './ha.js';
import { register as registerStatus } from './status.js';

const view = {
  nodeId: 'r1', role: 'active' as const,
  peer: { id: 'r2', state: 'connected' as const, role: 'standby' as const, address: '192.0.2.2:6464', connectedSince: '2026-12-06T01:00:00.000Z', configVersion: 4, softwareVersion: '0.1.0' },
  splitBrain: false, catchingUp: false, configVersion: 4,
  promoting: false, staleConfig: false, configDiverged: false, configConflicts: 0, lastConfigConflict: null, standbyDrops: 3,
  sync: { sentSeq: 12, lastAckedSeq: 12, lagEntries: 0, lagMs: 0, queued: 0, queueCapacity: 65536, queueDrops: 2, recordsSent: 500, recordsReceived: 0, recordsRejected: 0, bulkTransfersSent: 1, bulkTransfersReceived: 0, lastBulkAt: null },
  link: { connects: 1, disconnects: 0, authFailures: 0, protocolErrors: 0, lastError: null, lastErrorAt: null },
};

describe('sixgate ha', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register, registerStatus]);
  });
  afterEach(() => h.close());

  it('finds the state in keepalived\'s notify arguments', () => {
    expect(vrrpState(['INSTANCE', 'VI_LAN', 'MASTER', '100'])).toBe('MASTER');
    expect(vrrpState(['backup'])).toBe('BACKUP');
    expect(vrrpState(['GROUP', 'G1', 'FAULT'])).toBe('FAULT');
    expect(vrrpState(['INSTANCE', 'VI_1'])).toBeUndefined();
  });

  it('notify passes keepalived\'s state to the API; a missing state fails without a request', async () => {
    h.ports.haValue = view;
    const r = await h.run(['ha', 'notify', 'INSTANCE', 'VI_LAN', 'MASTER', '100']);
    expect(r).toMatchObject({ code: 0, out: 'role active\n' });
    expect(h.ports.haNotified).toEqual(['MASTER']);
    const bad = await h.run(['ha', 'notify', 'INSTANCE', 'VI_LAN']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/no VRRP state/);
    expect(h.ports.haNotified).toEqual(['MASTER']);
  });

  it('status prints the pair; 404 when ha is off', async () => {
    const off = await h.run(['ha', 'status']);
    expect(off.code).toBe(1);
    expect(off.err).toMatch(/ha.enabled/);
    h.ports.haValue = view;
    const r = await h.run(['ha', 'status']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^node +r1 active$/m);
    expect(r.out).toMatch(/^peer +r2 at 192.0.2.2:6464 connected, standby since/m);
    expect(r.out).toMatch(/^queue +0\/65536, 2 dropped$/m);
    expect(r.out).toMatch(/^standby +3 new flows refused while not active$/m);
    h.ports.haValue = { ...view, staleConfig: true, peer: { ...view.peer, configVersion: 5 } };
    expect((await h.run(['ha', 'status'])).out).toMatch(/ACTIVE WITH AN OLDER CONFIGURATION than the peer's \(version 4, peer 5\)/);
  });

  it('sixgate status shows the pair and health warnings', async () => {
    h.ports.haValue = { ...view, peer: { ...view.peer, state: 'disconnected', role: null } };
    h.ports.statsValue = { ...h.ports.statsValue, ha: { active: true, peerConnected: false, splitBrain: false, lagEntries: 0, lagMs: 0, queueDrops: 0, recordsSent: 0, recordsReceived: 0, recordsRejected: 0, bulkTransfersSent: 0, bulkTransfersReceived: 0, authFailures: 0, disconnects: 1, standbyDrops: 0, configConflicts: 0, staleConfig: false } };
    h.ports.healthValue = { ...h.ports.healthValue, warnings: ['HA peer 192.0.2.2:6464 is not connected'] };
    const r = await h.run(['status']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^warning +HA peer 192.0.2.2:6464 is not connected$/m);
    expect(r.out).toMatch(/^ha +r1 active; peer r2 disconnected; lag 0 records$/m);
  });
});
