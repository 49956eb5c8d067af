// Router advertisements end to end (issue: IPv6-mostly networks): the real
// `sixgate run` announces PREF64 and RDNSS on the client link; tshark's
// ICMPv6 dissector (not sixgate's parser) reads what the client namespace
// received; TAYGA as a CLAT in the IPv6-only client, configured from the
// PREF64 in that capture, carries IPv4-literal traffic (translated twice:
// CLAT, then sixgate). A prefix change reaches the RA, and the CLAT follows;
// a second router with another PREF64 raises the conflict warning.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, sh, waitFor, type Topology } from './lib/netns.js';
import { api, applianceEnv, cleanupDir, ensureBuilt, startServers, startSixgate, SIXGATE, UDP_TOOL, type ServerSide, type Sixgate } from './lib/appliance.js';

/** The CLAT's own addresses (RFC 7335: 192.0.0.0/29 for the CLAT side). */
const CLAT_V4 = '192.0.0.1';
const TAYGA_V4 = '192.0.0.2';
/** The IPv6 address the CLAT translates the client's IPv4 to (proxied on c0). */
const CLAT_V6 = '2001:db8:1::464';
const PREFIX_B = '2001:db8:65::/96';
const FOREIGN = '2001:db8:bad::/96';

let topo: Topology | undefined;
let srv: ServerSide | undefined;
let sg: Sixgate | undefined;
let stateDir: string | undefined;
let workDir: string | undefined;
let router: string | undefined;
const t = (): Topology => topo!;
const client = (cmd: string, args: string[], timeoutMs = 30_000) => t().net.exec(t().client, cmd, args, { allowFail: true, timeoutMs });

interface Ra {
  time: number;
  src: string;
  dst: string;
  hlim: number;
  pref64: { prefix: string; plc: number; lifetime: number }[];
  rdnss: string[];
  rdnssLifetimes: number[];
}

