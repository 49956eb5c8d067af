// Where sixgate's time goes: restarts `sixgate run` under `node --cpu-prof`,
// offers a fixed UDP rate, stops it (SIGTERM → clean exit writes the profile)
// and prints the functions with the most self time. When `perf` is installed
// it also samples the process (kernel + user) during a second load run and
// prints the hottest symbols, which shows the system-call side.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { sh } from './netns.mjs';
import { startSixgate } from './translators.mjs';
import { udpTrial } from './measure.mjs';

const frameKey = (cf) => (cf.url ? `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : cf.functionName);

/**
 * Self time per function (µs) from a .cpuprofile, hottest first, split into
 * samples under the packet loop (PacketLoop.pump: the data path) and the rest
 * (start-up, API, timers, GC outside the loop).
 */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inLoop = (id) => {
    for (let cur = id, depth = 0; cur !== undefined && depth < 200; cur = parent.get(cur), depth++) {
      const cf = byId.get(cur).callFrame;
      if (cf.functionName.endsWith('pump') && cf.url.includes('packet-loop')) return true;
    }
    return false;
  };
  const loop = new Map();
  const rest = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const key = frameKey(byId.get(id).callFrame);
    const m = inLoop(id) ? loop : rest;
    m.set(key, (m.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { loop: sorted(loop), rest: sorted(rest).filter(([k]) => k !== '(idle)') };
}

const shortUrl = (url) => {
  const m = /packages\/([^/]+)\/dist\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : basename(url);
};

const sum = (rows) => rows.reduce((s, [, v]) => s + v, 0);

function printTop({ loop, rest }, log, n = 15) {
  const total = sum(loop) + sum(rest);
  const pctOf = (v) => `${((v / total) * 100).toFixed(1).padStart(5)} %`;
  log(`  busy: ${(total / 1000).toFixed(0)} ms; packet loop (PacketLoop.pump and below): ${pctOf(sum(loop)).trim()}; everything else: ${pctOf(sum(rest)).trim()}`);
  log('  packet loop, self time by function (% of busy):');
  for (const [k, v] of loop.slice(0, n)) log(`  ${pctOf(v)}  ${k}`);
  log('  outside the loop, top 5:');
  for (const [k, v] of rest.slice(0, 5)) log(`  ${pctOf(v)}  ${k}`);
}

/** Samples `pid` with perf for `seconds` while `load()` runs; prints the top symbols. */
async function perfTop(pid, load, log) {
  if (sh('perf', ['--version'], { allowFail: true }).code !== 0) {
    log('  (perf not installed: no kernel-side profile)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-perf-'));
  try {
    const data = join(dir, 'perf.data');
    const { spawn } = await import('node:child_process');
    const rec = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-o', data, '-p', String(pid), '--', 'sleep', '3'], { stdio: 'ignore' });
    const done = new Promise((r) => rec.on('exit', r));
    const killer = setTimeout(() => rec.kill('SIGKILL'), 15_000);
    await load();
    await done;
    clearTimeout(killer);
    const rep = sh('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'dso,sym', '--percent-limit', '1.5'], { allowFail: true, timeoutMs: 60_000 });
    const lines = rep.stdout.split('\n').filter((l) => /^\s+\d/.test(l)).slice(0, 15);
    log('  perf (self, by dso/symbol):');
    for (const l of lines) log(`  ${l.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the profiling pass: perf on the `running` sixgate, which is then
 * stopped and restarted under --cpu-prof for a second load run. Returns the
 * restarted instance (already stopped) for the caller's cleanup.
 */
export async function profileSixgate({ running, topo, stateDir, udpgen, rate, seconds, flows, log }) {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-prof-'));
  try {
    log(`\nprofile: perf on sixgate at ${rate / 1000} kpps`);
    await perfTop(running.pid, () => udpTrial(running, udpgen, rate, 3, flows), log);
    await running.stop();
    const sg = await startSixgate(topo, stateDir, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200']);
    log(`profile: sixgate under node --cpu-prof at ${rate / 1000} kpps for ${seconds} s`);
    const r = await udpTrial(sg, udpgen, rate, seconds, flows);
    log(`  delivered ${(r.deliveredPps / 1000).toFixed(1)}k pps, ${r.usPerPacket.toFixed(2)} µs/packet (profiler on)`);
    const code = await sg.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      log(`  no .cpuprofile written (sixgate exit ${code})`);
      return sg;
    }
    printTop(selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8'))), log);
    return sg;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
