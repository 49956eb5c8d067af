#!/usr/bin/env node
// DNS64 benchmark: dnsperf against sixgate (the BUILT @sixgate/dns64, one
// Node process) and against Unbound (module-config "dns64 iterator", one
// thread), same prefix, both forwarding to the same nsd, in the same run, all
// on loopback addresses inside a throw-away namespace (sg-dns64-bench-<pid>).
//
// sixgate runs AS SHIPPED (the daemon's defaults: rate limiter on, 100 000
// cache entries, maxOutstanding 4096); only listen/upstreams/clients/prefix
// are set. Tuned variants are separate, labelled rows (SIXGATE_BENCH_VARIANTS).
//
// Rows, each with qps, p50, p99 and max latency and the server's CPU time per
// answer (/proc/<pid>/stat over the run; the load generators share the two
// vCPUs and dnsperf saturates before the servers on the cached rows, so qps
// there measures dnsperf, CPU per answer the engine), every server in the same
// round, the order rotated per round:
//   cached 1 addr      one synthesized AAAA asked over and over, dnsperf (-c 8 -q 400) from one address
//   cached 1000 addr   the same from 1 000 source addresses (test/bench/dns-sender.c, window 400)
//   uncached 1 addr    unique names under a wildcard (every query misses: AAAA + A upstream), dnsperf
//   uncached 1000 addr the same from 1 000 source addresses
//   uncached CNAME 1000 addr  the same, but every name a CNAME (wildcard) to a name with only an A record
//   uncached dual-stack 1000 addr  the same, but every name has a AAAA record (returned as it is, no synthesis)
//   uncached 5000/s    unique names at a fixed 5 000 queries/s (below both servers' saturation), one address
//   uncached 0.75× ub max unique names from 1 000 addresses at 75 % of the rate Unbound reached in the
//                      round's uncached 1000 addr row: the tail of both at the same high load
//
// Between two runs the bench settles (settle()): it waits until every UDP socket in the namespace
// has an empty receive and send queue (nsd, Unbound and sixgate listeners and upstream sockets), every
// sixgate process reports 0 upstream queries outstanding (stats over SIGUSR2), nsd, Unbound and the sixgate
// processes use no CPU for 300 ms, and then pauses 2.2 s more — so no run pays for the backlog of a
// saturating run before it (the fixed-rate row measures latency without queueing). The time each
// settle took is printed with the table.
//
// Usage (root; `npx tsc -b packages/dns64` first, or `npm run bench -- dns64`):
//   node test/bench/dns64.mjs [seconds=8] [uncachedQueries=60000] [rounds=1]
// With rounds > 1 a last table gives the median of each column and of the
// per-round ratios.
//
// Environment (for profiling and A/B runs):
//   SIXGATE_BENCH_ONLY=uncached|cached   run only the rows of that kind
//   SIXGATE_BENCH_ROW=5000/s              run only the rows whose label contains this
//   SIXGATE_BENCH_SOURCES=1000            source addresses of the many-address rows
//   SIXGATE_BENCH_RATE=5000               queries/s of the fixed-rate row (0: no such row)
//   SIXGATE_BENCH_VARIANTS=tuned,unbounded extra labelled sixgate rows: "tuned" = rate limiter off,
//                                         1 M cache entries, maxOutstanding 10 000 (the settings of the
//                                         earlier engine comparisons); "unbounded" = defaults with the
//                                         per-turn miss budget lifted (SIXGATE_DNS64_TURN_MISSES=1000000),
//                                         to show what the bound costs; "parallel" = defaults with
//                                         parallelA "always" (A asked with AAAA; "auto", as shipped,
//                                         asks after the AAAA answer here: the upstream is < 1 ms away);
//                                         "floor" = test/bench/dns-floor.c, a C server with the listener's
//                                         socket I/O and no DNS work (cached rows only): the least a
//                                         cached answer can cost through sockets
//   SIXGATE_BENCH_NODE_FLAGS="--trace-gc" extra node flags of the sixgate process(es)
//   SIXGATE_BENCH_DIST=<dist dir>         run this build as "sixgate" instead of packages/dns64/dist
//   SIXGATE_BENCH_BASELINE=<dist dir>     also run a second sixgate ("baseline", e.g. a copy
//                                         of packages/dns64/dist from before a change) in every
//                                         round, so before/after are compared in the same run
//   SIXGATE_BENCH_TRACE=1                 log the server-side time per query (onTrace; turns the
//                                         cache-hit fast path off) with the stats
//   SIXGATE_BENCH_KEEP=<dir>              keep dnsperf's per-query output there, and dns-sender's
//                                         per-answer "sent_us latency_us" lines (sender-<server>-….txt)
//   SIXGATE_BENCH_LOG=<file>              append the sixgate processes' stdout there (trace-gc, stats)
//   SIXGATE_BENCH_ALLOC_PROFILE=<prefix>   sample every allocation of the sixgate process(es), also the
//                                         garbage (<prefix>.<address>.heapprofile, for DevTools)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanEnv, removeNamespaceEtc, writeNamespaceEtc } from '../e2e/lib/hermetic.mjs';
import { cpuOf } from './lib/translators.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const DIST = join(resolve(process.env.SIXGATE_BENCH_DIST || join(ROOT, 'packages/dns64/dist')), 'index.js');
const SECONDS = Number(process.argv[2] ?? 8);
const UNCACHED = Number(process.argv[3] ?? 60_000);
const ROUNDS = Math.max(1, Number(process.argv[4] ?? 1));
const NS = `sg-dns64-bench-${process.pid}`;
const PREFIX = '64:ff9b:1::/96';
const NSD = '127.0.0.2';
const SIXGATE = '127.0.0.3';
const UNBOUND = '127.0.0.4';
const BASELINE = '127.0.0.5';
const TUNED = '127.0.0.6';
const UNBOUNDED = '127.0.0.7';
const PARALLEL = '127.0.0.8';
const FLOOR = '127.0.0.10';
const SOURCES = Number(process.env.SIXGATE_BENCH_SOURCES ?? 1000);
const RATE = Number(process.env.SIXGATE_BENCH_RATE ?? 5000);
const VARIANTS = (process.env.SIXGATE_BENCH_VARIANTS ?? '').split(',').filter(Boolean);
const ONLY = process.env.SIXGATE_BENCH_ONLY ?? '';
const ROW = process.env.SIXGATE_BENCH_ROW ?? '';
const NODE_FLAGS = (process.env.SIXGATE_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const TRACE = process.env.SIXGATE_BENCH_TRACE === '1';
const KEEP = process.env.SIXGATE_BENCH_KEEP || undefined;
const LOG = process.env.SIXGATE_BENCH_LOG || undefined;
const BASELINE_DIST = process.env.SIXGATE_BENCH_BASELINE ? join(resolve(process.env.SIXGATE_BENCH_BASELINE), 'index.js') : undefined;

const children = [];
const dir = mkdtempSync(join(tmpdir(), 'sg-dns64-bench-'));

function need(tool) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (apt-get install dnsperf nsd unbound)`);
}

/** Total CPU ticks (user + system) of the processes of the namespace. */
function nsCpuTicks() {
  const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
  let t = 0;
  for (const p of pids) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {
      // the process just exited
    }
  }
  return t;
}

/** Sum of the receive and send queues of every UDP socket in the namespace (ss -u, all states). */
function udpQueued() {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'ss', '-uanH'], { encoding: 'utf8' });
  let n = 0;
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3) n += Number(f[1]) + Number(f[2]);
  }
  return n;
}

/** A sixgate process's stats (SIGUSR2 makes it print them as one JSON line). */
function sixgateStats(child) {
  return new Promise((ok) => {
    let buf = '';
    const t = setTimeout(() => done(undefined), 2000);
    const onData = (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.startsWith('{') && l.includes('upstreamOutstanding'));
      if (line !== undefined) done(JSON.parse(line));
    };
    function done(v) {
      clearTimeout(t);
      child.stdout.off('data', onData);
      ok(v);
    }
    child.stdout.on('data', onData);
    child.kill('SIGUSR2');
  });
}

/**
 * Waits until the namespace is quiet (see the header): empty UDP queues, no sixgate upstream
 * query outstanding, no CPU used for 300 ms; at most `ms`. Returns the milliseconds it took.
 */
async function settle(procs, ms = 60_000) {
  const start = Date.now();
  let quiet = 0;
  let ticks = nsCpuTicks();
  while (Date.now() - start < ms) {
    await new Promise((r) => setTimeout(r, 100));
    const now = nsCpuTicks();
    let busy = now !== ticks || udpQueued() > 0;
    ticks = now;
    if (!busy) {
      // (Not with SIXGATE_BENCH_TRACE: its SIGUSR2 handler would empty the trace between runs.)
      for (const c of TRACE ? [] : procs) {
        const s = await sixgateStats(c);
        if (s === undefined || s.upstreamOutstanding > 0) busy = true;
      }
      // The stats round trip itself costs a little CPU: read the counter afresh.
      ticks = nsCpuTicks();
    }
    quiet = busy ? 0 : quiet + 1;
    if (quiet >= 3) return Date.now() - start;
  }
  console.error(`settle: still busy after ${ms} ms (queued ${udpQueued()}), going on`);
  return Date.now() - start;
}

function inNs(cmd, args, opts = {}) {
  const c = spawn('ip', ['netns', 'exec', NS, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: cleanEnv() });
  children.push(c);
  return c;
}

function waitLine(child, re, ms, what) {
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => fail(new Error(`timeout waiting for ${what}: ${err}`)), ms);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (re.test(out)) {
        clearTimeout(t);
        ok(out);
      }
    });
    child.on('exit', (c) => fail(new Error(`${what} exited (${c}): ${err}`)));
  });
}

async function waitDns(server, name, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = spawnSync('ip', ['netns', 'exec', NS, 'dig', `@${server}`, '+tries=1', '+time=1', 'AAAA', name], { encoding: 'utf8' });
    if (/status: NOERROR/.test(r.stdout) && /AAAA\s+64:ff9b/.test(r.stdout)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${server} did not answer ${name}`);
}

