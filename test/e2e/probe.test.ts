/**
 * `sixgate probe` end to end in the standard topology, with targets built to
 * fail in each named way, and the same probes run continuously by the daemon.
 *
 *   appliance a0 2001:db8:1::1 ─ c0 client (unused by the probes)
 *             a1 198.51.100.1  ─ s0 198.51.100.2 server: nsd (example.net), HTTP :80,
 *                                   HTTPS :443 self-signed, HTTPS :8443 from a test CA, UDP echo :7
 *             a2 192.0.2.1/26  ─ n0 192.0.2.2    "noroute": no route back to pool4
 *             a3 192.0.2.65/26 ─ r0 192.0.2.66   router, MTU 1280 toward the appliance,
 *                                r1 192.0.2.129 ─ b0 192.0.2.130 "big": HTTP :80 with a 256 KiB file;
 *                                the router's ICMP "fragmentation needed" is dropped (iptables)
 *
 * Every diagnosis is asserted word for word, in the table and in the JSON.
 * Hermetic: Netns gives each namespace its own resolv.conf, hosts and
 * nsswitch.conf; the probes ask sixgate's DNS64 listener by address.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, requireRoot, sh, waitFor, type Topology } from './lib/netns.js';
import { api, applianceEnv, cleanupDir, ensureBuilt, SIXGATE, startSixgate, TOKEN, zone, type Sixgate } from './lib/appliance.js';
import { nsdConf } from './lib/dns-zone.js';

const NOROUTE4 = '192.0.2.2';
const BIG4 = '192.0.2.130';
const SERVERS = join(import.meta.dirname, 'lib', 'probe-servers.mjs');

/** The appliance tests' zone plus the names each diagnosis needs. */
const ZONE = `${zone()}deny IN A 198.51.100.66
noroute IN A ${NOROUTE4}
selfsigned IN A ${ADDR.server4}
secure IN A ${ADDR.server4}
big IN A ${BIG4}
; an AAAA another DNS64 synthesized under the well-known prefix, served as if real (a stale or foreign answer)
foreign IN A ${ADDR.server4}
foreign IN AAAA 64:ff9b::c633:6402
`;

let topo: Topology | undefined;
let sg: Sixgate | undefined;
let dir = '';
let stateDir = '';
const t = (): Topology => topo!;

/** Adds namespace `name` linked to the appliance: appliance side `aDev` gets `aAddr`, the other side `dev` gets `addr`. */
function link(ns: string, dev: string, addr: string, aDev: string, aAddr: string, mtu = 1500): void {
  sh('ip', ['-n', t().appliance, 'link', 'add', aDev, 'type', 'veth', 'peer', 'name', dev, 'netns', ns]);
  for (const [n, d, a] of [[t().appliance, aDev, aAddr], [ns, dev, addr]] as const) {
    sh('ip', ['-n', n, 'link', 'set', d, 'mtu', String(mtu)]);
    sh('ip', ['-n', n, 'addr', 'add', a, 'dev', d]);
    sh('ip', ['-n', n, 'link', 'set', d, 'up']);
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed certificate, a test CA and a leaf it signed (EC P-256, one day). */
function makeCertificates(): void {
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...key, '-keyout', 'self.key', '-out', 'self.pem', '-days', '1', '-subj', '/CN=selfsigned.example.net', '-addext', 'subjectAltName=DNS:selfsigned.example.net']);
  openssl(['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=sixgate test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...key, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=secure.example.net']);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:secure.example.net\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '1', '-extfile', 'leaf.ext']);
}

