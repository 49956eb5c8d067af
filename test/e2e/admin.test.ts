// The admin API against the real daemon (issue: one prefix for DNS64, NAT64
// and routes, changed atomically): change the prefix, see DNS64, the
// translator and the routes follow; restart and keep it; pinned keys refuse.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, requireRoot, type Topology } from './lib/netns.js';
import { api, cleanupDir, ensureBuilt, startServers, startSixgate, SIXGATE, TOKEN, type ServerSide, type Sixgate } from './lib/appliance.js';

const OLD = '2001:db8:64::/96';
const NEW = '2001:db8:46::/96';
const host = (prefix: string) => `${prefix.split('::')[0]}::c633:6402`; // + 198.51.100.2

let topo: Topology | undefined;
let srv: ServerSide | undefined;
let sg: Sixgate | undefined;
let stateDir = '';
let configFile = '';

const t = (): Topology => topo!;
const client = (cmd: string, args: string[]) => t().net.exec(t().client, cmd, args, { allowFail: true, timeoutMs: 20_000 });
const dig = (name: string) => client('dig', ['+short', '+time=2', '+tries=1', `@${ADDR.appliance6}`, 'AAAA', name]).stdout.trim();
const ping = (addr: string) => client('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', addr]).stdout;
/** Only the tun name, the API and the token are pinned; everything else comes from the file. */
const env = () => ({ SIXGATE_CONFIG: configFile, SIXGATE_STATE_DIR: stateDir, SIXGATE_TUN: 'sgadm', SIXGATE_API_TOKEN: TOKEN, SIXGATE_API_LISTEN: '127.0.0.1:8064' });
const cli = (...args: string[]) =>
  t().net.exec(t().appliance, 'env', [`SIXGATE_API_TOKEN=${TOKEN}`, process.execPath, SIXGATE, ...args], { allowFail: true, timeoutMs: 20_000 });

beforeAll(async () => {
  requireRoot();
  ensureBuilt();
  topo = buildTopology('a');
  srv = await startServers(topo, { bigMiB: 1 });
  stateDir = mkdtempSync(join(tmpdir(), 'sg-e2e-admin-'));
  configFile = join(stateDir, 'sixgate.yaml');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(configFile, `# branch office appliance
prefix: ${OLD} # the NAT64 prefix
dns64:
  listen: ["[${ADDR.appliance6}]:53"]
  upstreams: ["${ADDR.server4}"]
  clients: ["2001:db8:1::/64"]
nat64:
  pool4: ["${ADDR.pool4}"]
`);
  sg = await startSixgate(topo, env());
}, 180_000);

