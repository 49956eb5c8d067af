/**
 * `sixgate lab up --ha`: the high-availability pair of docs/high-availability.md
 * in seven network namespaces, so an operator can pull the plug on the active
 * appliance and watch the standby take over. Documentation addresses only
 * (RFC 3849, RFC 5737); the client, the server, the zone and pool4 are the
 * single-gateway lab's (plan.ts), so the same commands work against both.
 *
 *   sixgate-lab-client (IPv6 only) lab0 2001:db8:64::2, default via the LAN VIP
 *        │
 *   sixgate-lab-lan: bridge br0 ── LAN 2001:db8:64::/64, VIP 2001:db8:64::1 (next hop and DNS64)
 *        │                                   │
 *   sixgate-lab-r1 l0 2001:db8:64::11   sixgate-lab-r2 l0 2001:db8:64::12
 *   (sixgate + keepalived)              (sixgate + keepalived)
 *   u0 203.0.113.11 ◄── sync link TLS-PSK :6464 ──► u0 203.0.113.12
 *        │                                   │
 *   sixgate-lab-up: bridge br1 ── uplink 203.0.113.0/24, VIP 203.0.113.1, VRRPv3 unicast
 *        │
 *   sixgate-lab-rt u0 203.0.113.254; s0 192.0.2.1; route 198.51.100.0/28 via 203.0.113.1
 *        │
 *   sixgate-lab-server (IPv4 only) lab1 192.0.2.80: DNS zone, web page, /stream
 *
 * Pure data and pure functions; lab.ts does the I/O.
 */
import { LAB, runArgs } from './plan.js';

export interface HaLabNode {
  readonly name: 'r1' | 'r2';
  readonly ns: string;
  readonly lan6: string;
  readonly up4: string;
  readonly peer4: string;
  /** VRRP priority: r1 starts first and wins; `nopreempt` keeps whoever is active. */
  readonly priority: number;
}

/** Every fixed name and address of the HA lab (the client, server, zone, prefix and pool4 are LAB's). */
export const HA_LAB = {
  ns: {
    client: LAB.ns.client,
    lan: 'sixgate-lab-lan',
    r1: 'sixgate-lab-r1',
    r2: 'sixgate-lab-r2',
    uplink: 'sixgate-lab-up',
    router: 'sixgate-lab-rt',
    server: LAB.ns.server,
  },
  /** The clients' next hop and DNS64 server: the LAN virtual address (LAB.gateway6, so the client's files are the same). */
  vip6: LAB.gateway6,
  /** The uplink virtual address the router sends pool4 to. */
  vip4: '203.0.113.1',
  uplinkNet4: '203.0.113.0/24',
  router4: '203.0.113.254',
  /** The router's address on the server link (the server's default route, LAB.gateway4). */
  routerServer4: LAB.gateway4,
  syncPort: 6464,
  vrid: 64,
  nodes: [
    { name: 'r1', ns: 'sixgate-lab-r1', lan6: '2001:db8:64::11', up4: '203.0.113.11', peer4: '203.0.113.12', priority: 150 },
    { name: 'r2', ns: 'sixgate-lab-r2', lan6: '2001:db8:64::12', up4: '203.0.113.12', peer4: '203.0.113.11', priority: 100 },
  ] as readonly HaLabNode[],
} as const;

/** The HA lab's namespaces, in the order they are made. */
export const HA_NAMESPACES: readonly string[] = [HA_LAB.ns.client, HA_LAB.ns.lan, HA_LAB.ns.r1, HA_LAB.ns.r2, HA_LAB.ns.uplink, HA_LAB.ns.router, HA_LAB.ns.server];

/** Per-node files under the lab's run directory. */
export function haNodeDir(node: HaLabNode): string {
  return `${LAB.runDir}/${node.name}`;
}

export const HA_KEY_FILE = `${LAB.runDir}/ha.key`;

/** One `ip` invocation (arguments only). */
type IpCommand = readonly string[];