beforeAll(async () => {
  requireRoot();
  for (const tool of ['nsd', 'openssl', 'ping', 'iptables']) {
    if (sh('sh', ['-c', `command -v ${tool}`], { allowFail: true }).code !== 0) throw new Error(`${tool} is not installed (apt-get install nsd openssl iputils-ping iptables)`);
  }
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'sg-e2e-probe-'));
  stateDir = mkdtempSync(join(tmpdir(), 'sg-e2e-probe-state-'));
  makeCertificates();
  topo = buildTopology('p');
  const net = t().net;
  const noroute = net.add('n');
  const router = net.add('r');
  const big = net.add('b');
  // noroute: reachable from the appliance, but with no route back to pool4.
  link(noroute, 'n0', `${NOROUTE4}/26`, 'a2', '192.0.2.1/26');
  // big: behind a router whose link toward the appliance has MTU 1280 and whose ICMP toward big is dropped.
  link(router, 'r0', '192.0.2.66/26', 'a3', '192.0.2.65/26', 1280);
  sh('ip', ['-n', router, 'link', 'add', 'r1', 'type', 'veth', 'peer', 'name', 'b0', 'netns', big]);
  sh('ip', ['-n', router, 'addr', 'add', '192.0.2.129/26', 'dev', 'r1']);
  sh('ip', ['-n', big, 'addr', 'add', `${BIG4}/26`, 'dev', 'b0']);
  sh('ip', ['-n', router, 'link', 'set', 'r1', 'up']);
  sh('ip', ['-n', big, 'link', 'set', 'b0', 'up']);
  sh('ip', ['-n', big, 'route', 'add', 'default', 'via', '192.0.2.129']);
  sh('ip', ['-n', router, 'route', 'add', 'default', 'via', '192.0.2.65']);
  net.exec(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  // The black hole: the router's "fragmentation needed" (ICMP 3/4, RFC 1191) never leaves it.
  net.exec(router, 'iptables', ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'fragmentation-needed', '-j', 'DROP']);
  sh('ip', ['-n', t().appliance, 'route', 'add', '192.0.2.128/26', 'via', '192.0.2.66']);

  writeFileSync(join(dir, 'example.net.zone'), ZONE);
  writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir, ADDR.server4, [{ name: 'example.net', file: 'example.net.zone' }]));
  net.spawn(t().server, 'nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
  for (const ns of [t().server, big]) net.spawn(ns, process.execPath, [SERVERS, dir]);
  await waitFor(() => {
    const s = net.exec(t().server, 'ss', ['-lntu'], { allowFail: true }).stdout;
    const b = net.exec(big, 'ss', ['-lnt'], { allowFail: true }).stdout;
    return [':80 ', ':443 ', ':8443 ', ':7 ', `${ADDR.server4}:53`].every((p) => s.includes(p)) && b.includes(':80 ');
  }, 15_000, 'the servers');
  sg = await startSixgate(t(), applianceEnv(stateDir));
  expect(api(t(), 'POST', '/api/v1/policy', { id: 'no-partner', action: 'deny', destination4: '198.51.100.66/32' }).status).toBe(201);
}, 240_000);

afterAll(async () => {
  try {
    await sg?.stop().catch(() => undefined);
    await topo?.net.destroy();
  } finally {
    cleanupDir(dir);
    cleanupDir(stateDir);
  }
});

