import { embedIpv4, formatIpv6, ipv4InCidr, ipv6InCidr, parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { LAB, LAB_RECORDS, namespaceEtc, runArgs, setupCommands, tryCommands } from './plan.js';

const DOC4 = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((c) => parseIpv4Cidr(c));
const DOC6 = parseIpv6Cidr('2001:db8::/32');
const isDoc4 = (a: string): boolean => DOC4.some((c) => ipv4InCidr(parseIpv4(a), c));

describe('lab plan', () => {
  it('uses documentation addresses only', () => {
    for (const a of [LAB.gateway4, LAB.server4, LAB.pool4.split('/')[0]!]) expect(isDoc4(a), a).toBe(true);
    for (const a of [LAB.client6, LAB.gateway6]) expect(ipv6InCidr(parseIpv6(a), 0, DOC6), a).toBe(true);
    for (const v4 of Object.values(LAB_RECORDS)) expect(isDoc4(v4)).toBe(true);
    const addrs = setupCommands().flat().filter((t) => /^[0-9a-f:.]+\/\d+$/.test(t) || /^\d+\.\d+\.\d+\.\d+$/.test(t));
    expect(addrs.length).toBeGreaterThan(4);
    for (const a of addrs) {
      const bare = a.split('/')[0]!;
      expect(bare.includes(':') ? ipv6InCidr(parseIpv6(bare), 0, DOC6) : isDoc4(bare), a).toBe(true);
    }
  });

  it('uses a prefix that may embed the server address (not the well-known prefix, RFC 6052 §3.1)', () => {
    const p = parseNat64Prefix(LAB.prefix);
    expect(p.wellKnown).toBe(false);
    // Documentation space, and not inside 64:ff9b::/32, which TAYGA (the lab's CLAT) refuses.
    expect(p.text.startsWith('2001:db8:')).toBe(true);
    expect(parseNat64Prefix(LAB.nextPrefix).text.startsWith('2001:db8:')).toBe(true);
  });

  it('prints the address DNS64 really synthesizes for the web name', () => {
    const out = new Uint8Array(16);
    embedIpv4(parseNat64Prefix(LAB.prefix), parseIpv4(LAB_RECORDS[LAB.webName]!), out, 0);
    const lines = tryCommands('/usr/bin/sixgate').join('\n');
    expect(lines).toContain(`# synthesized: ${formatIpv6(out)}`);
    expect(lines).toContain(`curl -s http://${LAB.webName}/`);
    expect(lines).toContain(`ip netns exec ${LAB.ns.gateway} /usr/bin/sixgate --token`);
  });

  it('creates each namespace before using it and brings every link up', () => {
    const cmds = setupCommands();
    const created = new Set<string>();
    for (const c of cmds) {
      if (c[0] === 'netns' && c[1] === 'add') created.add(c[2]!);
      if (c[0] === '-n') expect(created.has(c[1]!), c.join(' ')).toBe(true);
    }
    expect([...created].sort()).toEqual(Object.values(LAB.ns).sort());
    for (const [ns, dev] of [[LAB.ns.client, 'lab0'], [LAB.ns.gateway, 'lab0'], [LAB.ns.gateway, 'lab1'], [LAB.ns.server, 'lab1']]) {
      expect(cmds.some((c) => c.join(' ') === `-n ${ns} link set ${dev} up`), `${ns} ${dev}`).toBe(true);
    }
  });

  it('runs sixgate with pool4, upstream and state dir as flags; the prefix is not pinned by a flag', () => {
    const args = runArgs('/run/x/state');
    const flag = (name: string): string[] => args.flatMap((a, i) => (a === name ? [args[i + 1]!] : []));
    expect(args[0]).toBe('run');
    expect(flag('--prefix')).toEqual([]);
    expect(flag('--config')).toEqual(['/run/x/state/sixgate.yaml']);
    expect(flag('--pool4')).toEqual([LAB.pool4]);
    expect(flag('--upstream')).toEqual([`${LAB.server4}:53`]);
    expect(flag('--state-dir')).toEqual(['/run/x/state']);
    expect(flag('--dns-listen')).toContain(`[${LAB.gateway6}]:53`);
    expect(flag('--dns-clients')).toContain(LAB.clientNet6);
  });
});

describe('each namespace\'s own /etc files (hermetic: never the host\'s resolver)', () => {
  it('the client resolves through sixgate, the gateway and server only on their own loopback', () => {
    expect(namespaceEtc(LAB.ns.client)['resolv.conf']).toMatch(new RegExp(`^nameserver ${LAB.gateway6}$`, 'm'));
    for (const ns of [LAB.ns.gateway, LAB.ns.server]) {
      const resolv = namespaceEtc(ns)['resolv.conf'];
      expect(resolv.match(/^nameserver .*$/gm)).toEqual(['nameserver 127.0.0.1']);
    }
  });

  it('hosts names the lab\'s own nodes, never the demo names DNS64 must answer; nsswitch is files then DNS only', () => {
    for (const ns of Object.values(LAB.ns)) {
      const etc = namespaceEtc(ns);
      expect(etc.hosts).toMatch(new RegExp(`^${LAB.server4.replace(/\./g, '\\.')} lab-server$`, 'm'));
      expect(etc.hosts).not.toContain(LAB.zone);
      expect(etc['nsswitch.conf']).toMatch(/^hosts: files dns$/m);
    }
  });
});
