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
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLAT, CLAT_SYSCTLS, clatSetupCommands, taygaConf } from './clat.js';
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
  /** Each namespace's own resolv.conf, hosts and nsswitch.conf (`ip netns exec` bind-mounts them over /etc). */
  etcDirs: [LAB.ns.client, LAB.ns.gateway, LAB.ns.server].map((ns) => `/etc/netns/${ns}`),
} as const;

const NAMESPACES = [LAB.ns.client, LAB.ns.gateway, LAB.ns.server] as const;

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

/** Polls `log` for `marker` until `timeoutMs`; fails early when the process exits. */
async function waitForLog(log: string, marker: RegExp, proc: { exited: () => boolean }, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(log) && marker.test(readFileSync(log, 'utf8'))) return;
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
  const present = NAMESPACES.filter(nsExists);
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
  // The gateway first: sixgate removes its routes and TUN device on SIGTERM (SPEC §3, within 5 s).
  for (const ns of [LAB.ns.gateway, LAB.ns.server, LAB.ns.client]) {
    const n = await stopProcesses(ns, ns === LAB.ns.gateway ? 6000 : 2000);
    if (n > 0) removed.push(`${n} process(es) in ${ns}`);
  }
  for (const ns of NAMESPACES) {
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
