/**
 * Network-namespace topologies for end-to-end tests. Every run gets a unique
 * name prefix so parallel or leftover runs never collide, every process a
 * test starts is tracked, and `destroy()` removes all of it — call it from
 * afterAll so it also runs when a test fails.
 *
 * The standard topology (documentation addresses only):
 *
 *   client (IPv6 only)        appliance                    server (IPv4 only)
 *   c0 2001:db8:1::2/64 ── a0 2001:db8:1::1/64
 *                             a1 198.51.100.1/24 ── s0 198.51.100.2/24
 *   default via 2001:db8:1::1                              default via 198.51.100.1
 *
 * Hermetic (see hermetic.mjs): every namespace gets its own resolv.conf,
 * hosts and nsswitch.conf under /etc/netns/<ns>/ (created with the namespace,
 * removed with it), starts with forwarding off whatever the host's sysctls
 * say, and every child runs without the proxy and resolver variables of the
 * test's environment. Nothing here depends on the host's resolver, hosts
 * file, ip_forward or the registry.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cleanEnv, NAMESPACE_SYSCTLS, removeNamespaceEtc, writeNamespaceEtc, writeNamespaceResolver } from './hermetic.mjs';

export { cleanEnv } from './hermetic.mjs';

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails loudly (never skips) when the machine cannot run namespace tests. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('end-to-end tests need root (network namespaces, TUN devices); run `npm test` as root');
  }
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`cannot use network namespaces: ${r.error?.message ?? r.stderr}`);
}

/** Runs a command synchronously; throws with its stderr on a non-zero exit unless `allowFail`. */
export function sh(cmd: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number; input?: string } = {}): ExecResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, input: opts.input, env: cleanEnv() });
  const res = { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}

/** Runs a command asynchronously with a time bound and collects its output. */
/**
 * Pulls the plug on every process of a namespace: all are stopped before any
 * is killed, so none gets to clean up. (Killed one by one, keepalived's VRRP
 * child may outlive its parent by a moment and remove the virtual addresses,
 * a shutdown rather than a crash.)
 */
