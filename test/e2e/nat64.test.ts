// The data path end to end: the real `sixgate run` in the appliance namespace,
// real clients in an IPv6-only namespace, real servers in an IPv4-only one
// (issue: TUN data path and `sixgate run`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, buildTopology, requireRoot, waitFor, type Topology } from './lib/netns.js';
import { api, applianceEnv, cleanupDir, ensureBuilt, startServers, startSixgate, UDP_TOOL, type ServerSide, type Sixgate } from './lib/appliance.js';

/** prefix (2001:db8:64::/96) + 198.51.100.2 */
const SERVER6 = '2001:db8:64::c633:6402';

let topo: Topology | undefined;
let srv: ServerSide | undefined;
let sg: Sixgate | undefined;
let stateDir: string | undefined;

const t = (): Topology => topo!;
/** Polls `probe` for up to 5 s (synchronous tests). */
function waitForSync(probe: () => boolean): void {
  const end = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out waiting for a server in the server namespace');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}
const client = (cmd: string, args: string[], timeoutMs = 30_000) => t().net.exec(t().client, cmd, args, { allowFail: true, timeoutMs });
const udp = (...args: string[]) => JSON.parse(client(process.execPath, [UDP_TOOL, ...args]).stdout.trim().split('\n').pop()!) as Record<string, number & string[]>;
const stats = () => api(t(), 'GET', '/api/v1/stats').json as { nat64: { drops: Record<string, number>; packets: Record<string, number> }; offload: Record<string, number | boolean> };

beforeAll(async () => {
  requireRoot();
  ensureBuilt();
  topo = buildTopology('n');
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf: the client resolves through sixgate.
  topo.net.setResolver(topo.client, [ADDR.appliance6]);
  srv = await startServers(topo);
  stateDir = mkdtempSync(join(tmpdir(), 'sg-e2e-state-'));
  sg = await startSixgate(topo, applianceEnv(stateDir, { SIXGATE_LOG_LEVEL: 'info' }));
}, 180_000);

afterAll(async () => {
  await sg?.stop().catch(() => undefined);
  await topo?.net.destroy();
  cleanupDir(srv?.dir);
  cleanupDir(stateDir);
});

describe('sixgate run between an IPv6-only client and an IPv4-only server', () => {
  it('creates the TUN device and routes the prefix and pool4 into it', () => {
    const routes6 = t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show', 'dev', 'sg64']).stdout;
    const routes4 = t().net.exec(t().appliance, 'ip', ['-4', 'route', 'show', 'dev', 'sg64']).stdout;
    expect(routes6).toContain('2001:db8:64::/96');
    expect(routes4).toContain('203.0.113.0/28');
    expect(t().net.exec(t().appliance, 'ip', ['link', 'show', 'sg64']).stdout).toMatch(/qlen 10000/);
    expect(api(t(), 'GET', '/api/v1/health').json).toMatchObject({ status: 'ok', dns64: true, nat64: true });
  });

  it('DNS64 synthesizes the AAAA the translator serves', () => {
    const r = client('dig', ['+short', '+time=2', '+tries=1', `@${ADDR.appliance6}`, 'AAAA', 'www.example.net']);
    expect(r.stdout.trim()).toBe(SERVER6);
    const real = client('dig', ['+short', '+time=2', '+tries=1', `@${ADDR.appliance6}`, 'AAAA', 'dual.example.net']);
    expect(real.stdout.trim()).toBe('2001:db8:d::1');
  });

  it('ping reaches the IPv4-only server (ICMPv6 echo ↔ ICMPv4 echo)', () => {
    const r = client('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '2', SERVER6]);
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    // Fragmented both ways: the translator holds each echo until complete to fix its checksum.
    const held = () => stats().nat64.drops['fragment-held'] ?? 0;
    const held0 = held();
    const big = client('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '2', '-s', '3000', SERVER6]);
    expect(big.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(held() - held0).toBeGreaterThanOrEqual(6); // at least one fragment of each request and reply waited
  });

  it('curl loads a page by name through DNS64 + NAT64', () => {
    const r = client('curl', ['-sS', '--max-time', '10', 'http://www.example.net/']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('hello from the IPv4-only server');
  });

  it('a 20 MB download arrives intact', () => {
    const r = client('sh', ['-c', `curl -sS --max-time 60 -g http://[${SERVER6}]/big.bin | sha256sum`], 90_000);
    expect(r.stdout.split(' ')[0]).toBe(srv!.bigSha256);
  }, 120_000);

  it('TCP moves as super-packets (offload), and 20 MB each way arrive intact with every checksum checked by the kernel', () => {
    const before = stats().offload;
    expect(before.enabled).toBe(true);
    // Without checksum offload on the appliance's veths the kernel finishes every partial
    // checksum sixgate hands it, and cuts the super-packets itself, in software: the
    // receiving stacks then verify each segment's checksum, and a wrong one stalls the transfer.
    const ethtool = (mode: string) => {
      for (const dev of ['a0', 'a1']) t().net.exec(t().appliance, 'ethtool', ['-K', dev, 'tx', mode]);
    };
    ethtool('off');
    try {
      const down = client('sh', ['-c', `curl -sS --max-time 60 -g http://[${SERVER6}]/big.bin | sha256sum`], 90_000);
      expect(down.stdout.split(' ')[0]).toBe(srv!.bigSha256);
      t().net.spawn(t().server, 'socat', ['-T', '60', `TCP4-LISTEN:9300,bind=${ADDR.server4},reuseaddr`, 'SYSTEM:sha256sum']);
      waitForSync(() => t().net.exec(t().server, 'ss', ['-lnt'], { allowFail: true }).stdout.includes(':9300 '));
      const up = client('sh', ['-c', `socat -t 30 - TCP6:[${SERVER6}]:9300 < ${join(srv!.dir, 'www', 'big.bin')}`], 90_000);
      expect(up.stdout.split(' ')[0]).toBe(srv!.bigSha256);
    } finally {
      ethtool('on');
    }
    const after = stats().offload;
    expect((after.gsoPackets as number) - (before.gsoPackets as number)).toBeGreaterThan(100);
    expect((after.gsoSegments as number) - (before.gsoSegments as number)).toBeGreaterThan(3 * ((after.gsoPackets as number) - (before.gsoPackets as number)));
    expect(after.badHeader).toBe(0);
  }, 200_000);

  it('a 20 MB download stays intact when the client link MTU is 1280', () => {
    const mtu = (n: number) => {
      t().net.exec(t().client, 'ip', ['link', 'set', 'c0', 'mtu', String(n)]);
      t().net.exec(t().appliance, 'ip', ['link', 'set', 'a0', 'mtu', String(n)]);
    };
    mtu(1280);
    try {
      const r = client('sh', ['-c', `curl -sS --max-time 60 -g http://[${SERVER6}]/big.bin | sha256sum`], 90_000);
      expect(r.stdout.split(' ')[0]).toBe(srv!.bigSha256);
    } finally {
      mtu(1500);
    }
  }, 120_000);

  it('UDP echo works, and 3000/8000-byte datagrams are fragmented and reassembled both ways', () => {
    expect(udp('ask', SERVER6, '7', '100', '5')).toMatchObject({ sent: 5, received: 5, intact: 5 });
    expect(udp('ask', SERVER6, '7', '3000', '3')).toMatchObject({ received: 3, intact: 3 });
    expect(udp('ask', SERVER6, '7', '8000', '3')).toMatchObject({ received: 3, intact: 3 });
  });

  it('UDP bursts leave as UDP GSO super-packets, and every datagram arrives intact with its checksum checked by the kernel', () => {
    const before = stats().offload;
    const csumErrors = (ns: string) => {
      const snmp = t().net.exec(ns, 'cat', ['/proc/net/snmp']).stdout.split('\n').filter((l) => l.startsWith('Udp:'));
      const [names, values] = snmp.map((l) => l.split(/\s+/));
      return Number(values![names!.indexOf('InCsumErrors')]);
    };
    const errs0 = [csumErrors(t().client), csumErrors(t().server)];
    // As in the TCP test: with tx checksum offload off on the appliance's veths the kernel
    // cuts each super-packet and computes every datagram's checksum in software, and the
    // receiving sockets verify them.
    const ethtool = (mode: string) => {
      for (const dev of ['a0', 'a1']) t().net.exec(t().appliance, 'ethtool', ['-K', dev, 'tx', mode]);
    };
    for (const mode of ['off', 'on']) {
      ethtool(mode);
      try {
        for (const [size, count] of [['64', 2000], ['1200', 1000]] as const) {
          const r = udp('burst', SERVER6, '7', size, String(count));
          expect(r).toMatchObject({ sent: count, intact: count });
        }
      } finally {
        ethtool('on');
      }
    }
    const after = stats().offload;
    expect(after.udpCoalescing, 'UDP GSO on TUN writes needs Linux 6.2 or later').toBe(true);
    const supers = (after.udpSuperPackets as number) - (before.udpSuperPackets as number);
    const segs = (after.udpSegments as number) - (before.udpSegments as number);
    expect(supers).toBeGreaterThan(10);
    expect(segs).toBeGreaterThan(2 * supers);
    expect([csumErrors(t().client), csumErrors(t().server)]).toEqual(errs0);
  }, 60_000);

  it('TCP to a closed port is refused at once', () => {
    const start = Date.now();
    const r = client('curl', ['-sS', '--max-time', '5', '-g', `http://[${SERVER6}]:81/`]);
    expect(r.code).toBe(7); // couldn't connect: the server's RST, translated back
    expect(Date.now() - start).toBeLessThan(3000);
  });

  it('UDP to a closed port comes back as ICMPv6 port unreachable on the client socket', () => {
    const r = udp('ask', SERVER6, '9', '10', '1');
    expect(r.received).toBe(0);
    expect(r.errors).toContain('ECONNREFUSED');
  });

  it('traceroute reaches the server through the translator', () => {
    const r = client('traceroute', ['-6', '-n', '-q', '1', '-w', '1', '-m', '6', SERVER6], 30_000);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toContain(SERVER6);
    // The hop before the server is the translator itself (prefix + an IPv4 address), not a timeout.
    expect(lines.at(-2)).toMatch(/2001:db8:64::|2001:db8:1::1/);
  });

  it('2000 new UDP flows in 0.2 s are all answered', () => {
    const r = udp('flows', SERVER6, '7', '2000', '200');
    expect(r.sent).toBe(2000);
    expect(r.answered).toBe(2000);
    // Closed sockets free their ports for later ones, so flows may share a session; most are distinct.
    const s = api(t(), 'GET', '/api/v1/sessions?protocol=udp&limit=1&offset=0').json as { total: number };
    expect(s.total).toBeGreaterThanOrEqual(1500);
  }, 60_000);

  it('hostile packets are dropped and counted while traffic keeps flowing', () => {
    const before = stats().nat64.drops;
    const sum = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
    // Raw IPv6 packets with our own headers: truncated UDP, a bad length, an
    // unknown extension chain, a routing header with segments left, garbage ICMPv6 errors.
    const py = `
import socket, struct, os
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
src = socket.inet_pton(socket.AF_INET6, '${ADDR.client6}')
dst = socket.inet_pton(socket.AF_INET6, '${SERVER6}')
def ip6(nh, payload, plen=None):
    return struct.pack('!IHBB', 0x60000000, len(payload) if plen is None else plen, nh, 64) + src + dst + payload
pkts = [
    ip6(17, b'\\x01\\x02\\x03'),                                   # truncated UDP header
    ip6(6, b'\\x00' * 10),                                         # truncated TCP header
    ip6(43, bytes([17, 0, 0, 1]) + b'\\x00' * 4),                  # routing header, segments left 1
    ip6(0, bytes([60, 0]) + b'\\x00' * 4 + bytes([44, 0]) + b'\\x00' * 4),  # HbH -> DestOpt -> truncated frag
    ip6(58, bytes([1, 4, 0, 0, 0, 0, 0, 0]) + os.urandom(30)),     # ICMPv6 error with a garbage inner packet
    ip6(58, bytes([3, 0, 0, 0, 0, 0, 0, 0]) + b'\\x60' + b'\\x00' * 7), # time exceeded with a truncated inner header
    ip6(17, b'\\x00' * 8, plen=4),                                  # payload length shorter than UDP header
]
for i in range(50):
    for p in pkts:
        try: s.sendto(p, ('${SERVER6}', 0))
        except OSError: pass
print('sent', 50 * len(pkts))
`;
    const r = client('python3', ['-c', py]);
    expect(r.stdout).toContain('sent 350');
    expect(udp('ask', SERVER6, '7', '64', '5')).toMatchObject({ received: 5, intact: 5 });
    const after = stats().nat64.drops;
    expect(sum(after) - sum(before)).toBeGreaterThanOrEqual(100);
    expect(sg!.child.exitCode).toBeNull(); // still running
  });

  it('a static BIB entry lets an IPv4 host reach an IPv6 server', async () => {
    const echo = t().net.spawn(t().client, process.execPath, [UDP_TOOL, 'echo', '7777']);
    await waitFor(() => t().net.exec(t().client, 'ss', ['-lnu'], { allowFail: true }).stdout.includes(':7777 '), 5000, 'IPv6 echo server');
    const add = api(t(), 'POST', '/api/v1/bib', { protocol: 'udp', ipv6: `[${ADDR.client6}]:7777`, ipv4: '203.0.113.1:7777' });
    expect(add.status).toBe(201);
    const r = JSON.parse(t().net.exec(t().server, process.execPath, [UDP_TOOL, 'ask', '203.0.113.1', '7777', '200', '3']).stdout.trim()) as { received: number; intact: number };
    expect(r).toMatchObject({ received: 3, intact: 3 });
    echo.kill();
    const list = api(t(), 'GET', '/api/v1/bib?protocol=udp').json as { items?: { static: boolean; ipv4: string }[] } | { static: boolean; ipv4: string }[];
    const items = Array.isArray(list) ? list : list.items ?? [];
    expect(items.some((b) => b.static && b.ipv4 === '203.0.113.1:7777')).toBe(true);
  });

  it('a TCP connection stays open across a daemon restart (sessions snapshotted and restored)', async () => {
    t().net.spawn(t().server, process.execPath, [UDP_TOOL, 'tcp-echo', '7000']);
    await waitFor(() => t().net.exec(t().server, 'ss', ['-lnt'], { allowFail: true }).stdout.includes(':7000 '), 5000, 'TCP echo server');
    const sess = t().net.spawn(t().client, process.execPath, [UDP_TOOL, 'tcp-session', SERVER6, '7000'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    sess.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('connected'), 5000, 'TCP connect');
    sess.stdin!.write('before\n');
    await waitFor(() => out.includes('echo before'), 5000, 'echo before restart');

    expect(await sg!.stop()).toBe(0);
    expect(t().net.exec(t().appliance, 'ip', ['link', 'show', 'sg64'], { allowFail: true }).code).not.toBe(0);
    sg = await startSixgate(t(), applianceEnv(stateDir!));
    expect(sg.logs()).toMatch(/sessions restored from snapshot/);

    sess.stdin!.write('after\n');
    await waitFor(() => out.includes('echo after'), 10_000, `echo after restart (client saw: ${out})`);
    expect(out).not.toMatch(/error/);
    sess.kill();
  }, 60_000);

  it('after kill -9 nothing blocks the next start: it comes up and translates again', async () => {
    expect(await sg!.stop('SIGKILL')).toBeNull(); // killed by the signal, no cleanup of its own
    sg = await startSixgate(t(), applianceEnv(stateDir!));
    expect(t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show', '2001:db8:64::/96']).stdout).toContain('sg64');
    const r = client('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', SERVER6]);
    expect(r.stdout).toMatch(/2 packets transmitted, 2 received/);
  }, 60_000);

  it('SIGTERM removes the TUN device and routes and exits 0 within 5 s', async () => {
    const start = Date.now();
    expect(await sg!.stop()).toBe(0);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(t().net.exec(t().appliance, 'ip', ['link', 'show', 'sg64'], { allowFail: true }).code).not.toBe(0);
    expect(t().net.exec(t().appliance, 'ip', ['-6', 'route', 'show', '2001:db8:64::/96']).stdout.trim()).toBe('');
    expect(sg!.logs()).toMatch(/"msg":"sessions saved"/);
    sg = undefined;
  });
});
