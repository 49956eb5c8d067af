/**
 * `sixgate lab up|status|down` end to end, with the built CLI: the demo a
 * newcomer runs must really show DNS64 + NAT64 (a page loads by name from the
 * IPv6-only client), and `down` must leave nothing behind — no namespace,
 * process, file or resolver override. The lab uses fixed names, so the test
 * refuses to run (fails) when a lab is already up on this machine.
 */
import { embedIpv4, formatIpv6, ipv4InCidr, parseIpv4, parseIpv4Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, SIXGATE } from './lib/appliance.js';
import { lab, labNamespaces, requireNoLab } from './lib/lab.js';
import { runCmd } from './lib/image.js';
import { requireRoot, sh } from './lib/netns.js';

const NS = ['sixgate-lab-client', 'sixgate-lab-gw', 'sixgate-lab-server'];
const PREFIX = '2001:db8:6464::/96';
const NEXT_PREFIX = '2001:db8:6465::/96';
const POOL4 = '198.51.100.0/28';
const SERVER4 = '192.0.2.80';

/** Processes started from this checkout's CLI for the lab (`lab serve`, or `run` with the lab's state dir). */
const labProcesses = (): string[] =>
  sh('ps', ['-eo', 'pid=,args='])
    .stdout.split('\n')
    .filter((l) => l.includes(SIXGATE) && (l.includes(' lab serve') || l.includes(' lab clat') || l.includes('/run/sixgate-lab/')));

