#!/usr/bin/env node
// DNS64 benchmark: dnsperf against sixgate (the BUILT @sixgate/dns64, one
// Node process) and against Unbound (module-config "dns64 iterator", one
// thread), same prefix, both forwarding to the same nsd, in the same run, all
// on loopback addresses inside a throw-away namespace (sg-dns64-bench-<pid>).
//
// Measures: cached synthesized AAAA qps (one name asked over and over),
// uncached qps (unique names under a wildcard: every query misses the cache
// and costs an AAAA + A upstream lookup), p50/p99 latency of each, and the
// sixgate/Unbound ratios. Prints a table.
//
// Usage (root; `npx tsc -b packages/dns64` first, or `npm run bench -- dns64`):
//   node test/bench/dns64.mjs [seconds=8] [uncachedQueries=60000] [rounds=1]
// With rounds > 1 the servers take turns going first (other load on the
// machine drifts) and a last table gives the median of each column and of
// the per-round ratios.
//
// Environment (for profiling and A/B runs):
//   SIXGATE_BENCH_ONLY=uncached|cached   run only that half
//   SIXGATE_BENCH_NODE_FLAGS="--trace-gc" extra node flags of the sixgate process(es)
//   SIXGATE_BENCH_DIST=<dist dir>         run this build as "sixgate" instead of packages/dns64/dist
//   SIXGATE_BENCH_BASELINE=<dist dir>     also run a second sixgate ("baseline", e.g. a copy
//                                         of packages/dns64/dist from before a change) in every
//                                         round, so before/after are compared in the same run
//   SIXGATE_BENCH_TRACE=1                 log the server-side time per query (onTrace; turns the
//                                         cache-hit fast path off) with the stats
//   SIXGATE_BENCH_KEEP=<dir>              keep dnsperf's per-query output there
//   SIXGATE_BENCH_LOG=<file>              append the sixgate processes' stdout there (trace-gc, stats)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanEnv, removeNamespaceEtc, writeNamespaceEtc } from '../e2e/lib/hermetic.mjs';

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
const ONLY = process.env.SIXGATE_BENCH_ONLY ?? '';
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
  inNs('unbound', ['-d', '-c', join(dir, 'unbound.conf')]);
}

async function startSixgate(dist = DIST, address = SIXGATE) {
  const opts = {
    listen: [`${address}:53`], upstreams: [NSD], clients: ['127.0.0.0/8'], prefix: PREFIX,
    rateLimit: { perSecond: 0, burst: 0 }, cache: { maxEntries: 1_000_000, maxBytes: 512 * 1024 * 1024 }, maxOutstanding: 10_000,
  };
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
        const at = (p) => s[Math.min(s.length - 1, Math.floor(s.length * p))]?.toFixed(1);
        console.log(\`server-side ms over \${s.length} queries: p50 \${at(0.5)} p90 \${at(0.9)} p99 \${at(0.99)} max \${at(1)}\`);
      });
    }
    console.log('ready');
    process.on('SIGUSR2', () => console.log(JSON.stringify(srv.stats())));
    process.on('SIGINT', () => process.exit(0)); // a clean exit writes --cpu-prof/--heap-prof output
  `;
  const c = inNs(process.execPath, [...NODE_FLAGS, '--input-type=module', '-e', runner], { cwd: dir });
  if (LOG !== undefined) c.stdout.on('data', (d) => appendFileSync(LOG, d.toString().replace(/^/gm, `${address} `)));
  await waitLine(c, /ready/, 15_000, 'sixgate');
  return c;
}

/** Runs dnsperf with -v and computes qps and latency percentiles from the per-query lines. */
function dnsperf(server, file, extra) {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'dnsperf', '-s', server, '-d', file, '-c', '8', '-q', '400', '-T', '2', '-t', '2', '-v', ...extra], {
    encoding: 'utf8', maxBuffer: 1 << 30, timeout: 10 * 60_000,
  });
  if (r.status !== 0) throw new Error(`dnsperf failed: ${r.stderr}`);
  if (KEEP !== undefined) writeFileSync(join(KEEP, `dnsperf-${server}-${Date.now()}.txt`), r.stdout);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const sent = Number(/Queries sent:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
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
  return { qps, sent, lost, noerror, p50: pct(0.5), p99: pct(0.99) };
}

