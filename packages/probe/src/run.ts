/**
 * One probe run: the steps of a target in order, each timed, stopping at the
 * first failure. DNS through sixgate's own listener, the routes, the policy,
 * then real traffic through the translator (TCP, TLS, HTTP, path MTU, UDP,
 * ICMP echo, or a DNS query to a resolver behind NAT64).
 */
import { embedIpv4Bytes, formatIpv6, parseIpv4, parseNat64Prefix } from '@sixgate/addressing';
import { classifyDns, query, type DnsAnswer } from './dns.js';
import { counterDelta, diagnoseFailure, type Probe } from './diagnose.js';
import { httpBodyMismatch, httpStatusMismatch, synthesisRefusedByPolicy, tlsFailure, translationRefusedByPolicy } from './diagnoses.js';
import { httpGet, kernelSource, ping, tcpConnect, tlsHandshake, trustStore, udpExchange, type HttpObservation, type Network } from './connect.js';
import { searchPmtu } from './pmtu.js';
import type { ProbeContext, ProbePorts } from './ports.js';
import type { ProbeResult, StepName, StepResult, StepStatus } from './result.js';
import { hostHeader, type Target } from './targets.js';

export interface RunOptions {
  /** Bound of each step in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** The appliance IPv6 source; default: the one the kernel picks toward the target. */
  readonly source6?: string;
  /** The sockets and programs used (tests pass fakes). */
  readonly net?: Network;
}

/** The real network. */
export const REAL_NETWORK: Network = { query, kernelSource, tcpConnect, tlsHandshake, httpGet, udpExchange, ping, trustStore };

/** Thrown inside a run to stop at a failed step. */
class Stop extends Error {}

/** Collects the steps of one run. */
class Steps {
  readonly list: StepResult[] = [];
  /** The step under way (named in a failure that is not a network outcome, e.g. a port that threw). */
  current: StepName = 'dns';
  constructor(readonly net: Network) {}
  private t = performance.now();
  /** Records a step that started at the previous record. */
  add(step: StepName, status: StepStatus, detail: string, diagnosis?: string): void {
    const now = performance.now();
    this.current = step;
    this.list.push({ step, status, ms: Math.round((now - this.t) * 10) / 10, detail, ...(diagnosis !== undefined ? { diagnosis } : {}) });
    this.t = now;
  }
  fail(step: StepName, detail: string, diagnosis: string): never {
    this.add(step, 'fail', detail, diagnosis);
    throw new Stop();
  }
  restart(): void {
    this.t = performance.now();
  }
}

interface Where {
  address4: string;
  address6: string;
  source6: string;
}

/** Runs every step of `target`; never throws for a network failure (a port's error becomes a failed step). */
export async function runProbe(target: Target, ports: ProbePorts, opts: RunOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const steps = new Steps(opts.net ?? REAL_NETWORK);
  const where: Partial<Where> = {};
  let native: string | undefined;
  try {
    const ctx = await ports.context();
    steps.restart();
    const resolved = await resolve(target, ctx, ports, steps, { timeoutMs, source6: opts.source6 });
    if (resolved.native !== undefined) native = resolved.native;
    else {
      Object.assign(where, resolved.where);
      await routeStep(ports, ctx, resolved.where!, steps);
      await policyStep(target, ports, resolved.where!, steps);
      await trafficSteps(target, ports, resolved.where!, steps, timeoutMs);
    }
  } catch (e) {
    if (!(e instanceof Stop)) steps.add(steps.current, 'fail', (e as Error).message, `probe error: ${(e as Error).message}`);
  }
  const failed = steps.list.find((s) => s.status === 'fail' && s.diagnosis !== undefined) ?? steps.list.find((s) => s.status === 'fail');
  const base = { target: target.text, kind: target.kind, startedAt, ms: Math.round(performance.now() - t0), steps: steps.list, ...where };
  if (failed) return { ...base, status: 'fail', step: failed.step, diagnosis: failed.diagnosis ?? failed.detail };
  if (native !== undefined) return { ...base, status: 'native', step: 'dns', diagnosis: native };
  return { ...base, status: 'pass', diagnosis: 'ok' };
}

