#!/usr/bin/env node
// NAT64 translator core benchmark, in process (no TUN): the BUILT
// @sixgate/nat64 Translator over the real Nat64State, one core.
//
// Measures packets/s of established UDP 6→4 and 4→6 at 64 and 1400 bytes
// (IPv4 size; the IPv6 packet is 20 bytes bigger), and new sessions/s (every
// packet a new client port, so each one creates a binding and a session).
// The packet is copied into the receive buffer before every translation, as
// a TUN read would put it there (translation is in place). Prints a table.
//
// Each case runs in its own Node process so one case's JIT feedback
// (other clocks, other StateApi classes) cannot slow the next one down.
//
// Usage: npx tsc -b packages/nat64 && node test/bench/nat64-core.mjs [seconds=2] [case]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { HEADROOM, Nat64State, OUT_BUFFER_SIZE, Policy, Translator, defaultStateOptions } from '@sixgate/nat64';
import { finish, pseudoHeaderSum4, sum } from '@sixgate/wire';
import { put16, setFlow6, udp6 } from './lib/packets.mjs';

const SECONDS = Number(process.argv[2] ?? 2);
const PREFIX = parseNat64Prefix('64:ff9b:1::/96');
const POOL = parseIpv4Cidr('198.51.100.0/24');
const CLIENT = parseIpv6('2001:db8::2');
const SERVER4 = parseIpv4('192.0.2.33');

// The daemon reads the time once per TUN batch; performance.now() per call
// costs ~150 ns, as much as a whole translation. `measure` advances NOW every
// 4096 packets (a batch). One case below uses performance.now() per call.
let NOW = performance.now();
const clock = { now: () => NOW };
const liveClock = { now: () => performance.now() };
// The daemon's policy object: with no rules the translator skips it entirely.
const noPolicy = new Policy([]);
// Ten deny rules none of which matches the benchmark's flow (203.0.113.x):
// with rules, the policy decides each new flow, established ones skip it.
const tenRules = () => new Policy(Array.from({ length: 10 }, (_, i) => ({ id: `deny-${i}`, action: 'deny', destination4: parseIpv4Cidr(`203.0.113.${i * 16}/28`) })));

function make(c = clock, policy = noPolicy) {
  const state = new Nat64State(defaultStateOptions([{ cidr: POOL }], { maxSessions: 2_000_000, maxSessionsPerClient: 2_000_000 }), c);
  const tr = new Translator({ prefix: PREFIX, pool4: [POOL] }, state, policy, c);
  return { state, tr };
}

const put32 = (b, o, v) => { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; };

/** IPv4/UDP packet (DF) of `size4` bytes from SERVER4#53 to pool4 addr#port. */
function udp4(size4, addr4, port4) {
  const b = new Uint8Array(size4);
  b[0] = 0x45;
  put16(b, 2, size4);
  put16(b, 4, 1);
  put16(b, 6, 0x4000); // DF, as PMTUD-doing senders set it: no IPv6 fragmentation
  b[8] = 64;
  b[9] = 17;
  put32(b, 12, SERVER4);
  put32(b, 16, addr4);
  put16(b, 10, finish(sum(b, 0, 20)));
  put16(b, 20, 53);
  put16(b, 22, port4);
  put16(b, 24, size4 - 20);
  for (let i = 28; i < size4; i++) b[i] = i & 0xff;
  put16(b, 26, finish(sum(b, 20, size4, pseudoHeaderSum4(b, 12, 16, 17, size4 - 20))));
  return b;
}

/**
 * Runs `step` in REPS rounds of SECONDS/REPS each; returns the best and the
 * median round in packets/s, by wall time and by this process's CPU time
 * (process.cpuUsage: on a shared machine the process is descheduled part of
 * the wall time; CPU time is what one core delivers while it runs us). Time
 * (NOW) advances every 4096 packets, as the daemon reads its clock once per
 * TUN batch.
 */
const REPS = 5;
function measure(step) {
  for (let i = 0; i < 50_000; i++) step(i); // warm-up (JIT)
  const wall = [];
  const cpu = [];
  let n = 0;
  for (let r = 0; r < REPS; r++) {
    let done = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + (SECONDS * 1000) / REPS;
    let t = t0;
    while (t < end) {
      for (let i = 0; i < 4096; i++) step(n + i);
      n += 4096;
      done += 4096;
      t = performance.now();
      NOW = t;
    }
    const c = process.cpuUsage(c0);
    wall.push(done / ((t - t0) / 1000));
    cpu.push(done / ((c.user + c.system) / 1e6));
  }
  const sorted = (a) => a.sort((x, y) => x - y);
  sorted(wall);
  sorted(cpu);
  return { best: wall[REPS - 1], median: wall[REPS >> 1], cpuBest: cpu[REPS - 1], cpuMedian: cpu[REPS >> 1] };
}

const out = new Uint8Array(OUT_BUFFER_SIZE);