function fmt(n, d = 0) {
  return Number.isFinite(n) ? n.toFixed(d) : '-';
}

async function main() {
  for (const t of ['ip', 'dnsperf', 'nsd', 'unbound', 'dig']) need(t);
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespace)');
  spawnSync('npx', ['tsc', '-b', 'packages/dns64'], { cwd: ROOT, stdio: 'inherit' });
  // Hermetic: the namespace's own resolv.conf/hosts (never the host's resolver), made and removed with it.
  writeNamespaceEtc(NS);
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  for (const a of [NSD, SIXGATE, UNBOUND, BASELINE]) execFileSync('ip', ['-n', NS, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
  startNsd();
  startUnbound();
  const sixgate = await startSixgate();
  const baseline = BASELINE_DIST === undefined ? undefined : await startSixgate(BASELINE_DIST, BASELINE);
  await waitDns(SIXGATE, 'v4only.example.org', 10_000);
  if (baseline) await waitDns(BASELINE, 'v4only.example.org', 10_000);
  await waitDns(UNBOUND, 'v4only.example.org', 10_000);

  const cachedFile = join(dir, 'cached.txt');
  writeFileSync(cachedFile, 'v4only.example.org AAAA\n'.repeat(100));
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rows = {};
    const servers = [['sixgate', SIXGATE], ['unbound', UNBOUND], ...(baseline ? [['baseline', BASELINE]] : [])];
    // Rotate who goes first (other load on the machine drifts).
    const order = [...servers.slice(round % servers.length), ...servers.slice(0, round % servers.length)];
    for (const [name, server] of order) {
      const cached = ONLY === 'uncached' ? EMPTY : dnsperf(server, cachedFile, ['-l', String(SECONDS)]);
      let uncached = EMPTY;
      if (ONLY !== 'cached') {
        const uf = join(dir, `uncached-${name}.txt`);
        writeFileSync(uf, Array.from({ length: UNCACHED }, (_, i) => `u${i}-${name}-${round}-${process.pid}.bench.example.org AAAA\n`).join(''));
        uncached = dnsperf(server, uf, ['-n', '1', '-l', String(SECONDS * 4)]);
      }
      rows[name] = { name, cached, uncached };
    }
    const row = [rows.sixgate, rows.unbound, ...(baseline ? [rows.baseline] : [])];
    rounds.push(row);
    printTable(`round ${round + 1} of ${ROUNDS}, ${order[0][0]} first`, row);
  }
  sixgate.kill('SIGUSR2');
  baseline?.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  sixgate.kill('SIGINT');
  baseline?.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 1000));
  if (ROUNDS > 1) printMedians(rounds);
}

const EMPTY = { qps: NaN, sent: NaN, lost: NaN, noerror: NaN, p50: NaN, p99: NaN };

const COLS = [['cached', 'qps'], ['cached', 'p50'], ['cached', 'p99'], ['uncached', 'qps'], ['uncached', 'p50'], ['uncached', 'p99']];

