// The data path never stops in silence (issue 14): the TUN device vanishes
// under a running appliance. Health turns nat64 down within a second, the
// failure is logged and counted, DNS64 stops synthesizing (NODATA with a short
// negative TTL, real AAAA kept, never SERVFAIL), and the daemon re-creates the
// device, its routes and offloads by itself — then synthesis and traffic resume.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, requireRoot, waitFor, type Topology } from './lib/netns.js';
import { api, applianceEnv, cleanupDir, ensureBuilt, startServers, startSixgate, type ServerSide, type Sixgate } from './lib/appliance.js';

/** prefix (2001:db8:64::/96) + 198.51.100.2 */
const SERVER6 = '2001:db8:64::c633:6402';

let topo: Topology | undefined;
let srv: ServerSide | undefined;
let sg: Sixgate | undefined;
let stateDir: string | undefined;

const t = (): Topology => topo!;
const client = (cmd: string, args: string[], timeoutMs = 20_000) => t().net.exec(t().client, cmd, args, { allowFail: true, timeoutMs });
const dig = (name: string) => client('dig', ['+time=2', '+tries=1', `@${ADDR.appliance6}`, 'AAAA', name]).stdout;
const health = () => api(t(), 'GET', '/api/v1/health');
const metric = (name: string): number => {
  const text = api(t(), 'GET', '/metrics').text;
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};

beforeAll(async () => {
  requireRoot();
  ensureBuilt();
  topo = buildTopology('r');
  srv = await startServers(topo, { bigMiB: 1 });
  stateDir = mkdtempSync(join(tmpdir(), 'sg-e2e-state-'));
  sg = await startSixgate(topo, applianceEnv(stateDir, { SIXGATE_LOG_LEVEL: 'info' }));
}, 180_000);

afterAll(async () => {
  await sg?.stop().catch(() => undefined);
  await topo?.net.destroy();
  cleanupDir(srv?.dir);
  cleanupDir(stateDir);
});

describe('the TUN device vanishes under a running appliance', () => {
  it('goes down visibly, suspends synthesis, and recovers by itself', async () => {
    expect(client('ping', ['-6', '-c', '1', '-W', '2', SERVER6]).stdout).toMatch(/1 received/);
    expect(dig('www.example.net')).toContain(SERVER6);
    expect(metric('sixgate_nat64_up')).toBe(1);

    // Delete the device and, in the same breath, take its name with a veth
    // link: re-creating the TUN device fails until the name is free again.
    const t0 = Date.now();
    t().net.exec(t().appliance, 'sh', ['-c', 'ip link del sg64 && ip link add sg64 type veth peer name sg64p']);
    await waitFor(() => health().status === 503, 1000, 'health to turn nat64 down within a second');
    expect(Date.now() - t0).toBeLessThan(1500);
    const h = health().json as { status: string; nat64: boolean; dns64: boolean; reasons: string[] };
    expect(h).toMatchObject({ nat64: false, dns64: true });
    expect(h.reasons.join(' ')).toMatch(/TUN device failed .*recovering, attempt \d+; DNS64 synthesis suspended/);
    expect(metric('sixgate_nat64_up')).toBe(0);
    expect(metric('sixgate_nat64_tun_failures_total')).toBe(1);
    await waitFor(() => /TUN device failed: translator stopped, DNS64 synthesis suspended, recovering/.test(sg!.logs()), 3000, 'the failure to be logged');

    // DNS64 answers as if no prefix existed: NODATA with a short negative TTL,
    // the real AAAA of a dual-stack name kept, never SERVFAIL.
    const nodata = dig('www.example.net');
    expect(nodata).toMatch(/status: NOERROR/);
    expect(nodata).toMatch(/ANSWER: 0,/);
    const soaTtl = /^example\.net\.\s+(\d+)\s+IN\s+SOA/m.exec(nodata);
    expect(soaTtl).not.toBeNull();
    expect(Number(soaTtl![1])).toBeLessThanOrEqual(5);
    expect(dig('dual.example.net')).toMatch(/IN\s+AAAA\s+2001:db8:d::1/);
    expect(metric('sixgate_dns64_synthesis_suspended_total')).toBeGreaterThanOrEqual(1);
    // the process is still there, still answering, and retrying
    await waitFor(() => /TUN device recovery failed; retrying/.test(sg!.logs()), 5000, 'a failed recovery attempt to be logged');
    expect(sg!.child.exitCode).toBeNull();

    // Free the name: the next attempt re-creates the device, its routes and offloads.
    t().net.exec(t().appliance, 'ip', ['link', 'del', 'sg64']);
    await waitFor(() => health().status === 200, 15_000, 'the appliance to recover by itself');
    await waitFor(() => /TUN device recovered: translator running, DNS64 synthesis resumed/.test(sg!.logs()), 3000, 'the recovery to be logged');
    expect(t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show', 'dev', 'sg64']).stdout).toContain('2001:db8:64::/96');
    expect(t().net.exec(t().appliance, 'ip', ['-4', 'route', 'show', 'dev', 'sg64']).stdout).toContain('203.0.113.0/28');
    expect(t().net.exec(t().appliance, 'ip', ['link', 'show', 'sg64']).stdout).toMatch(/qlen 10000/);
    expect(t().net.exec(t().appliance, 'ethtool', ['-k', 'sg64']).stdout).toMatch(/tcp-segmentation-offload: on/);
    expect(metric('sixgate_nat64_up')).toBe(1);
    expect(metric('sixgate_nat64_tun_recoveries_total')).toBe(1);

    // Synthesis and traffic resume.
    expect(dig('www.example.net')).toContain(SERVER6);
    expect(client('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', SERVER6]).stdout).toMatch(/2 received/);
    const dl = client('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '--max-time', '10', `http://[${SERVER6}]/big.bin`]);
    expect(dl.stdout).toBe(`200 ${srv!.bigSize}`);
  });
});
