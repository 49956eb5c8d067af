/**
 * A config change that rebuilds the state tables (here nat64.maxSessions)
 * keeps every session, including the ones created or advanced while the
 * change awaited its fallible steps (the config file save): sessions are
 * carried over at the commit point, in chunks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIpv4, parseIpv6 } from '@sixgate/addressing';
import { defaultConfig, type Config } from '@sixgate/config';
import { TCP, TCP_SYN, UDP } from '@sixgate/nat64';
import { afterEach, describe, expect, it } from 'vitest';
import { applyConfig } from './apply.js';
import { type Appliance, BatchClock, buildDataPlane } from './appliance.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fakeApp(): Promise<Appliance> {
  const dir = await mkdtemp(join(tmpdir(), 'sixgate-apply-'));
  dirs.push(dir);
  const config: Config = { ...defaultConfig(), stateDir: dir };
  const clock = new BatchClock();
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, level: 'info' };
  const app = {
    config,
    pinned: {},
    file: join(dir, 'sixgate.yaml'),
    log: quiet,
    clock,
    historyCache: [],
    plane: buildDataPlane(config, clock),
    loop: { translator: undefined },
    sessionLog: { push: () => undefined },
    history: { record: () => Promise.resolve({ version: 1 }) },
    refreshHistory: () => Promise.resolve(),
  };
  return app as unknown as Appliance;
}

const SERVER = parseIpv4('192.0.2.33');

describe('applyConfig with new state tables', () => {
  it('keeps sessions created while the change was saving the file, and the ones before', async () => {
    const app = await fakeApp();
    const before = app.plane.state;
    const a = before.outbound(UDP, parseIpv6('2001:db8::1'), 0, 1111, SERVER, 53, 0);
    const mapped = [before.addr4(a), before.port4(a)];
    const next: Config = { ...app.config, nat64: { ...app.config.nat64, maxSessions: 500_000 } };
    const pending = applyConfig(app, next);
    // The change now awaits the file save; a packet opens a flow in the tables still in use.
    expect(app.plane.state).toBe(before);
    const b = before.outbound(TCP, parseIpv6('2001:db8::2'), 0, 2222, SERVER, 443, TCP_SYN);
    expect(b).toBeGreaterThanOrEqual(0);
    const mappedB = [before.addr4(b), before.port4(b)];
    const r = await pending;
    expect(r.changed).toContain('nat64.maxSessions');
    const after = app.plane.state;
    expect(after).not.toBe(before);
    // Carried in chunks between event-loop turns.
    for (let i = 0; i < 100 && after.carrying; i++) await new Promise((res) => setImmediate(res));
    expect(after.carrying).toBe(false);
    const ha = after.findOutbound(UDP, parseIpv6('2001:db8::1'), 0, 1111, SERVER, 53);
    const hb = after.findOutbound(TCP, parseIpv6('2001:db8::2'), 0, 2222, SERVER, 443);
    expect(ha).toBeGreaterThanOrEqual(0);
    expect(hb).toBeGreaterThanOrEqual(0);
    expect([after.addr4(ha), after.port4(ha)]).toEqual(mapped);
    expect([after.addr4(hb), after.port4(hb)]).toEqual(mappedB);
    expect(after.stats().sessions.total).toBe(2);
    expect(after.verify()).toEqual([]);
  });
});
