/**
 * The container image, for real: docker/Dockerfile built with podman (no
 * Docker engine or registry here; see lib/image.ts), then run in the
 * appliance namespace of the standard topology exactly as an operator runs
 * it — `--cap-add NET_ADMIN --device /dev/net/tun`, configured only by
 * SIXGATE_* variables — and checked from the IPv6-only client: DNS64
 * synthesizes, a page on the IPv4-only server loads through NAT64, the
 * HEALTHCHECK passes, and `podman stop` ends it with exit 0 and no TUN
 * device or route left behind. Also: the entrypoint's dispatch (outside any
 * container) and the invariants of docker/compose.yaml.
 *
 * First run on a fresh machine: several minutes (debootstrap, apt and npm
 * inside the build); afterwards the images are cached and the file takes
 * well under a minute.
 */
import { embedIpv4, formatIpv6, parseIpv4, parseIpv4Cidr, ipv4InCidr, parseNat64Prefix } from '@sixgate/addressing';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildSixgateImage, ensureBaseImage, preparePodman, REPO_ROOT, runCmd, type Podman } from './lib/image.js';
import { ADDR, buildTopology, requireRoot, waitFor, type Topology } from './lib/netns.js';
import { UDP_TOOL } from './lib/appliance.js';

/** Every variable of SPEC §3's table (+ SIXGATE_LOG_LEVEL, docs/configuration.md): the only configuration the image takes. */
const SPEC_VARIABLES = [
  'SIXGATE_CONFIG', 'SIXGATE_PREFIX', 'SIXGATE_POOL4', 'SIXGATE_UPSTREAMS', 'SIXGATE_DNS_LISTEN', 'SIXGATE_DNS_CLIENTS',
  'SIXGATE_TUN', 'SIXGATE_API_LISTEN', 'SIXGATE_API_TOKEN', 'SIXGATE_STATE_DIR', 'SIXGATE_NO_ROUTES', 'SIXGATE_LOG_LEVEL',
];

describe('docker/entrypoint.sh (outside a container)', () => {
  // A stand-in for bin/sixgate.js that prints the arguments it got.
  const dir = mkdtempSync(join(tmpdir(), 'sg-entry-'));
  const stub = join(dir, 'stub.js');
  writeFileSync(stub, 'console.log(JSON.stringify(process.argv.slice(2)))\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const entry = async (...args: string[]): Promise<{ code: number | null; out: string }> => {
    const r = await runCmd('sh', [join(REPO_ROOT, 'docker/entrypoint.sh'), ...args], { env: { ...process.env, SIXGATE_JS: stub }, timeoutMs: 10_000 });
    return { code: r.code, out: r.stdout.trim() };
  };

  it.each([
    { name: 'no arguments → run', args: [], want: ['run'] },
    { name: 'check', args: ['check'], want: ['check'] },
    { name: 'a subcommand with options', args: ['sessions', '--protocol', 'tcp'], want: ['sessions', '--protocol', 'tcp'] },
    { name: 'flags only → run with them', args: ['--prefix', '64:ff9b::/96'], want: ['run', '--prefix', '64:ff9b::/96'] },
  ])('$name', async ({ args, want }) => {
    const r = await entry(...args);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(want);
  });

  it('executes any other command as is (e.g. a shell)', async () => {
    const r = await entry('sh', '-c', 'echo shell:$0', 'ok');
    expect(r).toEqual({ code: 0, out: 'shell:ok' });
  });
});

