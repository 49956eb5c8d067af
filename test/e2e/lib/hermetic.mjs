// What makes a namespace topology hermetic, shared by the end-to-end helpers
// (test/e2e/lib/netns.ts) and the benchmarks' copy (test/bench/lib/netns.mjs):
// plain ESM so both can import it.
//
// A process started with `ip netns exec NS` sees the host's /etc: its resolver
// (resolv.conf, and nsswitch's modules such as systemd-resolved's socket, which
// no network namespace stops), its hosts file and the proxy variables of the
// test's environment. A server that reverse-resolves its own address (python's
// http.server does) then sends a query to the host's resolver; from a
// namespace routed through the appliance namespace that query is dropped in
// silence while forwarding is off there, and the server hangs. So every
// namespace gets its own /etc/netns/<ns>/{resolv.conf,hosts,nsswitch.conf}
// (`ip netns exec` bind-mounts each file of that directory over /etc/<file>),
// naming only the topology's own addresses and a resolver on the namespace's
// own loopback; and every child runs with the proxy and resolver variables
// removed from its environment.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `ip netns exec` looks for a namespace's own /etc files. */
export const NETNS_ETC = '/etc/netns';

/**
 * Environment variables that make a child depend on the host: proxies (curl,
 * python, node, npm read them in either case) and the glibc resolver's
 * overrides (RES_OPTIONS, LOCALDOMAIN, HOSTALIASES).
 */
const HOST_VARIABLE = /(^|_)(no)?proxy$|^(res_options|localdomain|hostaliases)$/i;

/** Whether `name` is a variable the children of a hermetic test must not inherit. */
export function isHostVariable(name) {
  return HOST_VARIABLE.test(name);
}

/** A copy of `env` (default: this process's) without proxy and resolver variables. */
export function cleanEnv(env = process.env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !isHostVariable(k)) out[k] = v;
  }
  return out;
}

/**
 * The three files a namespace sees as /etc/resolv.conf, /etc/hosts and
 * /etc/nsswitch.conf. `nameservers` defaults to the namespace's own loopback,
 * where nothing answers unless the test starts a resolver there: a lookup
 * fails at once (port unreachable), never waits on the host. `hosts` maps an
 * address to its names (the topology's own addresses, so a reverse lookup of
 * a server's address is answered from the file).
 */
export function namespaceEtc({ nameservers = ['127.0.0.1'], hosts = [] } = {}) {
  const resolv = [
    '# written by the sixgate test topology: this namespace never asks the host\'s resolver',
    ...nameservers.map((n) => `nameserver ${n}`),
    'options timeout:1 attempts:1',
    '',
  ].join('\n');
  const hostsFile = [
    '# written by the sixgate test topology',
    '127.0.0.1 localhost',
    '::1 localhost ip6-localhost ip6-loopback',
    ...hosts.map(([addr, ...names]) => `${addr} ${names.join(' ')}`),
    '',
  ].join('\n');
  // files, then DNS (the resolv.conf above): no mdns, no systemd-resolved socket, no NIS.
  const nsswitch = ['# written by the sixgate test topology', 'hosts: files dns', 'networks: files', ''].join('\n');
  return { 'resolv.conf': resolv, hosts: hostsFile, 'nsswitch.conf': nsswitch };
}

/** Writes /etc/netns/<ns>/ (see namespaceEtc); `ip netns exec` uses it from then on. */
export function writeNamespaceEtc(ns, opts = {}, root = NETNS_ETC) {
  const dir = join(root, ns);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(namespaceEtc(opts))) writeFileSync(join(dir, file), text);
  return dir;
}

/** Replaces only the resolv.conf of a namespace (e.g. a client that resolves through sixgate). */
export function writeNamespaceResolver(ns, nameservers, root = NETNS_ETC) {
  const dir = join(root, ns);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'resolv.conf'), namespaceEtc({ nameservers })['resolv.conf']);
}

/** Removes /etc/netns/<ns>/ (best effort; safe when it does not exist). */
export function removeNamespaceEtc(ns, root = NETNS_ETC) {
  rmSync(join(root, ns), { recursive: true, force: true });
}

/**
 * The sysctls every namespace of a topology starts from, whatever the host's:
 * forwarding off (a new namespace inherits net.ipv4.ip_forward from the host,
 * so without this a test behaves differently on a machine where podman or a
 * router once turned it on). Whatever forwards turns it on itself.
 */
export const NAMESPACE_SYSCTLS = ['net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0'];