function startNsd() {
  writeFileSync(join(dir, 'example.org.zone'), `$ORIGIN example.org.
$TTL 3600
@ 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 900 604800 3600
@ IN NS ns1
ns1 IN A ${NSD}
v4only IN A 192.0.2.10
*.bench IN A 203.0.113.7
*.cdn.bench IN CNAME edge
*.dual.bench IN AAAA 2001:db8:d::7
*.dual.bench IN A 203.0.113.8
edge IN A 203.0.113.9
`);
  writeFileSync(join(dir, 'nsd.conf'), `server:
  ip-address: ${NSD}
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  username: ""
  logfile: "${dir}/nsd.log"
  server-count: 2
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.org
  zonefile: example.org.zone
`);
  inNs('nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
}

function startUnbound() {
  writeFileSync(join(dir, 'unbound.conf'), `server:
  interface: ${UNBOUND}
  access-control: 127.0.0.0/8 allow
  module-config: "dns64 iterator"
  dns64-prefix: ${PREFIX}
  num-threads: 1
  so-rcvbuf: 1m
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  verbosity: 0
  do-not-query-localhost: no
  qname-minimisation: no
  ratelimit: 0
  ip-ratelimit: 0
  msg-cache-size: 128m
  rrset-cache-size: 256m
forward-zone:
  name: "."
  forward-addr: ${NSD}
`);
  return inNs('unbound', ['-d', '-c', join(dir, 'unbound.conf')]);
}

/** CPU seconds a process has used so far, all its threads, user + system. */
function cpuSeconds(pid) {
  const c = cpuOf(pid);
  return c.user + c.sys;
}

/** The daemon's defaults (packages/config schema) where they differ from the library's. */
const SHIPPED = { maxOutstanding: 4096 };
const TUNED_OPTS = { rateLimit: { perSecond: 0, burst: 0, prefixPerSecond: 0, prefixBurst: 0 }, cache: { maxEntries: 1_000_000, maxBytes: 512 * 1024 * 1024 }, maxOutstanding: 10_000 };

async function startSixgate(dist = DIST, address = SIXGATE, extra = SHIPPED, env = {}) {
  const opts = { listen: [`${address}:53`], upstreams: [NSD], clients: ['127.0.0.0/8'], prefix: PREFIX, ...extra };
  const runner = `
    const { createDns64Server } = await import(${JSON.stringify(pathToFileURL(dist).href)});
    const srv = createDns64Server(${JSON.stringify(opts)});
    await srv.start();
    if (${JSON.stringify(TRACE)}) {
      // Server-side time of each query (parse to answer, upstream round trips included).
      const d = [];
      srv.onTrace = (t) => d.push(t.durationMs);
      process.on('SIGUSR2', () => {
        const s = d.splice(0).sort((a, b) => a - b);
        const at = (p) => s[Math.min(s.length - 1, Math.floor(s.length * p))]?.toFixed(3);
        console.log(\`server-side ms over \${s.length} queries: p50 \${at(0.5)} p90 \${at(0.9)} p99 \${at(0.99)} max \${at(1)}\`);
      });
    }
    const allocProfile = process.env.SIXGATE_BENCH_ALLOC_PROFILE;
    let stopProfile = async () => {};
    if (allocProfile) {
      // Every allocation sampled, also what the next scavenge collects (--heap-prof keeps only the survivors).
      const { Session } = await import('node:inspector/promises');
      const s = new Session();
      s.connect();
      await s.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
      stopProfile = async () => {
        const { profile } = await s.post('HeapProfiler.stopSampling');
        (await import('node:fs')).writeFileSync(\`\${allocProfile}.\${${JSON.stringify(address)}}.heapprofile\`, JSON.stringify(profile));
      };
    }
    console.log('ready');
    process.on('SIGUSR2', () => console.log(JSON.stringify(srv.stats())));
    process.on('SIGINT', () => stopProfile().finally(() => process.exit(0))); // a clean exit writes --cpu-prof/--heap-prof output
  `;
  const c = inNs(process.execPath, [...NODE_FLAGS, '--input-type=module', '-e', runner], { cwd: dir, env: { ...process.env, ...env } });
  if (LOG !== undefined) {
    // Whole lines only, each with its process's address (chunks end mid-line; processes interleave).
    let partial = '';
    c.stdout.on('data', (d) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      if (lines.length > 0) appendFileSync(LOG, lines.map((l) => `${address} ${l}\n`).join(''));
    });
  }
  await waitLine(c, /ready/, 15_000, 'sixgate');
  return c;
}

