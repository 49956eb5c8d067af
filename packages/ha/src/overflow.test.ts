import { parseIpv4, parseIpv4Cidr, parseIpv6 } from '@sixgate/addressing';
import { defaultStateOptions, Nat64State, UDP } from '@sixgate/nat64';
import { afterEach, expect, it } from 'vitest';
import { HaNode, type HaHost } from './node.js';

const clock = { now: () => performance.now() };
const opts = () => defaultStateOptions([{ cidr: parseIpv4Cidr('198.51.100.0/24') }], { maxSessions: 1_000_000, maxSessionsPerClient: 100_000, portSecret: new Uint8Array(8).fill(5) });
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const host: HaHost = { configVersion: () => 1, currentConfig: () => ({ version: 1, config: {}, summary: '' }), applyPeerConfig: async () => undefined, recordVersion: async () => undefined };
const KEY = Buffer.alloc(32, 9);
const nodes: HaNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

it('overflow while creating over many turns: resync bulks run until the standby converges, then the lag is 0', async () => {
  const a = new Nat64State(opts(), clock);
  const b = new Nat64State(opts(), clock);
  const sb = new HaNode({ nodeId: 'b', listen: { host: '127.0.0.2', port: 0 }, peer: { host: '127.0.0.1', port: 1 }, key: KEY, host, log: quiet });
  nodes.push(sb);
  await sb.start();
  sb.attach(b);
  const ac = new HaNode({ nodeId: 'a', listen: { host: '127.0.0.1', port: 1 }, peer: { host: '127.0.0.2', port: sb.listeningPort()! }, key: KEY, host, log: quiet, queueRecords: 256, refreshSeconds: 1 });
  nodes.push(ac);
  ac.attach(a);
  ac.notify('MASTER');
  await ac.start();
  const t0 = Date.now();
  while (sb.status().sync.bulkTransfersReceived < 1) {
    if (Date.now() - t0 > 5000) throw new Error('no first bulk');
    await new Promise((r) => setTimeout(r, 5));
  }
  const src = parseIpv6('2001:db8::1');
  const dst = parseIpv4('192.0.2.80');
  for (let i = 0; i < 30_000; ) {
    for (let k = 0; k < 1000; k++, i++) {
      src[15] = i >> 14;
      a.outbound(UDP, src, 0, 1024 + (i & 0x3fff), dst, 443, 0);
    }
    await new Promise((r) => setImmediate(r));
  }
  expect(ac.status().sync.queueDrops).toBeGreaterThan(0);
  const t1 = Date.now();
  while (!(b.stats().sessions['total'] === 30_000 && ac.status().sync.lagEntries === 0)) {
    if (Date.now() - t1 > 15_000) throw new Error(`no convergence: standby ${b.stats().sessions['total']}, ${JSON.stringify(ac.status().sync)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(ac.status().sync.bulkTransfersSent).toBeGreaterThan(1);
}, 30_000);