/** A veth from `ns` (named `dev`) to a port `port` of bridge `br` in `bridgeNs`, both ends up. */
function plug(ns: string, dev: string, bridgeNs: string, br: string, port: string): IpCommand[] {
  return [
    ['-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs],
    ['-n', bridgeNs, 'link', 'set', port, 'master', br],
    ['-n', bridgeNs, 'link', 'set', port, 'up'],
    ['-n', ns, 'link', 'set', dev, 'up'],
  ];
}

/** The `ip` commands that build the HA topology, in order (namespaces must not exist yet). */
export function haSetupCommands(): IpCommand[] {
  const { client, lan, uplink, router, server } = HA_LAB.ns;
  const cmds: IpCommand[] = [
    ...HA_NAMESPACES.map((ns) => ['netns', 'add', ns]),
    ...HA_NAMESPACES.map((ns) => ['-n', ns, 'link', 'set', 'lo', 'up']),
    ['-n', lan, 'link', 'add', 'br0', 'type', 'bridge'],
    ['-n', lan, 'link', 'set', 'br0', 'up'],
    ['-n', uplink, 'link', 'add', 'br1', 'type', 'bridge'],
    ['-n', uplink, 'link', 'set', 'br1', 'up'],
    ...plug(client, 'lab0', lan, 'br0', 'pc'),
    // nodad: usable at once, no 1-2 s of duplicate address detection.
    ['-n', client, 'addr', 'add', `${LAB.client6}/64`, 'dev', 'lab0', 'nodad'],
    ['-n', client, '-6', 'route', 'add', 'default', 'via', HA_LAB.vip6],
  ];
  for (const n of HA_LAB.nodes) {
    cmds.push(
      ...plug(n.ns, 'l0', lan, 'br0', `p${n.name}`),
      ...plug(n.ns, 'u0', uplink, 'br1', `q${n.name}`),
      ['-n', n.ns, 'addr', 'add', `${n.lan6}/64`, 'dev', 'l0', 'nodad'],
      ['-n', n.ns, 'addr', 'add', `${n.up4}/24`, 'dev', 'u0'],
      ['-n', n.ns, 'route', 'add', 'default', 'via', HA_LAB.router4],
    );
  }
  cmds.push(
    ...plug(router, 'u0', uplink, 'br1', 'qrt'),
    ['-n', router, 'addr', 'add', `${HA_LAB.router4}/24`, 'dev', 'u0'],
    ['-n', router, 'link', 'add', 's0', 'type', 'veth', 'peer', 'name', 'lab1', 'netns', server],
    ['-n', router, 'addr', 'add', `${HA_LAB.routerServer4}/24`, 'dev', 's0'],
    ['-n', router, 'link', 'set', 's0', 'up'],
    ['-n', server, 'addr', 'add', `${LAB.server4}/24`, 'dev', 'lab1'],
    ['-n', server, 'link', 'set', 'lab1', 'up'],
    ['-n', server, 'route', 'add', 'default', 'via', HA_LAB.routerServer4],
    // The upstream router sends pool4 to the uplink virtual address, whichever node holds it.
    ['-n', router, 'route', 'add', LAB.pool4, 'via', HA_LAB.vip4],
  );
  return cmds;
}

/**
 * Sysctls per namespace: no DAD anywhere (keepalived's virtual IPv6 address is
 * usable at once); the appliances may bind the virtual addresses before they
 * hold them (the standby's DNS64 listens on the LAN VIP: warm when it
 * arrives); the router forwards.
 */
export function haSysctls(ns: string): string[] {
  const noDad = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
  if (ns === HA_LAB.ns.r1 || ns === HA_LAB.ns.r2) return [...noDad, 'net.ipv6.ip_nonlocal_bind=1', 'net.ipv4.ip_nonlocal_bind=1'];
  if (ns === HA_LAB.ns.router) return [...noDad, 'net.ipv4.ip_forward=1'];
  return noDad;
}

/** Each node's config file: the prefix (unpinned, as in the single lab) and the `ha` section. */
export function haNodeConfig(node: HaLabNode): string {
  return `# sixgate lab --ha, node ${node.name} (written by \`sixgate lab up --ha\`)
prefix: ${LAB.prefix}
ha:
  enabled: true
  nodeId: ${node.name}
  listen: "${node.up4}:${HA_LAB.syncPort}"
  peer: "${node.peer4}:${HA_LAB.syncPort}"
  keyFile: ${HA_KEY_FILE}
  roleFrom: keepalived
`;
}

/**
 * Arguments of `sixgate run` in a node's namespace: the single gateway's, with
 * the node's files. DNS64 listens on the LAN virtual address, which is the
 * single lab's gateway address (a nonlocal bind while the node is standby).
 */
export function haRunArgs(node: HaLabNode): string[] {
  return runArgs(haNodeDir(node));
}

/** keepalived's notify script for a node: the local CLI with the node's API token (docs/high-availability.md). */
export function haNotifyScript(node: HaLabNode, cli: { node: string; script: string }): string {
  const dir = haNodeDir(node);
  return `#!/bin/sh
# keepalived calls: <type> <name> <state> [<priority>]; sixgate takes the state word.
exec ${cli.node} ${cli.script} --api http://${LAB.apiListen} --token "$(cat ${dir}/api-token)" ha notify "$@" >> ${dir}/notify.log 2>&1
`;
}

/** What differs between the two nodes' keepalived.conf (and between the lab and another pair). */
export interface KeepalivedNode {
  readonly name: string;
  readonly priority: number;
  /** This node's and the peer's uplink IPv4 addresses (unicast VRRP). */
  readonly src4: string;
  readonly peer4: string;
  readonly vrid: number;
  /** The uplink virtual IPv4 address (/24 on u0) and the LAN virtual IPv6 address (/64 on l0). */
  readonly vip4: string;
  readonly vip6: string;
  /** The notify script that tells sixgate the state. */
  readonly notify: string;
}

/** keepalived.conf for a node: the one docs/high-availability.md documents (interfaces u0 uplink, l0 LAN). */
export function keepalivedConf(n: KeepalivedNode): string {
  return `# sixgate HA node ${n.name}
global_defs {
  router_id ${n.name}
  script_user root
  enable_script_security
  vrrp_version 3
}
vrrp_instance SIXGATE {
  state BACKUP
  nopreempt
  interface u0
  track_interface {
    l0
  }
  virtual_router_id ${n.vrid}
  priority ${n.priority}
  advert_int 0.5
  unicast_src_ip ${n.src4}
  unicast_peer {
    ${n.peer4}
  }
  virtual_ipaddress {
    ${n.vip4}/24 dev u0
  }
  virtual_ipaddress_excluded {
    ${n.vip6}/64 dev l0
  }
  notify ${n.notify}
}
`;
}

/** keepalived's arguments: foreground, VRRP only, its config and pid files in `dir`. */
export function keepalivedArgs(dir: string): string[] {
  return ['keepalived', '--dont-fork', '--log-console', '--vrrp', '-f', `${dir}/keepalived.conf`, '-p', `${dir}/keepalived.pid`, '-r', `${dir}/vrrp.pid`];
}

/** keepalived.conf for a lab node. */
export function haKeepalivedConf(node: HaLabNode): string {
  return keepalivedConf({ name: node.name, priority: node.priority, src4: node.up4, peer4: node.peer4, vrid: HA_LAB.vrid, vip4: HA_LAB.vip4, vip6: HA_LAB.vip6, notify: `${haNodeDir(node)}/notify.sh` });
}

/** keepalived's arguments for a lab node. */
export function haKeepalivedArgs(node: HaLabNode): string[] {
  return keepalivedArgs(haNodeDir(node));
}

/** The lines `lab up --ha` prints: how to watch, pull the plug, and keep a connection running through the pair. */
export function haTryCommands(cli: string): string[] {
  const c = `ip netns exec ${HA_LAB.ns.client}`;
  const [r1, r2] = HA_LAB.nodes as [HaLabNode, HaLabNode];
  const haStatus = (n: HaLabNode): string => `ip netns exec ${n.ns} ${cli} --token "$(cat ${haNodeDir(n)}/api-token)" ha status`;
  const rows: [string, string][] = [
    [`${cli} lab status`, 'both nodes: role, peer, who holds the virtual addresses'],
    [`watch -n 0.5 '${haStatus(r1)}; ${haStatus(r2)}'`, 'watch both nodes (another terminal)'],
    [`${c} curl -sN http://${LAB.webName}/stream`, 'a long-lived TCP connection through the pair: one line a second, with the pool4 address:port the server sees'],
    [`${c} ping -6 -i 0.2 -O ${LAB.webName}`, 'ICMP through the pair; -O prints each missed answer'],
    [`${c} dig +short AAAA ${LAB.webName}`, 'DNS64 on the virtual address (both nodes listen)'],
    ['', ''],
    ['# pull the plug on the active node (r1 here; use the one `lab status` shows active):', ''],
    [`ip netns pids ${r1.ns} | xargs -r kill -9`, 'crash: sixgate and keepalived die at once'],
    [`ip -n ${r1.ns} link set l0 down`, 'or its LAN link fails (keepalived FAULT); `link set l0 up` to undo'],
    [`${cli} lab restart r1`, 'bring a killed node back: it resyncs (bulk, then stream) and stays standby'],
    ['', ''],
    [`tail -f ${LAB.runDir}/r1/sixgate.log ${LAB.runDir}/r2/sixgate.log`, "both nodes' logs (keepalived's in keepalived.log beside them)"],
    [`${cli} lab down`, 'removes everything'],
  ];
  // The commands are long (the CLI's path, the token): each comment goes on its own line above its command.
  return [
    `# The client is IPv6-only; its next hop and resolver is the LAN virtual address ${HA_LAB.vip6}, held by the active node.`,
    ...rows.flatMap(([cmd, what]) => (cmd === '' ? [''] : what === '' ? [cmd] : [`# ${what}`, cmd])),
  ];
}
