import { ipv4InCidr, ipv6InCidr, parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { HA_KEY_FILE, HA_LAB, HA_NAMESPACES, haKeepalivedArgs, haKeepalivedConf, haNodeConfig, haNotifyScript, haRunArgs, haSetupCommands, haSysctls, haTryCommands, type HaLabNode } from './ha-plan.js';
import { LAB } from './plan.js';

const DOC4 = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((c) => parseIpv4Cidr(c));
const DOC6 = parseIpv6Cidr('2001:db8::/32');
const isDoc = (a: string): boolean => (a.includes(':') ? ipv6InCidr(parseIpv6(a), 0, DOC6) : DOC4.some((c) => ipv4InCidr(parseIpv4(a), c)));
const [r1, r2] = HA_LAB.nodes as [HaLabNode, HaLabNode];

describe('HA lab plan', () => {
  it('uses documentation addresses only, unique lab namespace names, and makes every namespace it lists', () => {
    const cmds = haSetupCommands();
    const addrs = cmds.flat().filter((t) => /^[0-9a-f:.]+\/\d+$/.test(t) || /^\d+\.\d+\.\d+\.\d+$/.test(t) || /^2001:/.test(t));
    expect(addrs.length).toBeGreaterThan(10);
    for (const a of [...addrs, HA_LAB.vip4, HA_LAB.vip6, ...HA_LAB.nodes.flatMap((n) => [n.lan6, n.up4, n.peer4])]) expect(isDoc(a.split('/')[0]!), a).toBe(true);
    expect(new Set(HA_NAMESPACES).size).toBe(7);
    for (const ns of HA_NAMESPACES) {
      expect(ns.startsWith('sixgate-lab-'), ns).toBe(true);
      expect(cmds, ns).toContainEqual(['netns', 'add', ns]);
    }
    // The upstream router sends pool4 to the uplink virtual address; the client's next hop is the LAN one.
    expect(cmds).toContainEqual(['-n', HA_LAB.ns.router, 'route', 'add', LAB.pool4, 'via', HA_LAB.vip4]);
    expect(cmds).toContainEqual(['-n', HA_LAB.ns.client, '-6', 'route', 'add', 'default', 'via', HA_LAB.vip6]);
    // Both appliances on both segments; the virtual addresses are keepalived's, never configured statically.
    for (const n of HA_LAB.nodes) {
      expect(cmds).toContainEqual(['-n', n.ns, 'addr', 'add', `${n.lan6}/64`, 'dev', 'l0', 'nodad']);
      expect(cmds).toContainEqual(['-n', n.ns, 'addr', 'add', `${n.up4}/24`, 'dev', 'u0']);
    }
    expect(cmds.flat().some((t) => t.startsWith(`${HA_LAB.vip4}/`) || t.startsWith(`${HA_LAB.vip6}/`))).toBe(false);
  });

  it('lets the appliances bind the virtual addresses before they hold them, and the router forward', () => {
    expect(haSysctls(r1.ns)).toEqual(expect.arrayContaining(['net.ipv6.ip_nonlocal_bind=1', 'net.ipv4.ip_nonlocal_bind=1']));
    expect(haSysctls(HA_LAB.ns.router)).toContain('net.ipv4.ip_forward=1');
    expect(haSysctls(HA_LAB.ns.client)).not.toContain('net.ipv4.ip_forward=1');
  });

  it('points the nodes at each other with one shared key; DNS64 listens on the LAN virtual address', () => {
    const c1 = haNodeConfig(r1);
    const c2 = haNodeConfig(r2);
    expect(c1).toMatch(/nodeId: r1\n  listen: "203\.0\.113\.11:6464"\n  peer: "203\.0\.113\.12:6464"/);
    expect(c2).toMatch(/nodeId: r2\n  listen: "203\.0\.113\.12:6464"\n  peer: "203\.0\.113\.11:6464"/);
    for (const c of [c1, c2]) {
      expect(c).toContain(`keyFile: ${HA_KEY_FILE}`);
      expect(c).toContain('roleFrom: keepalived');
      expect(c).toContain(`prefix: ${LAB.prefix}`);
    }
    const args = haRunArgs(r2);
    expect(args.slice(args.indexOf('--dns-listen'), args.indexOf('--dns-listen') + 2)).toEqual(['--dns-listen', `[${HA_LAB.vip6}]:53`]);
    expect(args).toContain(`${LAB.runDir}/r2`);
  });

  it('writes the keepalived.conf of docs/high-availability.md: unicast VRRPv3, nopreempt, the LAN link tracked, both virtual addresses', () => {
    const k = haKeepalivedConf(r1);
    expect(k).toContain('vrrp_version 3');
    expect(k).toMatch(/state BACKUP\n  nopreempt/);
    expect(k).toMatch(/track_interface {\n    l0\n  }/);
    expect(k).toMatch(/unicast_src_ip 203\.0\.113\.11\n  unicast_peer {\n    203\.0\.113\.12\n  }/);
    expect(k).toContain('203.0.113.1/24 dev u0');
    expect(k).toContain('2001:db8:64::1/64 dev l0');
    expect(k).toContain('priority 150');
    expect(haKeepalivedConf(r2)).toMatch(/unicast_src_ip 203\.0\.113\.12\n  unicast_peer {\n    203\.0\.113\.11\n  }/);
    expect(haKeepalivedConf(r2)).toContain('priority 100');
    expect(k).toContain(`notify ${LAB.runDir}/r1/notify.sh`);
    expect(haKeepalivedArgs(r1)).toEqual(expect.arrayContaining(['--dont-fork', '--vrrp', '-f', `${LAB.runDir}/r1/keepalived.conf`]));
    const notify = haNotifyScript(r1, { node: '/usr/bin/node', script: '/opt/sixgate.js' });
    expect(notify).toMatch(/^#!\/bin\/sh\n/);
    expect(notify).toContain(`exec /usr/bin/node /opt/sixgate.js --api http://${LAB.apiListen} --token "$(cat ${LAB.runDir}/r1/api-token)" ha notify "$@"`);
  });

  it('prints how to watch, pull the plug, restart a node and keep a connection running', () => {
    const text = haTryCommands('sixgate').join('\n');
    expect(text).toContain(`ip netns exec ${r1.ns} sixgate --token "$(cat ${LAB.runDir}/r1/api-token)" ha status`);
    expect(text).toContain(`ip netns exec ${r2.ns} sixgate --token "$(cat ${LAB.runDir}/r2/api-token)" ha status`);
    expect(text).toContain(`ip netns pids ${r1.ns} | xargs -r kill -9`);
    expect(text).toContain(`ip -n ${r1.ns} link set l0 down`);
    expect(text).toContain('sixgate lab restart r1');
    expect(text).toContain(`ip netns exec ${HA_LAB.ns.client} curl -sN http://${LAB.webName}/stream`);
    expect(text).toContain('sixgate lab down');
    // Every command line is preceded by its comment (no padding to a 200-column line).
    for (const l of text.split('\n')) expect(l.length, l).toBeLessThan(260);
  });
});