export function killNamespace(ns: string): void {
  const pids = sh('ip', ['netns', 'pids', ns], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
  if (pids.length === 0) return;
  sh('kill', ['-STOP', ...pids], { allowFail: true });
  sh('kill', ['-9', ...pids], { allowFail: true });
}

export function run(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `argv` in a private mount namespace whose /etc/<file> is each file of
 * `dir` bind-mounted: a host with that resolver, hosts file and nsswitch.conf.
 * `ip netns exec` inside it then mounts the namespace's own files on top, as
 * it would on such a host. Only the guard test uses it (hermetic.test.ts).
 */
export function inHostView(dir: string, argv: readonly string[]): string[] {
  const script = 'd=$1; shift; for f in "$d"/*; do mount --bind "$f" "/etc/${f##*/}" || exit 125; done; exec "$@"';
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, ...argv];
}

export interface NetnsOptions {
  /** Simulate a host whose /etc is this directory's files (see inHostView); for the guard test. */
  readonly hostView?: string;
}

/** A set of namespaces and the processes started in them. */
export class Netns {
  readonly id: string;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly hostView: string | undefined;

  constructor(tag: string, opts: NetnsOptions = {}) {
    this.id = `sg${tag}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
    this.hostView = opts.hostView;
  }

  /**
   * Creates namespace `<id>-<name>` with loopback up, forwarding off and its
   * own /etc files (resolver on its own loopback; `hosts` lines of
   * [address, ...names]); returns its full name.
   */
  add(name: string, etc: { hosts?: readonly (readonly string[])[]; nameservers?: readonly string[] } = {}): string {
    const ns = `${this.id}-${name}`;
    writeNamespaceEtc(ns, etc);
    try {
      sh('ip', ['netns', 'add', ns]);
    } catch (e) {
      removeNamespaceEtc(ns);
      throw e;
    }
    this.namespaces.push(ns);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    this.exec(ns, 'sysctl', ['-qw', ...NAMESPACE_SYSCTLS]);
    return ns;
  }

  /** Points the namespace's resolv.conf at `nameservers` (e.g. a client that resolves through sixgate). */
  setResolver(ns: string, nameservers: readonly string[]): void {
    writeNamespaceResolver(ns, nameservers);
  }

  /** The argv that runs `cmd` inside `ns` (through the simulated host view if any). */
  argv(ns: string, cmd: string, args: readonly string[]): string[] {
    const argv = ['ip', 'netns', 'exec', ns, cmd, ...args];
    return this.hostView === undefined ? argv : inHostView(this.hostView, argv);
  }

  /** Runs `cmd` inside `ns` synchronously. */
  exec(ns: string, cmd: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number; input?: string } = {}): ExecResult {
    const [bin, ...rest] = this.argv(ns, cmd, args);
    return sh(bin!, rest, opts);
  }

  /** Runs `cmd` inside `ns` asynchronously (bounded by `timeoutMs`). */
  execAsync(ns: string, cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const [bin, ...rest] = this.argv(ns, cmd, args);
    return run(bin!, rest, opts);
  }

  /** Starts a long-running process in `ns`; it is killed by `destroy()`. Its environment is cleaned (cleanEnv). */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const [bin, ...rest] = this.argv(ns, cmd, args);
    const child = spawn(bin!, rest, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: cleanEnv(opts.env ?? process.env) });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * Captures with tshark on `iface` in `ns` (capture filter `filter`) into
   * `file` while `during` runs: starts 0.3 s after tshark reports it is
   * capturing, and stops it (SIGINT, so the file is complete) even when
   * `during` throws.
   */
  async capture<T>(ns: string, iface: string, filter: string, file: string, during: () => Promise<T>): Promise<T> {
    const cap = this.spawn(ns, 'tshark', ['-n', '-i', iface, '-f', filter, '-w', file]);
    let err = '';
    cap.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor(() => /Capturing on/.test(err), 20_000, `tshark capturing on ${iface} in ${ns}: ${err}`);
      // "Capturing on" can come a moment before packets are taken: a query sent right after it was
      // seen missing from the file while its answer, 0.4 s later, was there.
      await new Promise((r) => setTimeout(r, 300));
      return await during();
    } finally {
      if (cap.exitCode === null && cap.signalCode === null) {
        cap.kill('SIGINT');
        await new Promise((r) => cap.once('exit', r));
      }
      this.release(cap);
    }
  }

  /** Forgets a child (e.g. after the test stopped it itself). */
  release(child: ChildProcess): void {
    this.children.delete(child);
  }

  /** Kills every tracked process and deletes every namespace; safe to call twice. */
  async destroy(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const c of this.children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      waits.push(new Promise((r) => c.once('exit', () => r())));
      c.kill('SIGKILL');
    }
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 3000))]);
    this.children.clear();
    for (const ns of this.namespaces.splice(0).reverse()) {
      // Kill anything still running inside (e.g. daemons that double-forked), then delete.
      const pids = sh('ip', ['netns', 'pids', ns], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
      for (const pid of pids) spawnSync('kill', ['-9', pid]);
      sh('ip', ['netns', 'delete', ns], { allowFail: true });
      removeNamespaceEtc(ns);
    }
  }
}

/** Addresses of the standard three-namespace topology. */
export const ADDR = {
  client6: '2001:db8:1::2',
  appliance6: '2001:db8:1::1',
  appliance4: '198.51.100.1',
  server4: '198.51.100.2',
  /** A network-specific prefix: documentation space, may embed any IPv4 (RFC 6052). */
  prefix: '2001:db8:64::/96',
  pool4: '203.0.113.0/28',
} as const;

/** The hosts file lines of the standard topology: every address has a name, so reverse lookups are answered locally. */
export const TOPOLOGY_HOSTS: readonly (readonly string[])[] = [
  [ADDR.client6, 'client'],
  [ADDR.appliance6, 'appliance'],
  [ADDR.appliance4, 'appliance'],
  [ADDR.server4, 'server'],
];

/** The three namespaces of the standard topology. */
export interface Topology {
  readonly net: Netns;
  readonly client: string;
  readonly appliance: string;
  readonly server: string;
}

/**
 * Builds client ↔ appliance ↔ server. The appliance forwards; the server
 * routes everything (incl. pool4) back via the appliance; the client's default
 * route points at the appliance. `clientMtu` sets the client link's MTU.
 */
export function buildTopology(tag: string, opts: { clientMtu?: number } & NetnsOptions = {}): Topology {
  const net = new Netns(tag, opts);
  try {
    const client = net.add('c', { hosts: TOPOLOGY_HOSTS });
    const appliance = net.add('a', { hosts: TOPOLOGY_HOSTS });
    const server = net.add('s', { hosts: TOPOLOGY_HOSTS });
    sh('ip', ['-n', appliance, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', client]);
    sh('ip', ['-n', appliance, 'link', 'add', 'a1', 'type', 'veth', 'peer', 'name', 's0', 'netns', server]);
    const mtu = String(opts.clientMtu ?? 1500);
    for (const [ns, dev] of [[appliance, 'a0'], [client, 'c0']] as const) {
      sh('ip', ['-n', ns, 'link', 'set', dev, 'mtu', mtu]);
    }
    // No DAD delays, no router solicitations: addresses usable at once.
    for (const ns of [client, appliance]) {
      net.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    }
    sh('ip', ['-n', client, 'addr', 'add', `${ADDR.client6}/64`, 'dev', 'c0', 'nodad']);
    sh('ip', ['-n', appliance, 'addr', 'add', `${ADDR.appliance6}/64`, 'dev', 'a0', 'nodad']);
    sh('ip', ['-n', appliance, 'addr', 'add', `${ADDR.appliance4}/24`, 'dev', 'a1']);
    sh('ip', ['-n', server, 'addr', 'add', `${ADDR.server4}/24`, 'dev', 's0']);
    for (const [ns, dev] of [[client, 'c0'], [appliance, 'a0'], [appliance, 'a1'], [server, 's0']] as const) {
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    sh('ip', ['-n', client, '-6', 'route', 'add', 'default', 'via', ADDR.appliance6]);
    sh('ip', ['-n', server, 'route', 'add', 'default', 'via', ADDR.appliance4]);
    // The client is IPv6-only: no IPv4 address, and IPv4 is not routed anywhere.
    return { net, client, appliance, server };
  } catch (e) {
    void net.destroy();
    throw e;
  }
}

/** Waits until `probe` returns true, polling every `stepMs`, at most `timeoutMs`. */
export async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
