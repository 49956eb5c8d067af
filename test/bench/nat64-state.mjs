#!/usr/bin/env node
// NAT64 state-table benchmark (in-process, no I/O): the BUILT @sixgate/nat64
// `Nat64State` (run `npx tsc -b packages/nat64` first, or `npm run bench -- nat64-state`).
//
// Measures, with a fake clock:
//   - new sessions/s while filling the table to SESSIONS (each flow a new binding:
//     the worst case for memory and for pool4 port selection);
//   - established-flow lookups/s: outbound() (6→4, finds binding + session and
//     refreshes the timer), inbound() (4→6) and the side-effect-free findInbound(),
//     in random order over the full table (memory-bound: ~4 dependent cache/TLB
//     misses per lookup), and on a small table (the code path with warm caches);
//   - heap bytes per session at SESSIONS (V8 heap + ArrayBuffers, after GC; run
//     node with --expose-gc for a trustworthy number);
//   - expiry: tick() removing every session.
//
// Usage: node --expose-gc test/bench/nat64-state.mjs [sessions=1000000] [lookups=5000000]
import { existsSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SESSIONS = Number(process.argv[2] ?? 1_000_000);
const LOOKUPS = Number(process.argv[3] ?? 5_000_000);
const CLIENTS = 4096;

async function load() {
  const main = join(ROOT, 'packages/nat64/dist/index.js');
  const direct = join(ROOT, 'packages/nat64/dist/state/index.js');
  if (!existsSync(direct)) throw new Error('packages/nat64/dist is missing: run `npx tsc -b packages/nat64` first');
  let mod = {};
  try {
    mod = await import(pathToFileURL(main).href);
  } catch {
    // The package entry may not build while the translator is in progress.
  }
  if (typeof mod.Nat64State !== 'function') mod = await import(pathToFileURL(direct).href);
  const addressing = await import(pathToFileURL(join(ROOT, 'packages/addressing/dist/index.js')).href);
  return { ...mod, parseIpv4Cidr: addressing.parseIpv4Cidr };
}

const gc = globalThis.gc ?? (() => {});
function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

// Rates use this process's CPU time (process.cpuUsage), not wall time, so a
// busy machine (other processes competing for the cores) does not distort
// them; wall time is printed alongside.
function clockStart() {
  return { cpu: process.cpuUsage(), wall: process.hrtime.bigint() };
}
function clockEnd(c) {
  const u = process.cpuUsage(c.cpu);
  return { cpuNs: (u.user + u.system) * 1000, wallNs: Number(process.hrtime.bigint() - c.wall) };
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

async function main() {
  const { Nat64State, defaultStateOptions, parseIpv4Cidr } = await load();
  if (globalThis.gc === undefined) console.warn('warning: run node with --expose-gc for the memory figure');
  // As in the daemon: now() returns a cached field (refreshed once per batch),
  // a fractional millisecond value like performance.now(), not a small integer.
  const clock = { t: performance.now(), now() { return this.t; } };

  // Inputs prepared before the baseline so they do not count as state memory.
  const addrs = new Uint8Array(CLIENTS * 16);
  for (let c = 0; c < CLIENTS; c++) {
    addrs.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, c >> 8, c & 0xff], c * 16);
  }
  const port6 = (i) => 1024 + ((i / CLIENTS) | 0);
  // Addresses as int32 (192.0.2.x is above 2^31: as uint32 V8 would box it at
  // every call; the state accepts both forms and uses int32 inside).
  const dst4 = (i) => 0xc0000200 | (i & 0xff);
  const dport = (i) => 443 + ((i >> 8) & 7);
  // Random flow order over all sessions (every lookup misses the CPU caches),
  // and over a hot set of HOT flows (the code path itself, caches warm).
  const HOT = 4096;
  const order = new Uint32Array(LOOKUPS);
  const hot = new Uint32Array(LOOKUPS);
  let x = 0x2545f491;
  for (let k = 0; k < LOOKUPS; k++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    order[k] = (x >>> 0) % SESSIONS;
    hot[k] = order[k] % HOT;
  }
  const v4a = new Int32Array(SESSIONS);
  const v4p = new Uint16Array(SESSIONS);

  const options = defaultStateOptions([{ cidr: parseIpv4Cidr('198.51.100.0/24') }], {
    maxSessions: SESSIONS + 1,
    maxSessionsPerClient: SESSIONS,
    portSecret: new Uint8Array(16).fill(1),
  });
  const base = memory();
  const st = new Nat64State(options, clock);

  // 1. New sessions (each a new binding).
  let c0 = clockStart();
  for (let i = 0; i < SESSIONS; i++) {
    const h = st.outbound(17, addrs, (i % CLIENTS) * 16, port6(i), dst4(i), dport(i), 0);
    if (h < 0) throw new Error(`outbound failed at ${i}: ${h}`);
  }
  const create = clockEnd(c0);
  const used = memory() - base;

  for (let i = 0; i < SESSIONS; i++) {
    const h = st.findOutbound(17, addrs, (i % CLIENTS) * 16, port6(i), dst4(i), dport(i));
    v4a[i] = st.addr4(h);
    v4p[i] = st.port4(h);
  }

  const empty = new Uint8Array(0);
  // 2. Established-flow lookups in random order (cache-unfriendly on purpose).
  const rows = [];
  const row = (name, n, t) => rows.push({ what: name, 'rate (CPU time)': `${fmt(n / (t.cpuNs / 1e9))}/s`, 'ns/op (CPU)': (t.cpuNs / n).toFixed(0), 'ns/op (wall)': (t.wallNs / n).toFixed(0) });
  row('new sessions (binding + session)', SESSIONS, create);
  // Garbage collections during a timed loop show allocation on the hot path.
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  const time = async (name, fn) => {
    fn(Math.min(LOOKUPS, 200_000)); // warm-up
    await new Promise((r) => setTimeout(r, 10)); // flush pending GC entries
    gcs = 0;
    const c = clockStart();
    const sink = fn(LOOKUPS);
    const t = clockEnd(c);
    await new Promise((r) => setTimeout(r, 10));
    if (sink < 0) throw new Error(`${name}: a lookup failed`);
    row(name, LOOKUPS, t);
    rows[rows.length - 1].GCs = gcs;
  };
  await time('outbound() established 6→4, random over all', (n) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const h = st.outbound(17, addrs, (i % CLIENTS) * 16, port6(i), dst4(i), dport(i), 0);
      if (h < 0) return -1;
      s = (s + h) & 0xfffffff;
    }
    return s;
  });
  await time('inbound() established 4→6, random over all', (n) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const h = st.inbound(17, dst4(i), dport(i), v4a[i], v4p[i], 0, empty);
      if (h < 0) return -1;
      s = (s + h) & 0xfffffff;
    }
    return s;
  });
  await time('findInbound() (no refresh), random over all', (n) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const h = st.findInbound(17, dst4(i), dport(i), v4a[i], v4p[i]);
      if (h < 0) return -1;
      s = (s + h) & 0xfffffff;
    }
    return s;
  });

  // 3. The same lookups on a table of only HOT flows: the cost of the code path
  //    when the working set fits in the caches and the TLB.
  const small = new Nat64State({ ...options, maxSessions: HOT + 1 }, clock);
  for (let i = 0; i < HOT; i++) small.outbound(17, addrs, (i % CLIENTS) * 16, port6(i), dst4(i), dport(i), 0);
  await time(`outbound() established, table of ${HOT} flows`, (n) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = hot[k];
      const h = small.outbound(17, addrs, (i % CLIENTS) * 16, port6(i), dst4(i), dport(i), 0);
      if (h < 0) return -1;
      s = (s + h) & 0xfffffff;
    }
    return s;
  });
  await time(`findOutbound(), table of ${HOT} flows`, (n) => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = hot[k];
      const h = small.findOutbound(17, addrs, (i % CLIENTS) * 16, port6(i), dst4(i), dport(i));
      if (h < 0) return -1;
      s = (s + h) & 0xfffffff;
    }
    return s;
  });

  // 4. Expiry of everything.
  clock.t += 301_000;
  c0 = clockStart();
  st.tick();
  row('tick() expiring all', SESSIONS, clockEnd(c0));
  if (st.stats().sessions.total !== 0) throw new Error('tick left sessions behind');

  const info = st.memory?.();
  console.log(`Nat64State, ${fmt(SESSIONS)} UDP sessions (${fmt(SESSIONS)} bindings, ${CLIENTS} clients), node ${process.version}`);
  obs.disconnect();
  console.table(rows);
  console.log(`heap per session at ${fmt(SESSIONS)}: ${(used / SESSIONS).toFixed(0)} bytes (V8 heap + ArrayBuffers after GC${globalThis.gc ? '' : ', NO --expose-gc'})`);
  if (info !== undefined) console.log(`table arrays: ${(info.tableBytes / SESSIONS).toFixed(0)} bytes per session`);
}

await main();
