/**
 * The `sixgate lab` topology: three network namespaces with fixed names and
 * documentation addresses only (RFC 3849 2001:db8::/32, RFC 5737
 * 192.0.2.0/24 and 198.51.100.0/24, RFC 2606 example.net):
 *
 *   sixgate-lab-client          sixgate-lab-gw                 sixgate-lab-server
 *   (IPv6 only)                 (sixgate run)                  (IPv4 only)
 *   lab0 2001:db8:64::2/64 ──── lab0 2001:db8:64::1/64
 *                               lab1 192.0.2.1/24 ──────────── lab1 192.0.2.80/24
 *   default via 2001:db8:64::1  TUN sixgate0: prefix + pool4   default via 192.0.2.1
 *   resolver 2001:db8:64::1                                    web :80, DNS :53 (example.net)
 *
 * The prefix is a network-specific one from documentation space,
 * 2001:db8:6464::/96: unlike the well-known 64:ff9b::/96 it may embed
 * non-global IPv4 addresses such as 192.0.2.80 (RFC 6052 §3.1), and unlike
 * RFC 8215's 64:ff9b:1::/48 TAYGA (the lab's CLAT) accepts it. Pure data and
 * pure functions; lab.ts does the I/O.
 */

/** Every fixed name and address of the lab. */
export const LAB = {
  ns: { client: 'sixgate-lab-client', gateway: 'sixgate-lab-gw', server: 'sixgate-lab-server' },
  client6: '2001:db8:64::2',
  gateway6: '2001:db8:64::1',
  clientNet6: '2001:db8:64::/64',
  gateway4: '192.0.2.1',
  server4: '192.0.2.80',
  prefix: '2001:db8:6464::/96',
  /** The prefix the printed `prefix set` command moves to. */
  nextPrefix: '2001:db8:6465::/96',
  pool4: '198.51.100.0/28',
  tun: 'sixgate0',
  apiListen: '127.0.0.1:8064',
  zone: 'example.net',
  webName: 'www.example.net',
  /** Where pids, logs and sixgate's state dir live (tmpfs: gone after a reboot, like the namespaces). */
  runDir: '/run/sixgate-lab',
} as const;

/** The names the lab's DNS zone answers, with their IPv4 addresses. */
export const LAB_RECORDS: Readonly<Record<string, string>> = {
  [LAB.zone]: LAB.server4,
  [LAB.webName]: LAB.server4,
  [`ipv4.${LAB.zone}`]: LAB.server4,
};

/**
 * The files each lab namespace sees as /etc/resolv.conf, /etc/hosts and
 * /etc/nsswitch.conf (`ip netns exec` bind-mounts /etc/netns/<ns>/<file>
 * over /etc/<file>): the lab never asks the host's resolver, hosts file or
 * nsswitch modules (systemd-resolved's socket is not namespaced). The client
 * resolves through sixgate's DNS64; the gateway and the server only on their
 * own loopback, where nothing answers unless sixgate does, so a lookup there
 * fails at once instead of waiting on a host resolver the lab cannot reach.
 */
export function namespaceEtc(ns: string): Readonly<Record<'resolv.conf' | 'hosts' | 'nsswitch.conf', string>> {
  const nameserver = ns === LAB.ns.client ? LAB.gateway6 : '127.0.0.1';
  return {
    'resolv.conf': `# sixgate lab: ${ns === LAB.ns.client ? "the client resolves through sixgate's DNS64" : 'this namespace never asks the host\'s resolver'}\nnameserver ${nameserver}\noptions timeout:2 attempts:2\n`,
    hosts: [
      '# sixgate lab: the lab\'s own nodes only',
      '127.0.0.1 localhost',
      '::1 localhost ip6-localhost ip6-loopback',
      `${LAB.client6} lab-client`,
      `${LAB.gateway6} lab-gateway`,
      `${LAB.gateway4} lab-gateway`,
      `${LAB.server4} lab-server`,
      '',
    ].join('\n'),
    'nsswitch.conf': '# sixgate lab: files, then the resolv.conf above\nhosts: files dns\nnetworks: files\n',
  };
}

/** One `ip` invocation (arguments only). */
export type IpCommand = readonly string[];

