// Network namespaces for the data-path benchmark: the standard three-namespace
// topology of the end-to-end tests, re-done in plain ESM (the e2e helpers are
// TypeScript run by vitest). Every run gets a unique name prefix; every
// process started here is tracked and `destroy()` removes all of it.
//
//   client (IPv6 only)        appliance                    server (IPv4 only)
//   c0 2001:db8:1::2/64 ── a0 2001:db8:1::1/64
//                             a1 198.51.100.1/24 ── s0 198.51.100.2/24
//
// Hermetic like the e2e topology (test/e2e/lib/hermetic.mjs): each namespace
// has its own resolv.conf, hosts and nsswitch.conf (/etc/netns/<ns>/, made and
// removed with it), starts with forwarding off, and every child runs without
// the proxy and resolver variables of this process's environment.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cleanEnv, NAMESPACE_SYSCTLS, removeNamespaceEtc, writeNamespaceEtc } from '../../e2e/lib/hermetic.mjs';

/** Addresses of the topology (documentation space only). */
export const ADDR = Object.freeze({
  client6: '2001:db8:1::2',
  appliance6: '2001:db8:1::1',
  appliance4: '198.51.100.1',
  server4: '198.51.100.2',
  /** Network-specific prefix (RFC 6052 §2.2): may embed documentation IPv4 addresses. */
  prefix: '2001:db8:64::/96',
  /** 198.51.100.2 embedded in the prefix. */
  server6: '2001:db8:64::c633:6402',
  pool4: '203.0.113.0/28',
});

/** Runs a command synchronously (bounded); throws with its stderr on failure unless `allowFail`. */
export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 20_000, env: cleanEnv() });
  const res = { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}

/** Fails loudly when the machine cannot run the benchmark. */
export function requireRoot() {
  if (process.getuid?.() !== 0) throw new Error('the data-path benchmark needs root (network namespaces, TUN devices)');
  sh('ip', ['netns', 'list']);
}

/** A set of namespaces and the processes started in them. */
export class Netns {
  constructor(tag, niceness) {
    this.niceness = niceness;
    this.id = `sgb${tag}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
    this.namespaces = [];
    this.children = new Set();
  }

  /** Creates namespace `<id>-<name>` with loopback up, forwarding off and its own /etc files; returns its name. */
  add(name, etc = {}) {
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

  exec(ns, cmd, args, opts = {}) {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Runs `cmd` in `ns` asynchronously, killed after `timeoutMs`; resolves with its output. */
  execAsync(ns, cmd, args, opts = {}) {
    return new Promise((resolve) => {
      const child = this.spawn(ns, cmd, args);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      child.on('close', (code, signal) => {
        clearTimeout(t);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /**
   * Starts a long-running process in `ns`, killed by destroy(). `nice` and
   * `ip netns exec` both exec, so the child's pid is the command's own. With
   * `niceness` set (see BENCH_NICE) it runs at that priority.
   */
  spawn(ns, cmd, args) {
    const pre = this.niceness === undefined ? [] : ['nice', '-n', String(this.niceness)];
    const argv = [...pre, 'ip', 'netns', 'exec', ns, cmd, ...args];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills every tracked process and everything left in the namespaces, then deletes them. */
  async destroy() {
    const waits = [];
    for (const c of this.children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      waits.push(new Promise((r) => c.once('exit', r)));
      c.kill('SIGKILL');
    }
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 3000))]);
    this.children.clear();
    for (const ns of this.namespaces.splice(0).reverse()) {
      const pids = sh('ip', ['netns', 'pids', ns], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
      for (const pid of pids) spawnSync('kill', ['-9', pid]);
      sh('ip', ['netns', 'delete', ns], { allowFail: true });
      removeNamespaceEtc(ns);
    }
  }
}

/**
 * Builds client ↔ appliance ↔ server: the client's default route points at
 * the appliance, the server routes everything (pool4 included) back via the
 * appliance, and the appliance forwards both families.
 */
export function buildTopology(tag, niceness) {
  const net = new Netns(tag, niceness);
  try {
    const hosts = [[ADDR.client6, 'client'], [ADDR.appliance6, 'appliance'], [ADDR.appliance4, 'appliance'], [ADDR.server4, 'server']];
    const client = net.add('c', { hosts });
    const appliance = net.add('a', { hosts });
    const server = net.add('s', { hosts });
    sh('ip', ['-n', appliance, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', client]);
    sh('ip', ['-n', appliance, 'link', 'add', 'a1', 'type', 'veth', 'peer', 'name', 's0', 'netns', server]);
    for (const ns of [client, appliance]) {
      net.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    }
    net.exec(appliance, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    sh('ip', ['-n', client, 'addr', 'add', `${ADDR.client6}/64`, 'dev', 'c0', 'nodad']);
    sh('ip', ['-n', appliance, 'addr', 'add', `${ADDR.appliance6}/64`, 'dev', 'a0', 'nodad']);
    sh('ip', ['-n', appliance, 'addr', 'add', `${ADDR.appliance4}/24`, 'dev', 'a1']);
    sh('ip', ['-n', server, 'addr', 'add', `${ADDR.server4}/24`, 'dev', 's0']);
    for (const [ns, dev] of [[client, 'c0'], [appliance, 'a0'], [appliance, 'a1'], [server, 's0']]) {
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    sh('ip', ['-n', client, '-6', 'route', 'add', 'default', 'via', ADDR.appliance6]);
    sh('ip', ['-n', server, 'route', 'add', 'default', 'via', ADDR.appliance4]);
    // Permanent neighbour entries: no packets queued or lost to ND/ARP
    // resolution (or re-probing) in the middle of a trial.
    const mac = (ns, dev) => JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', dev]).stdout)[0].address;
    for (const [ns, dev, addr, peerNs, peerDev] of [
      [client, 'c0', ADDR.appliance6, appliance, 'a0'],
      [appliance, 'a0', ADDR.client6, client, 'c0'],
      [appliance, 'a1', ADDR.server4, server, 's0'],
      [server, 's0', ADDR.appliance4, appliance, 'a1'],
    ]) {
      sh('ip', ['-n', ns, 'neigh', 'replace', addr, 'lladdr', mac(peerNs, peerDev), 'dev', dev, 'nud', 'permanent']);
    }
    return { net, client, appliance, server };
  } catch (e) {
    void net.destroy();
    throw e;
  }
}

/** Polls `probe` every `stepMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(probe, timeoutMs, what, stepMs = 50) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