/** Runs `sixgate probe` in the appliance namespace. */
function probe(args: string[]): { code: number | null; out: string; err: string } {
  const env = [`SIXGATE_API_URL=http://127.0.0.1:8064`, `SIXGATE_API_TOKEN=${TOKEN}`];
  const r = t().net.exec(t().appliance, 'env', [...env, process.execPath, SIXGATE, ...args], { allowFail: true, timeoutMs: 120_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const UNREACHABLE = 'IPv4 server unreachable from pool4: SYN sent, nothing back (check that the upstream routes pool4 to this router)';

/** target → [status, step, diagnosis] */
const EXPECTED: Record<string, [string, string | undefined, string]> = {
  'www.example.net': ['pass', undefined, 'ok'],
  [ADDR.server4]: ['pass', undefined, 'ok'],
  'http://www.example.net/': ['pass', undefined, 'ok'],
  'udp:www.example.net:7': ['pass', undefined, 'ok'],
  [`dns:${ADDR.server4}`]: ['pass', undefined, 'ok'],
  'https://secure.example.net:8443/': ['pass', undefined, 'ok'],
  'dual.example.net': ['native', 'dns', 'has native IPv6: NAT64 not involved'],
  'deny.example.net': ['fail', 'dns', 'synthesis refused by policy rule no-partner'],
  'noroute.example.net:80': ['fail', 'tcp', UNREACHABLE],
  'www.example.net:81': ['fail', 'tcp', 'TCP refused'],
  'https://selfsigned.example.net/': ['fail', 'tls', 'TLS failure: self-signed certificate'],
  'http://www.example.net/error': ['fail', 'http', 'HTTP status mismatch: got 500, expected 2xx or 3xx'],
  'http://big.example.net/big.bin': ['fail', 'pmtu', 'PMTU black hole above 1280 bytes'],
  'foreign.example.net': ['fail', 'dns', 'prefix mismatch: 64:ff9b::c633:6402 is not under the live prefix 2001:db8:64::/96'],
};

interface Json {
  ok: boolean;
  results: { target: string; status: string; step?: string; diagnosis: string; address6?: string; source6?: string; steps: { step: string; status: string; ms: number; detail: string }[] }[];
}

describe('sixgate probe through DNS64 and the translator', () => {
  let json: Json;
  let table = '';

  beforeAll(() => {
    const file = join(dir, 'targets.yaml');
    const targets = Object.keys(EXPECTED).map((target) => (target.startsWith('https://secure') ? { target, ca: join(dir, 'ca.pem') } : target));
    writeFileSync(file, `targets:\n${targets.map((x) => `  - ${JSON.stringify(x)}`).join('\n')}\n`);
    const j = probe(['--json', 'probe', '--file', file, '--timeout', '2s', '--concurrency', '6']);
    expect(j.code, j.err).toBe(1);
    json = JSON.parse(j.out) as Json;
    const tb = probe(['probe', '--file', file, '--timeout', '2s', '--concurrency', '6']);
    expect(tb.code).toBe(1);
    expect(tb.err).toBe('sixgate: 7 of 14 targets failed\n');
    table = tb.out;
  }, 300_000);

  it.each(Object.entries(EXPECTED))('%s: the diagnosis in the JSON', (target, [status, step, diagnosis]) => {
    const r = json.results.find((x) => x.target === target);
    expect(r, JSON.stringify(json.results.map((x) => [x.target, x.diagnosis]))).toBeDefined();
    expect({ status: r!.status, step: r!.step, diagnosis: r!.diagnosis }, JSON.stringify(r!.steps)).toEqual({ status, step, diagnosis });
    for (const s of r!.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
  });

  it.each(Object.entries(EXPECTED))('%s: the line in the table', (target, [status, step, diagnosis]) => {
    const word = status === 'pass' ? 'ok' : status === 'native' ? 'native' : 'FAIL';
    const line = table.split('\n').find((l) => l.startsWith(`${target} `));
    expect(line, table).toBeDefined();
    expect(line!.split(/ {2,}/)).toEqual([target, word, step ?? '-', diagnosis]);
  });

  it('the steps of a passing URL, and where the packets went', () => {
    const r = json.results.find((x) => x.target === 'https://secure.example.net:8443/')!;
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['dns:pass', 'route:pass', 'policy:pass', 'tcp:pass', 'tls:pass', 'http:pass', 'pmtu:skip']);
    expect(r.address6).toBe('2001:db8:64::c633:6402');
    const pmtu = json.results.find((x) => x.target === 'http://big.example.net/big.bin')!.steps.at(-1)!;
    expect(pmtu.detail).toMatch(/^IPv4 packets of 1280 bytes get through, larger ones vanish without an ICMP error/);
    expect(json.ok).toBe(false);
  });

  it('exits 0 when every target passes, and leaves no MSS route behind', () => {
    const r = probe(['probe', 'www.example.net', 'http://www.example.net/', '--timeout', '2s']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show']).stdout).not.toMatch(/advmss/);
  });

  it('a probe run shows in the live trace like any other flow', async () => {
    const auth = `Authorization: Bearer ${TOKEN}`;
    const curl = t().net.spawn(t().appliance, 'curl', ['-sN', '--max-time', '60', '-H', auth, `http://127.0.0.1:8064/api/v1/trace?client=${ADDR.appliance6}&seconds=60`]);
    let out = '';
    curl.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('sixgate trace'), 10_000, 'the trace to start');
      const r = probe(['--json', 'probe', 'www.example.net:80', '--timeout', '2s']);
      expect((JSON.parse(r.out) as Json).results[0]).toMatchObject({ status: 'pass', source6: ADDR.appliance6 });
      const dns = new RegExp(`"source":"dns64"[^\\n]*"client":"${ADDR.appliance6}"[^\\n]*"dst":"www\\.example\\.net"`);
      const nat = new RegExp(`"source":"nat64","direction":"6to4"[^\\n]*"client":"${ADDR.appliance6}"`);
      await waitFor(() => dns.test(out) && nat.test(out), 10_000, `the probe's query and flow in the trace; trace so far:\n${out}`, 100);
    } finally {
      curl.kill('SIGKILL');
    }
  });

  it('session table or pool4 exhausted, end to end', () => {
    expect(api(t(), 'DELETE', '/api/v1/sessions').status).toBe(200);
    const limit = api(t(), 'PATCH', '/api/v1/config', { nat64: { maxSessionsPerClient: 1 } });
    expect(limit.status, limit.text).toBe(200);
    try {
      // The UDP exchange takes the client's one session; the TCP handshake after it finds no room.
      const r = probe(['--json', 'probe', 'udp:www.example.net:7', 'www.example.net:80', '--timeout', '2s', '--concurrency', '1']);
      const results = (JSON.parse(r.out) as Json).results.map((x) => [x.target, x.status, x.step, x.diagnosis]);
      expect(results).toEqual([
        ['udp:www.example.net:7', 'pass', undefined, 'ok'],
        ['www.example.net:80', 'fail', 'tcp', 'session table or pool4 exhausted'],
      ]);
    } finally {
      expect(api(t(), 'PATCH', '/api/v1/config', { nat64: { maxSessionsPerClient: 10_000 } }).status).toBe(200);
    }
  });

  it('the same probes run continuously: GET /api/v1/probes, metrics, degraded health (200) for a failing critical probe', async () => {
    const patch = api(t(), 'PATCH', '/api/v1/config', { probes: { timeoutMs: 2000, targets: [{ target: 'www.example.net', interval: 5 }, { target: 'www.example.net:81', interval: 5, critical: true }] } });
    expect(patch.status, patch.text).toBe(200);
    await waitFor(() => {
      const p = api(t(), 'GET', '/api/v1/probes').json as { probes: { last?: unknown }[] };
      return p.probes.length === 2 && p.probes.every((x) => x.last !== undefined);
    }, 20_000, 'both probes to run', 250);
    const p = api(t(), 'GET', '/api/v1/probes').json as { probes: { target: string; critical: boolean; last: { status: string; diagnosis: string } }[] };
    expect(p.probes.map((x) => [x.target, x.critical, x.last.status, x.last.diagnosis])).toEqual([
      ['www.example.net', false, 'pass', 'ok'],
      ['www.example.net:81', true, 'fail', 'TCP refused'],
    ]);
    const health = api(t(), 'GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'degraded', dns64: true, nat64: true, reasons: ['critical probe www.example.net:81 failed at tcp: TCP refused'] });
    const metrics = api(t(), 'GET', '/metrics').text;
    expect(metrics).toContain('sixgate_probe_success{target="www.example.net",step="all"} 1');
    expect(metrics).toContain('sixgate_probe_success{target="www.example.net:81",step="tcp"} 0');
    expect(metrics).toMatch(/sixgate_probe_duration_seconds\{target="www.example.net",step="icmp"\} [\d.e-]+/);
    // A bad target is refused before anything changes.
    const bad = api(t(), 'PATCH', '/api/v1/config', { probes: { targets: [{ target: 'ftp://www.example.net/' }] } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ message: expect.stringContaining('probes.targets[0]: "ftp://www.example.net/": only http and https URLs can be probed') });
    expect(api(t(), 'PATCH', '/api/v1/config', { probes: { targets: [] } }).status).toBe(200);
    await waitFor(() => (api(t(), 'GET', '/api/v1/health').json as { status: string }).status === 'ok', 5000, 'health ok again');
  });
});
