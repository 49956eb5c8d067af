/**
 * `sixgate lab up|down|status`: the three-namespace demo of plan.ts on this
 * machine. `up` builds the namespaces, starts the lab server (DNS zone + web
 * page) in the server namespace and `sixgate run` in the gateway namespace,
 * both detached with their logs in LAB.runDir, and waits for sixgate's
 * `ready` line. `down` stops every process inside the lab's namespaces
 * (SIGTERM, then SIGKILL after a bound) and deletes the namespaces and files,
 * whatever state a previous run left. Fixed names: one lab per machine.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLAT, CLAT_SYSCTLS, clatSetupCommands, taygaConf } from './clat.js';
import { HA_KEY_FILE, HA_LAB, HA_NAMESPACES, haKeepalivedArgs, haKeepalivedConf, haNodeConfig, haNodeDir, haNotifyScript, haRunArgs, haSetupCommands, haSysctls, type HaLabNode } from './ha-plan.js';
import { LAB, namespaceEtc, runArgs, setupCommands } from './plan.js';

/** How to start this same `sixgate` binary: node plus bin/sixgate.js. */
export interface LabCli {
  readonly node: string;
  readonly script: string;
}

/** Files of a running lab. */
export const LAB_FILES = {
  stateDir: join(LAB.runDir, 'state'),
  sixgateLog: join(LAB.runDir, 'sixgate.log'),
  serverLog: join(LAB.runDir, 'server.log'),
  clatLog: join(LAB.runDir, 'clat.log'),
  /** TAYGA's configuration, rewritten by `lab clat` from each new PREF64. */
  taygaConf: join(LAB.runDir, 'tayga.conf'),
  info: join(LAB.runDir, 'lab.json'),
  /** Each namespace's own resolv.conf, hosts and nsswitch.conf (`ip netns exec` bind-mounts them over /etc), of both lab shapes. */
  etcDirs: [...new Set([LAB.ns.client, LAB.ns.gateway, LAB.ns.server, ...HA_NAMESPACES])].map((ns) => `/etc/netns/${ns}`),
} as const;

const NAMESPACES = [LAB.ns.client, LAB.ns.gateway, LAB.ns.server] as const;
/** Every namespace either lab shape makes (`down` removes them all). */
const ALL_NAMESPACES: readonly string[] = [...new Set<string>([...NAMESPACES, ...HA_NAMESPACES])];

/**
 * The environment of the lab's processes: this one's without proxy variables
 * and the glibc resolver's overrides (RES_OPTIONS, LOCALDOMAIN, HOSTALIASES),
 * which would send them to the host's proxy or resolver; SIXGATE_* and the
 * rest pass through.
 */
export function labEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !/(^|_)(no)?proxy$|^(res_options|localdomain|hostaliases)$/i.test(k)) out[k] = v;
  }
  return out;
}

export class LabError extends Error {
  override readonly name = 'LabError';
}

const execFileP = promisify(execFile);

/** Runs `ip <args>` (iproute2); throws LabError with iproute2's own words. */
export async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileP('ip', args as string[], { timeout: 10_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    const why = err.code === 'ENOENT' ? 'the `ip` command (iproute2) is not installed' : (err.stderr ?? err.message).trim();
    throw new LabError(`ip ${args.join(' ')}: ${why}`);
  }
}