/** The `ip` commands that build the topology, in order (namespaces must not exist yet). */
export function setupCommands(): IpCommand[] {
  const { client, gateway, server } = LAB.ns;
  return [
    ['netns', 'add', client],
    ['netns', 'add', gateway],
    ['netns', 'add', server],
    ...[client, gateway, server].map((ns) => ['-n', ns, 'link', 'set', 'lo', 'up']),
    ['-n', gateway, 'link', 'add', 'lab0', 'type', 'veth', 'peer', 'name', 'lab0', 'netns', client],
    ['-n', gateway, 'link', 'add', 'lab1', 'type', 'veth', 'peer', 'name', 'lab1', 'netns', server],
    // nodad: the addresses are usable at once, no 1-2 s of duplicate address detection.
    ['-n', client, 'addr', 'add', `${LAB.client6}/64`, 'dev', 'lab0', 'nodad'],
    ['-n', gateway, 'addr', 'add', `${LAB.gateway6}/64`, 'dev', 'lab0', 'nodad'],
    ['-n', gateway, 'addr', 'add', `${LAB.gateway4}/24`, 'dev', 'lab1'],
    ['-n', server, 'addr', 'add', `${LAB.server4}/24`, 'dev', 'lab1'],
    ['-n', client, 'link', 'set', 'lab0', 'up'],
    ['-n', gateway, 'link', 'set', 'lab0', 'up'],
    ['-n', gateway, 'link', 'set', 'lab1', 'up'],
    ['-n', server, 'link', 'set', 'lab1', 'up'],
    ['-n', client, '-6', 'route', 'add', 'default', 'via', LAB.gateway6],
    // pool4 is reached through the gateway like everything else off-link.
    ['-n', server, 'route', 'add', 'default', 'via', LAB.gateway4],
  ];
}

/**
 * Arguments of `sixgate run` inside the gateway namespace. The prefix and the
 * router advertisements are in the config file (labConfig), not flags: a flag
 * pins its key, and the demo should let `sixgate prefix set` change it.
 */
export function runArgs(stateDir: string): string[] {
  return [
    'run',
    '--config', `${stateDir}/sixgate.yaml`,
    '--state-dir', stateDir,
    '--pool4', LAB.pool4,
    '--upstream', `${LAB.server4}:53`,
    '--dns-listen', `[${LAB.gateway6}]:53`,
    '--dns-listen', '127.0.0.1:53',
    '--dns-clients', LAB.clientNet6,
    '--dns-clients', '127.0.0.0/8',
    '--tun', LAB.tun,
    '--api-listen', LAB.apiListen,
  ];
}

/** The lines `lab up` prints: commands a newcomer can paste to see it work, comments aligned. */
export function tryCommands(cli: string, stateDir = `${LAB.runDir}/state`): string[] {
  const c = `ip netns exec ${LAB.ns.client}`;
  const g = `ip netns exec ${LAB.ns.gateway}`;
  const token = `--token "$(cat ${stateDir}/api-token)"`;
  const rows: [string, string][] = [
    [`${c} dig +short AAAA ${LAB.webName}`, `synthesized: ${LAB.prefix.replace('/96', '')}c000:250`],
    [`${c} curl -s http://${LAB.webName}/`, 'a page from the IPv4-only server, through NAT64'],
    [`${c} ping -6 -c 3 ${LAB.webName}`, 'ICMP echo, translated both ways'],
    [`${c} dig +short AAAA ipv4only.arpa`, 'RFC 7050 prefix discovery'],
    [`${c} curl -s http://${LAB.server4}/`, 'an IPv4 literal: the CLAT (TAYGA) translates, then sixgate'],
    [`${c} ping -4 -c 3 ${LAB.server4}`, 'IPv4 ping from a client without IPv4 routes of its own'],
    [`${g} ${cli} ${token} prefix set ${LAB.nextPrefix}`, 'DNS64, routes, RA and the CLAT follow'],
    [`tail -f ${LAB.runDir}/clat.log`, 'the CLAT hearing PREF64 in router advertisements'],
    [`${c} ip -6 route; ${c} ip route`, 'IPv6 routes; IPv4 only into the CLAT'],
    [`${g} ${cli} ${token} status`, "sixgate's admin API, through the CLI"],
    [`${g} ${cli} ${token} sessions`, 'the NAT64 sessions your commands made'],
    [`tail -f ${LAB.runDir}/sixgate.log`, "sixgate's JSON log"],
    [`${cli} lab down`, 'removes everything'],
  ];
  const width = Math.max(...rows.map(([cmd]) => cmd.length));
  return [
    `# The client is IPv6-only and uses sixgate (${LAB.gateway6}) as its resolver.`,
    ...rows.map(([cmd, what]) => `${cmd.padEnd(width)}  # ${what}`),
  ];
}
