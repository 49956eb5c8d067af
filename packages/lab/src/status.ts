/**
 * `sixgate lab status`: what of the lab exists and runs. Reads only: the
 * namespaces, the processes inside them, the TUN device and routes in the
 * gateway namespace, and sixgate's GET /api/v1/health asked from inside it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { HA_LAB, HA_NAMESPACES, haNodeDir } from './ha-plan.js';
import { cmdline, haView, ip, LAB_FILES, labMode, pidsIn } from './lab.js';
import { LAB } from './plan.js';

const execFileP = promisify(execFile);

export interface LabNamespaceStatus {
  readonly name: string;
  readonly exists: boolean;
  readonly processes: readonly { pid: number; cmd: string }[];
}

export interface LabStatus {
  readonly namespaces: readonly LabNamespaceStatus[];
  readonly tun: boolean;
  /** Routes in the gateway namespace that point into the TUN device. */
  readonly routes: readonly string[];
  /** HTTP status of /api/v1/health, or null when nothing answered. */
  readonly health: number | null;
  /** `up`: everything runs and is healthy; `down`: nothing exists; `degraded`: anything between. */
  readonly state: 'up' | 'down' | 'degraded';
  /** The HA lab (`lab up --ha`): each appliance's view of the pair; absent for the single-gateway lab. */
  readonly ha?: readonly LabHaNodeStatus[];
}

export interface LabHaNodeStatus {
  readonly name: string;
  /** GET /api/v1/ha's role, or null when the node's API does not answer. */
  readonly role: string | null;
  readonly peer: string | null;
  /** The virtual addresses this node holds now (keepalived puts them on the active). */
  readonly vips: readonly string[];
  /**
   * Whether a keepalived process runs in the node's namespace. Virtual
   * addresses on a node without one are stale: a keepalived killed before it
   * could clean up leaves them behind (`lab restart` removes them).
   */
  readonly keepalived: boolean;
  readonly tun: boolean;
}

async function health(node: string): Promise<number | null> {
  const probe = `fetch('http://${LAB.apiListen}/api/v1/health',{signal:AbortSignal.timeout(3000)}).then(r=>console.log(r.status),()=>console.log(0))`;
  try {
    const { stdout } = await execFileP('ip', ['netns', 'exec', LAB.ns.gateway, node, '-e', probe], { timeout: 8000 });
    const code = Number(stdout.trim());
    return code > 0 ? code : null;
  } catch {
    return null;
  }
}

async function haLabStatus(node: string): Promise<LabStatus> {
  const namespaces: LabNamespaceStatus[] = [];
  for (const name of HA_NAMESPACES) {
    const exists = existsSync(`/run/netns/${name}`);
    const processes = (await pidsIn(name)).map((pid) => ({ pid, cmd: cmdline(pid) })).filter((p) => p.cmd !== '');
    namespaces.push({ name, exists, processes });
  }
  const ha: LabHaNodeStatus[] = [];
  for (const n of HA_LAB.nodes) {
    const exists = existsSync(`/run/netns/${n.ns}`);
    const view = exists ? await haView(node, n) : null;
    const addrs = exists ? await ip(['-n', n.ns, '-o', 'addr', 'show']).catch(() => '') : '';
    const vips = [HA_LAB.vip4, HA_LAB.vip6].filter((v) => addrs.includes(` ${v}/`));
    const tun = exists && (await ip(['-n', n.ns, 'link', 'show', 'dev', LAB.tun]).catch(() => '')) !== '';
    const keepalived = namespaces.find((x) => x.name === n.ns)?.processes.some((p) => /(^|\/)keepalived( |$)/.test(p.cmd)) ?? false;
    ha.push({ name: n.name, role: view?.role ?? null, peer: view === null ? null : view.peer.state, vips, keepalived, tun });
  }
  const roles = ha.map((h) => h.role).sort().join(',');
  const up = namespaces.every((n) => n.exists) && roles === 'active,standby' && ha.every((h) => h.peer === 'connected' && h.tun) && namespaces.find((n) => n.name === LAB.ns.server)!.processes.length > 0;
  return { namespaces, tun: ha.every((h) => h.tun), routes: [], health: null, state: up ? 'up' : 'degraded', ha };
}