function printTable(title, rows) {
  const [s, u, b] = rows;
  console.log(`\nDNS64 benchmark, ${title} (${SECONDS}s cached runs, ${UNCACHED} unique names uncached; dnsperf -c 8 -q 400 -T 2; loopback, one namespace)`);
  console.log('| server  | cached qps | cached p50 ms | cached p99 ms | uncached qps | uncached p50 ms | uncached p99 ms | lost (c/u) |');
  console.log('|---------|-----------:|--------------:|--------------:|-------------:|----------------:|----------------:|-----------:|');
  for (const r of rows) {
    console.log(`| ${r.name.padEnd(7)} | ${fmt(r.cached.qps).padStart(10)} | ${fmt(r.cached.p50, 3).padStart(13)} | ${fmt(r.cached.p99, 3).padStart(13)} | ${fmt(r.uncached.qps).padStart(12)} | ${fmt(r.uncached.p50, 3).padStart(15)} | ${fmt(r.uncached.p99, 3).padStart(15)} | ${r.cached.lost}/${r.uncached.lost} |`);
  }
  console.log(`| ratio   | ${fmt(s.cached.qps / u.cached.qps, 2).padStart(10)} | ${fmt(s.cached.p50 / u.cached.p50, 2).padStart(13)} | ${fmt(s.cached.p99 / u.cached.p99, 2).padStart(13)} | ${fmt(s.uncached.qps / u.uncached.qps, 2).padStart(12)} | ${fmt(s.uncached.p50 / u.uncached.p50, 2).padStart(15)} | ${fmt(s.uncached.p99 / u.uncached.p99, 2).padStart(15)} |            |`);
  if (b) console.log(`| sg/base | ${fmt(s.cached.qps / b.cached.qps, 2).padStart(10)} | ${fmt(s.cached.p50 / b.cached.p50, 2).padStart(13)} | ${fmt(s.cached.p99 / b.cached.p99, 2).padStart(13)} | ${fmt(s.uncached.qps / b.uncached.qps, 2).padStart(12)} | ${fmt(s.uncached.p50 / b.uncached.p50, 2).padStart(15)} | ${fmt(s.uncached.p99 / b.uncached.p99, 2).padStart(15)} |            |`);
  console.log(`(ratio = sixgate / unbound${b ? '; sg/base = sixgate / baseline' : ''}; qps higher is better, latency lower is better)`);
}

function median(xs) {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 === 1 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
}

/** Medians over the rounds: each server's columns, and the median of the per-round ratios (not the ratio of the medians). */
function printMedians(rounds) {
  console.log(`\nDNS64 benchmark, median of ${rounds.length} rounds`);
  console.log('| server  | cached qps | cached p50 ms | cached p99 ms | uncached qps | uncached p50 ms | uncached p99 ms |');
  console.log('|---------|-----------:|--------------:|--------------:|-------------:|----------------:|----------------:|');
  for (const [i, name] of [[0, 'sixgate'], [1, 'unbound'], ...(rounds[0].length > 2 ? [[2, 'baseline']] : [])]) {
    const cells = COLS.map(([run, k], c) => fmt(median(rounds.map((r) => r[i][run][k])), k === 'qps' ? 0 : 3).padStart([10, 13, 13, 12, 15, 15][c]));
    console.log(`| ${name.padEnd(7)} | ${cells.join(' | ')} |`);
  }
  const ratios = COLS.map(([run, k], c) => fmt(median(rounds.map(([s, u]) => s[run][k] / u[run][k])), 2).padStart([10, 13, 13, 12, 15, 15][c]));
  console.log(`| ratio   | ${ratios.join(' | ')} |`);
  if (rounds[0].length > 2) {
    const vsBase = COLS.map(([run, k], c) => fmt(median(rounds.map(([s, , b]) => s[run][k] / b[run][k])), 2).padStart([10, 13, 13, 12, 15, 15][c]));
    console.log(`| sg/base | ${vsBase.join(' | ')} |`);
  }
  console.log(`(ratio = median of the per-round ratios sixgate / unbound; cached qps ratios: ${rounds.map(([s, u]) => fmt(s.cached.qps / u.cached.qps, 2)).join(', ')})`);
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  code = 1;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
  for (const p of pids) spawnSync('kill', ['-9', p]);
  spawnSync('ip', ['netns', 'delete', NS]);
  removeNamespaceEtc(NS);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