/** Established UDP both ways at IPv4 size `size`; returns two result rows. */
function established(size, c, note, policy = noPolicy, only6to4 = false) {
  const { tr } = make(c, policy);
  const buf = new Uint8Array(HEADROOM + 1500 + 64);
  const p6 = udp6(PREFIX, CLIENT, SERVER4, size, 1212);
  buf.set(p6, HEADROOM);
  const first = tr.translate(buf, HEADROOM, p6.length, out, 0);
  if (first.kind !== 'forward') throw new Error(`setup 6→4 failed: ${first.kind} ${first.reason ?? ''}`);
  const addr4 = ((buf[first.offset + 12] << 24) | (buf[first.offset + 13] << 16) | (buf[first.offset + 14] << 8) | buf[first.offset + 15]) >>> 0;
  const port4 = (buf[first.offset + 20] << 8) | buf[first.offset + 21];
  let bad = 0;
  const a = measure(() => {
    buf.set(p6, HEADROOM);
    if (tr.translate(buf, HEADROOM, p6.length, out, 0).kind !== 'forward') bad++;
  });
  if (only6to4) {
    if (bad !== 0) throw new Error(`${bad} packets were not forwarded`);
    return [{ case: `UDP established 6→4, ${size} B IPv4${note}`, pps: a }];
  }
  const p4 = udp4(size, addr4, port4);
  const b = measure(() => {
    buf.set(p4, HEADROOM);
    if (tr.translate(buf, HEADROOM, p4.length, out, 0).kind !== 'forward') bad++;
  });
  if (bad !== 0) throw new Error(`${bad} packets were not forwarded`);
  return [
    { case: `UDP established 6→4, ${size} B IPv4${note}`, pps: a },
    { case: `UDP established 4→6, ${size} B IPv4${note}`, pps: b },
  ];
}

/** The translator alone: a StateApi stub answering from constants (translation cost without the tables). */
function alone() {
  const client = CLIENT;
  const stub = {
    outbound: () => 0, inbound: () => 0, addr4: () => 0xc6336401, addr4i: () => 0xc6336401 | 0, port4: () => 2000, port6: () => 1212,
    isPool4: (a) => a >>> 0 === 0xc6336401, copyAddr6: (_h, o, off) => { for (let i = 0; i < 16; i++) o[off + i] = client[i]; },
    findOutbound: () => -1, findInbound: () => -1, findBinding4: () => -1, flush: () => 0, tick: () => [],
  };
  const tr = new Translator({ prefix: PREFIX, pool4: [POOL] }, stub, noPolicy, clock);
  const buf = new Uint8Array(HEADROOM + 200);
  const p6 = udp6(PREFIX, CLIENT, SERVER4, 64, 1212);
  const p4 = udp4(64, 0xc6336401, 2000);
  const a = measure(() => { buf.set(p6, HEADROOM); tr.translate(buf, HEADROOM, p6.length, out, 0); });
  const b = measure(() => { buf.set(p4, HEADROOM); tr.translate(buf, HEADROOM, p4.length, out, 0); });
  return [{ case: 'translator alone (state stub), 6→4, 64 B', pps: a }, { case: 'translator alone (state stub), 4→6, 64 B', pps: b }];
}

/** New sessions: client port and a rotating client address byte change per packet. */
function newSessions() {
  const { tr, state } = make();
  const buf = new Uint8Array(HEADROOM + 200);
  const p6 = udp6(PREFIX, CLIENT, SERVER4, 64, 1);
  let made = 0;
  let seq = 0;
  const r = measure(() => {
    const i = seq++;
    buf.set(p6, HEADROOM);
    setFlow6(buf, HEADROOM, (i / 65000) | 0, 1 + (i % 65000));
    if (tr.translate(buf, HEADROOM, p6.length, out, 0).kind === 'forward') made++;
  });
  const drops = Object.entries(tr.snapshot().drops).filter(([, v]) => v > 0);
  return [
    { case: 'new UDP sessions 6→4 (binding + session each)', pps: r },
    { case: `  (${state.stats().sessions.total} sessions at the end, ${made} forwarded${drops.length ? `, drops ${JSON.stringify(Object.fromEntries(drops))}` : ''})`, pps: null },
  ];
}

const CASES = {
  'udp-64': () => established(64, clock, ''),
  'udp-1400': () => established(1400, clock, ''),
  'udp-64-live-clock': () => established(64, liveClock, ' (performance.now per packet)'),
  'udp-64-rules': () => established(64, clock, ', 10 policy rules', tenRules(), true),
  alone,
  'new-sessions': newSessions,
};

const only = process.argv[3];
if (only !== undefined) {
  // Child: one case, results as one JSON line.
  console.log(JSON.stringify(CASES[only]()));
} else {
  const load0 = (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');
  const rows = [];
  for (const name of Object.keys(CASES)) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(SECONDS), name], { encoding: 'utf8', timeout: 10 * 60_000 });
    if (r.status !== 0) throw new Error(`case ${name} failed: ${r.stderr}`);
    rows.push(...JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const load = (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`nat64 core, node ${process.version}, ${SECONDS} s per case, one core, one process per case, load average before ${load0}, after ${load}`);
  console.log(`${'case'.padEnd(62)}${'wall best'.padEnd(11)}${'median'.padEnd(11)}${'CPU best'.padEnd(11)}median  (packets/s, ${REPS} rounds)`);
  const fmt = (v) => `${(v / 1e6).toFixed(2)} M`.padEnd(11);
  for (const r of rows) console.log(r.case.padEnd(62) + (r.pps === null ? '' : fmt(r.pps.best) + fmt(r.pps.median) + fmt(r.pps.cpuBest) + fmt(r.pps.cpuMedian)));
}