const nsExists = (ns: string): boolean => existsSync(`/run/netns/${ns}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** PIDs of the processes inside `ns` (empty when it does not exist). */
export async function pidsIn(ns: string): Promise<number[]> {
  if (!nsExists(ns)) return [];
  const out = await ip(['netns', 'pids', ns]).catch(() => '');
  return out.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

/** The command line of `pid`, or '' when it is gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Whether `pid` still runs: a zombie (exited, not yet reaped by its new parent) counts as gone. */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself hold spaces).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

function tail(file: string, lines = 15): string {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Starts `args` inside `ns`, detached, stdout+stderr appended to `log`. */
function spawnDetached(ns: string, args: readonly string[], log: string): { pid: number; exited: () => boolean } {
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { detached: true, stdio: ['ignore', fd, fd], env: labEnv() });
  closeSync(fd);
  let done = false;
  child.on('exit', () => (done = true));
  child.on('error', () => (done = true));
  child.unref();
  if (child.pid === undefined) throw new LabError(`cannot start ${args.join(' ')} in ${ns}`);
  return { pid: child.pid, exited: () => done };
}

/** Polls `log` (from byte `from` on) for `marker` until `timeoutMs`; fails early when the process exits. */
async function waitForLog(log: string, marker: RegExp, proc: { exited: () => boolean }, timeoutMs: number, what: string, from = 0): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(log) && marker.test(readFileSync(log).subarray(from).toString('utf8'))) return;
    if (proc.exited()) throw new LabError(`${what} exited during start; last lines of ${log}:\n${tail(log)}`);
    if (Date.now() > end) throw new LabError(`${what} was not ready after ${timeoutMs} ms; last lines of ${log}:\n${tail(log)}`);
    await sleep(100);
  }
}

/**
 * The lab's config file: the prefix lives here (not in a flag, which would
 * pin it), so `sixgate prefix set` changes it in the demo, and sixgate
 * announces it in router advertisements on the client link (short intervals:
 * a change shows within seconds).
 */
export function labConfig(): string {
  return `# sixgate lab configuration (written by \`sixgate lab up\`; \`sixgate prefix set\` edits it)
prefix: ${LAB.prefix}
ra:
  interfaces: [lab0]
  minInterval: 3
  maxInterval: 10
`;
}

const onPath = (bin: string): boolean => ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, bin)));

function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root (network namespaces, a TUN device); run it with sudo');
  if (!existsSync('/dev/net/tun')) throw new LabError('/dev/net/tun is missing: load the tun module (modprobe tun)');
  if (!onPath('tayga')) throw new LabError("tayga is not installed: the lab's CLAT (IPv4 literals from the IPv6-only client) needs it (apt-get install tayga)");
  const present = ALL_NAMESPACES.filter(nsExists);
  if (present.length > 0) throw new LabError(`the lab is already up (namespaces ${present.join(', ')} exist); run \`sixgate lab down\` first`);
}

/** Builds the lab and starts its processes; on any failure removes what it made. */
export async function labUp(cli: LabCli, opts: { readyTimeoutMs?: number } = {}): Promise<void> {
  checkPrerequisites();
  try {
    rmSync(LAB.runDir, { recursive: true, force: true });
    mkdirSync(LAB_FILES.stateDir, { recursive: true, mode: 0o700 });
    for (const args of setupCommands()) await ip(args);
    for (const ns of NAMESPACES) {
      const dir = `/etc/netns/${ns}`;
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(namespaceEtc(ns))) writeFileSync(join(dir, file), text);
    }
    // The CLAT's device and routes; TAYGA itself runs once the client heard a PREF64.
    await ip(['netns', 'exec', LAB.ns.client, 'sysctl', '-qw', ...CLAT_SYSCTLS]);
    writeFileSync(LAB_FILES.taygaConf, taygaConf(LAB.prefix));
    await ip(['netns', 'exec', LAB.ns.client, 'tayga', '--mktun', '-c', LAB_FILES.taygaConf]);
    for (const args of clatSetupCommands()) await ip(args);
    writeFileSync(join(LAB_FILES.stateDir, 'sixgate.yaml'), labConfig());
    const server = spawnDetached(LAB.ns.server, [cli.node, cli.script, 'lab', 'serve'], LAB_FILES.serverLog);
    await waitForLog(LAB_FILES.serverLog, /lab server listening/, server, 10_000, 'the lab server');
    const sixgate = spawnDetached(LAB.ns.gateway, [cli.node, cli.script, ...runArgs(LAB_FILES.stateDir)], LAB_FILES.sixgateLog);
    await waitForLog(LAB_FILES.sixgateLog, /"msg":"ready"/, sixgate, opts.readyTimeoutMs ?? 30_000, 'sixgate');
    const clat = spawnDetached(LAB.ns.client, [cli.node, cli.script, 'lab', 'clat'], LAB_FILES.clatLog);
    await waitForLog(LAB_FILES.clatLog, /clat: tayga running/, clat, opts.readyTimeoutMs ?? 30_000, `the CLAT (${CLAT.dev})`);
    writeFileSync(LAB_FILES.info, `${JSON.stringify({ started: new Date().toISOString(), server: server.pid, sixgate: sixgate.pid, clat: clat.pid })}\n`);
  } catch (e) {
    // Keep the logs for the error message, remove everything else.
    const logs = [LAB_FILES.sixgateLog, LAB_FILES.serverLog, LAB_FILES.clatLog].map((f) => (existsSync(f) ? `${f}:\n${tail(f, 5)}` : '')).join('\n');
    await labDown().catch(() => undefined);
    throw e instanceof LabError ? e : new LabError(`${(e as Error).message}${logs.trim() ? `\n${logs}` : ''}`);
  }
}

