// The measurements of the data-path benchmark, each bounded in time: one UDP
// trial at a paced rate, the search for the highest rate delivered with < 1 %
// loss, CPU per packet at a fixed rate, and iperf3 TCP throughput. All traffic
// goes client (IPv6) → translator → server (IPv4, addressed as prefix+IPv4).
import { ADDR } from './netns.mjs';
import { cpuOf } from './translators.mjs';

export const UDP_PORT = 9000;
export const IPERF_PORT = 5201;
const LOSS_LIMIT = 0.01;

/** Starts the receiver in the server namespace and resolves once it is bound. */
function startReceiver(t, udpgen, maxSeconds) {
  const { net, server } = t.topo;
  const child = net.spawn(server, udpgen, ['recv', ADDR.server4, String(UDP_PORT), String(maxSeconds), '300']);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise((resolve) => child.on('exit', () => resolve(out)));
  const bound = new Promise((resolve, reject) => {
    const t0 = setTimeout(() => reject(new Error(`UDP receiver did not start: ${out}`)), 5000);
    child.stdout.on('data', () => { if (out.includes('ready')) { clearTimeout(t0); resolve(); } });
    child.on('exit', () => { clearTimeout(t0); reject(new Error(`UDP receiver exited: ${out}`)); });
  });
  return { bound, done };
}

const lastJson = (text, what) => {
  const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`no result from ${what}: ${text.trim()}`);
  return JSON.parse(line);
};

/**
 * Offers `rate` pps of 64-byte UDP payloads for `seconds` and counts what
 * arrives. CPU of the translator is read around the whole trial (until the
 * receiver has been idle for 300 ms, so queued packets are included).
 * `interleave`: the flows take turns per datagram instead of per burst.
 */
export async function udpTrial(t, udpgen, rate, seconds, flows, { interleave = false } = {}) {
  const rx = startReceiver(t, udpgen, seconds + 6);
  await rx.bound;
  const cpu0 = cpuOf(t.pid);
  const tx = await t.topo.net.execAsync(t.topo.client, udpgen, ['send', ADDR.server6, String(UDP_PORT), String(rate), String(seconds), String(flows), ...(interleave ? ['interleave'] : [])], { timeoutMs: (seconds + 5) * 1000 });
  const { sent, errors, elapsed } = lastJson(tx.stdout + tx.stderr, 'the UDP sender');
  const { received } = lastJson(await rx.done, 'the UDP receiver');
  const cpu1 = cpuOf(t.pid);
  const user = cpu1.user - cpu0.user;
  const sys = cpu1.sys - cpu0.sys;
  return {
    rate,
    sent,
    sendErrors: errors,
    elapsed,
    received,
    sentPps: sent / elapsed,
    deliveredPps: received / elapsed,
    loss: sent > 0 ? Math.max(0, 1 - received / sent) : 1,
    cpu: { user, sys },
    usPerPacket: received > 0 ? ((user + sys) * 1e6) / received : NaN,
  };
}

/** A trial passes when < 1 % is lost and the sender really offered ≥ 95 % of the rate. */
export const passes = (r) => r.loss < LOSS_LIMIT && r.sentPps >= 0.95 * r.rate;

/**
 * Highest delivered pps with < 1 % loss: doubles the rate from `start` until a
 * trial fails (at most `maxRate`), then bisects `bisections` times between
 * the last pass and the first failure. Returns the best passing trial and all trials.
 */
export async function searchMaxPps(t, udpgen, { start, maxRate, seconds, flows, bisections, log }) {
  const trials = [];
  const run = async (rate) => {
    const r = await udpTrial(t, udpgen, Math.round(rate), seconds, flows);
    trials.push(r);
    log(`  ${t.name.padEnd(7)} ${fmtK(r.rate)} offered → sent ${fmtK(r.sentPps)}, delivered ${fmtK(r.deliveredPps)}, loss ${(r.loss * 100).toFixed(2)} % ${passes(r) ? 'pass' : 'FAIL'}`);
    return passes(r);
  };
  let lo = 0;
  let hi = 0;
  for (let rate = start; rate <= maxRate; rate *= 2) {
    if (!(await run(rate))) { hi = rate; break; }
    lo = rate;
  }
  for (let i = 0; hi > 0 && i < bisections; i++) {
    const mid = lo === 0 ? hi / 2 : (lo + hi) / 2;
    if (await run(mid)) lo = mid; else hi = mid;
  }
  // Any trial under 1 % loss counts for the best, also one where the sender
  // fell short of its rate (then the result is a lower bound).
  const ok = trials.filter((r) => r.loss < LOSS_LIMIT);
  const best = ok.reduce((a, b) => (b.deliveredPps > (a?.deliveredPps ?? -1) ? b : a), undefined);
  const senderLimited = hi === 0 || trials.some((r) => r.loss < LOSS_LIMIT && !passes(r));
  return { best, trials, senderLimited };
}

/** iperf3 TCP from the client to prefix+server4 with `streams` parallel streams. */
export async function tcpRun(t, streams, seconds, { reverse = false } = {}) {
  const cpu0 = cpuOf(t.pid);
  const r = await t.topo.net.execAsync(t.topo.client, 'iperf3', ['-c', ADDR.server6, '-p', String(IPERF_PORT), '-t', String(seconds), '-P', String(streams), ...(reverse ? ['-R'] : []), '-J', '--connect-timeout', '3000'], { timeoutMs: (seconds + 10) * 1000 });
  const cpu1 = cpuOf(t.pid);
  let j;
  try { j = JSON.parse(r.stdout); } catch { throw new Error(`iperf3 gave no JSON (${r.code ?? r.signal}): ${r.stdout.slice(0, 400)}${r.stderr}`); }
  if (j.error) throw new Error(`iperf3 through ${t.name}: ${j.error}`);
  const cpuSec = cpu1.user - cpu0.user + cpu1.sys - cpu0.sys;
  return {
    streams,
    gbps: j.end.sum_received.bits_per_second / 1e9,
    retransmits: j.end.sum_sent.retransmits ?? 0,
    cpuPercent: (cpuSec / j.end.sum_received.seconds) * 100,
  };
}

/** CPU seconds per wall-clock second of an idle translator (timers, housekeeping). */
export async function idleCpu(t, seconds) {
  const c0 = cpuOf(t.pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = cpuOf(t.pid);
  return (c1.user - c0.user + c1.sys - c0.sys) / seconds;
}

export const fmtK = (pps) => `${(pps / 1000).toFixed(1)}k`;