/** Runs dnsperf with -v and computes qps and latency percentiles from the per-query lines. */
function dnsperf(server, file, extra) {
  return dnsperfRun(server, file, extra);
}

/** test/bench/dns-sender.c from `sources` addresses 127.1.0.1…; same result shape as dnsperf. */
function sender(bin, server, mode, sources, extra) {
  const dump = KEEP === undefined ? [] : ['-D', join(KEEP, `sender-${server}-${mode}-${sources}-${Date.now()}.txt`)];
  const r = spawnSync('ip', ['netns', 'exec', NS, bin, '-s', server, '-b', '127.1.0.1', '-n', String(sources), '-m', mode, ...dump, ...extra], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`dns-sender failed: ${r.stderr}`);
  const f = Object.fromEntries(r.stdout.trim().split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  return { qps: f.qps, sent: f.sent, lost: f.lost, completed: f.sent - f.lost, noerror: f.noerror, tc: f.tc, p50: f.p50, p99: f.p99, max: f.max };
}

function dnsperfRun(server, file, extra) {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'dnsperf', '-s', server, '-d', file, '-c', '8', '-q', '400', '-T', '2', '-t', '2', '-v', ...extra], {
    encoding: 'utf8', maxBuffer: 1 << 30, timeout: 10 * 60_000,
  });
  if (r.status !== 0) throw new Error(`dnsperf failed: ${r.stderr}`);
  if (KEEP !== undefined) writeFileSync(join(KEEP, `dnsperf-${server}-${Date.now()}.txt`), r.stdout);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const sent = Number(/Queries sent:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const completed = Number(/Queries completed:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const lat = [];
  let noerror = 0;
  for (const line of r.stdout.split('\n')) {
    const m = /^> (\w+) .* ([\d.]+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'NOERROR') noerror++;
    lat.push(Number(m[2]));
  }
  lat.sort((a, b) => a - b);
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] * 1000 : NaN);
  return { qps, sent, lost, completed, noerror, tc: NaN, p50: pct(0.5), p99: pct(0.99), max: lat.length ? lat[lat.length - 1] * 1000 : NaN };
}