/** Stops the processes inside `ns`: SIGTERM, up to `graceMs` for them to exit, then SIGKILL. */
async function stopProcesses(ns: string, graceMs: number): Promise<number> {
  const pids = await pidsIn(ns);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const end = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < end) await sleep(100);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

/** Removes the lab, whatever is left of it; returns what it removed (empty: nothing was there). */
export async function labDown(): Promise<string[]> {
  const removed: string[] = [];
  // The appliances first: sixgate removes its routes and TUN device on SIGTERM (SPEC §3, within 5 s).
  const appliances: readonly string[] = [LAB.ns.gateway, HA_LAB.ns.r1, HA_LAB.ns.r2];
  for (const ns of [...appliances, ...ALL_NAMESPACES.filter((n) => !appliances.includes(n))]) {
    const n = await stopProcesses(ns, appliances.includes(ns) ? 6000 : 2000);
    if (n > 0) removed.push(`${n} process(es) in ${ns}`);
  }
  for (const ns of ALL_NAMESPACES) {
    if (!nsExists(ns)) continue;
    await ip(['netns', 'delete', ns]);
    removed.push(`namespace ${ns}`);
  }
  for (const path of [...LAB_FILES.etcDirs, LAB.runDir]) {
    if (!existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

// ---- the HA pair (`lab up --ha`, ha-plan.ts) ------------------------------------------

const onPathOrThrow = (bin: string, why: string): void => {
  if (!onPath(bin)) throw new LabError(why);
};

/** Which shape of lab exists: 'ha', 'single', or null when none. */
export function labMode(): 'ha' | 'single' | null {
  if ([HA_LAB.ns.r1, HA_LAB.ns.r2, HA_LAB.ns.lan, HA_LAB.ns.uplink, HA_LAB.ns.router].some(nsExists)) return 'ha';
  return ALL_NAMESPACES.some(nsExists) ? 'single' : null;
}

/** What GET /api/v1/ha of a node says, asked from inside its namespace with its token; null when nothing answers. */
export interface HaNodeView {
  readonly role: string;
  readonly peer: { readonly state: string; readonly nodeId?: string | null };
  readonly [k: string]: unknown;
}

export async function haView(node: string, n: HaLabNode): Promise<HaNodeView | null> {
  const tokenFile = `${haNodeDir(n)}/api-token`;
  if (!existsSync(tokenFile)) return null;
  const probe = `const t=require('fs').readFileSync(${JSON.stringify(tokenFile)},'utf8').trim();fetch('http://${LAB.apiListen}/api/v1/ha',{headers:{authorization:'Bearer '+t},signal:AbortSignal.timeout(3000)}).then(r=>r.ok?r.text():'null',()=>'null').then(s=>console.log(s))`;
  try {
    const { stdout } = await execFileP('ip', ['netns', 'exec', n.ns, node, '-e', probe], { timeout: 8000 });
    const v = JSON.parse(stdout.trim()) as HaNodeView | null;
    return v !== null && typeof v === 'object' && typeof v.role === 'string' ? v : null;
  } catch {
    return null;
  }
}

async function waitForRoles(node: string, want: (views: (HaNodeView | null)[]) => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  let views: (HaNodeView | null)[] = [];
  for (;;) {
    views = await Promise.all(HA_LAB.nodes.map((n) => haView(node, n)));
    if (want(views)) return;
    if (Date.now() > end) {
      const seen = HA_LAB.nodes.map((n, i) => `${n.name} ${views[i] === null ? 'no answer' : `${views[i]!.role}, peer ${views[i]!.peer.state}`}`).join('; ');
      const logs = HA_LAB.nodes.map((n) => `${haNodeDir(n)}/sixgate.log:\n${tail(`${haNodeDir(n)}/sixgate.log`, 5)}\n${haNodeDir(n)}/keepalived.log:\n${tail(`${haNodeDir(n)}/keepalived.log`, 5)}`).join('\n');
      throw new LabError(`${what} not reached after ${timeoutMs} ms (${seen})\n${logs}`);
    }
    await sleep(250);
  }
}

/**
 * Starts one appliance of the pair in its namespace as after a reboot: its
 * stale virtual addresses go (a killed keepalived leaves them), then sixgate
 * (until `ready`), then keepalived, which tells sixgate its role.
 */
async function startHaNode(cli: LabCli, n: HaLabNode, readyTimeoutMs: number): Promise<{ sixgate: number; keepalived: number }> {
  const dir = haNodeDir(n);
  await ip(['-n', n.ns, 'addr', 'flush', 'dev', 'u0']);
  await ip(['-n', n.ns, 'addr', 'add', `${n.up4}/24`, 'dev', 'u0']);
  await ip(['-n', n.ns, 'route', 'replace', 'default', 'via', HA_LAB.router4]);
  await ip(['-n', n.ns, 'addr', 'del', `${HA_LAB.vip6}/64`, 'dev', 'l0']).catch(() => undefined);
  const log = `${dir}/sixgate.log`;
  const from = existsSync(log) ? statSync(log).size : 0;
  const sixgate = spawnDetached(n.ns, [cli.node, cli.script, ...haRunArgs(n)], log);
  await waitForLog(log, /"msg":"ready"/, sixgate, readyTimeoutMs, `sixgate on ${n.name}`, from);
  const keepalived = spawnDetached(n.ns, haKeepalivedArgs(n), `${dir}/keepalived.log`);
  return { sixgate: sixgate.pid, keepalived: keepalived.pid };
}

/**
 * Builds the HA lab (ha-plan.ts) and starts the server, both appliances'
 * sixgate and keepalived; resolves once one node is active, the other standby
 * with the sync link up. On any failure removes what it made.
 */
export async function labUpHa(cli: LabCli, opts: { readyTimeoutMs?: number } = {}): Promise<void> {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root (network namespaces, TUN devices); run it with sudo');
  if (!existsSync('/dev/net/tun')) throw new LabError('/dev/net/tun is missing: load the tun module (modprobe tun)');
  onPathOrThrow('keepalived', 'keepalived is not installed: the HA lab runs it in both appliances (apt-get install keepalived)');
  const present = ALL_NAMESPACES.filter(nsExists);
  if (present.length > 0) throw new LabError(`a lab is already up (namespaces ${present.join(', ')} exist); run \`sixgate lab down\` first`);
  const readyMs = opts.readyTimeoutMs ?? 30_000;
  try {
    rmSync(LAB.runDir, { recursive: true, force: true });
    for (const n of HA_LAB.nodes) mkdirSync(haNodeDir(n), { recursive: true, mode: 0o700 });
    chmodSync(LAB.runDir, 0o700);
    for (const args of haSetupCommands()) await ip(args);
    for (const ns of HA_NAMESPACES) {
      await ip(['netns', 'exec', ns, 'sysctl', '-qw', ...haSysctls(ns)]);
      const dir = `/etc/netns/${ns}`;
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(namespaceEtc(ns))) writeFileSync(join(dir, file), text);
    }
    // The pair's pre-shared key (TLS-PSK, 32 random bytes in hex), one file both nodes read.
    writeFileSync(HA_KEY_FILE, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    for (const n of HA_LAB.nodes) {
      const dir = haNodeDir(n);
      writeFileSync(join(dir, 'sixgate.yaml'), haNodeConfig(n));
      writeFileSync(join(dir, 'notify.sh'), haNotifyScript(n, cli), { mode: 0o700 });
      writeFileSync(join(dir, 'keepalived.conf'), haKeepalivedConf(n));
    }
    const server = spawnDetached(LAB.ns.server, [cli.node, cli.script, 'lab', 'serve'], LAB_FILES.serverLog);
    await waitForLog(LAB_FILES.serverLog, /lab server listening/, server, 10_000, 'the lab server');
    const [r1, r2] = HA_LAB.nodes as [HaLabNode, HaLabNode];
    // r1 first: it becomes active alone; r2 then joins as the standby (nopreempt keeps it so).
    const p1 = await startHaNode(cli, r1, readyMs);
    await waitForRoles(cli.node, (v) => v[0]?.role === 'active', 20_000, 'r1 active');
    const p2 = await startHaNode(cli, r2, readyMs);
    await waitForRoles(cli.node, (v) => v[0]?.role === 'active' && v[1]?.role === 'standby' && v[1]?.peer.state === 'connected', 30_000, 'r1 active, r2 standby, sync link up');
    writeFileSync(LAB_FILES.info, `${JSON.stringify({ mode: 'ha', started: new Date().toISOString(), server: server.pid, r1: p1, r2: p2 })}\n`);
  } catch (e) {
    const logs = [LAB_FILES.serverLog, ...HA_LAB.nodes.flatMap((n) => [`${haNodeDir(n)}/sixgate.log`, `${haNodeDir(n)}/keepalived.log`])].map((f) => (existsSync(f) ? `${f}:\n${tail(f, 5)}` : '')).join('\n');
    await labDown().catch(() => undefined);
    throw e instanceof LabError ? e : new LabError(`${(e as Error).message}${logs.trim() ? `\n${logs}` : ''}`);
  }
}

/**
 * Brings a node of the HA lab back after its plug was pulled: refuses while
 * anything still runs in its namespace; resolves once it is back as the
 * standby with the sync link up (it got the active's tables in a bulk transfer).
 */
export async function labRestartNode(cli: LabCli, name: string, opts: { readyTimeoutMs?: number } = {}): Promise<void> {
  const n = HA_LAB.nodes.find((x) => x.name === name);
  if (n === undefined) throw new LabError(`no node ${JSON.stringify(name)} in the HA lab: r1 or r2`);
  if (labMode() !== 'ha' || !nsExists(n.ns)) throw new LabError('the HA lab is not up: `sixgate lab up --ha` first');
  const running = (await pidsIn(n.ns)).filter(alive);
  if (running.length > 0) throw new LabError(`${n.name} still runs (pids ${running.join(', ')}); pull its plug first: ip netns pids ${n.ns} | xargs -r kill -9`);
  await ip(['-n', n.ns, 'link', 'set', 'l0', 'up']);
  await startHaNode(cli, n, opts.readyTimeoutMs ?? 30_000);
  const i = HA_LAB.nodes.indexOf(n);
  await waitForRoles(cli.node, (v) => v[i]?.role === 'standby' && v[i]?.peer.state === 'connected' && v[1 - i]?.role === 'active', 30_000, `${n.name} back as the standby`);
}
