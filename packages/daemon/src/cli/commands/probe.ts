/**
 * `sixgate probe <target>... [--file targets.yaml] [--json] [--timeout 5s]`:
 * runs packages/probe's checks from this host (the appliance) through DNS64
 * and the translator. The live prefix, policy, listener, pool4 and counters
 * come from the admin API; the packets are real. Prints one line per target
 * (the failing step and its diagnosis) or JSON; exits 0 only when every
 * target passes.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { tryParseIpv6 } from '@sixgate/addressing';
import type { Stats } from '@sixgate/admin-api/schemas';
import type { Config } from '@sixgate/config';
import { formatSteps, formatTable, parseTarget, parseTargetsFile, passed, runProbe, toJson, TargetError, type ProbePorts, type ProbeResult, type Target, type TargetOptions } from '@sixgate/probe';
import { apiTarget, fail, integer, print, printJson, request } from '../client.js';
import { apiProbePorts } from '../../probe-ports.js';

interface Opts {
  file?: string;
  timeout: number;
  source?: string;
  expectStatus?: number;
  expectBody?: string;
  insecure?: boolean;
  ca?: string;
  payload?: string;
  verbose?: boolean;
  concurrency: number;
}

/** "5s", "800ms", "2" (seconds) → milliseconds, 100 ms to 60 s. */
export function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration like 5s or 800ms.`);
  const ms = m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
  if (ms < 100 || ms > 60_000) throw new InvalidArgumentError(`${value} is outside 100ms to 60s.`);
  return Math.round(ms);
}

/** `--source`: an IPv6 address of this host. */
function ipv6Source(value: string): string {
  if (tryParseIpv6(value) === undefined) throw new InvalidArgumentError(`"${value}" is not an IPv6 address.`);
  return value;
}

/** The targets of the command line (options applied where they fit) and of the file. */
async function targetsOf(cmd: Command, args: string[], o: Opts): Promise<Target[]> {
  const options: TargetOptions = {
    ...(o.expectStatus !== undefined ? { expectStatus: o.expectStatus } : {}),
    ...(o.expectBody !== undefined ? { expectBody: o.expectBody } : {}),
    ...(o.insecure ? { insecure: true } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    ...(o.payload !== undefined ? { payload: o.payload } : {}),
  };
  const out: Target[] = [];
  try {
    for (const a of args) out.push(parseTarget(a, options, false));
    if (o.file !== undefined) {
      let text: string;
      try {
        text = await readFile(o.file, 'utf8');
      } catch (e) {
        return fail(cmd, `cannot read ${o.file}: ${(e as Error).message}`);
      }
      out.push(...parseTargetsFile(text, o.file).map((s) => s.target));
    }
  } catch (e) {
    if (e instanceof TargetError) return fail(cmd, e.message);
    throw e;
  }
  if (out.length === 0) return fail(cmd, 'name at least one target, or --file targets.yaml');
  return out;
}

/** Runs `targets` with at most `concurrency` at once, results in the given order. */
export async function runAll(targets: readonly Target[], ports: ProbePorts, opts: { timeoutMs: number; source6?: string; concurrency: number }): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      results[i] = await runProbe(targets[i]!, ports, { timeoutMs: opts.timeoutMs, ...(opts.source6 ? { source6: opts.source6 } : {}) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, targets.length) }, worker));
  return results;
}

export function register(program: Command): void {
  program
    .command('probe')
    .description('validate services through DNS64 and NAT64 from this appliance: names, IPv4 addresses, URLs, host:port, udp:host:port, dns:<IPv4>')
    .argument('[target...]', 'what to probe')
    .option('-f, --file <file>', 'more targets from a YAML/JSON file (a list, or {targets: [...]})')
    .addOption(new Option('--timeout <duration>', 'bound of each step, e.g. 5s or 800ms').argParser(duration).default(5000, '5s'))
    .option('--source <ipv6>', 'the appliance IPv6 source address (default: what the kernel picks)', ipv6Source)
    .option('--expect-status <code>', 'URL targets: the HTTP status that counts as success (default any 2xx/3xx)', integer)
    .option('--expect-body <text>', 'URL targets: text the body must contain')
    .option('--insecure', 'https targets: do not check the certificate')
    .option('--ca <file>', 'https targets: PEM file of extra trusted CA certificates')
    .option('--payload <text>', 'udp targets: the datagram to send')
    .option('--concurrency <n>', 'targets probed at once', integer, 4)
    .option('-v, --verbose', 'every step of every target under the table')
    .action(async (args: string[], o: Opts, cmd: Command) => {
      const targets = await targetsOf(cmd, args, o);
      const ports = await apiProbePorts({
        config: async () => (await request<{ config: unknown }>(cmd, 'GET', '/api/v1/config')).config as unknown as Config,
        stats: () => request<Stats>(cmd, 'GET', '/api/v1/stats'),
      });
      const results = await runAll(targets, ports, { timeoutMs: o.timeout, concurrency: Math.max(1, o.concurrency), ...(o.source ? { source6: o.source } : {}) });
      if (apiTarget(cmd).json) printJson(cmd, toJson(results));
      else print(cmd, formatTable(results) + (o.verbose ? `\n${formatSteps(results)}` : ''));
      const failed = results.filter((r) => !passed(r)).length;
      if (failed > 0) fail(cmd, `${failed} of ${results.length} target${results.length === 1 ? '' : 's'} failed`);
    });
}