function fmt(n, d = 0) {
  return Number.isFinite(n) ? n.toFixed(d) : '-';
}

async function main() {
  for (const t of ['ip', 'dnsperf', 'nsd', 'unbound', 'dig', 'gcc']) need(t);
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespace)');
  spawnSync('npx', ['tsc', '-b', 'packages/dns64'], { cwd: ROOT, stdio: 'inherit' });
  const bin = join(dir, 'dns-sender');
  execFileSync('gcc', ['-O2', '-o', bin, join(HERE, 'dns-sender.c')]);
  // Hermetic: the namespace's own resolv.conf/hosts (never the host's resolver), made and removed with it.
  writeNamespaceEtc(NS);
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  for (const a of [NSD, SIXGATE, UNBOUND, BASELINE, TUNED, UNBOUNDED, PARALLEL, FLOOR]) execFileSync('ip', ['-n', NS, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
  startNsd();
  const unbound = startUnbound();
  const procs = [await startSixgate()];
  const servers = [['sixgate', SIXGATE], ['unbound', UNBOUND]];
  /** The process behind each server address (`ip netns exec` execs it: the child's pid is the server's). */
  const pidOf = { [SIXGATE]: procs[0].pid, [UNBOUND]: unbound.pid };
  if (BASELINE_DIST !== undefined) {
    procs.push(await startSixgate(BASELINE_DIST, BASELINE));
    pidOf[BASELINE] = procs.at(-1).pid;
    servers.push(['baseline', BASELINE]);
  }
  if (VARIANTS.includes('tuned')) {
    procs.push(await startSixgate(DIST, TUNED, TUNED_OPTS));
    pidOf[TUNED] = procs.at(-1).pid;
    servers.push(['sg-tuned', TUNED]);
  }
  if (VARIANTS.includes('unbounded')) {
    procs.push(await startSixgate(DIST, UNBOUNDED, SHIPPED, { SIXGATE_DNS64_TURN_MISSES: '1000000' }));
    pidOf[UNBOUNDED] = procs.at(-1).pid;
    servers.push(['sg-unbnd', UNBOUNDED]);
  }
  if (VARIANTS.includes('parallel')) {
    procs.push(await startSixgate(DIST, PARALLEL, { ...SHIPPED, parallelA: 'always' }));
    pidOf[PARALLEL] = procs.at(-1).pid;
    servers.push(['sg-par', PARALLEL]);
  }
  if (VARIANTS.includes('floor')) {
    // No DNS work at all, socket I/O as sixgate's listener does it: the cached rows' floor (dns-floor.c).
    const floorBin = join(dir, 'dns-floor');
    execFileSync('gcc', ['-O2', '-o', floorBin, join(HERE, 'dns-floor.c')]);
    const f = inNs(floorBin, ['-a', FLOOR]);
    await waitLine(f, /ready/, 5000, 'dns-floor');
    pidOf[FLOOR] = f.pid;
    servers.push(['floor', FLOOR]);
  }
  for (const [, a] of servers) await waitDns(a, 'v4only.example.org', 10_000);

  const cachedFile = join(dir, 'cached.txt');
  writeFileSync(cachedFile, 'v4only.example.org AAAA\n'.repeat(100));
  const uncachedFile = (tag) => {
    const f = join(dir, `uncached-${tag}.txt`);
    writeFileSync(f, Array.from({ length: UNCACHED }, (_, i) => `u${i}-${tag}.bench.example.org AAAA\n`).join(''));
    return f;
  };
  const scenarios = [
    ['cached', 'cached 1 addr', (srv) => dnsperf(srv, cachedFile, ['-l', String(SECONDS)])],
    ['cached', `cached ${SOURCES} addr`, (srv) => sender(bin, srv, 'cached', SOURCES, ['-l', String(SECONDS), '-w', '400'])],
    ['uncached', 'uncached 1 addr', (srv, tag) => dnsperf(srv, uncachedFile(tag), ['-n', '1', '-l', String(SECONDS * 4)])],
    ['uncached', `uncached ${SOURCES} addr`, (srv, tag) => sender(bin, srv, 'uncached', SOURCES, ['-t', tag, '-l', String(SECONDS), '-w', '400'])],
    // u<i>-<tag>.cdn.bench.example.org: a CNAME to edge.example.org (A only) in both upstream answers, as a CDN-hosted site.
    ['uncached', `uncached CNAME ${SOURCES} addr`, (srv, tag) => sender(bin, srv, 'uncached', SOURCES, ['-t', `${tag}.cdn`, '-l', String(SECONDS), '-w', '400'])],
    // u<i>-<tag>.dual.bench.example.org: a real AAAA, returned as it is (what parallelA costs: an A query nobody needs).
    ['uncached', `uncached dual-stack ${SOURCES} addr`, (srv, tag) => sender(bin, srv, 'uncached', SOURCES, ['-t', `${tag}.dual`, '-l', String(SECONDS), '-w', '400'])],
    ...(RATE > 0 ? [['uncached', `uncached ${RATE}/s`, (srv, tag) => sender(bin, srv, 'uncached', 1, ['-t', tag, '-l', String(SECONDS), '-Q', String(RATE), '-w', '4000'])]] : []),
    // The tail at equal load near saturation: both servers at 75 % of the rate Unbound reached in this
    // round's many-address row (at saturation the faster server also makes nsd and the load
    // generator busier on the shared vCPUs, which shows in its own latency).
    ['uncached', 'uncached 0.75× ub max', (srv, tag, results) => {
      const max = results[`uncached ${SOURCES} addr|unbound`]?.qps;
      if (!(max > 0)) throw new Error('the 0.75× row needs the uncached many-address row before it');
      return sender(bin, srv, 'uncached', SOURCES, ['-t', tag, '-l', String(SECONDS), '-Q', String(Math.round(0.75 * max)), '-w', '4000']);
    }],
  ].filter(([kind, label]) => (ONLY === '' || ONLY === kind) && (ROW === '' || label.includes(ROW)));
  const rounds = [];
  const settled = [];
  for (let round = 0; round < ROUNDS; round++) {
    const results = {};
    let k = 0;
    for (const [kind, label, run] of scenarios) {
      // Rotate who goes first, per row and per round (other load on the machine drifts).
      const shift = (round + k++) % servers.length;
      const order = [...servers.slice(shift), ...servers.slice(0, shift)];
      for (const [name, server] of order) {
        // The floor answers every name alike: only the cached rows mean anything for it.
        if (name === 'floor' && kind !== 'cached') continue;
        settled.push(await settle(procs));
        // A pause longer than the rate limiter's activity window: the sources of the previous
        // row must not count as "other clients asking" (exemptLoneClient) in this one.
        await new Promise((r) => setTimeout(r, 2200));
        // The server's CPU time over the run: the load generator shares the two vCPUs and can be
        // the bottleneck (dnsperf on the cached rows), so CPU per answer is the engines' measure.
        const cpu0 = cpuSeconds(pidOf[server]);
        const r = run(server, `${name}-${round}-${k}-${process.pid}`, results);
        r.cpuUs = ((cpuSeconds(pidOf[server]) - cpu0) * 1e6) / r.completed;
        results[`${label}|${name}`] = r;
      }
    }
    rounds.push(results);
    printTable(`round ${round + 1} of ${ROUNDS}`, scenarios.map(([, l]) => l), servers.map(([n]) => n), results);
    console.log(`settle before each run (ms): ${settled.splice(0).join(' ')}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  }
  for (const c of procs) c.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  for (const c of procs) c.kill('SIGINT');
  await new Promise((r) => setTimeout(r, process.env.SIXGATE_BENCH_ALLOC_PROFILE ? 15_000 : 1000));
  if (ROUNDS > 1) printMedians(scenarios.map(([, l]) => l), servers.map(([n]) => n), rounds);
}

function printTable(title, labels, names, results) {
  console.log(`\nDNS64 benchmark, ${title} (${SECONDS}s runs, ${UNCACHED} unique names per uncached dnsperf run; loopback, one namespace; sixgate as shipped${VARIANTS.length ? `; variants: ${VARIANTS.join(', ')}` : ''})`);
  console.log('| row | server | qps | p50 ms | p99 ms | max ms | lost | TC | CPU µs/answer | answers/s per core |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const l of labels) {
    for (const n of names) {
      const r = results[`${l}|${n}`];
      if (r === undefined) continue; // the floor on an uncached row
      console.log(`| ${l} | ${n} | ${fmt(r.qps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 1)} | ${fmt(r.lost)} | ${fmt(r.tc)} | ${fmt(r.cpuUs, 2)} | ${fmt(1e6 / r.cpuUs)} |`);
    }
    const s = results[`${l}|sixgate`];
    const u = results[`${l}|unbound`];
    console.log(`| ${l} | ratio sg/ub | ${fmt(s.qps / u.qps, 2)} | ${fmt(s.p50 / u.p50, 2)} | ${fmt(s.p99 / u.p99, 2)} | ${fmt(s.max / u.max, 2)} | | | ${fmt(s.cpuUs / u.cpuUs, 2)} | ${fmt(u.cpuUs / s.cpuUs, 2)} |`);
  }
}

function median(xs) {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 === 1 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
}

/** Medians over the rounds: each server's columns, and the median of the per-round ratios (not the ratio of the medians). */
function printMedians(labels, names, rounds) {
  console.log(`\nDNS64 benchmark, median of ${rounds.length} rounds`);
  console.log('| row | server | qps | p50 ms | p99 ms | max ms | CPU µs/answer |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const keys = ['qps', 'p50', 'p99', 'max', 'cpuUs'];
  for (const l of labels) {
    for (const n of names) {
      if (rounds.some((r) => r[`${l}|${n}`] === undefined)) continue;
      const cells = keys.map((k) => fmt(median(rounds.map((r) => r[`${l}|${n}`][k])), k === 'qps' ? 0 : 2));
      console.log(`| ${l} | ${n} | ${cells.join(' | ')} |`);
    }
    const ratios = keys.map((k) => fmt(median(rounds.map((r) => r[`${l}|sixgate`][k] / r[`${l}|unbound`][k])), 2));
    console.log(`| ${l} | ratio sg/ub (median of rounds) | ${ratios.join(' | ')} |`);
  }
}

/** Kills what the run started and removes its namespace and files (also when it is interrupted). */
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
  for (const p of pids) spawnSync('kill', ['-9', p]);
  spawnSync('ip', ['netns', 'delete', NS]);
  removeNamespaceEtc(NS);
  rmSync(dir, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.error(`${sig}: stopping, removing ${NS}`);
    cleanup();
    process.exit(130);
  });
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  code = 1;
} finally {
  await new Promise((r) => setTimeout(r, 200));
  cleanup();
}
process.exit(code);