describe('sixgate lab', () => {
  const timings: Record<string, number> = {};

  beforeAll(() => {
    requireRoot();
    requireNoLab();
    ensureBuilt();
  }, 300_000);

  afterAll(async () => {
    await lab('down');
    process.stderr.write(`[lab.test] timings: ${JSON.stringify(timings)}\n`);
  });

  it('up: DNS64 + NAT64 work from the IPv6-only client by name; status says up', async () => {
    let t = Date.now();
    const up = await lab('up');
    timings['upMs'] = Date.now() - t;
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('ip netns exec sixgate-lab-client curl -s http://www.example.net/');
    expect(NS.every((n) => existsSync(`/run/netns/${n}`))).toBe(true);

    // Hermetic: each namespace has its own resolv.conf, hosts and nsswitch.conf; none names the host's resolver.
    for (const ns of NS) {
      expect(existsSync(`/etc/netns/${ns}/resolv.conf`) && existsSync(`/etc/netns/${ns}/hosts`) && existsSync(`/etc/netns/${ns}/nsswitch.conf`), ns).toBe(true);
      const resolv = sh('ip', ['netns', 'exec', ns, 'cat', '/etc/resolv.conf']).stdout;
      expect(resolv).toMatch(ns === 'sixgate-lab-client' ? /^nameserver 2001:db8:64::1$/m : /^nameserver 127\.0\.0\.1$/m);
    }
    expect(sh('ip', ['netns', 'exec', 'sixgate-lab-server', 'getent', 'hosts', SERVER4], { timeoutMs: 3000 }).stdout).toContain('lab-server');

    // The client's only IPv4 is the CLAT's (RFC 7335 192.0.0.1 on clat0); its link is IPv6-only.
    expect(sh('ip', ['-n', 'sixgate-lab-client', '-4', '-o', 'addr', 'show', 'scope', 'global']).stdout.trim()).toMatch(/^\d+: clat0 +inet 192\.0\.0\.1\/32 /);
    expect(sh('ip', ['-n', 'sixgate-lab-client', '-4', 'addr', 'show', 'dev', 'lab0']).stdout.trim()).toBe('');
    expect(up.stdout).toContain('ip netns exec sixgate-lab-client curl -s http://192.0.2.80/');

    // DNS64 through the client's own resolver configuration (/etc/netns/<ns>/resolv.conf).
    const synth = new Uint8Array(16);
    embedIpv4(parseNat64Prefix(PREFIX), parseIpv4(SERVER4), synth, 0);
    const dig = sh('ip', ['netns', 'exec', 'sixgate-lab-client', 'dig', '+short', '+time=2', '+tries=2', 'AAAA', 'www.example.net']);
    expect(dig.stdout.trim()).toBe(formatIpv6(synth));

    // NAT64: the page loads by name; the server saw a pool4 address.
    t = Date.now();
    const curl = sh('ip', ['netns', 'exec', 'sixgate-lab-client', 'curl', '-sS', '--max-time', '10', 'http://www.example.net/']);
    timings['curlMs'] = Date.now() - t;
    expect(curl.stdout).toContain('Hello from the IPv4-only server');
    const seen = /arrived from <b>([0-9.]+)<\/b>/.exec(curl.stdout)?.[1];
    expect(seen).toBeDefined();
    expect(ipv4InCidr(parseIpv4(seen!), parseIpv4Cidr(POOL4)), seen).toBe(true);

    const status = await lab('status');
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toContain('lab: up');
    expect(status.stdout).toContain('health (GET /api/v1/health): 200');
    expect(status.stdout).toMatch(/routes into it: .*2001:db8:6464::\/96/);
  });

  it('the CLAT reaches an IPv4 literal, and follows `sixgate prefix set` through the router advertisements', async () => {
    const literal = () => sh('ip', ['netns', 'exec', 'sixgate-lab-client', 'curl', '-sS', '--max-time', '10', `http://${SERVER4}/`], { allowFail: true });
    expect(literal().stdout).toContain('Hello from the IPv4-only server');
    const clatLog = () => sh('cat', ['/run/sixgate-lab/clat.log']).stdout;
    expect(clatLog()).toContain(`clat: tayga running with prefix ${PREFIX}`);
    const token = sh('cat', ['/run/sixgate-lab/state/api-token']).stdout.trim();
    const set = sh('ip', ['netns', 'exec', 'sixgate-lab-gw', process.execPath, SIXGATE, '--token', token, 'prefix', 'set', NEXT_PREFIX], { allowFail: true });
    expect(set.code, set.stdout + set.stderr).toBe(0);
    const end = Date.now() + 15_000;
    while (!clatLog().includes(`clat: tayga running with prefix ${NEXT_PREFIX}`) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(clatLog()).toContain(`clat: tayga running with prefix ${NEXT_PREFIX}`);
    let page = '';
    for (let i = 0; i < 10 && !page.includes('Hello'); i++) {
      page = literal().stdout;
      if (!page.includes('Hello')) await new Promise((r) => setTimeout(r, 300));
    }
    expect(page).toContain('Hello from the IPv4-only server');
    expect(sh('cat', ['/run/sixgate-lab/state/sixgate.yaml']).stdout).toContain(NEXT_PREFIX);
  }, 60_000);

  it('up again refuses while the lab runs, and changes nothing', async () => {
    const again = await lab('up');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already up');
    const status = await lab('status');
    expect(status.code).toBe(0);
  });

  it('down removes every namespace, process and file; a second down finds nothing', async () => {
    expect(labProcesses().length).toBe(3);
    const t = Date.now();
    const down = await lab('down');
    timings['downMs'] = Date.now() - t;
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('namespace sixgate-lab-gw');
    expect(labNamespaces()).toEqual([]);
    expect(labProcesses()).toEqual([]);
    expect(existsSync('/run/sixgate-lab')).toBe(false);
    for (const ns of NS) expect(existsSync(`/etc/netns/${ns}`), ns).toBe(false);

    const status = await lab('status');
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('lab: down');
    const again = await lab('down');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to remove');
  });

  it('up fails with sixgate\'s own error and leaves nothing when sixgate cannot start', async () => {
    // The spawned `sixgate run` inherits the environment: a too-short token is a config error.
    const r = await runCmd(process.execPath, [SIXGATE, 'lab', 'up'], { env: { ...process.env, SIXGATE_API_TOKEN: 'short' }, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sixgate exited during start');
    expect(r.stderr).toMatch(/token/i);
    expect(labNamespaces()).toEqual([]);
    expect(labProcesses()).toEqual([]);
    expect(existsSync('/run/sixgate-lab')).toBe(false);
    for (const ns of NS) expect(existsSync(`/etc/netns/${ns}`), ns).toBe(false);
  });

  it('status reports a half-built lab as degraded, and down cleans it up', async () => {
    sh('ip', ['netns', 'add', 'sixgate-lab-gw']);
    const status = await lab('status');
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('lab: degraded');
    const up = await lab('up');
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('sixgate lab down');
    expect((await lab('down')).code).toBe(0);
    expect(labNamespaces()).toEqual([]);
  });
});
