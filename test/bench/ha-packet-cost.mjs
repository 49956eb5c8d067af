#!/usr/bin/env node
// The cost of HA sync to the packet loop (issue 16: "CPU per packet with sync on vs off"), on the
// BUILT @sixgate/nat64 Translator + Nat64State and @sixgate/ha HaNode (`npx tsc -b packages/ha`
// first, or `npm run bench -- ha-packet`).
//
// Every case runs in its own Node process (no JIT feedback from another case), sync off and on
// alternate (off, on, on, off, …), ROUNDS rounds each; the figure is the median of this
// process's CPU time (user + system, process.cpuUsage) per translated packet.
//
// - sync on = the active's HaNode with a real connected standby in ANOTHER process (TLS-PSK on
//   loopback, bulk done): the hook copies into the ring, the flush timer frames the records and
//   writes them to the TLS socket, the sweep refreshes, acks come back — all of that on the
//   packet loop's thread and counted; the standby's work is not (it is another machine's).
// - established: UDP 6→4 packets of 10 000 existing flows, round robin, paced at 100 kpps for
//   3 s (1 ms timer ticks): no hook call per packet; sync costs the sweep and the heartbeats.
// - new sessions: every packet a new UDP flow (binding + session), paced at 20 k/s for 3 s —
//   a rate the standby keeps up with on this machine (no drops; checked). HA_BENCH_NEW_RATE
//   sets another rate.
// - new sessions, unpaced, hook into a ring only (no link): the hook's own cost per new session,
//   the ring drained once per 4096-packet batch (what issue 16's earlier "0.6–2.7 µs" was about).
//
// The clock is read once per batch (as the daemon does per TUN read); the translator shares its
// time cell with the state.
//
// Usage: node test/bench/ha-packet-cost.mjs [rounds=5] [case,case…]
//   NAT64_DIST=<dir of a built nat64 dist>, HA_DIST=<dir of a built ha dist>: another build of
//   the state or of the ha room (before/after a change; the copy must sit under this checkout's
//   node_modules, e.g. node_modules/.cache/, so its own imports resolve).
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { setFlow6, udp6 } from './lib/packets.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), '../..');
const load = (p) => import(pathToFileURL(p.startsWith('/') ? p : join(ROOT, p)).href);
const NAT64 = process.env.NAT64_DIST ? join(process.env.NAT64_DIST, 'index.js') : 'packages/nat64/dist/index.js';
const HA = process.env.HA_DIST ? join(process.env.HA_DIST, 'index.js') : 'packages/ha/dist/index.js';

const PREFIX = parseNat64Prefix('64:ff9b:1::/96');
const POOL = parseIpv4Cidr('198.51.100.0/24');
const SERVER4 = parseIpv4('192.0.2.33');
const CLIENT6 = parseIpv6('2001:db8::2');
const KEY = Buffer.alloc(32, 0x5a);
const quiet = { info() {}, warn() {}, error() {} };
const host = { configVersion: () => 1, currentConfig: () => ({ version: 1, config: {}, summary: '' }), applyPeerConfig: async () => {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stateOf(clock) {
  const { Nat64State, defaultStateOptions } = await load(NAT64);
  return new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000, portSecret: new Uint8Array(8).fill(5) }), clock);
}

