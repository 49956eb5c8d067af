#!/usr/bin/env node
// Issue 14 numbers, in-process on the BUILT packages (npx tsc -b first), fake clocks:
//   1. ICMP error bound: a flood of TTL=1 IPv4 packets, errors sent vs the configured buckets;
//   2. adversarial fill: packets/s on the structures an attacker can fill (held-SYN queue,
//      fragment hold, address-dependent filtering, a growing session index), full vs empty;
//   3. rebuild stall: a config change that rebuilds a table of SESSIONS sessions — the longest
//      carry-over chunk (what a packet can wait behind) and the old synchronous snapshot/restore.
// Usage: node --expose-gc test/bench/nat64-hardening.mjs [sessions=1000000]
// Rates are per CPU second of this process (process.cpuUsage), so a busy machine does not
// distort them; the durations in (3) are wall time (they are what a packet waits).
import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix, embedIpv4 } from '@sixgate/addressing';
import { Nat64State, Translator, defaultStateOptions, HEADROOM, OUT_BUFFER_SIZE } from '@sixgate/nat64';
import { finish, pseudoHeaderSum4, sum } from '@sixgate/wire';

const SESSIONS = Number(process.argv[2] ?? 1_000_000);
const PREFIX = parseNat64Prefix('64:ff9b:1::/96');
const POOL = parseIpv4Cidr('198.51.100.0/24');
const SERVER4 = parseIpv4('192.0.2.33');
const CLIENT = parseIpv6('2001:db8::2');
const noPolicy = { check: () => -1, rules: () => [] };

const put16 = (b, o, v) => { b[o] = v >>> 8; b[o + 1] = v & 0xff; };
const put32 = (b, o, v) => { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; };