const fmt = (a: DnsAnswer): string => (a.addresses.length > 0 ? a.addresses.join(' ') : a.rcode === 'NOERROR' ? 'none' : a.rcode);

/** The kernel's source toward `address6`; no route at all is the routing step's failure. */
async function sourceFor(address6: string, ctx: ProbeContext, steps: Steps, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  try {
    return await steps.net.kernelSource(address6);
  } catch (e) {
    return steps.fail('route', `no source address toward ${address6}: ${(e as Error).message}`, `the prefix ${ctx.prefix} is not routed into the TUN device ${ctx.tun} (no route to ${address6})`);
  }
}

/** Step 1: DNS (names) or the embedding (literals). */
async function resolve(target: Target, ctx: ProbeContext, ports: ProbePorts, steps: Steps, o: { timeoutMs: number; source6: string | undefined }): Promise<{ where?: Where; native?: string }> {
  const prefix = parseNat64Prefix(ctx.prefix);
  if (target.literal) {
    const address6 = formatIpv6(embedIpv4Bytes(prefix, parseIpv4(target.host)));
    steps.add('dns', 'skip', `IPv4 literal: ${target.host} is ${address6} under ${prefix.text}`);
    const source6 = await sourceFor(address6, ctx, steps, o.source6);
    return { where: { address4: target.host, address6, source6 } };
  }
  let a: DnsAnswer;
  let aaaa: DnsAnswer;
  try {
    [a, aaaa] = await Promise.all([steps.net.query(ctx.dns, target.host, 'A', o.timeoutMs), steps.net.query(ctx.dns, target.host, 'AAAA', o.timeoutMs)]);
  } catch (e) {
    return steps.fail('dns', (e as Error).message, `DNS64 listener did not answer: ${(e as Error).message}`);
  }
  const detail = `A ${fmt(a)}; AAAA ${fmt(aaaa)}${aaaa.ede.includes(29) ? ' (synthesized)' : ''} via [${ctx.dns.address}]:${ctx.dns.port}`;
  if (a.rcode !== 'NOERROR' && a.rcode !== 'NXDOMAIN') return steps.fail('dns', detail, `DNS64 answered ${a.rcode} for the A query`);
  const v = classifyDns(a, aaaa, prefix.text);
  switch (v.kind) {
    case 'synthesized': {
      steps.add('dns', 'pass', detail);
      const source6 = await sourceFor(v.address6, ctx, steps, o.source6);
      return { where: { address4: v.address4, address6: v.address6, source6 } };
    }
    case 'native':
      steps.add('dns', 'pass', detail, v.diagnosis);
      return { native: v.diagnosis };
    case 'not-synthesized': {
      const address6 = formatIpv6(embedIpv4Bytes(prefix, parseIpv4(v.address4)));
      const source6 = o.source6 ?? (await steps.net.kernelSource(address6).catch(() => undefined));
      if (source6 === undefined) return steps.fail('dns', detail, `DNS64 synthesized no AAAA for ${v.address4}, and ${address6} is not routed`);
      const rule = await ports.refusingRule(source6, v.address4);
      if (rule !== undefined) return steps.fail('dns', detail, synthesisRefusedByPolicy(rule));
      return steps.fail('dns', detail, `DNS64 synthesized no AAAA for ${v.address4} (excluded, or not allowed under ${prefix.text})`);
    }
    default:
      return steps.fail('dns', detail, v.diagnosis);
  }
}

/** Step 2: the prefix routed into the TUN device, pool4 on no interface. */
async function routeStep(ports: ProbePorts, ctx: ProbeContext, w: Where, steps: Steps): Promise<void> {
  steps.current = 'route';
  const r = await ports.routes(w.address6, ctx);
  if (r.prefixDevice !== ctx.tun) {
    const to = r.prefixDevice === undefined ? 'nowhere (no route)' : `device ${r.prefixDevice}`;
    steps.fail('route', `${w.address6} is routed to ${to}`, `the prefix ${ctx.prefix} is not routed into the TUN device ${ctx.tun} (it goes to ${to})`);
  }
  const on = r.pool4OnInterface[0];
  if (on !== undefined) {
    steps.fail('route', `pool4 address ${on.address} is on ${on.device}`, `pool4 address ${on.address} is assigned to interface ${on.device}: replies to it are delivered locally instead of to the translator`);
  }
  steps.add('route', 'pass', `${ctx.prefix} → ${ctx.tun}; pool4 ${ctx.pool4.join(', ')} on no interface`);
}

