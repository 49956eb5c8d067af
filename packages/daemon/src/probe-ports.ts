/**
 * ProbePorts (packages/probe) twice over: inside `sixgate run` over the live
 * appliance, and for the `sixgate probe` command over the admin API. Both read
 * the routing facts from the kernel (`ip`) and limit the MSS toward a target
 * with a host route carrying `advmss` (the path MTU search).
 */
import { ipv4InCidr, parseIpv4, parseIpv4Cidr, parseIpv6 } from '@sixgate/addressing';
import { parseListenAddress, type Config } from '@sixgate/config';
import { parsePolicyRules, Policy } from '@sixgate/nat64';
import type { ProbeContext, ProbePorts, RouteFacts, TranslatorCounters } from '@sixgate/probe';
import type { Stats } from '@sixgate/admin-api';
import type { Appliance } from './appliance.js';
import { ip } from './system.js';

const PROTO_NUM = { tcp: 6, udp: 17, icmp: 1 } as const;

/** Where a probe sends DNS: the first listener, with an unspecified address replaced by loopback. */
export function dnsTarget(listen: readonly string[]): { address: string; port: number } {
  const first = listen[0];
  if (first === undefined) throw new Error('dns64.listen is empty: there is no DNS64 listener to probe');
  const ep = parseListenAddress(first);
  const address = ep.host === '::' ? '::1' : ep.host === '0.0.0.0' ? '127.0.0.1' : ep.host;
  return { address, port: ep.port };
}

export function contextOf(cfg: Pick<Config, 'prefix' | 'dns64' | 'nat64'>): ProbeContext {
  return { prefix: cfg.prefix, dns: dnsTarget(cfg.dns64.listen), tun: cfg.nat64.tun, pool4: cfg.nat64.pool4 };
}

/** The rule of `policy` that refuses the flow (see Policy.refusingRule). */
export function refusing(policy: Policy, source6: string, v4: string, flow?: { proto: 'tcp' | 'udp' | 'icmp'; port?: number }): string | undefined {
  return policy.refusingRule(parseIpv6(source6), parseIpv4(v4), flow ? PROTO_NUM[flow.proto] : undefined, flow?.port);
}

/** `ip -j route get` and `ip -j addr`: where the address goes, and pool4 addresses on interfaces. */
export async function kernelRouteFacts(probeAddress: string, ctx: ProbeContext): Promise<RouteFacts> {
  let prefixDevice: string | undefined;
  try {
    const routes = JSON.parse(await ip(['-j', '-6', 'route', 'get', probeAddress])) as { dev?: string; type?: string }[];
    const r = routes[0];
    prefixDevice = r !== undefined && (r.type === undefined || r.type === 'unicast') ? r.dev : undefined;
  } catch {
    prefixDevice = undefined; // "Network is unreachable": no route at all
  }
  const links = JSON.parse(await ip(['-j', '-4', 'addr', 'show'])) as { ifname: string; addr_info?: { local: string }[] }[];
  const pools = ctx.pool4.map((p) => parseIpv4Cidr(p));
  const pool4OnInterface: { address: string; device: string }[] = [];
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (pools.some((p) => ipv4InCidr(parseIpv4(a.local), p))) pool4OnInterface.push({ address: a.local, device: l.ifname });
    }
  }
  return { prefixDevice, pool4OnInterface };
}

/** Host routes with `advmss` toward probe targets; one at a time per target address. */
export function mssLimiter(tun: () => string): (dst6: string, mss: number) => Promise<() => Promise<void>> {
  const busy = new Map<string, Promise<void>>();
  return async (dst6, mss) => {
    while (busy.has(dst6)) await busy.get(dst6);
    let release!: () => void;
    busy.set(dst6, new Promise<void>((r) => (release = r)));
    const route = [`${dst6}/128`, 'dev', tun()];
    try {
      await ip(['-6', 'route', 'replace', ...route, 'advmss', String(mss)]);
    } catch (e) {
      busy.delete(dst6);
      release();
      throw e;
    }
    return async () => {
      try {
        await ip(['-6', 'route', 'del', ...route]);
      } finally {
        busy.delete(dst6);
        release();
      }
    };
  };
}

/** The counters a probe compares, from the admin API's Stats shape. */
export function countersOf(s: Stats): TranslatorCounters {
  return { drops: s.nat64.drops, packets6to4: s.nat64.packets['6to4'], packets4to6: s.nat64.packets['4to6'], pool4Used: s.nat64.pool4.used, pool4Size: s.nat64.pool4.size };
}

/** Ports over the running appliance (continuous probes inside `sixgate run`). */
export function applianceProbePorts(app: Appliance): ProbePorts {
  return {
    context: async () => {
      const bound = app.dns.addresses().find((a) => a.transport === 'udp');
      const ctx = contextOf(app.config);
      if (bound === undefined) return ctx;
      const address = bound.address === '::' ? '::1' : bound.address === '0.0.0.0' ? '127.0.0.1' : bound.address;
      return { ...ctx, dns: { address, port: bound.port }, tun: app.tun.name() };
    },
    refusingRule: async (source6, v4, flow) => refusing(app.plane.policy, source6, v4, flow),
    routes: kernelRouteFacts,
    counters: async () => {
      const t = app.plane.translator.snapshot();
      const s = app.plane.state.stats();
      return { drops: { ...t.drops }, packets6to4: t.packetsOut4, packets4to6: t.packetsOut6, pool4Used: s.pool4Used, pool4Size: s.pool4Size };
    },
    limitMss: mssLimiter(() => app.tun.name()),
  };
}

/** What the `sixgate probe` command reads over the admin API. */
export interface ApiReader {
  config(): Promise<Config>;
  stats(): Promise<Stats>;
}

/** Ports for the `sixgate probe` command: the config and counters come over the admin API. */
export async function apiProbePorts(api: ApiReader): Promise<ProbePorts> {
  const cfg = await api.config();
  const policy = new Policy(parsePolicyRules(cfg.nat64.policy));
  return {
    context: async () => contextOf(cfg),
    refusingRule: async (source6, v4, flow) => refusing(policy, source6, v4, flow),
    routes: kernelRouteFacts,
    counters: async () => countersOf(await api.stats()),
    limitMss: mssLimiter(() => cfg.nat64.tun),
  };
}