afterAll(async () => {
  await sg?.stop().catch(() => undefined);
  await topo?.net.destroy();
  cleanupDir(srv?.dir);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('admin API on the running appliance', () => {
  it('serves health without a token and refuses everything else without one', () => {
    expect(api(t(), 'GET', '/api/v1/health', undefined, '').status).toBe(200);
    expect(api(t(), 'GET', '/api/v1/config', undefined, '').status).toBe(401);
    expect(api(t(), 'GET', '/api/v1/config', undefined, 'wrong-token-wrong-token').status).toBe(401);
    const cfg = api(t(), 'GET', '/api/v1/config').json as { config: { api: { token?: string } }; pinned: Record<string, string> };
    expect(cfg.pinned).toMatchObject({ 'nat64.tun': 'SIXGATE_TUN', 'api.token': 'SIXGATE_API_TOKEN' });
    expect(cfg.config.api.token).not.toBe(TOKEN);
  });

  it('starts on the prefix of the config file: DNS64 and the translator agree', () => {
    expect(dig('www.example.net')).toBe(host(OLD));
    expect(ping(host(OLD))).toMatch(/2 received/);
  });

  it('PUT /api/v1/prefix moves DNS64, the translator and the routes in one step', () => {
    const r = api(t(), 'PUT', '/api/v1/prefix', { prefix: NEW });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ changed: ['prefix'] });
    expect(api(t(), 'GET', '/api/v1/prefix').json).toMatchObject({ prefix: NEW });
    expect(dig('www.example.net')).toBe(host(NEW)); // synthesized cache entries were flushed
    expect(ping(host(NEW))).toMatch(/2 received/);
    const routes = t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show', 'dev', 'sgadm']).stdout;
    expect(routes).toContain(NEW);
    expect(routes).not.toContain(OLD);
    expect(ping(host(OLD))).not.toMatch(/ [12] received/);
  });

  it('persists the change in the same file, keeping the operator\'s comments', () => {
    const text = readFileSync(configFile, 'utf8');
    expect(text).toContain(`prefix: ${NEW}`);
    expect(text).toContain('# branch office appliance');
    expect(text).toContain('# the NAT64 prefix');
    expect(text).not.toContain('sgadm'); // pinned values never go to the file
  });

  it('refuses invalid and pinned changes with a message a person can act on', () => {
    const bad = api(t(), 'PUT', '/api/v1/prefix', { prefix: '2001:db8::/33' });
    expect(bad.status).toBe(400);
    expect((bad.json as { message: string }).message).toMatch(/32, 40, 48, 56, 64, 96/);
    const pinned = api(t(), 'PATCH', '/api/v1/config', { nat64: { tun: 'other0' } });
    expect(pinned.status).toBe(409);
    expect((pinned.json as { message: string }).message).toMatch(/SIXGATE_TUN/);
    const unknown = api(t(), 'PATCH', '/api/v1/config', { nat64: { bogus: 1 } });
    expect(unknown.status).toBe(400);
    expect(api(t(), 'GET', '/api/v1/prefix').json).toMatchObject({ prefix: NEW }); // nothing changed
  });

  it('/metrics is Prometheus text with the appliance counters', () => {
    const r = t().net.exec(t().appliance, 'curl', ['-s', '-H', `Authorization: Bearer ${TOKEN}`, 'http://127.0.0.1:8064/metrics']);
    const lines = r.stdout.trim().split('\n').filter((l) => l !== '');
    for (const l of lines) expect(l).toMatch(/^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.eE+-]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (NaN|\+Inf|-Inf))$/);
    expect(r.stdout).toMatch(/^sixgate_nat64_packets_total\{direction="6to4"\} [1-9]/m);
    expect(r.stdout).toMatch(/^sixgate_dns64_queries_total [1-9]/m);
    expect(r.stdout).toContain('sixgate_dns64_query_duration_seconds_bucket');
  });

  it('traces live decisions as server-sent events and as a pcap file', async () => {
    const curl = (extra: string[]) =>
      t().net.execAsync(t().appliance, 'curl', ['-sN', '--max-time', '10', '-H', `Authorization: Bearer ${TOKEN}`, ...extra], { timeoutMs: 15_000 });
    const sse = curl(['http://127.0.0.1:8064/api/v1/trace?client=2001:db8:1::/64&seconds=2']);
    const pcapFile = join(stateDir, 'trace.pcap');
    const pcap = curl(['-o', pcapFile, 'http://127.0.0.1:8064/api/v1/trace?seconds=2&format=pcap']);
    await new Promise((r) => setTimeout(r, 500));
    expect(ping(host(NEW))).toMatch(/2 received/);
    const text = (await sse).stdout;
    const records = [...text.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
    expect(records.some((r) => r['source'] === 'nat64' && r['direction'] === '6to4' && r['client'] === ADDR.client6 && r['decision'] === 'forward')).toBe(true);
    expect(records.some((r) => r['direction'] === '4to6')).toBe(true);
    expect(text).toMatch(/^event: end$/m);
    await pcap;
    const bytes = readFileSync(pcapFile);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4); // libpcap magic, little-endian
    expect(bytes.readUInt32LE(20)).toBe(101); // LINKTYPE_RAW
    expect(bytes.length).toBeGreaterThan(24 + 4 * (16 + 40)); // before+after of at least two packets
  });

  it('logs one JSON line per session create and delete when session logging is on', async () => {
    expect(api(t(), 'PATCH', '/api/v1/config', { nat64: { sessionLog: true } }).status).toBe(200);
    expect(ping(host(NEW))).toMatch(/2 received/);
    await new Promise((r) => setTimeout(r, 200));
    const lines = sg!.logs().split('\n').filter((l) => l.includes('"msg":"nat64-session"')).map((l) => JSON.parse(l) as Record<string, string>);
    const created = lines.find((l) => l['event'] === 'session-created' && l['protocol'] === 'icmp');
    expect(created).toBeDefined();
    expect(created!['ipv6']).toContain(ADDR.client6);
    expect(created!['remote4']).toContain(ADDR.server4);
    expect(api(t(), 'DELETE', '/api/v1/sessions').status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(sg!.logs()).toMatch(/"event":"session-removed"/);
    expect(api(t(), 'PATCH', '/api/v1/config', { nat64: { sessionLog: false } }).status).toBe(200);
  });

  it('a deny policy rule stops translation and DNS64 synthesis together, and counts hits', () => {
    const add = api(t(), 'POST', '/api/v1/policy', { id: 'no-server', action: 'deny', destination4: '198.51.100.0/24' });
    expect(add.status).toBe(201);
    expect(dig('www.example.net')).toBe(''); // DNS64 never hands out an address the translator refuses
    const r = client('ping', ['-6', '-c', '1', '-W', '2', host(NEW)]);
    expect(r.stdout).toMatch(/0 received/);
    expect(r.stdout + r.stderr).toMatch(/Administratively prohibited|Destination unreachable/i);
    const list = api(t(), 'GET', '/api/v1/policy').json as { items: { id: string; hits: number }[] };
    expect(list.items.find((i) => i.id === 'no-server')!.hits).toBeGreaterThanOrEqual(1);
    expect(readFileSync(configFile, 'utf8')).toContain('no-server');
    expect(api(t(), 'DELETE', '/api/v1/policy/no-server').status).toBe(200);
    expect(dig('www.example.net')).toBe(host(NEW));
    expect(ping(host(NEW))).toMatch(/2 received/);
  });

  it('the prefix survives a restart', async () => {
    expect(await sg!.stop()).toBe(0);
    sg = await startSixgate(t(), env());
    expect(api(t(), 'GET', '/api/v1/prefix').json).toMatchObject({ prefix: NEW });
    expect(dig('www.example.net')).toBe(host(NEW));
    expect(ping(host(NEW))).toMatch(/2 received/);
  });

  it('rolls back to an earlier version through the same atomic apply', () => {
    const hist = api(t(), 'GET', '/api/v1/config/history').json as { items?: { version: number; summary: string }[] } | { version: number; summary: string }[];
    const items = Array.isArray(hist) ? hist : hist.items ?? [];
    const first = items.at(-1)!;
    expect(first.summary).toMatch(/initial/);
    const r = api(t(), 'POST', '/api/v1/config/rollback', { version: first.version });
    expect(r.status).toBe(200);
    expect(api(t(), 'GET', '/api/v1/prefix').json).toMatchObject({ prefix: OLD });
    expect(dig('www.example.net')).toBe(host(OLD));
    expect(ping(host(OLD))).toMatch(/2 received/);
    expect(api(t(), 'POST', '/api/v1/config/rollback', { version: 9999 }).status).toBe(404);
  });

  it('the CLI talks to the same API', () => {
    const get = cli('prefix', 'get');
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(OLD);
    const status = cli('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/ok/i);
    const bad = cli('prefix', 'set', '2001:db8::/33');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/32, 40, 48, 56, 64, 96/);
  });

  it('50 concurrent rule additions all land; a stale If-Match is 412 and changes nothing', async () => {
    const before = api(t(), 'GET', '/api/v1/policy').json as { items: { id: string }[] };
    const curl = (i: number) =>
      t().net.execAsync(t().appliance, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', `Authorization: Bearer ${TOKEN}`, '-H', 'Content-Type: application/json',
        '--data', JSON.stringify({ id: `burst-${i}`, action: 'deny', destination4: `203.0.113.${i}/32` }), 'http://127.0.0.1:8064/api/v1/policy'], { timeoutMs: 60_000 });
    const codes = (await Promise.all(Array.from({ length: 50 }, (_v, i) => curl(i)))).map((r) => r.stdout.trim());
    expect(codes).toEqual(codes.map(() => '201'));
    const after = api(t(), 'GET', '/api/v1/policy').json as { items: { id: string }[] };
    expect(after.items.length).toBe(before.items.length + 50);
    for (let i = 0; i < 50; i++) expect(after.items.some((r) => r.id === `burst-${i}`)).toBe(true);
    expect(readFileSync(configFile, 'utf8')).toContain('burst-49');
    // ETag / If-Match: the version read is current until someone writes.
    const head = t().net.exec(t().appliance, 'curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', `Authorization: Bearer ${TOKEN}`, 'http://127.0.0.1:8064/api/v1/policy']).stdout;
    const etag = /^etag: (".*")\r?$/im.exec(head)?.[1];
    expect(etag).toMatch(/^"\d+"$/);
    const ifMatch = (e: string, method: string, path: string, body?: unknown) => {
      const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', method, '-H', `Authorization: Bearer ${TOKEN}`, '-H', `If-Match: ${e}`];
      if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
      return t().net.exec(t().appliance, 'curl', [...args, `http://127.0.0.1:8064${path}`], { allowFail: true }).stdout.trim();
    };
    expect(ifMatch(etag!, 'DELETE', '/api/v1/policy/burst-0')).toBe('200');
    expect(ifMatch(etag!, 'DELETE', '/api/v1/policy/burst-1')).toBe('412'); // the version moved on
    expect((api(t(), 'GET', '/api/v1/policy').json as { items: { id: string }[] }).items.some((r) => r.id === 'burst-1')).toBe(true);
    const rest = (api(t(), 'GET', '/api/v1/policy').json as { items: { id: string }[] }).items.filter((r) => r.id.startsWith('burst-'));
    const dels = await Promise.all(rest.map((r) => t().net.execAsync(t().appliance, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'DELETE', '-H', `Authorization: Bearer ${TOKEN}`, `http://127.0.0.1:8064/api/v1/policy/${r.id}`], { timeoutMs: 60_000 })));
    expect(dels.map((r) => r.stdout.trim())).toEqual(rest.map(() => '200'));
    expect((api(t(), 'GET', '/api/v1/policy').json as { items: unknown[] }).items.length).toBe(before.items.length);
  }, 120_000);
});