/** Collects the lab's status; `node` runs the health probe inside the gateway namespace (the HA lab: each appliance's). */
export async function labStatus(node: string): Promise<LabStatus> {
  if (labMode() === 'ha') return haLabStatus(node);
  const namespaces: LabNamespaceStatus[] = [];
  for (const name of [LAB.ns.client, LAB.ns.gateway, LAB.ns.server]) {
    const exists = existsSync(`/run/netns/${name}`);
    const processes = (await pidsIn(name)).map((pid) => ({ pid, cmd: cmdline(pid) })).filter((p) => p.cmd !== '');
    namespaces.push({ name, exists, processes });
  }
  const gw = namespaces[1]!;
  let tun = false;
  let routes: string[] = [];
  let code: number | null = null;
  if (gw.exists) {
    tun = (await ip(['-n', LAB.ns.gateway, 'link', 'show', 'dev', LAB.tun]).catch(() => '')) !== '';
    for (const fam of ['-4', '-6']) {
      const out = await ip(['-n', LAB.ns.gateway, fam, 'route', 'show', 'dev', LAB.tun]).catch(() => '');
      routes = routes.concat(out.split('\n').map((l) => l.trim().split(' ')[0] ?? '').filter(Boolean));
    }
    code = await health(node);
  }
  const anything = namespaces.some((n) => n.exists) || existsSync(LAB.runDir) || LAB_FILES.etcDirs.some((d) => existsSync(d));
  const up = namespaces.every((n) => n.exists) && tun && code === 200 && namespaces[2]!.processes.length > 0;
  return { namespaces, tun, routes, health: code, state: up ? 'up' : anything ? 'degraded' : 'down' };
}

/** Human-readable lines for `lab status`. */
export function formatStatus(s: LabStatus): string[] {
  const lines = [`lab: ${s.state}`];
  for (const n of s.namespaces) {
    lines.push(`  ${n.name.padEnd(20)} ${n.exists ? 'present' : 'absent'}`);
    for (const p of n.processes) lines.push(`    pid ${String(p.pid).padEnd(8)} ${p.cmd.length > 100 ? `${p.cmd.slice(0, 97)}...` : p.cmd}`);
  }
  for (const h of s.ha ?? []) {
    const role = h.role === null ? 'no answer from its API' : `${h.role}, peer ${h.peer ?? '?'}`;
    const stale = h.vips.length > 0 && !h.keepalived ? ' (stale: no keepalived runs there)' : '';
    lines.push(`  node ${h.name}: ${role}; virtual addresses: ${h.vips.length > 0 ? h.vips.join(', ') : 'none'}${stale}; tun ${LAB.tun} ${h.tun ? 'present' : 'absent'}`);
  }
  if (s.ha !== undefined) {
    for (const n of HA_LAB.nodes) if (existsSync(`${haNodeDir(n)}/sixgate.log`)) lines.push(`  log ${n.name}: ${haNodeDir(n)}/sixgate.log, keepalived.log`);
  } else if (s.namespaces[1]?.exists) {
    lines.push(`  tun ${LAB.tun}: ${s.tun ? 'present' : 'absent'}; routes into it: ${s.routes.length > 0 ? s.routes.join(', ') : 'none'}`);
    lines.push(`  health (GET /api/v1/health): ${s.health ?? 'no answer'}`);
  }
  if (s.ha === undefined && existsSync(LAB_FILES.sixgateLog)) lines.push(`  log: ${LAB_FILES.sixgateLog}`);
  const stopped = (s.ha ?? []).filter((h) => h.role === null).map((h) => h.name);
  if (s.state === 'degraded' && stopped.length > 0 && stopped.length < 2) lines.push(`  bring ${stopped.join(', ')} back: \`sixgate lab restart ${stopped[0]!}\` (or \`sixgate lab down\` to remove everything)`);
  else if (s.state === 'degraded') lines.push('  run `sixgate lab down` to clean up, then `sixgate lab up`');
  return lines;
}