/** Captures ICMPv6 on `dev` in `ns` with tshark while `during` runs, then reads the RAs with tshark's dissector. */
async function captureRas(ns: string, dev: string, during: () => Promise<void>, solicitations?: { time: number; src: string }[]): Promise<Ra[]> {
  const file = join(workDir!, `cap-${Date.now()}.pcap`);
  await t().net.capture(ns, dev, 'icmp6', file, during);
  if (solicitations) {
    const rs = sh('tshark', ['-n', '-r', file, '-Y', 'icmpv6.type == 133', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ipv6.src']).stdout;
    for (const l of rs.split('\n').filter((x) => x.trim() !== '')) solicitations.push({ time: Number(l.split('\t')[0]), src: l.split('\t')[1]! });
  }
  const fields = ['frame.time_epoch', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'icmpv6.opt.pref64.prefix', 'icmpv6.opt.pref64.plc', 'icmpv6.opt.pref64.scaled_lifetime', 'icmpv6.opt.rdnss', 'icmpv6.opt.rdnss.lifetime'];
  const out = sh('tshark', ['-n', '-r', file, '-Y', 'icmpv6.type == 134', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=;', ...fields.flatMap((f) => ['-e', f])]).stdout;
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [time, src, dst, hlim, prefixes, plcs, lifetimes, rdnss, rdnssLife] = line.split('\t');
      const list = (s: string | undefined) => (s ? s.split(';') : []);
      const plcList = list(plcs);
      const lifeList = list(lifetimes);
      return {
        time: Number(time),
        src: src!,
        dst: dst!,
        hlim: Number(hlim),
        pref64: list(prefixes).map((p, i) => ({ prefix: p, plc: Number(plcList[i]), lifetime: Number(lifeList[i]) * 8 })),
        rdnss: list(rdnss),
        rdnssLifetimes: list(rdnssLife).map(Number),
      };
    });
}

/** The /96 a PREF64 option names (PLC 0), as "prefix/96". */
function pref64Text(p: { prefix: string; plc: number }): string {
  expect(p.plc).toBe(0);
  return `${p.prefix.replace(/::$/, '')}::/96`.replace(':::', '::');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one Router Solicitation from the client's link-local address (hop limit 255). */
/** The address the test's solicitations leave from: not the one the client's kernel solicits from. */
const SOLICITOR = 'fe80::5011:c170';

function solicit(ns: string, dev: string): void {
  const py = `import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.bind(('${SOLICITOR}', 0, 0, socket.if_nametoindex('${dev}')))
s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]), ('ff02::2', 0, 0, socket.if_nametoindex('${dev}')))`;
  t().net.exec(ns, 'python3', ['-c', py]);
}

/** (Re)starts TAYGA as the client's CLAT for `prefix` on the persistent clat0 device. */
let tayga: ReturnType<Topology['net']['spawn']> | undefined;
async function startClat(prefix: string): Promise<void> {
  if (tayga) {
    tayga.kill('SIGTERM');
    await new Promise((r) => tayga!.once('exit', r));
    t().net.release(tayga);
  }
  const conf = join(workDir!, 'tayga.conf');
  writeFileSync(conf, `tun-device clat0\nipv4-addr ${TAYGA_V4}\nprefix ${prefix}\nmap ${CLAT_V4} ${CLAT_V6}\n`);
  tayga = t().net.spawn(t().client, 'tayga', ['-n', '-c', conf]);
  let out = '';
  tayga.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  tayga.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await sleep(300);
  if (tayga.exitCode !== null) throw new Error(`tayga exited: ${out}`);
}

beforeAll(async () => {
  const missing = ['tshark', 'tayga', 'python3'].filter((b) => sh('sh', ['-c', `command -v ${b}`], { allowFail: true }).code !== 0);
  if (missing.length > 0) throw new Error(`the RA end-to-end test needs ${missing.join(', ')} (npm test's pretest installs them)`);
  if (process.getuid?.() !== 0) throw new Error('end-to-end tests need root');
  ensureBuilt();
  topo = buildTopology('ra');
  workDir = mkdtempSync(join(tmpdir(), 'sg-e2e-ra-'));
  try {
    srv = await startServers(topo, { bigMiB: 2, timeoutMs: 60_000 });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${topo.net.exec(topo.server, 'ss', ['-lntu'], { allowFail: true }).stdout}`);
  }
  const c = topo.client;
  // The CLAT: IPv4 default route into TAYGA; the client forwards TAYGA's IPv6 out of c0 and
  // answers neighbor solicitations for the CLAT's IPv6 address (proxy NDP). Forwarding would
  // make the kernel ignore RAs; it does not matter, the test reads them from the capture.
  topo.net.exec(c, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.c0.accept_ra=2', 'net.ipv6.conf.c0.proxy_ndp=1']);
  writeFileSync(join(workDir, 'mktun.conf'), `tun-device clat0\nipv4-addr ${TAYGA_V4}\nprefix ${ADDR.prefix}\n`);
  topo.net.exec(c, 'tayga', ['--mktun', '-c', join(workDir, 'mktun.conf')]);
  for (const args of [
    ['link', 'set', 'clat0', 'up', 'mtu', '1280'],
    ['addr', 'add', `${CLAT_V4}/32`, 'dev', 'clat0'],
    ['route', 'add', 'default', 'dev', 'clat0', 'src', CLAT_V4],
    ['-6', 'route', 'add', `${CLAT_V6}/128`, 'dev', 'clat0'],
    ['-6', 'neigh', 'add', 'proxy', CLAT_V6, 'dev', 'c0'],
  ]) {
    topo.net.exec(c, 'ip', args);
  }
  // The second router: another namespace on a second announced link of the appliance.
  router = topo.net.add('r');
  sh('ip', ['-n', topo.appliance, 'link', 'add', 'a2', 'type', 'veth', 'peer', 'name', 'r0', 'netns', router]);
  for (const ns of [router, topo.appliance]) topo.net.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  sh('ip', ['-n', router, 'link', 'set', 'r0', 'up']);
  sh('ip', ['-n', topo.appliance, 'link', 'set', 'a2', 'up']);

  stateDir = mkdtempSync(join(tmpdir(), 'sg-e2e-state-'));
  // The prefix lives in the file (not pinned by the environment) so PUT /api/v1/prefix may change it.
  writeFileSync(join(stateDir, 'sixgate.yaml'), `prefix: ${ADDR.prefix}\nra:\n  interfaces: [a0]\n  minInterval: 3\n  maxInterval: 4\n`);
  const env = applianceEnv(stateDir, { SIXGATE_LOG_LEVEL: 'info' });
  delete env['SIXGATE_PREFIX'];
  sg = await startSixgate(topo, env);
}, 240_000);

afterAll(async () => {
  if (stateDir) sh('chattr', ['-i', stateDir], { allowFail: true });
  await sg?.stop().catch(() => undefined);
  await topo?.net.destroy();
  cleanupDir(srv?.dir);
  cleanupDir(stateDir);
  cleanupDir(workDir);
});

let learned = '';

describe('router advertisements from sixgate run, read by tshark in the client namespace', () => {
  it('answers a Router Solicitation within MAX_RA_DELAY_TIME and announces unsolicited: PREF64 = prefix, RDNSS = DNS64 address, hop limit 255', async () => {
    const rs: { time: number; src: string }[] = [];
    // The test solicits from an address of its own, so that the client kernel's
    // solicitations (answered, then rate-limited per solicitor) stay apart,
    // once both ends' link-local addresses have finished DAD (a tentative
    // address cannot be a source; the fallback to multicast is a unit test).
    // The kernel stops soliciting first: it would pick the new address as a source too.
    client('sysctl', ['-qw', 'net.ipv6.conf.c0.router_solicitations=0']);
    client('ip', ['-6', 'addr', 'add', `${SOLICITOR}/64`, 'dev', 'c0', 'nodad']);
    const linkLocal = (ns: string, dev: string) => t().net.exec(ns, 'ip', ['-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'link']).stdout;
    await waitFor(() => !/tentative/.test(linkLocal(t().client, 'c0')) && !/tentative/.test(linkLocal(t().appliance, 'a0')), 10_000, 'both link-local addresses to finish DAD');
    const ras = await captureRas(
      t().client,
      'c0',
      async () => {
        await sleep(300);
        solicit(t().client, 'c0');
        await sleep(4_500); // ≥ one unsolicited RA at maxInterval 4 s
      },
      rs,
    );
    const applianceLl = linkLocal(t().appliance, 'a0').match(/inet6 (fe80::[0-9a-f:]+)/)![1]!;
    // The solicitation as the client's link saw it (python needs seconds to start on a loaded machine).
    const sent = rs.find((r) => r.src === SOLICITOR);
    expect(sent, JSON.stringify(rs)).toBeDefined();
    // Answered unicast to the solicitor (RFC 4861 §6.2.6 allows it, RFC 7772 §5.1 recommends it).
    const answer = ras.find((r) => r.dst === SOLICITOR);
    expect(answer, `an RA to ${SOLICITOR} in ${JSON.stringify(ras)}; ${JSON.stringify(api(t(), 'GET', '/api/v1/ra').json)}`).toBeDefined();
    learned = pref64Text(answer!.pref64[0]!);
    // RFC 4861 §6.2.6: answered after a random delay of at most MAX_RA_DELAY_TIME (0.5 s); 0.25 s slack.
    expect(answer!.time - sent!.time).toBeGreaterThanOrEqual(0);
    expect(answer!.time - sent!.time).toBeLessThan(0.75);
    process.stderr.write(`[ra.test] RS answered after ${(answer!.time - sent!.time).toFixed(3)} s (in the client's capture)\n`);
    const unsolicited = ras.filter((r) => r.dst === 'ff02::1');
    expect(unsolicited.length).toBeGreaterThanOrEqual(1);
    for (const r of [answer!, ...unsolicited]) {
      expect(r.src).toBe(applianceLl);
      expect(r.hlim).toBe(255);
      expect(r.pref64.map(pref64Text)).toEqual([ADDR.prefix]);
      expect(r.pref64[0]!.lifetime).toBe(16); // 3 × maxInterval, in 8 s units
      expect(r.rdnss).toEqual([ADDR.appliance6]);
      expect(r.rdnssLifetimes).toEqual([12]); // 3 × maxInterval (RFC 8106 §5.1)
    }
    const view = api(t(), 'GET', '/api/v1/ra').json as { enabled: boolean; links: { interface: string; counters: { rsAnswered: number; rasSent: number; rasSolicitedUnicast: number } }[] };
    expect(view.enabled).toBe(true);
    expect(view.links[0]!.counters.rsAnswered, JSON.stringify(view.links[0]!.counters)).toBeGreaterThanOrEqual(1);
    expect(view.links[0]!.counters.rasSolicitedUnicast, JSON.stringify(view.links[0]!.counters)).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a CLAT (TAYGA) configured from the received PREF64 reaches IPv4 literals: curl, ping, UDP', async () => {
    expect(learned).toBe(ADDR.prefix);
    await startClat(learned);
    const ping = client('ping', ['-4', '-c', '3', '-i', '0.2', '-W', '2', ADDR.server4]);
    expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/);
    const page = client('curl', ['-sS', '--max-time', '10', `http://${ADDR.server4}/`]);
    expect(page.stdout).toContain('hello from the IPv4-only server');
    const big = client('sh', ['-c', `curl -sS --max-time 60 http://${ADDR.server4}/big.bin | sha256sum`], 90_000);
    expect(big.stdout.split(' ')[0]).toBe(srv!.bigSha256);
    const udp = JSON.parse(client(process.execPath, [UDP_TOOL, 'ask', ADDR.server4, '7', '200', '5']).stdout.trim().split('\n').pop()!) as Record<string, number>;
    expect(udp).toMatchObject({ sent: 5, received: 5, intact: 5 });
    // Translated twice: sixgate saw the CLAT's IPv6 address as the client.
    const sessions = api(t(), 'GET', '/api/v1/sessions?limit=100').json as { items: { ipv6?: string; client?: string }[] };
    expect(JSON.stringify(sessions)).toContain(CLAT_V6);
  }, 120_000);

  it('after PUT /api/v1/prefix an RA sent before the PUT answers carries the new prefix and the old one with lifetime 0; the CLAT follows', async () => {
    let putAt = 0;
    let doneAt = 0;
    const ras = await captureRas(t().client, 'c0', async () => {
      await sleep(300);
      putAt = Date.now() / 1000;
      const r = api(t(), 'PUT', '/api/v1/prefix', { prefix: PREFIX_B });
      doneAt = Date.now() / 1000;
      expect(r.status, r.text).toBe(200);
      // The answer names the step: the advertisement is part of the one change.
      expect((r.json as { steps?: { step: string; outcome: string }[] }).steps).toContainEqual(expect.objectContaining({ step: 'router advertisements', outcome: 'done' }));
      await sleep(1_500);
    });
    const texts = (r: Ra) => r.pref64.map((p) => [pref64Text(p), p.lifetime]);
    const next = ras.find((r) => r.time >= putAt && texts(r).some(([p, l]) => p === PREFIX_B && l === 16));
    expect(next, JSON.stringify(ras)).toBeDefined();
    // Sent by the change itself, before the PUT answered (not by the next periodic RA);
    // curl's start in the appliance namespace is most of doneAt − putAt on a loaded machine.
    expect(next!.time).toBeLessThanOrEqual(doneAt);
    process.stderr.write(`[ra.test] new PREF64 on the wire ${(next!.time - putAt).toFixed(3)} s after the PUT was started, ${(doneAt - next!.time).toFixed(3)} s before it answered\n`);
    expect(texts(next!)).toEqual([[PREFIX_B, 16], [ADDR.prefix, 0]]);
    // From then on nothing announces the old prefix as usable.
    for (const r of ras.filter((x) => x.time >= next!.time)) expect(texts(r)).not.toContainEqual([ADDR.prefix, 16]);
    // Reconfigure the CLAT from what the client received.
    const fresh = next!.pref64.find((p) => p.lifetime > 0)!;
    await startClat(pref64Text(fresh));
    const page = client('curl', ['-sS', '--max-time', '10', `http://${ADDR.server4}/`]);
    expect(page.stdout).toContain('hello from the IPv4-only server');
    const ping = client('ping', ['-4', '-c', '2', '-i', '0.2', '-W', '2', ADDR.server4]);
    expect(ping.stdout).toMatch(/2 packets transmitted, 2 received/);
    const view = api(t(), 'GET', '/api/v1/ra').json as { links: { pref64: { prefix: string; lifetime: number }[] }[] };
    expect(view.links[0]!.pref64[0]).toEqual({ prefix: PREFIX_B, lifetime: 16 });
  }, 120_000);

  it('a change that fails at a later step rolls the advertisement back with everything else', async () => {
    // The config file cannot be written (immutable state dir, even for root): the last step fails.
    sh('chattr', ['+i', stateDir!]);
    let status = 0;
    let ras: Ra[];
    try {
      ras = await captureRas(t().client, 'c0', async () => {
        await sleep(300);
        const r = api(t(), 'PUT', '/api/v1/prefix', { prefix: '2001:db8:66::/96' });
        status = r.status;
        expect(r.text).toContain('config file failed');
        await sleep(1_200);
      });
    } finally {
      sh('chattr', ['-i', stateDir!]);
    }
    expect(status).toBe(500);
    const texts = (r: Ra) => r.pref64.map((p) => [pref64Text(p), p.lifetime]);
    const tried = ras.findIndex((r) => texts(r).some(([p, l]) => p === '2001:db8:66::/96' && l === 16));
    expect(tried, JSON.stringify(ras)).toBeGreaterThanOrEqual(0);
    const back = ras.slice(tried + 1).find((r) => texts(r).some(([p, l]) => p === PREFIX_B && l === 16));
    expect(back, JSON.stringify(ras)).toBeDefined();
    expect(texts(back!)).toContainEqual(['2001:db8:66::/96', 0]);
    expect((api(t(), 'GET', '/api/v1/prefix').json as { prefix: string }).prefix).toBe(PREFIX_B);
    const view = api(t(), 'GET', '/api/v1/ra').json as { links: { pref64: { prefix: string; lifetime: number }[] }[] };
    expect(view.links[0]!.pref64[0]).toEqual({ prefix: PREFIX_B, lifetime: 16 });
    // The CLAT on the prefix that is still in effect keeps working.
    expect(client('curl', ['-sS', '--max-time', '10', `http://${ADDR.server4}/`]).stdout).toContain('hello from the IPv4-only server');
  }, 90_000);

  it('a second router announcing another PREF64 raises the conflict warning (health, API, metrics, log, sixgate check)', async () => {
    // Announce on the second link too, live: a new interface through the same transaction.
    const patch = api(t(), 'PATCH', '/api/v1/config', { ra: { interfaces: ['a0', 'a2'] } });
    expect(patch.status, patch.text).toBe(200);
    const ra = `86 00 0000 40 00 0000 00000000 00000000 26 02 0708 20010db8 0bad0000 00000000`.replace(/ /g, '');
    const py = `import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
for i in range(3):
    s.sendto(bytes.fromhex('${ra}'), ('ff02::1', 0, 0, socket.if_nametoindex('r0')))
    time.sleep(0.3)`;
    t().net.exec(router!, 'python3', ['-c', py]);
    await waitFor(() => ((api(t(), 'GET', '/api/v1/health').json as { warnings?: string[] }).warnings ?? []).length > 0, 5_000, 'a health warning');
    const health = api(t(), 'GET', '/api/v1/health').json as { status: string; warnings: string[] };
    expect(health.status).toBe('ok');
    expect(health.warnings.join('\n')).toContain(`announces PREF64 ${FOREIGN}`);
    const view = api(t(), 'GET', '/api/v1/ra').json as { conflicts: { kind: string; interface: string; announced: string; ours: string }[] };
    expect(view.conflicts).toMatchObject([{ kind: 'pref64', interface: 'a2', announced: FOREIGN, ours: PREFIX_B }]);
    const metrics = api(t(), 'GET', '/metrics').text;
    expect(metrics).toMatch(new RegExp(`sixgate_ra_foreign_pref64_total\\{interface="a2",router="fe80::[0-9a-f:]+",prefix="${FOREIGN.replace(/\//g, '\\/')}"\\} 3`));
    await waitFor(() => sg!.logs().includes('another router announces a different PREF64'), 5_000, `the conflict in the log:\n${sg!.logs()}`);

    // `sixgate check` solicits and listens on its own (the router keeps announcing meanwhile).
    const rogue = t().net.spawn(router!, 'python3', ['-c', py.replace('range(3)', 'range(40)')]);
    const env = applianceEnv(stateDir!);
    delete env['SIXGATE_PREFIX'];
    const check = await t().net.execAsync(t().appliance, 'env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, SIXGATE, 'check'], { timeoutMs: 60_000 });
    rogue.kill();
    const line = check.stdout.split('\n').find((l) => l.includes('router advertisements on a2'));
    expect(line, check.stdout + check.stderr).toMatch(/^FAIL .*announces PREF64 2001:db8:bad::\/96 \(sixgate: 2001:db8:65::\/96\)/);
    expect(check.stdout).toMatch(/^ok {4}router advertisements on a0: raw socket opens/m);
  }, 90_000);

  it('a real stop withdraws: final RAs with PREF64 and RDNSS lifetime 0', async () => {
    const ras = await captureRas(t().client, 'c0', async () => {
      await sleep(300);
      expect(await sg!.stop('SIGTERM')).toBe(0);
      await sleep(300);
    });
    const finals = ras.filter((r) => r.pref64.every((p) => p.lifetime === 0) && r.pref64.length > 0);
    expect(finals.length).toBeGreaterThanOrEqual(1);
    expect(finals[0]!.pref64.map(pref64Text)).toContain(PREFIX_B);
    expect(finals[0]!.rdnss).toEqual([ADDR.appliance6]);
    expect(finals[0]!.rdnssLifetimes).toEqual([0]);
  }, 60_000);

  it('a restart (SIGUSR2) stops without final RAs; the new process announces again at once', async () => {
    const env = applianceEnv(stateDir!, { SIXGATE_LOG_LEVEL: 'info' });
    delete env['SIXGATE_PREFIX'];
    const ras = await captureRas(t().client, 'c0', async () => {
      sg = await startSixgate(t(), env);
      await sleep(500);
      expect(await sg.stop('SIGUSR2')).toBe(0);
      await sleep(500);
    });
    expect(ras.length, JSON.stringify(ras)).toBeGreaterThanOrEqual(1);
    expect(ras[0]!.pref64.map((p) => [pref64Text(p), p.lifetime])).toEqual([[PREFIX_B, 16]]);
    // Nothing withdrawn: clients keep PREF64 and RDNSS across the restart.
    for (const r of ras) expect(r.pref64.every((p) => p.lifetime > 0) && r.rdnssLifetimes.every((l) => l > 0), JSON.stringify(r)).toBe(true);
  }, 90_000);
});