const TRAFFIC_STEP: Record<Target['kind'], StepName> = { name: 'icmp', ipv4: 'icmp', url: 'tcp', tcp: 'tcp', udp: 'udp', dns: 'resolver' };

const PROTO_OF: Record<Target['kind'], 'tcp' | 'udp' | 'icmp'> = { name: 'icmp', ipv4: 'icmp', url: 'tcp', tcp: 'tcp', udp: 'udp', dns: 'udp' };

/** Step 3: would the translator's policy let this flow through? */
async function policyStep(target: Target, ports: ProbePorts, w: Where, steps: Steps): Promise<void> {
  steps.current = 'policy';
  const proto = PROTO_OF[target.kind];
  const rule = await ports.refusingRule(w.source6, w.address4, { proto, ...(target.port !== undefined ? { port: target.port } : {}) });
  if (rule !== undefined) steps.fail('policy', `${proto} ${w.source6} → ${w.address4}${target.port ? `:${target.port}` : ''} denied`, translationRefusedByPolicy(rule));
  steps.add('policy', 'pass', `${proto} from ${w.source6} to ${w.address4}${target.port ? `:${target.port}` : ''} allowed`);
}

/** Runs `attempt` between two counter readings and names the failure. */
async function failWith(ports: ProbePorts, w: Where, step: StepName, what: Probe, code: string, message: string, before: Awaited<ReturnType<ProbePorts['counters']>>, steps: Steps): Promise<never> {
  const delta = counterDelta(before, await ports.counters());
  const rule = delta.policyDeny ? await ports.refusingRule(w.source6, w.address4) : undefined;
  return steps.fail(step, `${code}: ${message}`, diagnoseFailure(what, code, delta, rule));
}

async function trafficSteps(target: Target, ports: ProbePorts, w: Where, steps: Steps, timeoutMs: number): Promise<void> {
  steps.current = TRAFFIC_STEP[target.kind];
  switch (target.kind) {
    case 'name':
    case 'ipv4':
      return icmpStep(ports, w, steps, timeoutMs);
    case 'udp':
      return udpStep(ports, w, steps, { timeoutMs, port: target.port!, payload: Buffer.from(target.payload ?? 'sixgate probe\n') });
    case 'dns':
      return resolverStep(ports, w, steps, timeoutMs);
    case 'tcp':
    case 'url':
      return tcpSteps(target, ports, w, steps, timeoutMs);
  }
}

async function icmpStep(ports: ProbePorts, w: Where, steps: Steps, timeoutMs: number): Promise<void> {
  const before = await ports.counters();
  steps.restart();
  const p = await steps.net.ping(w.address6, w.source6, 3, timeoutMs);
  if (p.spawnError) steps.fail('icmp', p.spawnError, p.spawnError);
  if (p.received > 0) return steps.add('icmp', 'pass', `${p.received}/${p.sent} echo replies${p.rttMs !== undefined ? `, rtt ${p.rttMs} ms` : ''}`);
  const code = p.error === undefined ? 'timeout' : /prohibited/i.test(p.error) ? 'EACCES' : 'EHOSTUNREACH';
  await failWith(ports, w, 'icmp', 'echo request', code, p.error ?? `0/${p.sent} echo replies`, before, steps);
}

async function udpStep(ports: ProbePorts, w: Where, steps: Steps, o: { timeoutMs: number; port: number; payload: Buffer }): Promise<void> {
  const before = await ports.counters();
  steps.restart();
  const r = await steps.net.udpExchange(w.address6, o.port, w.source6, o.payload, o.timeoutMs);
  if (!r.ok) return failWith(ports, w, 'udp', 'datagram', r.code, r.message, before, steps);
  steps.add('udp', 'pass', `${o.payload.length} bytes sent to [${w.address6}]:${o.port}, ${r.bytes} bytes back`);
}

