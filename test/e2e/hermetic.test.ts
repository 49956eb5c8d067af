// Guard: the end-to-end topology does not depend on the machine it runs on
// (issue 14, "the suite must pass on any fresh machine"). The test builds the
// standard topology as if on a host whose resolver is an address the
// appliance namespace drops in silence (forwarding off there), whose hosts
// file names nothing, and whose environment points every proxy variable at a
// black hole — the fresh-machine condition that made `startServers` time out
// — and proves the servers start and answer anyway.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupDir, startServers } from './lib/appliance.js';
import { cleanEnv } from './lib/hermetic.mjs';
import { ADDR, buildTopology, inHostView, requireRoot, sh, waitFor, type Topology } from './lib/netns.js';

/** A resolver address that the server namespace routes into the appliance, which drops it. */
const BLACKHOLE_RESOLVER = '192.0.2.53';
const BLACKHOLE_PROXY = 'http://192.0.2.54:3128';
const PROXY_VARS = ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'];

let hostView = '';
let topo: Topology | undefined;
let srvDir: string | undefined;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(() => {
  requireRoot();
  hostView = mkdtempSync(join(tmpdir(), 'sg-e2e-hostview-'));
  // The host as a fresh machine can be: a resolver that is not on the host itself, an empty
  // hosts file, DNS as the only source. timeout:5 attempts:2 = 10 s per lookup, like glibc's default.
  writeFileSync(join(hostView, 'resolv.conf'), `nameserver ${BLACKHOLE_RESOLVER}\noptions timeout:5 attempts:2\n`);
  writeFileSync(join(hostView, 'hosts'), '# blackholed host view: no names\n');
  writeFileSync(join(hostView, 'nsswitch.conf'), 'hosts: dns\n');
  for (const v of [...PROXY_VARS, 'RES_OPTIONS']) savedEnv[v] = process.env[v];
  for (const v of PROXY_VARS) process.env[v] = BLACKHOLE_PROXY;
  process.env.RES_OPTIONS = 'timeout:30 attempts:5';
  topo = buildTopology('hg', { hostView });
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await topo?.net.destroy();
  cleanupDir(srvDir);
  cleanupDir(hostView);
});

const t = (): Topology => topo!;

describe('the end-to-end topology is hermetic', () => {
  it('control: outside the hermetic /etc, a lookup in the server namespace hangs (the fresh-machine condition holds)', () => {
    // nsenter joins only the network namespace: no /etc/netns files, the host view's resolver.
    const argv = inHostView(hostView, ['nsenter', `--net=/run/netns/${t().server}`, 'timeout', '3', 'getent', 'hosts', ADDR.server4]);
    const started = Date.now();
    const r = sh(argv[0]!, argv.slice(1), { allowFail: true, timeoutMs: 10_000 });
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(124); // killed by timeout(1): the query went nowhere
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('every namespace starts with forwarding off, whatever the host says', () => {
    for (const ns of [t().client, t().appliance, t().server]) {
      expect(t().net.exec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward']).stdout.trim()).toBe('0');
      expect(t().net.exec(ns, 'sysctl', ['-n', 'net.ipv6.conf.all.forwarding']).stdout.trim()).toBe('0');
    }
  });

  it('every namespace sees its own resolv.conf, hosts and nsswitch.conf, not the host view', () => {
    for (const ns of [t().client, t().appliance, t().server]) {
      const resolv = t().net.exec(ns, 'cat', ['/etc/resolv.conf']).stdout;
      expect(resolv).toContain('nameserver 127.0.0.1');
      expect(resolv).not.toContain(BLACKHOLE_RESOLVER);
      expect(t().net.exec(ns, 'cat', ['/etc/hosts']).stdout).toMatch(/^198\.51\.100\.2 server$/m);
      expect(t().net.exec(ns, 'cat', ['/etc/nsswitch.conf']).stdout).toMatch(/^hosts: files dns$/m);
    }
    // The files live and die with the namespace.
    expect(readFileSync(`/etc/netns/${t().server}/hosts`, 'utf8')).toContain('server');
  });

  it('lookups answer at once: reverse from the hosts file, forward names fail fast', () => {
    let started = Date.now();
    const rev = t().net.exec(t().server, 'getent', ['hosts', ADDR.server4], { allowFail: true, timeoutMs: 10_000 });
    expect(rev.stdout).toMatch(/198\.51\.100\.2\s+server/);
    expect(Date.now() - started).toBeLessThan(2000);
    started = Date.now();
    const fwd = t().net.exec(t().server, 'getent', ['hosts', 'www.example.invalid'], { allowFail: true, timeoutMs: 10_000 });
    expect(fwd.code).toBe(2); // not found
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('children never inherit proxy or resolver variables', () => {
    expect(process.env.http_proxy).toBe(BLACKHOLE_PROXY);
    const env = t().net.exec(t().server, 'env', []).stdout;
    expect(env).not.toMatch(/proxy=|RES_OPTIONS/i);
    expect(Object.keys(cleanEnv({ http_proxy: 'x', NO_PROXY: 'y', npm_config_https_proxy: 'z', LOCALDOMAIN: 'l', HOSTALIASES: 'h', PATH: '/bin', PROXYISH: 'keep' }))).toEqual(['PATH', 'PROXYISH']);
  });

  it('the servers start and serve, and a server that reverse-resolves its address starts too', async () => {
    const started = Date.now();
    const srv = await startServers(t(), { bigMiB: 1 });
    srvDir = srv.dir;
    expect(Date.now() - started).toBeLessThan(10_000);
    // curl would use the (blackholed) proxy from the environment if the child inherited it.
    const page = t().net.exec(t().server, 'curl', ['-sS', '--max-time', '5', `http://${ADDR.server4}/`], { allowFail: true, timeoutMs: 10_000 });
    expect(page.stdout).toContain('hello from the IPv4-only server');
    const dig = t().net.exec(t().server, 'dig', ['+short', '+time=1', '+tries=1', `@${ADDR.server4}`, 'A', 'www.example.net'], { allowFail: true });
    expect(dig.stdout.trim()).toBe(ADDR.server4);
    // The server that hung on a fresh machine: python's http.server calls getfqdn() on its
    // bind address before it listens.
    t().net.spawn(t().server, 'python3', ['-m', 'http.server', '8080', '--bind', ADDR.server4, '--directory', srv.dir]);
    await waitFor(() => t().net.exec(t().server, 'ss', ['-lnt'], { allowFail: true }).stdout.includes(`${ADDR.server4}:8080 `), 5000, 'python3 -m http.server to listen');
  }, 60_000);
});
