#!/usr/bin/env node
// HA sync benchmark (ADR 8): the BUILT @sixgate/ha and @sixgate/nat64 (`npx tsc -b packages/ha`
// first, or `npm run bench -- ha-sync`). Both nodes run in this one process over a real TLS-PSK
// link on loopback, so the active's "packet loop", its sender and the standby's receiver share
// one thread: the throughput is a lower bound of two machines.
//
// 1. Sync throughput: for each target rate, the active creates new UDP sessions for 2 s, paced
//    per event-loop turn (as the packet loop would, batch by batch); reported: the rate reached,
//    sessions/s until the standby holds every one (end to end), the tail after the last create,
//    the largest lag seen (records, ms), queue drops and the resync bulks they caused. The standby
//    keeps up where there are no drops and the lag stays bounded.
// 2. Cost to the packet path: new sessions/s and established outbound() lookups/s on one state
//    with no hook and with the ha hook copying into the ring (the ring drained between rounds).
//    Wall time, both variants in one process (shared JIT feedback): a rough figure only; the CPU
//    per packet with sync off vs on, per process and with a real standby, is ha-packet-cost.mjs.
//
// Usage: node test/bench/ha-sync.mjs [max sessions per rate=400000] [slice=4096]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SESSIONS = Number(process.argv[2] ?? 400_000);
const SLICE = Number(process.argv[3] ?? 4096);
const load = (p) => import(pathToFileURL(join(ROOT, p)).href);
const { HaNode, SyncQueue } = await load('packages/ha/dist/index.js');
const { Nat64State, defaultStateOptions, UDP } = await load('packages/nat64/dist/index.js');
const { parseIpv4Cidr, parseIpv4 } = await load('packages/addressing/dist/index.js');

const clock = { now: () => performance.now() };
const opts = () => defaultStateOptions([{ cidr: parseIpv4Cidr('198.51.100.0/24') }], { maxSessions: 4_000_000, maxSessionsPerClient: 100_000, portSecret: new Uint8Array(8).fill(5) });
const quiet = { info() {}, warn() {}, error() {} };
const host = { configVersion: () => 1, currentConfig: () => ({ version: 1, config: {}, summary: '' }), applyPeerConfig: async () => {} };
const key = Buffer.alloc(32, 0x42);
const src = new Uint8Array(16);
src.set([0x20, 0x01, 0x0d, 0xb8]);
const dst = parseIpv4('192.0.2.80') | 0;
/** Session i: client 2001:db8::<i/50000>, port 1024 + i%50000 → 192.0.2.80:443. */
function flow(st, i) {
  const c = Math.floor(i / 50_000);
  src[14] = c >> 8;
  src[15] = c & 0xff;
  return st.outbound(UDP, src, 0, 1024 + (i % 50_000), dst, 443, 0);
}
const tick = () => new Promise((r) => setImmediate(r));

