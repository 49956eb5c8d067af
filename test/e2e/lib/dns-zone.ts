/**
 * DNS test fixtures for the DNS64 end-to-end tests and benchmark: the test
 * zone (example.org + its reverse zone, documentation addresses only), an
 * `nsd` authoritative server, an Unbound DNS64 peer, the sixgate DNS64
 * server run from the BUILT package inside a namespace, and a `dig` wrapper
 * that parses rcode, flags, EDE and the answer section.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Netns } from './netns.js';

/** The repository root (this file is test/e2e/lib/dns-zone.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** Number of A records of big.example.org (too many for 512 bytes once synthesized). */
export const BIG_COUNT = 40;

/** The example.org zone; TTLs chosen so each §5.1.7 TTL rule is visible. */
export function exampleZone(nsAddr: string): string {
  const big = Array.from({ length: BIG_COUNT }, (_, i) => `big IN A 198.51.100.${i + 10}`).join('\n');
  return `$ORIGIN example.org.
$TTL 600
@ 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 900 604800 300
@ IN NS ns1
ns1 IN A ${nsAddr}
v4only IN A 192.0.2.10
short 120 IN A 192.0.2.12
dual IN A 192.0.2.11
dual IN AAAA 2001:db8:d::11
www IN CNAME alias
alias IN CNAME v4only
mapped IN AAAA ::ffff:192.0.2.20
mapped IN A 192.0.2.20
mixed IN AAAA ::ffff:192.0.2.21
mixed IN AAAA 2001:db8:d::21
mixed IN A 192.0.2.21
private IN A 10.1.2.3
multi IN A 192.0.2.31
multi IN A 192.0.2.32
multi IN A 192.0.2.33
txt IN TXT "only text"
*.bench IN A 203.0.113.7
*.short 120 IN A 192.0.2.12
${big}
`;
}

/** The reverse zone of 192.0.2.0/24. */
export function reverseZone(): string {
  return `$ORIGIN 2.0.192.in-addr.arpa.
$TTL 600
@ 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 3600 900 604800 300
@ IN NS ns1.example.org.
10 IN PTR v4only.example.org.
`;
}

/** nsd.conf for a foreground nsd in `dir` on `listen`:53 serving `zones` (files in `dir`), without RRL. */
export function nsdConf(dir: string, listen: string, zones: readonly { name: string; file: string }[]): string {
  return `server:
  ip-address: ${listen}
  port: 53
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  username: ""
  logfile: "${dir}/nsd.log"
  server-count: 1
  verbosity: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
${zones.map((z) => `zone:\n  name: ${z.name}\n  zonefile: ${z.file}\n`).join('')}`;
}

/** Writes zones + nsd.conf into `dir`; returns the config path. */
export function writeNsdConfig(dir: string, listen: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'example.org.zone'), exampleZone(listen));
  writeFileSync(join(dir, 'rev.zone'), reverseZone());
  const path = join(dir, 'nsd.conf');
  writeFileSync(path, nsdConf(dir, listen, [{ name: 'example.org', file: 'example.org.zone' }, { name: '2.0.192.in-addr.arpa', file: 'rev.zone' }]));
  return path;
}

/** Writes an Unbound config: DNS64 module, same prefix, forwarding everything to `upstream`. */
export function writeUnboundConfig(dir: string, o: { listen: string; port: number; prefix: string; upstream: string; access: string[] }): string {
  mkdirSync(dir, { recursive: true });
  const conf = `server:
  interface: ${o.listen}@${o.port}
  port: ${o.port}
  ${o.access.map((a) => `access-control: ${a} allow`).join('\n  ')}
  module-config: "dns64 iterator"
  dns64-prefix: ${o.prefix}
  num-threads: 1
  so-rcvbuf: 1m
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  verbosity: 0
  qname-minimisation: no
  do-not-query-localhost: no
  ratelimit: 0
  msg-cache-size: 64m
  rrset-cache-size: 64m
  local-zone: "2.0.192.in-addr.arpa." nodefault
forward-zone:
  name: "."
  forward-addr: ${o.upstream}
`;
  const path = join(dir, 'unbound.conf');
  writeFileSync(path, conf);
  return path;
}

/** The node script that runs the sixgate DNS64 server from the built package. */
const RUNNER = `
import { createDns64Server } from '@sixgate/dns64';
const srv = createDns64Server(JSON.parse(process.env.SIXGATE_DNS64_OPTIONS));
await srv.start();
console.log(JSON.stringify({ ready: srv.addresses() }));
process.on('SIGUSR2', () => console.log(JSON.stringify({ stats: srv.stats() })));
process.on('SIGTERM', async () => { await srv.stop(); process.exit(0); });
`;

/** Starts the sixgate DNS64 server in `ns`; resolves once it logged `ready`. Needs `npx tsc -b packages/dns64`. */
export async function startSixgateDns64(net: Netns, ns: string, options: object, timeoutMs = 15_000): Promise<ChildProcess> {
  const child = net.spawn(ns, process.execPath, ['--input-type=module', '-e', RUNNER], {
    cwd: REPO_ROOT,
    env: { ...process.env, SIXGATE_DNS64_OPTIONS: JSON.stringify(options) },
  });
  await waitForLine(child, /"ready"/, timeoutMs, 'sixgate DNS64 ready');
  return child;
}

/** Resolves with the first stdout line matching `re`; rejects with stderr on exit or timeout. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${err.slice(-2000)}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolveLine(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: process exited (${code}) before it was ready; stderr: ${err.slice(-2000)}`));
    });
  });
}

/** One answer-section record as dig prints it. */
export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

/** What a dig run showed. */
export interface DigResult {
  readonly status: string;
  readonly flags: readonly string[];
  readonly answers: readonly DigRecord[];
  readonly authority: readonly DigRecord[];
  readonly ede: readonly number[];
  readonly raw: string;
}

function section(out: string, title: string): DigRecord[] {
  const i = out.indexOf(`;; ${title} SECTION:`);
  if (i < 0) return [];
  const lines = out.slice(i).split('\n').slice(1);
  const recs: DigRecord[] = [];
  for (const l of lines) {
    if (l.trim() === '' || l.startsWith(';')) break;
    const [name, ttl, , type, ...data] = l.split(/\s+/);
    recs.push({ name: name!.replace(/\.$/, ''), ttl: Number(ttl), type: type!, data: data.join(' ').replace(/\.$/, '') });
  }
  return recs;
}

/** Parses dig's default output. */
export function parseDig(out: string): DigResult {
  const status = /status: (\w+)/.exec(out)?.[1] ?? 'NO-ANSWER';
  const flags = (/;; flags: ([a-z ]*);/.exec(out)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const ede = [...out.matchAll(/EDE: (\d+)/g)].map((m) => Number(m[1]));
  return { status, flags, answers: section(out, 'ANSWER'), authority: section(out, 'AUTHORITY'), ede, raw: out };
}

/** Runs dig in `ns` against `server` (and `port`) with extra options. */
export async function dig(net: Netns, ns: string, server: string, port: number, args: string[]): Promise<DigResult> {
  const r = await net.execAsync(ns, 'dig', [`@${server}`, '-p', String(port), '+tries=1', '+time=3', '+nocookie', ...args], { timeoutMs: 20_000 });
  if (r.code !== 0 && r.code !== 9) throw new Error(`dig ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return parseDig(r.stdout);
}
