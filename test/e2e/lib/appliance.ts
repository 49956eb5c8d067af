/**
 * Runs the real `sixgate run` (the CLI, built) in the appliance namespace of
 * the standard topology, with an authoritative nsd, a web server, a UDP echo
 * server and iperf3 in the IPv4-only server namespace.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nsdConf } from './dns-zone.js';
import { ADDR, cleanEnv, waitFor, type Topology } from './netns.js';

export const REPO = resolve(import.meta.dirname, '../../..');
export const SIXGATE = join(REPO, 'packages/daemon/bin/sixgate.js');
export const UDP_TOOL = join(import.meta.dirname, 'udp-tool.mjs');
export const TOKEN = 'e2e-token-0123456789abcdef';
export const API = 'http://127.0.0.1:8064';

/** Builds the workspace (turbo-cached) so bin/sixgate.js runs current code: the installed turbo, never the registry or telemetry. */
export function ensureBuilt(): void {
  const turbo = join(REPO, 'node_modules/.bin/turbo');
  if (!existsSync(turbo)) throw new Error(`${turbo} missing: run npm install first`);
  const env = { ...cleanEnv(), TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  const r = spawnSync(turbo, ['run', 'build', '--output-logs=errors-only'], { cwd: REPO, encoding: 'utf8', timeout: 300_000, env });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
  if (!existsSync(join(REPO, 'packages/daemon/dist/cli/main.js'))) throw new Error('packages/daemon/dist missing after build');
}

/** The zone the server namespace serves: names for the IPv4-only server. */
export function zone(): string {
  return `$ORIGIN example.net.
$TTL 300
@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 3600 900 604800 60
@ IN NS ns1
ns1 IN A ${ADDR.server4}
www IN A ${ADDR.server4}
dual IN A ${ADDR.server4}
dual IN AAAA 2001:db8:d::1
`;
}

export interface ServerSide {
  readonly dir: string;
  readonly bigSha256: string;
  readonly bigSize: number;
}

/** Starts nsd, an HTTP server (with a 20 MB file), a UDP echo and iperf3 in the server namespace. */
export async function startServers(topo: Topology, opts: { bigMiB?: number; timeoutMs?: number } = {}): Promise<ServerSide> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-e2e-srv-'));
  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), '<h1>hello from the IPv4-only server</h1>\n');
  const big = randomBytes((opts.bigMiB ?? 20) * 1024 * 1024);
  writeFileSync(join(www, 'big.bin'), big);
  writeFileSync(join(dir, 'example.net.zone'), zone());
  writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir, ADDR.server4, [{ name: 'example.net', file: 'example.net.zone' }]));
  const net = topo.net;
  net.spawn(topo.server, 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
  // Not `python3 -m http.server`: it reverse-resolves its bind address at start (hermetic.mjs).
  net.spawn(topo.server, process.execPath, [UDP_TOOL, 'http', ADDR.server4, '80', www]);
  net.spawn(topo.server, process.execPath, [UDP_TOOL, 'echo', '7']);
  net.spawn(topo.server, 'iperf3', ['-s', '-B', ADDR.server4]);
  await waitFor(() => net.exec(topo.server, 'ss', ['-lntu'], { allowFail: true }).stdout.includes(':80 ') && net.exec(topo.server, 'ss', ['-lnu'], { allowFail: true }).stdout.includes(':7 ') && net.exec(topo.server, 'ss', ['-lnu'], { allowFail: true }).stdout.includes(`${ADDR.server4}:53`), opts.timeoutMs ?? 10_000, 'servers in the server namespace');
  return { dir, bigSha256: createHash('sha256').update(big).digest('hex'), bigSize: big.length };
}

/** The environment that configures sixgate for the topology (SIXGATE_* only). */
export function applianceEnv(stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SIXGATE_CONFIG: join(stateDir, 'sixgate.yaml'),
    SIXGATE_STATE_DIR: stateDir,
    SIXGATE_PREFIX: ADDR.prefix,
    SIXGATE_POOL4: ADDR.pool4,
    SIXGATE_UPSTREAMS: ADDR.server4,
    SIXGATE_DNS_LISTEN: `[${ADDR.appliance6}]:53`,
    SIXGATE_DNS_CLIENTS: '2001:db8:1::/64',
    SIXGATE_TUN: 'sg64',
    SIXGATE_API_LISTEN: '127.0.0.1:8064',
    SIXGATE_API_TOKEN: TOKEN,
    ...extra,
  };
}

export interface Sixgate {
  readonly child: ChildProcess;
  readonly logs: () => string;
  /** Resolves with the exit code after SIGTERM. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sixgate run` in the appliance namespace and waits for its `ready` line. */
export async function startSixgate(topo: Topology, env: Record<string, string>, args: string[] = []): Promise<Sixgate> {
  const child = topo.net.spawn(topo.appliance, 'env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, SIXGATE, 'run', ...args]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => { exited = code; r(code); }));
  await waitFor(() => {
    if (exited !== undefined) throw new Error(`sixgate exited (${exited}) before ready:\n${out}`);
    return /"msg":"ready"/.test(out);
  }, 20_000, `sixgate ready; log so far:\n${out}`);
  return {
    child,
    logs: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited !== undefined) return exited;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      const code = await exit;
      clearTimeout(t);
      topo.net.release(child);
      return code;
    },
  };
}

/** Calls the admin API from inside the appliance namespace with curl. */
export function api(topo: Topology, method: string, path: string, body?: unknown, token = TOKEN): { status: number; json: unknown; text: string } {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method, '-H', `Authorization: Bearer ${token}`];
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
  const r = topo.net.exec(topo.appliance, 'curl', [...args, `${API}${path}`], { allowFail: true, timeoutMs: 20_000 });
  const nl = r.stdout.lastIndexOf('\n');
  const text = r.stdout.slice(0, nl);
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: Number(r.stdout.slice(nl + 1)), json, text };
}

/** Removes a temporary directory (best effort). */
export function cleanupDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
