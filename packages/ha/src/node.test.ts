import tls from 'node:tls';
import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { defaultStateOptions, Nat64State, StateFail, TCP, TCP_ACK, TCP_FIN, TCP_SYN, UDP } from '@sixgate/nat64';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeJson } from './codec.js';
import { PSK_IDENTITY } from './link.js';
import { HaNode, type ConfigChange, type HaHost } from './node.js';

const PREFIX = parseNat64Prefix('64:ff9b::/96');
const KEY = Buffer.alloc(32, 0x5a);
const SRV = parseIpv4('192.0.2.4');
const clock = { now: () => performance.now() };
const newState = (): Nat64State => new Nat64State(defaultStateOptions([{ cidr: parseIpv4Cidr('198.51.100.0/30') }], { portSecret: new Uint8Array(8).fill(1) }), clock);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

class Host implements HaHost {
  version = 1;
  config: Record<string, unknown> = { prefix: '64:ff9b::/96' };
  applied: ConfigChange[] = [];
  configVersion(): number {
    return this.version;
  }
  currentConfig(): ConfigChange {
    return { version: this.version, config: this.config, summary: 'current' };
  }
  /** Applying waits this long (ms), or fails while `failing` > 0 (counted down). */
  applyDelay = 0;
  failing = 0;
  async applyPeerConfig(c: ConfigChange): Promise<void> {
    if (this.applyDelay > 0) await new Promise((r) => setTimeout(r, this.applyDelay));
    if (this.failing > 0) {
      this.failing--;
      throw new Error('apply failed (test)');
    }
    this.applied.push(c);
    this.config = c.config;
    this.version = c.version;
  }
  async recordVersion(v: number): Promise<void> {
    this.version = v;
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const nodes: HaNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

/** `b` listens on 127.0.0.2 (port from the OS), `a` on 127.0.0.1 dials it. */
async function pair(o: { keyA?: Buffer; hostA?: Host; hostB?: Host; queueRecords?: number; stateA?: Nat64State; stateB?: Nat64State; catchUpMs?: number; logB?: typeof quiet } = {}) {
  const hostB = o.hostB ?? new Host();
  const b = new HaNode({ nodeId: 'b', listen: { host: '127.0.0.2', port: 0 }, peer: { host: '127.0.0.1', port: 7001 }, key: KEY, host: hostB, log: o.logB ?? quiet, heartbeatMs: 200, reconnectMinMs: 20, reconnectMaxMs: 100, ...(o.catchUpMs ? { catchUpMs: o.catchUpMs } : {}) });
  nodes.push(b);
  await b.start();
  const port = b.listeningPort()!;
  const a = makeA(port, o);
  return { a, b, hostA: a.host, hostB, port, stateA: a.state, stateB: attach(b, o.stateB) };
}

function attach(n: HaNode, st = newState()): Nat64State {
  n.attach(st);
  return st;
}

function makeA(port: number, o: { keyA?: Buffer; hostA?: Host; queueRecords?: number; stateA?: Nat64State } = {}) {
  const host = o.hostA ?? new Host();
  const node = new HaNode({ nodeId: 'a', listen: { host: '127.0.0.1', port: 7001 }, peer: { host: '127.0.0.2', port }, key: o.keyA ?? KEY, host, log: quiet, heartbeatMs: 200, reconnectMinMs: 20, reconnectMaxMs: 100, ...(o.queueRecords ? { queueRecords: o.queueRecords } : {}) });
  nodes.push(node);
  const state = attach(node, o.stateA);
  return Object.assign(node, { host, state });
}

const sessions = (st: Nat64State) => st.listSessions({ limit: 10_000, offset: 0 }, PREFIX).items.map((s) => ({ ...s, expiresInMs: 0 })).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
const udp = (st: Nat64State, host: number, port: number): number => st.outbound(UDP, parseIpv6(`2001:db8::${host.toString(16)}`), 0, port, SRV, 53, 0);

describe('HaNode: two nodes over TLS-PSK on loopback', () => {
  it('bulk on connect, then the stream (create, TCP state change, delete); failover keeps the binding; the returning node resyncs', async () => {
    const stA = newState();
    for (let i = 1; i <= 50; i++) udp(stA, i, 1000 + i); // made before the link: they come by bulk
    const { a, b, stateB } = await pair({ stateA: stA });
    a.notify('MASTER');
    b.notify('BACKUP');
    a.start();
    await waitFor('bulk received', () => b.status().sync.bulkTransfersReceived === 1);
    expect(b.status().peer).toMatchObject({ id: 'a', state: 'connected', role: 'active' });
    expect(a.status().peer.connectedSince).not.toBeNull();
    await waitFor('50 sessions on b', () => stateB.stats().sessions['total'] === 50);

    const c6 = parseIpv6('2001:db8::99');
    const ht = stA.outbound(TCP, c6, 0, 40000, SRV, 443, TCP_SYN);
    stA.inbound(TCP, SRV, 443, stA.addr4(ht), stA.port4(ht), TCP_SYN | TCP_ACK, new Uint8Array(0));
    udp(stA, 0x77, 5353);
    const gone = udp(stA, 0x78, 5354);
    await waitFor('stream', () => stateB.stats().sessions['total'] === 53);
    stA.flush('flushed'); // deletes of everything...
    for (let i = 1; i <= 50; i++) udp(stA, i, 1000 + i); // ...and back (same ports: same hash key)
    const ht3 = stA.outbound(TCP, c6, 0, 40000, SRV, 443, TCP_SYN);
    stA.inbound(TCP, SRV, 443, stA.addr4(ht3), stA.port4(ht3), TCP_SYN | TCP_ACK, new Uint8Array(0));
    const hu = udp(stA, 0x77, 5353);
    await waitFor('b equals a', () => JSON.stringify(sessions(stateB)) === JSON.stringify(sessions(stA)));
    expect(stateB.stats().sessions['tcp-established']).toBe(1);
    expect(gone).toBeGreaterThanOrEqual(0);
    await waitFor('acked', () => a.status().sync.lagEntries === 0 && a.status().sync.lastAckedSeq === a.status().sync.sentSeq);
    expect(a.status().sync).toMatchObject({ bulkTransfersSent: 1, queueDrops: 0, lagMs: 0 });
    expect(stateB.verify()).toEqual([]);

    // Failover: a dies, b becomes active and answers a's flows with the same pool4 address and port.
    const v4 = stA.addr4(hu);
    const p4 = stA.port4(hu);
    const tcp4 = [stA.addr4(ht3), stA.port4(ht3)] as const;
    await a.stop();
    await waitFor('b sees the peer lost', () => b.status().peer.state !== 'connected');
    b.notify('MASTER');
    const h = stateB.inbound(UDP, SRV, 53, v4, p4, 0, new Uint8Array(0));
    expect(h).toBeGreaterThanOrEqual(0);
    expect(stateB.port6(h)).toBe(5353);
    const ht2 = stateB.findInbound(TCP, SRV, 443, tcp4[0], tcp4[1]);
    expect(ht2).toBeGreaterThanOrEqual(0);
    // b, now active, keeps translating and creating.
    stateB.outbound(TCP, c6, 0, 40000, SRV, 443, TCP_FIN | TCP_ACK);
    udp(stateB, 0x80, 6000);

    // a returns empty as the standby: bulk from b, then the stream.
    const a2 = makeA(b.listeningPort()!);
    a2.notify('BACKUP');
    a2.start();
    await waitFor('a2 resynced', () => a2.status().sync.bulkTransfersReceived === 1 && JSON.stringify(sessions(a2.state)) === JSON.stringify(sessions(stateB)));
    udp(stateB, 0x81, 6001);
    await waitFor('stream to a2', () => JSON.stringify(sessions(a2.state)) === JSON.stringify(sessions(stateB)));
    expect(b.status().sync.bulkTransfersSent).toBe(1);
    expect(a2.state.verify()).toEqual([]);
  });

  it('a wrong key is refused and reported on both sides; the right key then connects', async () => {
    const { a, b } = await pair({ keyA: Buffer.alloc(32, 0x11) });
    a.start();
    await waitFor('auth failures', () => a.status().link.authFailures >= 1 && b.status().link.authFailures >= 1);
    expect(a.status().peer.state).not.toBe('connected');
    expect(b.status().peer.state).toBe('disconnected');
    expect(b.status().link.lastError).toMatch(/TLS-PSK handshake failed/);
    expect(a.status().link.lastError).toMatch(/TLS-PSK handshake failed/);
    const a2 = makeA(b.listeningPort()!);
    a2.start();
    await waitFor('connected', () => b.status().peer.state === 'connected');
  });

  it('a full queue drops and counts records, then a bulk transfer repairs the standby', async () => {
    const { a, b, stateA, stateB } = await pair({ queueRecords: 8 });
    a.notify('MASTER');
    a.start();
    await waitFor('connected', () => a.status().peer.state === 'connected' && b.status().peer.state === 'connected');
    await waitFor('first bulk', () => b.status().sync.bulkTransfersReceived === 1);
    for (let i = 1; i <= 500; i++) udp(stateA, i, 2000 + i); // one synchronous burst: the ring holds 8
    expect(a.status().sync.queueDrops).toBeGreaterThan(400);
    await waitFor('repaired', () => stateB.stats().sessions['total'] === 500 && b.status().sync.bulkTransfersReceived === 2);
    expect(JSON.stringify(sessions(stateB))).toBe(JSON.stringify(sessions(stateA)));
  });

  it('config: a node behind catches up at hello, a published change lands with its version', async () => {
    const hostA = new Host();
    hostA.version = 5;
    hostA.config = { prefix: '64:ff9b:1::/96' };
    const { a, b, hostB } = await pair({ hostA });
    a.notify('MASTER');
    expect(b.status().catchingUp).toBe(false);
    a.start();
    await waitFor('b caught up', () => hostB.version === 5);
    expect(hostB.applied).toEqual([{ version: 5, config: { prefix: '64:ff9b:1::/96' }, summary: 'current' }]);
    await waitFor('not catching up', () => !b.status().catchingUp);
    // A change on the standby's API travels to the active.
    hostB.version = 6;
    b.publishConfig({ version: 6, config: { prefix: '64:ff9b:2::/96' }, summary: 'prefix changed' });
    await waitFor('a got 6', () => hostA.version === 6);
    expect(hostA.config).toEqual({ prefix: '64:ff9b:2::/96' });
    // An older or equal version is not applied again.
    b.publishConfig({ version: 6, config: { prefix: '64:ff9b:3::/96' }, summary: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(hostA.applied.length).toBe(1);
  });

  it('split brain (both active) is detected on both nodes and ends when one steps down', async () => {
    const { a, b } = await pair();
    a.notify('MASTER');
    b.notify('MASTER');
    a.start();
    await waitFor('split brain', () => a.status().splitBrain && b.status().splitBrain);
    b.notify('BACKUP');
    await waitFor('over', () => !a.status().splitBrain && !b.status().splitBrain);
  });

  it('garbage after the handshake is a protocol error: the link is closed, counted, and comes back', async () => {
    const { b } = await pair();
    const c = tls.connect({ host: '127.0.0.2', port: b.listeningPort()!, minVersion: 'TLSv1.3', pskCallback: () => ({ psk: KEY, identity: PSK_IDENTITY }), checkServerIdentity: () => undefined });
    await new Promise<void>((r) => c.once('secureConnect', () => r()));
    c.write(Buffer.from([0, 0, 0, 1, 99]));
    await waitFor('protocol error', () => b.status().link.protocolErrors === 1);
    expect(b.status().link.lastError).toMatch(/unknown frame kind 99/);
    c.destroy();
    // Records before hello, and a hello of another protocol version, are refused too.
    for (const bad of [Buffer.from([0, 0, 0, 5, 7, 0, 0, 0, 1]), encodeJson('hello', { protocol: 2, nodeId: 'x', software: '1', configVersion: 1, role: 'standby' })]) {
      const d = tls.connect({ host: '127.0.0.2', port: b.listeningPort()!, minVersion: 'TLSv1.3', pskCallback: () => ({ psk: KEY, identity: PSK_IDENTITY }), checkServerIdentity: () => undefined });
      await new Promise<void>((r) => d.once('secureConnect', () => r()));
      const closed = new Promise<void>((r) => d.once('close', () => r()));
      d.on('error', () => undefined);
      d.write(bad);
      await closed;
    }
    expect(b.status().link.protocolErrors).toBe(3);
    expect(b.status().link.lastError).toMatch(/protocol 2/);
  });
});

describe('HaNode: only the active creates state (standby guard)', () => {
  it('the standby translates synced flows but refuses new ones, counted across state swaps; the active creates', async () => {
    const { a, b, stateA, stateB } = await pair();
    void a.notify('MASTER');
    void b.notify('BACKUP');
    a.start();
    await waitFor('first bulk', () => b.status().sync.bulkTransfersReceived === 1);
    expect(stateA.standby).toBe(false);
    expect(stateB.standby).toBe(true);
    const h = udp(stateA, 1, 1001);
    await waitFor('synced', () => stateB.stats().sessions['total'] === 1);
    // The synced flow passes both ways on the standby; a new one is refused and creates nothing.
    expect(stateB.inbound(UDP, SRV, 53, stateA.addr4(h), stateA.port4(h), 0, new Uint8Array(0))).toBeGreaterThanOrEqual(0);
    expect(udp(stateB, 1, 1001)).toBeGreaterThanOrEqual(0);
    expect(udp(stateB, 2, 2002)).toBe(StateFail.standby);
    expect(stateB.stats()).toMatchObject({ bindings: 1, pool4Used: 1 });
    expect(b.status().standbyDrops).toBe(1);
    // A config change swaps the tables: the guard moves to the new ones, the count goes on.
    const stateB2 = newState();
    b.attach(stateB2);
    expect(stateB2.standby).toBe(true);
    expect(udp(stateB2, 3, 3003)).toBe(StateFail.standby);
    expect(b.status().standbyDrops).toBe(2);
    // fault is not active either; active creates.
    await b.notify('FAULT');
    expect(stateB2.standby).toBe(true);
    await b.notify('MASTER');
    expect(stateB2.standby).toBe(false);
    expect(udp(stateB2, 3, 3003)).toBeGreaterThanOrEqual(0);
    await a.notify('BACKUP');
    expect(stateA.standby).toBe(true);
    expect(udp(stateA, 4, 4004)).toBe(StateFail.standby);
  });
});

describe('HaNode: promotion while the configuration is behind the peer', () => {
  it('peer reachable: MASTER waits for the catch-up (asking the peer again), then becomes active with the newer configuration', async () => {
    const hostA = new Host();
    hostA.version = 5;
    hostA.config = { prefix: '64:ff9b:5::/96' };
    const hostB = new Host();
    hostB.failing = 1; // the configuration sent at hello does not apply: b stays behind
    const { a, b } = await pair({ hostA, hostB });
    void a.notify('MASTER');
    a.start();
    await waitFor('b saw the failed apply', () => b.status().peer.configVersion === 5 && hostB.failing === 0);
    expect(hostB.version).toBe(1);
    hostB.applyDelay = 150;
    const t0 = Date.now();
    const promotion = b.notify('MASTER');
    expect(b.status()).toMatchObject({ role: 'standby', promoting: true, catchingUp: true });
    const r = await promotion;
    expect(r).toEqual({ role: 'active', catchingUp: false, staleConfig: false });
    expect(hostB.version).toBe(5); // b asked (needConfig) and a sent its configuration again
    expect(hostB.config).toEqual({ prefix: '64:ff9b:5::/96' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(b.status()).toMatchObject({ role: 'active', promoting: false, staleConfig: false });
  });

  it('peer reachable but the catch-up fails: active anyway after catchUpMs, stale and loud', async () => {
    const hostA = new Host();
    hostA.version = 3;
    const hostB = new Host();
    hostB.failing = 1000;
    const errors: string[] = [];
    const { a, b } = await pair({ hostA, hostB, catchUpMs: 300, logB: { ...quiet, error: (_o, m) => void errors.push(m) } });
    a.start();
    await waitFor('connected', () => b.status().peer.configVersion === 3);
    const t0 = Date.now();
    const r = await b.notify('MASTER');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(r).toEqual({ role: 'active', catchingUp: expect.any(Boolean), staleConfig: true });
    expect(b.status()).toMatchObject({ role: 'active', staleConfig: true, configVersion: 1 });
    expect(errors.some((m) => /OLDER configuration/.test(m))).toBe(true);
    expect(a.status().peer.configVersion).toBe(1);
  });

  it('peer unreachable (it died): active at once with the configuration it has, stale until the peer is back and it caught up', async () => {
    const hostA = new Host();
    hostA.version = 4;
    hostA.config = { prefix: '64:ff9b:4::/96' };
    const hostB = new Host();
    hostB.failing = 1;
    const { a, b } = await pair({ hostA, hostB });
    a.start();
    await waitFor('b knows it is behind', () => b.status().peer.configVersion === 4 && hostB.failing === 0);
    await a.stop();
    await waitFor('peer lost', () => b.status().peer.state !== 'connected');
    const t0 = Date.now();
    const r = await b.notify('MASTER');
    expect(Date.now() - t0).toBeLessThan(100);
    expect(r).toEqual({ role: 'active', catchingUp: false, staleConfig: true });
    expect(b.status()).toMatchObject({ role: 'active', staleConfig: true, promoting: false });
    // The peer returns (as standby, with its newer configuration): b catches up and is no longer stale.
    const a2 = makeA(b.listeningPort()!, { hostA });
    void a2.notify('BACKUP');
    a2.start();
    await waitFor('b caught up', () => hostB.version === 4 && !b.status().staleConfig);
    expect(hostB.config).toEqual({ prefix: '64:ff9b:4::/96' });
    expect(b.status().role).toBe('active');
  });

  it('a BACKUP during a pending promotion wins: the node stays standby', async () => {
    const hostA = new Host();
    hostA.version = 2;
    const hostB = new Host();
    hostB.failing = 1000;
    const { a, b } = await pair({ hostA, hostB, catchUpMs: 2000 });
    a.start();
    await waitFor('connected', () => b.status().peer.configVersion === 2);
    const p = b.notify('MASTER');
    await new Promise((r) => setTimeout(r, 50));
    expect((await b.notify('BACKUP')).role).toBe('standby');
    expect((await p).role).toBe('standby');
    expect(b.status()).toMatchObject({ role: 'standby', promoting: false, staleConfig: false });
  });
});

describe('HaNode: simultaneous configuration changes on both nodes', () => {
  /** What the daemon's apply path does: reserve the next version, commit, record, publish. */
  async function change(n: HaNode, host: Host, config: Record<string, unknown>): Promise<number> {
    const v = host.version + 1;
    await n.reserveConfig(v);
    host.version = v;
    host.config = config;
    n.publishConfig({ version: v, config, summary: JSON.stringify(config) });
    return v;
  }
  const conflict = (e: unknown): string => (e as { code?: string }).code ?? String(e);

  it('two changes at the same moment: exactly one takes the version (lower node id), the other is refused; both end equal', async () => {
    const { a, b, hostA, hostB } = await pair();
    a.start();
    await waitFor('connected', () => a.status().peer.state === 'connected' && b.status().peer.state === 'connected');
    for (let round = 0; round < 3; round++) {
      // Both reserve in the same turn of the event loop: each lock request crosses the other.
      const [ra, rb] = await Promise.allSettled([change(a, hostA, { round, by: 'a' }), change(b, hostB, { round, by: 'b' })]);
      expect(ra.status).toBe('fulfilled');
      expect(rb.status).toBe('rejected');
      expect(conflict((rb as PromiseRejectedResult).reason)).toBe('ERR_HA_CONFIG_CONFLICT');
      expect(String((rb as PromiseRejectedResult).reason.message)).toMatch(/tie-break/);
      await waitFor('b has a\'s change', () => hostB.version === hostA.version && JSON.stringify(hostB.config) === JSON.stringify(hostA.config));
      expect(hostA.config).toEqual({ round, by: 'a' });
      // b's admin retries: it lands on both with the next version.
      await change(b, hostB, { round, by: 'b', retry: true });
      await waitFor('a has b\'s retry', () => hostA.version === hostB.version && JSON.stringify(hostA.config) === JSON.stringify(hostB.config));
    }
    expect(hostA.version).toBe(7);
    expect(b.status().configConflicts).toBe(3);
    expect(b.status().lastConfigConflict).toMatch(/version 6: .*tie-break/);
    expect(a.status().configConflicts).toBe(0);
  });

  it('a change while the peer commits the same version is refused at once; after the peer\'s change lands it takes the next', async () => {
    const { a, b, hostA, hostB } = await pair();
    a.start();
    await waitFor('connected', () => a.status().peer.state === 'connected' && b.status().peer.state === 'connected');
    // b holds the lock for version 2 (its commit is slow).
    expect(await b.reserveConfig(2)).toBe('granted');
    await expect(a.reserveConfig(2)).rejects.toMatchObject({ code: 'ERR_HA_CONFIG_CONFLICT', message: /committing version 2/ });
    hostB.version = 2;
    hostB.config = { by: 'b' };
    b.publishConfig({ version: 2, config: { by: 'b' }, summary: 'b' });
    await waitFor('a applied 2', () => hostA.version === 2);
    expect(await change(a, hostA, { by: 'a' })).toBe(3);
    await waitFor('b applied 3', () => hostB.version === 3);
    // A version the peer has already is refused too, and a released lock frees the version.
    await expect(a.reserveConfig(3)).rejects.toMatchObject({ code: 'ERR_HA_CONFIG_CONFLICT' });
    expect(await a.reserveConfig(4)).toBe('granted');
    a.releaseConfig(4);
    await new Promise((r) => setTimeout(r, 50));
    expect(await b.reserveConfig(4)).toBe('granted');
  });

  it('alone (no peer) a change goes ahead; changed on both sides while apart: one rule decides, both end equal, the loss is reported', async () => {
    const hostA = new Host();
    const hostB = new Host();
    const bErrors: string[] = [];
    const { a, b } = await pair({ hostA, hostB, logB: { ...quiet, error: (_o, m) => void bErrors.push(m) } });
    void a.notify('MASTER');
    // Not started: a never dials, both are alone. Each changes to version 2 with its own content.
    expect(await a.reserveConfig(2)).toBe('alone');
    hostA.version = 2;
    hostA.config = { by: 'a' };
    a.publishConfig({ version: 2, config: hostA.config, summary: 'a' });
    expect(await b.reserveConfig(2)).toBe('alone');
    hostB.version = 2;
    hostB.config = { by: 'b' };
    b.publishConfig({ version: 2, config: hostB.config, summary: 'b' });
    a.start();
    // Same version, different content: the active (a) wins, records version 3 and sends it.
    await waitFor('converged', () => hostA.version === 3 && hostB.version === 3 && JSON.stringify(hostB.config) === JSON.stringify(hostA.config));
    expect(hostB.config).toEqual({ by: 'a' });
    expect(bErrors.some((m) => /diverged/.test(m))).toBe(true);
    expect(b.status().configConflicts).toBe(1);
    await waitFor('diverged flags cleared', () => !a.status().configDiverged && !b.status().configDiverged);
  });
});