describe('the HEALTHCHECK one-liner of docker/Dockerfile (outside a container)', () => {
  // The exact command the image runs: the JSON array after `HEALTHCHECK ... CMD`.
  const dockerfile = readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const cmd = JSON.parse(/^HEALTHCHECK .*? CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[] | null;
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  const serve = async (host: string, status: number): Promise<number> => {
    const s = createServer((req, res) => {
      res.writeHead(req.url === '/api/v1/health' ? status : 404).end('{}');
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, host, r));
    return (s.address() as AddressInfo).port;
  };
  const probe = async (listen: string | undefined): Promise<number | null> => {
    const env = { ...process.env };
    delete env['SIXGATE_API_LISTEN'];
    if (listen !== undefined) env['SIXGATE_API_LISTEN'] = listen;
    return (await runCmd(cmd![0]!, cmd!.slice(1), { env, timeoutMs: 10_000 })).code;
  };

  it('is a node one-liner (no curl in the image)', () => {
    expect(cmd?.slice(0, 2)).toEqual(['node', '-e']);
  });

  it('passes on 200 and fails on 503 or when nothing listens', async () => {
    const ok = await serve('127.0.0.1', 200);
    const sick = await serve('127.0.0.1', 503);
    expect(await probe(`127.0.0.1:${ok}`)).toBe(0);
    expect(await probe(`127.0.0.1:${sick}`)).toBe(1);
    const closed = await serve('127.0.0.1', 200);
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probe(`127.0.0.1:${closed}`)).toBe(1);
  });

  it('asks loopback when the API listens on a wildcard, and handles [v6]:port', async () => {
    const v4 = await serve('127.0.0.1', 200);
    const v6 = await serve('::1', 200);
    expect(await probe(`0.0.0.0:${v4}`)).toBe(0);
    expect(await probe(`[::1]:${v6}`)).toBe(0);
    expect(await probe(`[::]:${v6}`)).toBe(0);
  });
});

describe('docker/compose.yaml', () => {
  const doc = parseYaml(readFileSync(join(REPO_ROOT, 'docker/compose.yaml'), 'utf8')) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };
  const svc = doc.services['sixgate']!;

  it('runs on the host network with NET_ADMIN and /dev/net/tun, and nothing more', () => {
    expect(svc['network_mode']).toBe('host');
    expect(svc['cap_add']).toEqual(['NET_ADMIN']);
    expect(svc['devices']).toEqual(['/dev/net/tun:/dev/net/tun']);
    expect(svc['privileged']).toBeUndefined();
    expect(svc['restart']).toBe('unless-stopped');
    expect(svc['healthcheck']).toBeDefined();
  });

  it('keeps /var/lib/sixgate in a named volume and builds docker/Dockerfile', () => {
    expect(svc['volumes']).toEqual(['sixgate-state:/var/lib/sixgate']);
    expect(Object.keys(doc.volumes)).toEqual(['sixgate-state']);
    expect(svc['build']).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
  });

  it('sets and documents only variables SPEC §3 defines', () => {
    const text = readFileSync(join(REPO_ROOT, 'docker/compose.yaml'), 'utf8');
    const mentioned = new Set(text.match(/SIXGATE_[A-Z0-9_]+/g) ?? []);
    for (const v of mentioned) expect(SPEC_VARIABLES, v).toContain(v);
    for (const v of Object.keys(svc['environment'] as Record<string, string>)) expect(SPEC_VARIABLES).toContain(v);
    // Pool and prefix values given there must at least parse.
    const env = svc['environment'] as Record<string, string>;
    expect(() => parseNat64Prefix(env['SIXGATE_PREFIX']!)).not.toThrow();
    for (const c of env['SIXGATE_POOL4']!.split(',')) expect(() => parseIpv4Cidr(c)).not.toThrow();
  });
});

