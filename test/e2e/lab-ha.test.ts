/**
 * `sixgate lab up --ha` end to end, with the built CLI (issue 16): the pair an
 * operator can pull the plug on. Both appliance namespaces really run sixgate
 * and keepalived; the test reads both roles through `lab status`, kills the
 * active's processes with -9 while a long-lived TCP stream runs from the
 * IPv6-only client to the IPv4-only server, sees the standby take over with
 * the stream intact (every line, one pool4 address and port), brings the node
 * back with `lab restart`, and checks that `lab down` — also of a half-broken
 * pair — leaves no namespace, process or file. Fixed names: the test refuses
 * to run when a lab is already up on this machine.
 */
import { existsSync } from 'node:fs';
import { ipv4InCidr, parseIpv4, parseIpv4Cidr } from '@sixgate/addressing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, SIXGATE } from './lib/appliance.js';
import { lab, labNamespaces, requireNoLab } from './lib/lab.js';
import { killNamespace, requireRoot, run, sh, waitFor } from './lib/netns.js';

const NS = ['sixgate-lab-client', 'sixgate-lab-lan', 'sixgate-lab-r1', 'sixgate-lab-r2', 'sixgate-lab-up', 'sixgate-lab-rt', 'sixgate-lab-server'];
const POOL4 = '198.51.100.0/28';
const SYNTH = '2001:db8:6464::c000:250'; // the lab's prefix + 192.0.2.80

interface HaNodeStatus {
  name: string;
  role: string | null;
  peer: string | null;
  vips: string[];
  tun: boolean;
}
interface Status {
  state: string;
  ha?: HaNodeStatus[];
}

const status = async (): Promise<{ code: number | null; s: Status }> => {
  const r = await run(process.execPath, [SIXGATE, '--json', 'lab', 'status'], { timeoutMs: 30_000 });
  return { code: r.code, s: JSON.parse(r.stdout) as Status };
};
/** Live (not zombie) processes of the lab: keepalived or sixgate with the lab's files, the lab server. */
const labProcesses = (): string[] =>
  sh('ps', ['-eo', 'pid=,stat=,args='])
    .stdout.split('\n')
    .filter((l) => !/^\s*\d+\s+Z/.test(l))
    .filter((l) => l.includes('/run/sixgate-lab/') || (l.includes(SIXGATE) && l.includes(' lab serve')));

