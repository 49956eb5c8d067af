#!/usr/bin/env node
// pretest: make sure the Debian tools the end-to-end tests drive are present.
// As root, missing packages are installed (apt-get update once, then
// apt-get install -y). As anyone else, the missing ones are named and the test
// run stops: a skipped end-to-end test would be a missing test.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Executable → Debian package that ships it. */
export const REQUIRED = [
  ['ip', 'iproute2'],
  ['nsd', 'nsd'],
  ['dig', 'dnsutils'],
  ['curl', 'curl'],
  ['iperf3', 'iperf3'],
  ['unbound', 'unbound'],
  ['ping', 'iputils-ping'],
  ['traceroute', 'traceroute'],
  ['socat', 'socat'],
  // the offload end-to-end test turns checksum offload off on veths to make the kernel check ours
  ['ethtool', 'ethtool'],
  ['python3', 'python3'],
  // the router advertisement end-to-end test: an independent RA dissector and a real CLAT
  ['tshark', 'tshark'],
  ['tayga', 'tayga'],
  // the container end-to-end test (test/e2e/docker.test.ts) builds and runs the real image
  ['podman', 'podman'],
  ['runc', 'runc'],
  ['debootstrap', 'debootstrap'],
  // the HA end-to-end test (test/e2e/ha.test.ts) runs VRRP between the two appliances
  ['keepalived', 'keepalived'],
  // the dashboard end-to-end test (test/e2e/dashboard.test.ts) drives the system browser headless
  ['chromium', 'chromium'],
  // the probe end-to-end test: certificates from a test CA, and a router that drops its ICMP
  ['openssl', 'openssl'],
  ['iptables', 'iptables'],
];

const PATHS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const have = (bin) => PATHS.some((p) => existsSync(`${p}/${bin}`));

const missing = [...new Set(REQUIRED.filter(([bin]) => !have(bin)).map(([, pkg]) => pkg))];
if (missing.length === 0) {
  console.log('pretest: end-to-end tools present');
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.error(`pretest: missing Debian packages for the end-to-end tests: ${missing.join(' ')}`);
  console.error(`pretest: run as root, or install them: apt-get update && apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.log(`pretest: installing ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
if (r.status !== 0) {
  console.error(`pretest: apt-get install failed (exit ${r.status})`);
  process.exit(1);
}
// Debian starts packaged daemons on install; the tests run their own instances.
for (const svc of ['nsd', 'unbound']) spawnSync('systemctl', ['stop', svc], { stdio: 'ignore' });
for (const svc of ['nsd', 'unbound']) spawnSync('service', [svc, 'stop'], { stdio: 'ignore' });
const still = REQUIRED.filter(([bin]) => !have(bin)).map(([bin]) => bin);
if (still.length > 0) {
  console.error(`pretest: still missing after install: ${still.join(' ')}`);
  process.exit(1);
}
console.log('pretest: end-to-end tools installed');