function cpuRate(n, f) {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`);
function clockObj(t = 1_000_000) {
  const c = { t, now: () => c.t };
  return c;
}

// ---- 1. ICMP error bound ----------------------------------------------------------
function ttl1(src) {
  const b = new Uint8Array(HEADROOM + 64);
  const o = HEADROOM;
  b[o] = 0x45; put16(b, o + 2, 48); b[o + 8] = 1; b[o + 9] = 17;
  put32(b, o + 12, src); put32(b, o + 16, parseIpv4('198.51.100.1'));
  put16(b, o + 10, finish(sum(b, o, o + 20)));
  put16(b, o + 20, 4000); put16(b, o + 22, 1024); put16(b, o + 24, 28);
  put16(b, o + 26, finish(sum(b, o + 20, o + 48, pseudoHeaderSum4(b, o + 12, o + 16, 17, 28))));
  return b;
}
function icmpBound() {
  const c = clockObj();
  const st = new Nat64State(defaultStateOptions([{ cidr: POOL }]), c);
  const tr = new Translator({ prefix: PREFIX, pool4: [POOL] }, st, noPolicy, c);
  const out = new Uint8Array(OUT_BUFFER_SIZE);
  const N = 1_000_000;
  const SECONDS = 10;
  const one = ttl1(parseIpv4('203.0.113.9'));
  const work = new Uint8Array(one.length);
  let sentOne = 0;
  for (let i = 0; i < N; i++) {
    c.t += (SECONDS * 1000) / N;
    work.set(one);
    if (tr.translate(work, HEADROOM, 48, out, 0).kind === 'reply') sentOne++;
  }
  // Spoofed sources from 4096 different /24s: the global bucket bounds them.
  const c2 = clockObj();
  const tr2 = new Translator({ prefix: PREFIX, pool4: [POOL] }, new Nat64State(defaultStateOptions([{ cidr: POOL }]), c2), noPolicy, c2);
  let sentMany = 0;
  const pk = [];
  for (let i = 0; i < 4096; i++) pk.push(ttl1(((20 + (i >> 8)) << 24) | ((i & 255) << 16) | 0x0101));
  for (let i = 0; i < N; i++) {
    c2.t += (SECONDS * 1000) / N;
    work.set(pk[i & 4095]);
    if (tr2.translate(work, HEADROOM, 48, out, 0).kind === 'reply') sentMany++;
  }
  console.log(`\n1. ICMP error bound (defaults: 1000/s burst 200 global, 100/s burst 100 per /24 or /64), ${N / 1e6} M TTL=1 packets over ${SECONDS} s:`);
  console.log(`   one source /24: ${sentOne} errors sent (bound 100 + 100 × ${SECONDS} = ${100 + 100 * SECONDS}); ${N - sentOne} dropped as icmp-rate-limited`);
  console.log(`   4096 source /24s: ${sentMany} errors sent (bound 200 + 1000 × ${SECONDS} = ${200 + 1000 * SECONDS})`);
}

// ---- 2. adversarial fill -------------------------------------------------------------
function heldSyns() {
  const MAX = 1_000_000;
  const run = (fill) => {
    const c = clockObj();
    const st = new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxHeldSyns: MAX, maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000 }), c);
    const syn = new Uint8Array(40);
    for (let i = 0; i < fill; i++) st.inbound(6, (0xcb007100 + (i & 255)) | 0, 1024 + (i >>> 8), (0xc6336400 + (i % 200) + 1) | 0, 1024 + (i % 60000), 2, syn);
    const N = 500_000;
    // Unsolicited SYNs (held or refused as full) and IPv6 SYNs opening sessions (each looks for a held SYN).
    const r1 = cpuRate(N, () => { for (let i = 0; i < N; i++) st.inbound(6, (0xc0000200 + (i & 1023)) | 0, 40000 + (i >>> 10), (0xc6336401 + (i % 200)) | 0, 2000 + (i % 50000), 2, syn); });
    const r2 = cpuRate(N, () => { for (let i = 0; i < N; i++) st.outbound(6, CLIENT, 0, 1024 + (i % 60000), (0xc0000300 + (i >>> 16)) | 0, 80, 2); });
    return [r1, r2, st.memory().heldSyns];
  };
  const e = run(0);
  const f = run(MAX);
  console.log(`   held-SYN queue (maxHeldSyns 1 M): unsolicited SYNs/s empty ${fmt(e[0])}, full (${f[2]} held) ${fmt(f[0])}; new v6 TCP sessions/s empty ${fmt(e[1])}, full ${fmt(f[1])}`);
}

function frag6(id, second) {
  // UDP datagram of 600 bytes to prefix+SERVER4, fragment 1 (304 data bytes) or 2.
  const len = second ? 48 + 304 : 48 + 304;
  const b = new Uint8Array(HEADROOM + len);
  const o = HEADROOM;
  b[o] = 0x60; put16(b, o + 4, len - 40); b[o + 6] = 44; b[o + 7] = 64;
  b.set(CLIENT, o + 8); embedIpv4(PREFIX, SERVER4, b, o + 24);
  b[o + 40] = 17; put16(b, o + 42, second ? 304 | 0 : 1); put32(b, o + 44, id);
  if (second) put16(b, o + 42, 304 | 0);
  if (!second) {
    put16(b, o + 48, 1212); put16(b, o + 50, 53); put16(b, o + 52, 608); // checksum left as is (not verified 6→4)
  }
  return b;
}
function fragmentHold() {
  const run = (fill) => {
    const c = clockObj();
    const st = new Nat64State(defaultStateOptions([{ cidr: POOL }]), c);
    const tr = new Translator({ prefix: PREFIX, pool4: [POOL], heldFragments: 4096 }, st, noPolicy, c);
    const out = new Uint8Array(OUT_BUFFER_SIZE);
    const w = new Uint8Array(HEADROOM + 400);
    // The attacker's out-of-order fragments whose first fragment never comes.
    for (let i = 0; i < fill; i++) { w.set(frag6(0x10000 + i, true)); tr.translate(w, HEADROOM, 352, out, 0); }
    const N = 200_000;
    const f2 = frag6(0, true);
    const f1 = frag6(0, false);
    const rate = cpuRate(2 * N, () => {
      for (let i = 0; i < N; i++) {
        w.set(f2); put32(w, HEADROOM + 44, i); tr.translate(w, HEADROOM, 352, out, 0);
        w.set(f1); put32(w, HEADROOM + 44, i); tr.translate(w, HEADROOM, 352, out, 0);
      }
    });
    return rate;
  };
  const e = run(0);
  const f = run(4095);
  console.log(`   fragment hold (4096 slots): out-of-order pairs, packets/s with the hold empty ${fmt(e)}, with 4095 slots held by an attacker ${fmt(f)}`);
}

function filtering() {
  const run = (remotes) => {
    const c = clockObj();
    const st = new Nat64State(defaultStateOptions([{ cidr: POOL }], { addressDependentFiltering: true }), c);
    let h = -1;
    for (let i = 0; i < remotes; i++) h = st.outbound(17, CLIENT, 0, 1212, (0xcb007100 + i) | 0, 53, 0);
    const a4 = st.addr4(h) | 0;
    const p4 = st.port4(h);
    const N = 1_000_000;
    // Unknown remotes probing the binding: refused by filtering.
    return cpuRate(N, () => { for (let i = 0; i < N; i++) st.inbound(17, (0xc0000000 + (i & 0xffff)) | 0, 53, a4, p4, 0, new Uint8Array(0)); });
  };
  const e = run(1);
  const f = run(10_000);
  console.log(`   address-dependent filtering: refused packets/s to a binding with 1 session ${fmt(e)}, with 10 000 sessions ${fmt(f)}`);
}

function indexGrowth() {
  const c = clockObj();
  const st = new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000 }), c);
  let worst = 0;
  let worstAt = 0;
  const t0 = performance.now();
  for (let i = 0; i < SESSIONS; i++) {
    const a = performance.now();
    st.outbound(17, CLIENT, 0, 1024 + (i % 60000), (0xcb007100 + Math.floor(i / 60000)) | 0, 53, 0);
    const d = performance.now() - a;
    if (d > worst) { worst = d; worstAt = i; }
  }
  const total = performance.now() - t0;
  console.log(`   growing to ${SESSIONS} sessions (index grows incrementally): ${fmt(SESSIONS / (total / 1000))} new sessions/s wall, slowest single insert ${worst.toFixed(2)} ms (at session ${worstAt}; the record arrays still double in one copy)`);
  return st;
}

// ---- 3. rebuild stall ----------------------------------------------------------------
function rebuild(old) {
  const c = clockObj(2_000_000);
  // Old: snapshot + restore, synchronously (what apply.ts did).
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  let snap = old.snapshot();
  const t1 = performance.now();
  const fresh = new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000 }), c);
  const n = fresh.restore(snap);
  const t2 = performance.now();
  snap = null; // ~1 GB of JSON rows: let it go before measuring the carry-over
  globalThis.gc?.();
  const u = process.cpuUsage(u0);
  console.log(`\n3. rebuild of ${n} sessions: old synchronous snapshot ${(t1 - t0).toFixed(0)} ms + restore ${(t2 - t1).toFixed(0)} ms = ${(t2 - t0).toFixed(0)} ms wall (${((u.user + u.system) / 1000).toFixed(0)} ms CPU) without a packet translated`);
  // New: carry-over in CARRY_CHUNK steps with packets (batches of 64 established lookups) between them.
  const next = new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000 }), c);
  for (const chunk of [4096, 1024]) {
    const src = chunk === 4096 ? fresh : next;
    const dst = new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000 }), c);
    dst.carryFrom(src);
    let worst = 0;
    let worstCpu = 0;
    let worstBatch = 0;
    let steps = 0;
    let i = 0;
    const s0 = performance.now();
    for (;;) {
      const b0 = performance.now();
      for (let k = 0; k < 64; k++, i++) dst.outbound(17, CLIENT, 0, 1024 + ((i * 7919) % 60000), (0xcb007100 + ((i * 31) % Math.ceil(SESSIONS / 60000))) | 0, 53, 0);
      worstBatch = Math.max(worstBatch, performance.now() - b0);
      const a = performance.now();
      const cu = process.cpuUsage();
      const done = dst.carryStep(chunk);
      const cd = process.cpuUsage(cu);
      worst = Math.max(worst, performance.now() - a);
      worstCpu = Math.max(worstCpu, (cd.user + cd.system) / 1000);
      steps++;
      if (done) break;
    }
    const total = performance.now() - s0;
    console.log(`   carry-over, ${chunk} sessions per step: ${steps} steps in ${total.toFixed(0)} ms; longest step (a packet's worst extra wait) ${worst.toFixed(1)} ms wall, ${worstCpu.toFixed(1)} ms CPU; slowest batch of 64 packets during it ${worstBatch.toFixed(2)} ms; ${dst.stats().sessions.total} sessions after, verify ${dst.verify().length === 0 ? 'ok' : 'FAILED'}`);
    if (chunk === 4096) next.carryFrom(dst);
  }
}

async function main() {
  console.log(`nat64-hardening: node ${process.version}, ${SESSIONS} sessions; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (process.argv[3] !== 'rebuild') icmpBound();
  console.log('\n2. adversarial fill (packets/s per CPU second):');
  if (process.argv[3] !== 'rebuild') {
    heldSyns();
    fragmentHold();
    filtering();
  }
  const st = indexGrowth();
  rebuild(st);
}

await main();