async function resolverStep(ports: ProbePorts, w: Where, steps: Steps, timeoutMs: number): Promise<void> {
  const before = await ports.counters();
  steps.restart();
  try {
    const a = await steps.net.query({ address: w.address6, port: 53 }, 'ipv4only.arpa', 'A', timeoutMs);
    steps.add('resolver', 'pass', `answered ${a.rcode}${a.addresses.length ? ` (${a.addresses.join(' ')})` : ''}`);
  } catch (e) {
    await failWith(ports, w, 'resolver', 'datagram', 'timeout', (e as Error).message, before, steps);
  }
}

async function tcpSteps(target: Target, ports: ProbePorts, w: Where, steps: Steps, timeoutMs: number): Promise<void> {
  const before = await ports.counters();
  steps.restart();
  const c = await steps.net.tcpConnect(w.address6, target.port!, w.source6, timeoutMs);
  if (!c.ok) return failWith(ports, w, 'tcp', 'SYN', c.code, c.message, before, steps);
  steps.add('tcp', 'pass', `connected to [${w.address6}]:${target.port} from ${w.source6}`);
  if (target.kind !== 'url') {
    c.socket.destroy();
    return;
  }
  let socket = c.socket;
  const ca = target.scheme === 'https' ? await steps.net.trustStore(target.ca) : undefined;
  if (target.scheme === 'https') {
    const t = await steps.net.tlsHandshake(socket, target.literal ? undefined : target.host, { insecure: target.insecure === true, ca, timeoutMs });
    if (!t.ok) steps.fail('tls', `${t.code}: ${t.reason}`, tlsFailure(t.reason));
    steps.add('tls', 'pass', `${t.protocol}${target.insecure ? ' (certificate not checked)' : `, certificate for ${target.host} valid`}${t.subject ? ` (CN ${t.subject})` : ''}`);
    socket = t.socket;
  }
  const stallMs = Math.min(timeoutMs, 3000);
  const h = await steps.net.httpGet(socket, hostHeader(target), target.path!, { stallMs, timeoutMs: timeoutMs * 4 });
  if (!h.complete) {
    steps.add('http', 'fail', httpStallDetail(h, stallMs));
    return pmtuAfterStall(target, ports, w, steps, { timeoutMs, ca });
  }
  const want = target.expectStatus;
  const ok = want === undefined ? h.status! >= 200 && h.status! < 400 : h.status === want;
  const detail = `${h.status}, ${h.bytes} bytes in ${Math.round(h.ms)} ms`;
  if (!ok) steps.fail('http', detail, httpStatusMismatch(h.status!, want === undefined ? '2xx or 3xx' : String(want)));
  if (target.expectBody !== undefined && !h.head.includes(target.expectBody)) steps.fail('http', detail, httpBodyMismatch(target.expectBody));
  steps.add('http', 'pass', detail);
  // A response over 8 KiB filled full-size packets on the way back (RFC 8899 would call it a probe).
  if (h.bytes >= 8192) steps.add('pmtu', 'pass', `${h.bytes} bytes came back in full-size packets`);
  else steps.add('pmtu', 'skip', `the response (${h.bytes} bytes) is too small to fill full-size packets; probe a larger URL to check the path MTU`);
}

function httpStallDetail(h: HttpObservation, stallMs: number): string {
  if (h.error !== undefined && !h.stalled) return `request failed: ${h.error}`;
  return h.status === undefined ? `no response header within ${stallMs} ms of silence` : `${h.status}, body stalled after ${h.bytes} bytes (${stallMs} ms of silence)`;
}

/** The transfer stalled after a good handshake: search the size that gets through. */
async function pmtuAfterStall(target: Target, ports: ProbePorts, w: Where, steps: Steps, o: { timeoutMs: number; ca: string[] | undefined }): Promise<void> {
  const r = await searchPmtu(target, ports, w, { ...o, net: steps.net });
  steps.fail('pmtu', r.detail, r.diagnosis);
}