// ---- 1. throughput -------------------------------------------------------------------
/** Creates sessions at `rate`/s for `seconds` (paced per event-loop turn); how the standby keeps up. */
async function atRate(rate, seconds) {
  const a = new Nat64State(opts(), clock);
  const b = new Nat64State(opts(), clock);
  const standby = new HaNode({ nodeId: 'b', listen: { host: '127.0.0.2', port: 0 }, peer: { host: '127.0.0.1', port: 1 }, key, host, log: quiet });
  await standby.start();
  standby.attach(b);
  const active = new HaNode({ nodeId: 'a', listen: { host: '127.0.0.1', port: 1 }, peer: { host: '127.0.0.2', port: standby.listeningPort() }, key, host, log: quiet, queueRecords: 65_536 });
  active.attach(a);
  active.notify('MASTER');
  await active.start();
  while (standby.status().sync.bulkTransfersReceived < 1) await new Promise((r) => setTimeout(r, 5));
  let maxLag = 0;
  let maxLagMs = 0;
  let n = 0;
  const total = Math.min(SESSIONS, Math.round(rate * seconds));
  const t0 = performance.now();
  while (n < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (let k = 0; n < due && k < SLICE; k++) flow(a, n++);
    const s = active.status();
    maxLag = Math.max(maxLag, s.sync.lagEntries);
    maxLagMs = Math.max(maxLagMs, s.sync.lagMs);
    await tick();
  }
  const tCreated = performance.now();
  while (b.stats().sessions.total < a.stats().sessions.total || active.status().sync.lagEntries > 0) {
    if (performance.now() - tCreated > 60_000) throw new Error(`standby did not catch up in 60 s: standby ${b.stats().sessions.total} of ${a.stats().sessions.total}; ${JSON.stringify(active.status().sync)}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  const tDone = performance.now();
  const st = active.status();
  const row = {
    target: rate,
    created: Math.round(total / ((tCreated - t0) / 1000)),
    endToEnd: Math.round(total / ((tDone - t0) / 1000)),
    tailMs: Math.round(tDone - tCreated),
    maxLag,
    maxLagMs: Math.round(maxLagMs),
    drops: st.sync.queueDrops,
    bulks: st.sync.bulkTransfersSent - 1,
    standby: b.stats().sessions.total,
  };
  await active.stop();
  await standby.stop();
  return row;
}
console.log('HA sync throughput (one process: active, its sender and the standby share one thread; TLS-PSK on loopback)');
console.log('  target/s  created/s  standby/s  tail ms  max lag (records, ms)  drops  resync bulks  standby sessions');
for (const rate of (process.env.RATES ?? '10000,25000,50000,100000,200000').split(',').map(Number)) {
  const r = await atRate(rate, 2);
  console.log(`  ${String(r.target).padStart(8)}  ${String(r.created).padStart(9)}  ${String(r.endToEnd).padStart(9)}  ${String(r.tailMs).padStart(7)}  ${String(r.maxLag).padStart(10)}, ${String(r.maxLagMs).padStart(5)}       ${String(r.drops).padStart(5)}  ${String(r.bulks).padStart(12)}  ${r.standby}`);
}

// ---- 2. cost to the packet path -----------------------------------------------------
{
  const N = 200_000;
  const rounds = 5;
  const measure = (withHook) => {
    const st = new Nat64State(opts(), clock);
    const q = new SyncQueue(N + 16);
    if (withHook) st.onSync = (op, s) => q.push(st, op, s);
    let t = performance.now();
    for (let i = 0; i < N; i++) flow(st, i);
    const create = N / ((performance.now() - t) / 1000);
    q.consume(q.length);
    t = performance.now();
    for (let r = 0; r < rounds; r++) for (let i = 0; i < N; i++) flow(st, i);
    const est = (N * rounds) / ((performance.now() - t) / 1000);
    // The copy the hook makes, alone (warm table).
    t = performance.now();
    for (let s = 0; s < N; s++) st.exportSession(s, 1, q.words, (s % 1024) * 12);
    const copyNs = ((performance.now() - t) * 1e6) / N;
    return { create, est, copyNs };
  };
  measure(false);
  measure(true); // warm both paths
  const off = [];
  const on = [];
  for (let k = 0; k < 3; k++) {
    off.push(measure(false));
    on.push(measure(true));
  }
  const med = (xs, f) => xs.map(f).sort((x, y) => x - y)[1];
  console.log('Cost of the ha hook to the state (median of 3, alternating)');
  console.log(`  new sessions/s       off ${med(off, (x) => x.create).toFixed(0)}  on ${med(on, (x) => x.create).toFixed(0)}  ns/session off ${(1e9 / med(off, (x) => x.create)).toFixed(0)} on ${(1e9 / med(on, (x) => x.create)).toFixed(0)}`);
  console.log(`  exportSession alone  ${med(on, (x) => x.copyNs).toFixed(0)} ns/session (what the hook adds to a new session, plus the call)`);
  console.log(`  established lookups/s off ${med(off, (x) => x.est).toFixed(0)}  on ${med(on, (x) => x.est).toFixed(0)}`);
}
