import { describe, expect, it } from 'vitest';
import { formatStatus, type LabStatus } from './status.js';

const ns = (name: string, exists: boolean, processes: { pid: number; cmd: string }[] = []) => ({ name, exists, processes });
/** A degraded HA lab: r1's namespace without processes, r2's running `r2Cmd`, and the nodes as given. */
const haLab = (r2Cmd: string, ha: LabStatus['ha']): LabStatus => ({
  namespaces: [ns('sixgate-lab-r1', true), ns('sixgate-lab-r2', true, [{ pid: 9, cmd: r2Cmd }])],
  tun: false,
  routes: [],
  health: null,
  state: 'degraded',
  ha,
});

describe('formatStatus', () => {
  it('shows a running lab with its processes, TUN routes and health', () => {
    const s: LabStatus = {
      namespaces: [ns('sixgate-lab-client', true), ns('sixgate-lab-gw', true, [{ pid: 42, cmd: 'node sixgate.js run' }]), ns('sixgate-lab-server', true, [{ pid: 43, cmd: 'node sixgate.js lab serve' }])],
      tun: true,
      routes: ['198.51.100.0/28', '64:ff9b:1::/96'],
      health: 200,
      state: 'up',
    };
    const text = formatStatus(s).join('\n');
    expect(text).toMatch(/^lab: up/);
    expect(text).toContain('pid 42');
    expect(text).toContain('routes into it: 198.51.100.0/28, 64:ff9b:1::/96');
    expect(text).toContain('health (GET /api/v1/health): 200');
    expect(text).not.toContain('lab down');
  });

  it('tells how to clean up a degraded lab and says when nothing answers', () => {
    const s: LabStatus = {
      namespaces: [ns('sixgate-lab-client', false), ns('sixgate-lab-gw', true), ns('sixgate-lab-server', false)],
      tun: false,
      routes: [],
      health: null,
      state: 'degraded',
    };
    const text = formatStatus(s).join('\n');
    expect(text).toContain('sixgate-lab-client   absent');
    expect(text).toContain('routes into it: none');
    expect(text).toContain('health (GET /api/v1/health): no answer');
    expect(text).toContain('sixgate lab down');
  });

  it('shortens long command lines', () => {
    const long = `node ${'x'.repeat(300)}`;
    const s: LabStatus = { namespaces: [ns('sixgate-lab-gw', true, [{ pid: 7, cmd: long }])], tun: false, routes: [], health: null, state: 'degraded' };
    const line = formatStatus(s).find((l) => l.includes('pid 7'))!;
    expect(line.length).toBeLessThan(130);
    expect(line.endsWith('...')).toBe(true);
  });
  it('shows both nodes of the HA lab and how to bring a stopped one back', () => {
    const s = haLab('keepalived', [
      { name: 'r1', role: null, peer: null, vips: [], keepalived: false, tun: false },
      { name: 'r2', role: 'active', peer: 'disconnected', vips: ['203.0.113.1', '2001:db8:64::1'], keepalived: true, tun: true },
    ]);
    const text = formatStatus(s).join('\n');
    expect(text).toContain('node r1: no answer from its API; virtual addresses: none; tun sixgate0 absent');
    expect(text).toContain('node r2: active, peer disconnected; virtual addresses: 203.0.113.1, 2001:db8:64::1; tun sixgate0 present');
    expect(text).toContain('sixgate lab restart r1');
    expect(text).not.toContain('routes into it');
    expect(text).not.toContain('stale');
  });
  it('marks virtual addresses on a node without keepalived as stale (a killed keepalived leaves them)', () => {
    const vips = ['203.0.113.1', '2001:db8:64::1'];
    const s = haLab('/usr/sbin/keepalived -f x', [
      { name: 'r1', role: null, peer: null, vips, keepalived: false, tun: true },
      { name: 'r2', role: 'active', peer: 'disconnected', vips, keepalived: true, tun: true },
    ]);
    const lines = formatStatus(s);
    expect(lines.find((l) => l.includes('node r1'))).toContain('virtual addresses: 203.0.113.1, 2001:db8:64::1 (stale: no keepalived runs there)');
    expect(lines.find((l) => l.includes('node r2'))).not.toContain('stale');
  });
});
