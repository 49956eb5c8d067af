import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from '../client-harness.js';
import { register } from './sessions.js';

const session = (i: number, protocol: 'tcp' | 'udp') => ({
  protocol,
  ipv6Client: `[2001:db8::${i}]:4000${i}`,
  ipv6Server: '[64:ff9b::c000:221]:80',
  ipv4Local: `192.168.255.1:6100${i}`,
  ipv4Remote: '192.0.2.33:80',
  state: 'ESTABLISHED',
  expiresInMs: 7_439_500,
});

describe('sixgate sessions', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = await startCliHarness([register]);
    h.ports.sessions = [session(1, 'tcp'), session(2, 'udp'), session(3, 'tcp')];
  });
  afterEach(() => h.close());

  it('prints a table and the range shown', async () => {
    const run = await h.run(['sessions']);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PROTO +IPV6 CLIENT +IPV6 SERVER +IPV4 LOCAL +IPV4 REMOTE +STATE +EXPIRES$/);
    expect(lines[1]).toMatch(/^tcp +\[2001:db8::1\]:40001 +\[64:ff9b::c000:221\]:80 +192\.168\.255\.1:61001 +192\.0\.2\.33:80 +ESTABLISHED +7440s$/);
    expect(lines.at(-1)).toBe('sessions 1-3 of 3');
  });

  it('passes --protocol, --limit and --offset to the API', async () => {
    const run = await h.run(['sessions', '--protocol', 'tcp', '--limit', '1', '--offset', '1']);
    const lines = run.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('[2001:db8::3]:40003');
    expect(lines[2]).toBe('sessions 2-2 of 2');
  });

  it('--json prints the page', async () => {
    const run = await h.run(['--json', 'sessions', '--limit', '2']);
    expect(JSON.parse(run.out)).toEqual({ total: 3, limit: 2, offset: 0, items: h.ports.sessions.slice(0, 2) });
  });

  it('refuses a protocol outside the choices before calling the API', async () => {
    const run = await h.run(['sessions', '--protocol', 'sctp']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/argument 'sctp' is invalid\. Allowed choices are tcp, udp, icmp/);
  });

  it('shows the API message for a limit it refuses', async () => {
    const run = await h.run(['sessions', '--limit', '0']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('sixgate: querystring.limit must be >= 1\n');
  });

  it('flush removes dynamic sessions', async () => {
    const run = await h.run(['sessions', 'flush']);
    expect(run).toMatchObject({ code: 0, out: 'flushed 3 sessions\n' });
    expect(h.ports.sessions).toEqual([]);
  });
});