describe('sixgate lab up --ha', () => {
  beforeAll(() => {
    requireRoot();
    const missing = ['keepalived', 'curl', 'dig'].filter((b) => sh('sh', ['-c', `command -v ${b}`], { allowFail: true }).code !== 0);
    if (missing.length > 0) throw new Error(`the HA lab test needs ${missing.join(', ')} (scripts/ensure-test-deps.mjs installs them)`);
    requireNoLab();
    ensureBuilt();
  }, 300_000);

  afterAll(async () => {
    await lab('down');
  }, 60_000);

  it('up --ha builds the pair: one node active holding both virtual addresses, the other standby, synced; a second up is refused', async () => {
    const up = await lab('up', '--ha');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('ha status');
    expect(up.stdout).toContain('ip netns pids sixgate-lab-r1 | xargs -r kill -9');
    expect(up.stdout).toContain('ip netns exec sixgate-lab-client curl -sN http://www.example.net/stream');
    expect(NS.every((n) => existsSync(`/run/netns/${n}`))).toBe(true);

    const { code, s } = await status();
    expect(code).toBe(0);
    expect(s.state).toBe('up');
    const [r1, r2] = s.ha!;
    expect(r1).toEqual({ name: 'r1', role: 'active', peer: 'connected', vips: ['203.0.113.1', '2001:db8:64::1'], keepalived: true, tun: true });
    expect(r2).toEqual({ name: 'r2', role: 'standby', peer: 'connected', vips: [], keepalived: true, tun: true });
    const text = await run(process.execPath, [SIXGATE, 'lab', 'status'], { timeoutMs: 30_000 });
    expect(text.stdout).toMatch(/node r1: active, peer connected/);
    expect(text.stdout).toMatch(/node r2: standby, peer connected/);

    for (const args of [['up', '--ha'], ['up']]) {
      const again = await lab(...args);
      expect(again.code, args.join(' ')).toBe(1);
      expect(again.stderr).toMatch(/already up .*sixgate lab down/);
    }
    // The printed watch command works as printed.
    const watch = sh('sh', ['-c', `ip netns exec sixgate-lab-r2 ${process.execPath} ${SIXGATE} --token "$(cat /run/sixgate-lab/r2/api-token)" ha status`]);
    expect(watch.stdout).toMatch(/^node\s+r2 standby/m);
    expect(watch.stdout).toMatch(/^peer\s+r1 .*connected/m);
  }, 120_000);

  it('pulling the plug on the active (kill -9 of sixgate and keepalived): the standby takes over, a TCP stream through the pair continues intact', async () => {
    const dig = sh('ip', ['netns', 'exec', 'sixgate-lab-client', 'dig', '+short', '+time=2', '+tries=2', 'AAAA', 'www.example.net']);
    expect(dig.stdout.trim()).toBe(SYNTH);

    const SECONDS = 20;
    const stream = run('ip', ['netns', 'exec', 'sixgate-lab-client', 'curl', '-sSN', '--max-time', '60', `http://www.example.net/stream?seconds=${SECONDS}`], { timeoutMs: 70_000 });
    // The standby holds the connection's session before the plug is pulled.
    await new Promise((r) => setTimeout(r, 4000));
    const synced = sh('sh', ['-c', `ip netns exec sixgate-lab-r2 ${process.execPath} ${SIXGATE} --json --token "$(cat /run/sixgate-lab/r2/api-token)" sessions`]);
    expect(synced.stdout).toContain('192.0.2.80');

    const killedAt = Date.now();
    killNamespace('sixgate-lab-r1');
    await waitFor(async () => (await status()).s.ha?.[1]?.role === 'active', 20_000, 'r2 active after r1 was killed', 500);
    const takeoverMs = Date.now() - killedAt;
    const { code, s } = await status();
    expect(code).toBe(1); // degraded: one node down
    expect(s.state).toBe('degraded');
    // A crashed node keeps its addresses in its (still running) kernel; the status says they are stale.
    expect(s.ha![0]).toMatchObject({ name: 'r1', role: null, vips: ['203.0.113.1', '2001:db8:64::1'], keepalived: false });
    expect(s.ha![1]).toMatchObject({ name: 'r2', role: 'active', peer: 'disconnected', vips: ['203.0.113.1', '2001:db8:64::1'], keepalived: true });
    const text = await run(process.execPath, [SIXGATE, 'lab', 'status'], { timeoutMs: 30_000 });
    expect(text.stdout).toContain('sixgate lab restart r1');
    expect(text.stdout).toMatch(/node r1: .*\(stale: no keepalived runs there\)/);

    // Every line of the stream arrived, in order, over one connection with one pool4 address and port.
    const r = await stream;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(SECONDS);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^tick ${i + 1} `)));
    const sources = new Set(lines.map((l) => l.split(' from ')[1]));
    expect(sources.size).toBe(1);
    const [addr] = [...sources][0]!.split(':');
    expect(ipv4InCidr(parseIpv4(addr!), parseIpv4Cidr(POOL4)), addr).toBe(true);
    // DNS64 answers through the virtual address, now from r2.
    expect(sh('ip', ['netns', 'exec', 'sixgate-lab-client', 'dig', '+short', '+time=2', '+tries=3', 'AAAA', 'www.example.net']).stdout.trim()).toBe(SYNTH);
    process.stderr.write(`[lab-ha.test] r2 reported active ${takeoverMs} ms after the kill (status polled every 0.5 s)\n`);
  }, 120_000);

  it('restart brings the killed node back as the standby (resynced, no preempt); restart refuses a running or unknown node', async () => {
    const running = await lab('restart', 'r2');
    expect(running.code).toBe(1);
    expect(running.stderr).toMatch(/r2 still runs .*kill -9/);
    const unknown = await lab('restart', 'r3');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no node "r3"/);

    const back = await lab('restart', 'r1');
    expect(back.code, back.stderr).toBe(0);
    const { code, s } = await status();
    expect(code).toBe(0);
    expect(s.ha!.map((h) => [h.name, h.role, h.peer, h.vips.length])).toEqual([['r1', 'standby', 'connected', 0], ['r2', 'active', 'connected', 2]]);
    const ha = sh('sh', ['-c', `ip netns exec sixgate-lab-r1 ${process.execPath} ${SIXGATE} --json --token "$(cat /run/sixgate-lab/r1/api-token)" ha status`]);
    expect((JSON.parse(ha.stdout) as { sync: { bulkTransfersReceived: number } }).sync.bulkTransfersReceived).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('down removes the whole pair, also half-broken (a node killed, a segment gone): no namespace, process or file left', async () => {
    killNamespace('sixgate-lab-r2');
    sh('ip', ['netns', 'delete', 'sixgate-lab-up']);
    const down = await lab('down');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('namespace sixgate-lab-r1');
    expect(down.stdout).toContain('namespace sixgate-lab-rt');
    expect(labNamespaces()).toEqual([]);
    await waitFor(() => labProcesses().length === 0, 5000, `no lab process left (${labProcesses().join('; ')})`, 200);
    expect(existsSync('/run/sixgate-lab')).toBe(false);
    expect(NS.some((n) => existsSync(`/etc/netns/${n}`))).toBe(false);
    const { code, s } = await status();
    expect(code).toBe(3);
    expect(s.state).toBe('down');
    const again = await lab('down');
    expect(again.stdout).toContain('nothing to remove');
  }, 90_000);
});