// ---- the standby, in its own process -------------------------------------------------
if (process.argv[2] === 'peer') {
  const { HaNode } = await load(HA);
  const st = await stateOf({ now: () => performance.now() });
  const standby = new HaNode({ nodeId: 'standby', listen: { host: '127.0.0.2', port: 0 }, peer: { host: '127.0.0.1', port: 1 }, key: KEY, host, log: quiet, queueRecords: 65_536 });
  await standby.start();
  standby.attach(st);
  process.stdout.write(`listening ${standby.listeningPort()}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  await new Promise(() => {});
}

// ---- one case, one variant (child) -----------------------------------------------------
async function child(caseName, variant) {
  const { HEADROOM, OUT_BUFFER_SIZE, Policy, Translator } = await load(NAT64);
  const { HaNode, SyncQueue } = await load(HA);
  let NOW = performance.now();
  const clock = { now: () => NOW };
  const state = await stateOf(clock);
  const tr = new Translator({ prefix: PREFIX, pool4: [POOL] }, state, new Policy([]), clock);
  const out = new Uint8Array(OUT_BUFFER_SIZE);
  const buf = new Uint8Array(HEADROOM + 200);
  const p6 = udp6(PREFIX, CLIENT6, SERVER4, 64, 1);
  let bad = 0;
  /** Packet of flow `f` (client 2001:db8::<f / 60000>, port 1024 + f % 60000). */
  const send = (f) => {
    buf.set(p6, HEADROOM);
    setFlow6(buf, HEADROOM, (f / 60_000) | 0, 1024 + (f % 60_000));
    const r = tr.translate(buf, HEADROOM, p6.length, out, 0);
    if (r.kind !== 'forward') {
      if (bad++ === 0 && process.env.HA_BENCH_DEBUG) console.error(r);
    }
  };

  let peer;
  let port;
  let active;
  // 'peer-only' (diagnostic): the standby process runs, but this process has no HaNode — what a
  // second busy process on the shared cores costs, apart from sync.
  if ((variant === 'on' || variant === 'peer-only') && caseName !== 'hook-only') {
    peer = spawn(process.execPath, [SELF, 'peer'], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
    port = await new Promise((res, rej) => {
      let o = '';
      peer.stdout.on('data', (d) => {
        o += d;
        const m = /listening (\d+)/.exec(o);
        if (m) res(Number(m[1]));
      });
      peer.on('exit', (c) => rej(new Error(`peer exited ${c}`)));
    });
  }
  if (variant === 'on' && caseName !== 'hook-only') {
    active = new HaNode({ nodeId: 'active', listen: { host: '127.0.0.1', port: 1 }, peer: { host: '127.0.0.2', port }, key: KEY, host, log: quiet, queueRecords: 65_536 });
    active.attach(state);
    active.notify('MASTER');
    await active.start();
  }
  let q;
  if (variant === 'on' && caseName === 'hook-only') {
    q = new SyncQueue(65_536);
    state.onSync = (op, s) => q.push(state, op, s);
  }
  const linkUp = async () => {
    if (active === undefined) return;
    const t = Date.now();
    while (!(active.status().peer.state === 'connected' && active.status().sync.bulkTransfersSent >= 1 && active.status().sync.lagEntries === 0)) {
      if (Date.now() - t > 20_000) throw new Error(`sync link not up: ${JSON.stringify(active.status())}`);
      await sleep(20);
    }
  };

  let packets = 0;
  let cpu;
  let wallMs;
  if (caseName === 'hook-only') {
    // Unpaced new sessions; the ring drained per batch.
    for (let i = 0; i < 50_000; i++) send(i); // warm-up
    q?.consume(q.length);
    let f = 100_000;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let b = 0; b < 100; b++) {
      for (let i = 0; i < 4096; i++) send(f++);
      NOW = performance.now();
      q?.consume(q.length);
    }
    cpu = process.cpuUsage(c0);
    wallMs = performance.now() - t0;
    packets = 100 * 4096;
  } else {
    const established = caseName === 'established';
    const FLOWS = 10_000;
    const rate = established ? 100_000 : Number(process.env.HA_BENCH_NEW_RATE ?? 20_000);
    let f = established ? 0 : 1_000_000;
    if (established) for (let i = 0; i < FLOWS; i++) send(i);
    await linkUp(); // the bulk of the established flows is done before the clock starts
    // Warm-up at the measured rate for 1 s, then 3 s measured.
    for (const [seconds, measured] of [[1, false], [3, true]]) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let n = 0;
      for (;;) {
        const now = performance.now();
        if (now - t0 >= seconds * 1000) break;
        NOW = now;
        const due = Math.floor(((now - t0) / 1000) * rate);
        for (; n < due; n++) send(established ? n % FLOWS : f++);
        await sleep(1);
      }
      await sleep(100); // the tail: the last flush and its ack
      if (measured) {
        cpu = process.cpuUsage(c0);
        wallMs = performance.now() - t0;
        packets = n;
      }
    }
  }
  const st = active?.status();
  const res = {
    case: caseName,
    variant,
    packets,
    bad,
    cpuNsPerPacket: ((cpu.user + cpu.system) * 1000) / packets,
    wallMs,
    drops: st?.sync.queueDrops ?? 0,
    bulks: st?.sync.bulkTransfersSent ?? 0,
    sessions: state.stats().sessions.total,
  };
  if (active !== undefined) {
    await active.stop();
  }
  if (peer !== undefined) {
    peer.stdin.end();
    peer.kill();
  }
  return res;
}

if (process.argv[2] === 'child') {
  console.log(JSON.stringify(await child(process.argv[3], process.argv[4])));
  process.exit(0);
}

// ---- orchestration ---------------------------------------------------------------------
const ROUNDS = Number(process.argv[2] ?? 5);
const CASES = process.argv[3] ? process.argv[3].split(',') : ['established', 'new', 'hook-only'];
const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
const runs = {};
for (const c of CASES) {
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const p = spawnSync(process.execPath, [SELF, 'child', c, v], { encoding: 'utf8', timeout: 120_000, env: process.env });
      if (p.status !== 0) throw new Error(`${c} ${v} failed: ${p.stderr}`);
      const res = JSON.parse(p.stdout.trim().split('\n').pop());
      if (res.bad !== 0) throw new Error(`${c} ${v}: ${res.bad} packets not forwarded`);
      (runs[`${c} ${v}`] ??= []).push(res);
    }
  }
}
const load1 = loadavg().map((l) => l.toFixed(2)).join(' ');
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`HA sync cost to the packet loop, node ${process.version}, ${ROUNDS} rounds alternating, one process per run${process.env.NAT64_DIST ? `, nat64 from ${process.env.NAT64_DIST}` : ''}${process.env.HA_DIST ? `, ha from ${process.env.HA_DIST}` : ''}; load average before ${load0}, after ${load1}`);
console.log(`${'case'.padEnd(52)}${'off ns/pkt'.padStart(11)}${'on ns/pkt'.padStart(11)}${'on − off'.padStart(10)}   (median; all rounds off | on)  drops`);
const label = { established: 'established UDP, 10 k flows, 100 kpps', new: `new UDP sessions, ${Number(process.env.HA_BENCH_NEW_RATE ?? 20_000) / 1000} k/s (standby keeps up)`, 'hook-only': 'new UDP sessions, unpaced, hook → ring only' };
for (const c of CASES) {
  const off = runs[`${c} off`].map((x) => x.cpuNsPerPacket);
  const on = runs[`${c} on`].map((x) => x.cpuNsPerPacket);
  const drops = runs[`${c} on`].reduce((a, x) => a + x.drops, 0);
  console.log(`${label[c].padEnd(52)}${med(off).toFixed(0).padStart(11)}${med(on).toFixed(0).padStart(11)}${(med(on) - med(off)).toFixed(0).padStart(10)}   (${off.map((x) => x.toFixed(0)).join(' ')} | ${on.map((x) => x.toFixed(0)).join(' ')})  ${drops}`);
}