describe('sixgate image (podman)', () => {
  let podman: Podman;
  let image = '';
  let topo: Topology | undefined;
  let serverDir = '';
  const ctr = `sg-docker-e2e-${process.pid}`;
  const timings: Record<string, number> = {};
  const log = (s: string): void => void process.stderr.write(`[docker.test] ${s}\n`);
  /** `podman run` of the image in the appliance namespace as an operator runs it, plus `extra` options. */
  const applianceRun = (name: string, appliance: string, extra: string[]): string[] => [
    'run', '-d', '--name', name,
    '--network', `ns:/run/netns/${appliance}`,
    '--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun',
    ...extra,
    '--health-interval', 'disable', // no systemd timers here; the test runs the check itself
    '-e', `SIXGATE_PREFIX=${ADDR.prefix}`,
    '-e', `SIXGATE_POOL4=${ADDR.pool4}`,
    '-e', `SIXGATE_UPSTREAMS=${ADDR.server4}`,
    '-e', `SIXGATE_DNS_LISTEN=[${ADDR.appliance6}]:53`,
    '-e', 'SIXGATE_DNS_CLIENTS=2001:db8:1::/64',
    '-e', 'SIXGATE_API_LISTEN=127.0.0.1:8064',
    image,
  ];

  beforeAll(async () => {
    requireRoot();
    let t = Date.now();
    podman = await preparePodman();
    const base = await ensureBaseImage(podman, log);
    timings['baseImageMs'] = Date.now() - t;
    t = Date.now();
    image = (await buildSixgateImage(podman, base)).tag;
    timings['buildMs'] = Date.now() - t;
    log(`base ${timings['baseImageMs']} ms, build ${timings['buildMs']} ms`);
  }, 1_500_000);

  afterAll(async () => {
    // -v: also the anonymous volume the image's VOLUME made for /var/lib/sixgate.
    if (podman) await podman.run(['rm', '-f', '-v', '-t', '0', ctr], 30_000);
    await topo?.net.destroy();
    if (serverDir) rmSync(serverDir, { recursive: true, force: true });
    log(`timings: ${JSON.stringify(timings)}`);
  });

  it('is a slim run stage: node, iproute2, the app; no compiler, no curl; documented metadata', async () => {
    // The Go template sees fields `{{json .Config}}` leaves out (Healthcheck): ask for each one.
    const inspect = await podman.must(['image', 'inspect', image, '--format', '{"Healthcheck":{{json .Config.Healthcheck}},"Config":{{json .Config}}}']);
    const both = JSON.parse(inspect.stdout) as { Healthcheck?: { Test: string[] }; Config: object };
    const cfg = { ...both.Config, Healthcheck: both.Healthcheck } as {
      Healthcheck?: { Test: string[] };
      ExposedPorts?: Record<string, unknown>;
      Volumes?: Record<string, unknown>;
      Entrypoint?: string[];
      Cmd?: string[];
    };
    // HEALTHCHECK survives only in the docker format (OCI drops it).
    expect(cfg.Healthcheck?.Test.join(' ')).toContain('/api/v1/health');
    expect(Object.keys(cfg.ExposedPorts ?? {}).sort()).toEqual(['53/tcp', '53/udp']);
    expect(Object.keys(cfg.Volumes ?? {})).toEqual(['/var/lib/sixgate']);
    expect(cfg.Entrypoint).toEqual(['/usr/local/bin/sixgate-entrypoint']);
    expect(cfg.Cmd).toEqual(['run']);
    const probe = await podman.run(
      ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c',
        'for b in node ip sixgate g++ make python3 curl; do command -v $b >/dev/null && echo $b; done; cd /app && ls packages/*/build/Release/*.node'],
      60_000,
    );
    expect(probe.code, probe.stderr).toBe(0);
    // Every package with a binding.gyp has its compiled addon in the image.
    const addons = readdirSync(join(REPO_ROOT, 'packages'))
      .filter((p) => existsSync(join(REPO_ROOT, 'packages', p, 'binding.gyp')))
      .map((p) => `packages/${p}/build/Release/`);
    expect(addons.length).toBeGreaterThan(0);
    const lines = probe.stdout.trim().split('\n');
    expect(lines.filter((l) => !l.includes('/')).sort()).toEqual(['ip', 'node', 'sixgate']);
    for (const dir of addons) expect(lines.some((l) => l.startsWith(dir) && l.endsWith('.node')), dir).toBe(true);
  });

  it('serves DNS64 and NAT64 from the appliance namespace, healthy, then stops cleanly', async () => {
    topo = buildTopology('dk');
    const { net, client, appliance, server } = topo;
    const prefix = parseNat64Prefix(ADDR.prefix);

    // The IPv4-only server: an authoritative zone for DNS64's upstream (nsd) and a web page.
    serverDir = mkdtempSync(join(tmpdir(), 'sg-dk-srv-'));
    startNsd(topo, serverDir);
    const token = `sixgate-docker-e2e-${process.pid}`;
    mkdirSync(join(serverDir, 'www'));
    writeFileSync(join(serverDir, 'www/index.html'), `<p>${token}</p>\n`);
    const web = net.spawn(server, process.execPath, [UDP_TOOL, 'http', ADDR.server4, '80', join(serverDir, 'www')]);
    let webLog = '';
    web.stderr?.on('data', (d: Buffer) => (webLog += d.toString()));

    await waitFor(
      () => net.exec(appliance, 'dig', ['+short', '+time=1', '+tries=1', `@${ADDR.server4}`, 'A', 'www.example.org'], { allowFail: true }).stdout.trim() === ADDR.server4,
      10_000,
      'nsd to answer in the server namespace',
      200,
    );
    // /proc/sys is read-only inside a container: forwarding is the host's job (docs/operations.md).
    net.exec(appliance, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    // The client resolves through sixgate, as a real client with RDNSS would.
    net.setResolver(client, [ADDR.appliance6]);

    let t = Date.now();
    await podman.must([
      // As Debian's podman runs it (its containers.conf grants no NET_RAW; the test's own
      // containers.conf falls back to podman's built-in defaults, which do).
      ...applianceRun(ctr, appliance, ['--cap-drop', 'NET_RAW']),
    ]);
    const logs = async (): Promise<string> => {
      const r = await podman.run(['logs', ctr]);
      return r.stdout + r.stderr;
    };
    try {
      await waitFor(async () => /"msg":"ready"/.test(await logs()), 60_000, "the container's ready line", 250);
    } catch (e) {
      throw new Error(`${(e as Error).message}; container logs:\n${(await logs()).slice(-3000)}`);
    }
    timings['readyMs'] = Date.now() - t;

    t = Date.now();
    await waitFor(async () => (await podman.run(['healthcheck', 'run', ctr], 20_000)).code === 0, 30_000, 'podman healthcheck run to pass', 500);
    timings['healthyMs'] = Date.now() - t;
    expect(net.exec(appliance, 'ip', ['-o', 'link', 'show', 'dev', 'sixgate0']).stdout).toContain('sixgate0');
    // The CLI inside the container reaches the API with the token from the state volume.
    const status = await podman.run(['exec', ctr, 'sixgate', 'status'], 20_000);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(ADDR.prefix);
    const state = await podman.must(['exec', ctr, 'sh', '-c', 'cd /var/lib/sixgate && stat -c "%n %a" api-token sixgate.yaml']);
    expect(state.stdout).toContain('api-token 600');
    expect(state.stdout).toContain('sixgate.yaml');
    const token1 = (await podman.must(['exec', ctr, 'cat', '/var/lib/sixgate/api-token'])).stdout.trim();
    expect(token1.length).toBeGreaterThanOrEqual(16);

    // DNS64: the AAAA DNS64 must synthesize for the IPv4-only name.
    const synth = new Uint8Array(16);
    embedIpv4(prefix, parseIpv4(ADDR.server4), synth, 0);
    const dig = net.exec(client, 'dig', ['+short', '+time=2', '+tries=2', `@${ADDR.appliance6}`, 'AAAA', 'www.example.org']);
    expect(dig.stdout.trim()).toBe(formatIpv6(synth));

    // NAT64: the page loads by name from the IPv6-only client; the server sees a pool4 source.
    t = Date.now();
    const curl = await net.execAsync(client, 'curl', ['-sS', '--max-time', '10', 'http://www.example.org/'], { timeoutMs: 15_000 });
    timings['curlMs'] = Date.now() - t;
    expect(curl.stderr).toBe('');
    expect(curl.stdout).toContain(token);
    const pool = parseIpv4Cidr(ADDR.pool4);
    const sources = [...webLog.matchAll(/^(\d+\.\d+\.\d+\.\d+) - - /gm)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) expect(ipv4InCidr(parseIpv4(s), pool), s).toBe(true);

    // Router advertisements need a raw ICMPv6 socket (CAP_NET_RAW), which this container lacks:
    // turning them on fails with an error that says so and changes nothing.
    const raDenied = await podman.run(['exec', ctr, 'sixgate', 'config', 'set', 'ra.interfaces', '["a0"]'], 20_000);
    expect(raDenied.code, raDenied.stdout + raDenied.stderr).not.toBe(0);
    expect(raDenied.stdout + raDenied.stderr).toMatch(/a0/);
    expect(raDenied.stdout + raDenied.stderr).toMatch(/NET_RAW/);
    const raView = JSON.parse((await podman.must(['exec', ctr, 'sixgate', '--json', 'config', 'get', 'ra.interfaces'])).stdout) as unknown;
    expect(raView).toEqual([]);

    // podman stop: SIGTERM → exit 0, device and routes gone (SPEC §3: within 5 s).
    t = Date.now();
    await podman.must(['stop', '-t', '10', ctr], 30_000);
    timings['stopMs'] = Date.now() - t;
    const exit = await podman.must(['inspect', ctr, '--format', '{{.State.ExitCode}}']);
    expect(exit.stdout.trim()).toBe('0');
    expect(timings['stopMs']).toBeLessThan(6000);
    expect(await logs()).toMatch(/"msg":"stopped"/);
    expect(net.exec(appliance, 'ip', ['link', 'show', 'dev', 'sixgate0'], { allowFail: true }).code).not.toBe(0);
    expect(net.exec(appliance, 'ip', ['-6', 'route', 'show', ADDR.prefix]).stdout.trim()).toBe('');
    expect(net.exec(appliance, 'ip', ['-4', 'route', 'show', ADDR.pool4]).stdout.trim()).toBe('');

    // Restart on the same volume (an upgrade or rollback does this): same token, sessions restored.
    t = Date.now();
    await podman.must(['start', ctr]);
    try {
      await waitFor(async () => ((await logs()).match(/"msg":"ready"/g) ?? []).length >= 2, 60_000, 'the ready line after a restart', 250);
    } catch (e) {
      throw new Error(`${(e as Error).message}; container logs:\n${(await logs()).slice(-3000)}`);
    }
    timings['restartReadyMs'] = Date.now() - t;
    const sessions = await podman.must(['exec', ctr, 'sixgate', '--json', 'sessions', '--protocol', 'tcp']);
    const page = JSON.parse(sessions.stdout) as { total: number };
    expect(page.total).toBeGreaterThanOrEqual(1);
    expect((await podman.must(['exec', ctr, 'cat', '/var/lib/sixgate/api-token'])).stdout.trim()).toBe(token1);
    await podman.must(['stop', '-t', '10', ctr], 30_000);
    expect((await podman.must(['inspect', ctr, '--format', '{{.State.ExitCode}}'])).stdout.trim()).toBe('0');
    expect(net.exec(appliance, 'ip', ['link', 'show', 'dev', 'sixgate0'], { allowFail: true }).code).not.toBe(0);
  });

  it('with --cap-add NET_RAW announces PREF64 and RDNSS on the LAN, read by tshark in the client; a stop withdraws them', async () => {
    if (!topo) throw new Error('needs the topology of the test before (run the whole file)');
    const { net, client, appliance } = topo;
    const name = `${ctr}-ra`;
    let stopLog = '';
    const capture = join(serverDir, 'ra.pcap');
    try {
      await net.capture(client, 'c0', 'icmp6 and ip6[40] == 134', capture, async () => {
        await podman.must([
          ...applianceRun(name, appliance, ['--cap-add', 'NET_RAW']),
        ]);
        const logs = async (): Promise<string> => {
          const r = await podman.run(['logs', name]);
          return r.stdout + r.stderr;
        };
        await waitFor(async () => /"msg":"ready"/.test(await logs()), 60_000, 'the ready line', 250).catch(async (e: Error) => {
          throw new Error(`${e.message}; logs:\n${(await logs()).slice(-3000)}`);
        });
        const set = await podman.run(['exec', name, 'sixgate', 'config', 'set', 'ra.interfaces', '["a0"]'], 20_000);
        expect(set.code, set.stdout + set.stderr).toBe(0);
        expect((await podman.must(['exec', name, 'sixgate', 'status'])).stdout).toMatch(/router adverts\s+\d+ sent/);
        // The first RA goes out at once (once a0's link-local address is usable).
        await new Promise((r) => setTimeout(r, 2_000));
        await podman.must(['stop', '-t', '10', name], 30_000);
        stopLog = await logs();
        // The final RAs leave as the process exits; give the capture a moment to write them.
        await new Promise((r) => setTimeout(r, 1_000));
      });
    } finally {
      await podman.run(['rm', '-f', '-v', '-t', '0', name], 30_000);
    }
    const fields = ['ipv6.hlim', 'icmpv6.opt.pref64.prefix', 'icmpv6.opt.pref64.scaled_lifetime', 'icmpv6.opt.rdnss', 'icmpv6.opt.rdnss.lifetime'];
    const rows = (await runCmd('tshark', ['-n', '-r', capture, '-Y', 'icmpv6.type == 134', '-T', 'fields', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])])).stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.split('\t'));
    const live = rows.filter((r) => r[2] !== '0');
    const final = rows.filter((r) => r[2] === '0');
    expect(live.length, JSON.stringify(rows)).toBeGreaterThanOrEqual(1);
    expect(live[0]).toEqual(['255', ADDR.prefix.split('/')[0], '225', ADDR.appliance6, String(3 * 600)]);
    // A real stop (SIGTERM) withdraws: final RAs with PREF64 and RDNSS lifetime 0 (RFC 4861 §6.2.5).
    expect(final.length, `${JSON.stringify(rows)}; logs:\n${stopLog.slice(-2000)}`).toBeGreaterThanOrEqual(1);
    expect(final[0]).toEqual(['255', ADDR.prefix.split('/')[0], '0', ADDR.appliance6, '0']);
  }, 180_000);

  it('`check` validates the same variables: exit 0 when good, 1 with one line naming a bad prefix', async () => {
    const ns = topo ? `ns:/run/netns/${topo.appliance}` : 'none';
    const base = ['run', '--rm', '--network', ns, '--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun', '--health-interval', 'disable', '-e', `SIXGATE_POOL4=${ADDR.pool4}`, '-e', `SIXGATE_UPSTREAMS=${ADDR.server4}`];
    const good = await podman.run([...base, '-e', `SIXGATE_PREFIX=${ADDR.prefix}`, image, 'check'], 60_000);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    const bad = await podman.run([...base, '-e', 'SIXGATE_PREFIX=2001:db8:64::/95', image, 'check'], 60_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/prefix/i);
    expect(bad.stderr).toContain('2001:db8:64::/95');
  });
});

/** nsd in the server namespace, authoritative for example.org (rate limiting off: tests query fast). */
function startNsd(topo: Topology, dir: string): void {
  const zone = [
    '$ORIGIN example.org.',
    '$TTL 300',
    '@ IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60',
    '@ IN NS ns',
    `ns IN A ${ADDR.server4}`,
    `www IN A ${ADDR.server4}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'example.org.zone'), zone);
  const conf = [
    'server:',
    `  ip-address: ${ADDR.server4}`,
    '  port: 53',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${dir}/nsd.pid"`,
    `  xfrdfile: "${dir}/xfrd.state"`,
    `  xfrdir: "${dir}"`,
    `  zonelistfile: "${dir}/zone.list"`,
    '  database: ""',
    '  username: ""',
    '  chroot: ""',
    '  rrl-ratelimit: 0',
    '  verbosity: 1',
    'remote-control:',
    '  control-enable: no',
    'zone:',
    '  name: example.org',
    '  zonefile: example.org.zone',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nsd.conf'), conf);
  topo.net.spawn(topo.server, 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
}
