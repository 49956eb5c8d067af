// The two translators under test, each started in the appliance namespace of
// its own topology: sixgate (`sixgate run`, configured by SIXGATE_* variables
// like the e2e tests do) and TAYGA (Debian package `tayga`, same NAT64 prefix,
// its dynamic pool on pool4's range and routed into its TUN device the way
// sixgate routes pool4 into its own).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ADDR, sh, waitFor } from './netns.mjs';

export const REPO = resolve(import.meta.dirname, '../../..');
export const SIXGATE = join(REPO, 'packages/daemon/bin/sixgate.js');
const CLK_TCK = Number(sh('getconf', ['CLK_TCK']).stdout.trim()) || 100;

/**
 * CPU time of a whole process (all threads) in seconds, split user/system,
 * from /proc/<pid>/stat fields 14 and 15 (utime, stime; proc(5)).
 */
export function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it are plain.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
}

/** Collects a child's output and resolves `exited` with its code. */
function watch(child) {
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let code;
  const exited = new Promise((r) => child.on('exit', (c, s) => { code = c ?? s; r(code); }));
  return { logs: () => out, exited, code: () => code, hasExited: () => code !== undefined };
}

/** Stops a child with `signal`, then SIGKILL after `graceMs`; resolves with its exit code. */
async function stopChild(child, w, signal, graceMs = 8000) {
  if (w.hasExited()) return w.exited;
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await w.exited;
  clearTimeout(t);
  return code;
}

/**
 * Starts `sixgate run` in the appliance namespace; resolves once it logged
 * `ready`. `nodeFlags` (e.g. --cpu-prof) go to node before the script.
 */
export async function startSixgate(topo, stateDir, nodeFlags = []) {
  if (!existsSync(join(REPO, 'packages/daemon/dist/cli/main.js'))) {
    throw new Error('packages/daemon/dist is missing: build first (`npx turbo run build` or `npm run bench`)');
  }
  const env = {
    SIXGATE_CONFIG: join(stateDir, 'sixgate.yaml'),
    SIXGATE_STATE_DIR: stateDir,
    SIXGATE_PREFIX: ADDR.prefix,
    SIXGATE_POOL4: ADDR.pool4,
    SIXGATE_UPSTREAMS: ADDR.server4,
    SIXGATE_DNS_LISTEN: `[${ADDR.appliance6}]:53`,
    SIXGATE_DNS_CLIENTS: '2001:db8:1::/64',
    SIXGATE_TUN: 'sg64',
    SIXGATE_API_LISTEN: '127.0.0.1:8064',
    SIXGATE_API_TOKEN: 'bench-token-0123456789abcdef',
  };
  const args = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, ...nodeFlags, SIXGATE, 'run', '--log-level', 'info'];
  const child = topo.net.spawn(topo.appliance, 'env', args);
  const w = watch(child);
  await waitFor(() => {
    if (w.hasExited()) throw new Error(`sixgate exited (${w.code()}) before ready:\n${w.logs()}`);
    return /"msg":"ready"/.test(w.logs());
  }, 20_000, `sixgate ready; log so far:\n${w.logs()}`);
  return {
    name: 'sixgate',
    pid: child.pid,
    topo,
    dev: 'sg64',
    logs: w.logs,
    /** Packets translated and batches handled so far (admin API /api/v1/stats). */
    loopStats() {
      const r = topo.net.exec(topo.appliance, 'curl', ['-sf', '--max-time', '5', '-H', `Authorization: Bearer ${env.SIXGATE_API_TOKEN}`, `http://${env.SIXGATE_API_LISTEN}/api/v1/stats`], { allowFail: true });
      try {
        const j = JSON.parse(r.stdout);
        return {
          packets: j.nat64.packets['6to4'] + j.nat64.packets['4to6'],
          batches: j.translatorBatch.count,
          seconds: j.translatorBatch.sum,
          udpSuperPackets: j.offload?.udpSuperPackets ?? 0,
          udpSegments: j.offload?.udpSegments ?? 0,
        };
      } catch {
        return undefined;
      }
    },
    stop: () => stopChild(child, w, 'SIGTERM'),
  };
}

/** TAYGA's configuration: its own addresses in documentation space, pool4's range as dynamic pool. */
export function taygaConf(dataDir, dev) {
  return [
    `tun-device ${dev}`,
    'ipv4-addr 192.0.2.1',
    'ipv6-addr 2001:db8:ff::1',
    `prefix ${ADDR.prefix}`,
    `dynamic-pool ${ADDR.pool4}`,
    `data-dir ${dataDir}`,
    '',
  ].join('\n');
}

/** Starts TAYGA in the appliance namespace with its TUN device up and the prefix and pool routed into it. */
export async function startTayga(topo, dir) {
  const dev = 'tayga64';
  const conf = join(dir, 'tayga.conf');
  writeFileSync(conf, taygaConf(dir, dev));
  const net = topo.net;
  const ns = topo.appliance;
  net.exec(ns, 'tayga', ['--mktun', '-c', conf]);
  net.exec(ns, 'ip', ['link', 'set', dev, 'mtu', '1500', 'up']);
  net.exec(ns, 'ip', ['-6', 'route', 'replace', ADDR.prefix, 'dev', dev]);
  net.exec(ns, 'ip', ['-4', 'route', 'replace', ADDR.pool4, 'dev', dev]);
  net.exec(ns, 'ip', ['-4', 'route', 'replace', '192.0.2.1/32', 'dev', dev]);
  const child = net.spawn(ns, 'tayga', ['--nodetach', '-c', conf]);
  const w = watch(child);
  await new Promise((r) => setTimeout(r, 300));
  if (w.hasExited()) throw new Error(`tayga exited at start:\n${w.logs()}`);
  return {
    name: 'TAYGA',
    pid: child.pid,
    topo,
    dev,
    loopStats: () => undefined,
    logs: w.logs,
    stop: () => stopChild(child, w, 'SIGTERM', 3000),
  };
}
