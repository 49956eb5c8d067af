/**
 * `sixgate check`: is this host ready for `sixgate run` with this config?
 * Each finding is one line naming what was checked and, on failure, why and
 * what to do. Pure of side effects except short test binds of the ports.
 *
 * `checkBuild` builds, from the config, everything `run` builds before its
 * first I/O — with the very functions `run` calls (translator, state with the
 * static BIB, policy, DNS64 options, TUN options, admin API listen) — so a
 * config that passes `check` never fails at start for a config reason.
 */
import { constants, promises as fsp } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { ipv4CidrsOverlap, ipv6CidrsOverlap, parseIpv4Cidr, parseIpv6Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { assertSafeListen } from '@sixgate/admin-api';
import { parseListenAddress, type Config } from '@sixgate/config';
import { parseEntries } from '@sixgate/probe';
import { validateDns64Options } from '@sixgate/dns64';
import { resolveOptions as resolveTunOptions } from '@sixgate/tun';
import { BatchClock, buildDataPlane, tunOptions } from './appliance.js';
import { dns64Options, routedPrefixes } from './options.js';
import { hasNetAdmin, listRoutes } from './system.js';
import { raFindings } from './router-adverts-check.js';

export interface Finding {
  readonly ok: boolean;
  readonly what: string;
  readonly detail: string;
}

async function tunDevice(): Promise<Finding> {
  const what = 'TUN device node /dev/net/tun';
  try {
    const h = await fsp.open('/dev/net/tun', constants.O_RDWR);
    await h.close();
    return { ok: true, what, detail: 'present and openable' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const fix = code === 'ENOENT' ? 'load the tun module, or run the container with --device /dev/net/tun' : 'run as root or with CAP_NET_ADMIN';
    return { ok: false, what, detail: `${code ?? (e as Error).message}: ${fix}` };
  }
}

async function netAdmin(): Promise<Finding> {
  const ok = await hasNetAdmin();
  return { ok, what: 'CAP_NET_ADMIN', detail: ok ? 'held' : 'missing: run as root, or the container with --cap-add NET_ADMIN' };
}

async function forwarding(): Promise<Finding> {
  const what = 'IP forwarding sysctls';
  const paths = ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv6/conf/all/forwarding'];
  for (const p of paths) {
    const on = (await fsp.readFile(p, 'utf8').catch(() => '0')).trim() === '1';
    if (on) continue;
    try {
      await fsp.access(p, constants.W_OK);
    } catch {
      return { ok: false, what, detail: `${p} is 0 and not writable: enable forwarding on the host (sysctl -w) or give the container a writable /proc/sys/net` };
    }
  }
  return { ok: true, what, detail: 'on, or will be turned on by run' };
}

function bindUdp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host.includes(':') && host !== '::' ? true : undefined });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      resolve(e.code ?? e.message);
    });
    s.bind(port, host, () => s.close(() => resolve(undefined)));
  });
}

function bindTcp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

async function ports(cfg: Config): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const l of cfg.dns64.listen) {
    const ep = parseListenAddress(l);
    const u = await bindUdp(ep.host, ep.port);
    const t = await bindTcp(ep.host, ep.port);
    const err = u ?? t;
    out.push({ ok: !err, what: `DNS64 listen ${l}`, detail: err ? `${err}: another resolver may hold the port (stop it, or set dns64.listen / --dns-listen)` : 'UDP and TCP free' });
  }
  const api = parseListenAddress(cfg.api.listen);
  const err = await bindTcp(api.host, api.port);
  out.push({ ok: !err, what: `admin API listen ${cfg.api.listen}`, detail: err ? `${err}: choose another api.listen / --api-listen` : 'free' });
  return out;
}

async function routeOverlaps(cfg: Config): Promise<Finding> {
  const what = 'prefix and pool4 vs existing routes';
  if (!cfg.nat64.manageRoutes) return { ok: true, what, detail: 'routes managed by the operator (--no-routes)' };
  const prefix = parseNat64Prefix(cfg.prefix);
  const pools = cfg.nat64.pool4.map((p) => parseIpv4Cidr(p));
  const clashes: string[] = [];
  for (const r of await listRoutes()) {
    if (r.dst === 'default' || r.dev === cfg.nat64.tun || r.dev === 'lo') continue;
    try {
      if (r.dst.includes(':')) {
        const c = parseIpv6Cidr(r.dst.includes('/') ? r.dst : `${r.dst}/128`);
        if (c.length > 0 && ipv6CidrsOverlap(c, prefix)) clashes.push(`${r.dst} dev ${r.dev} overlaps prefix ${prefix.text}`);
      } else {
        const c = parseIpv4Cidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
        for (const p of pools) if (c.length > 0 && ipv4CidrsOverlap(c, p)) clashes.push(`${r.dst} dev ${r.dev} overlaps pool4 ${p.address >>> 24}.${(p.address >>> 16) & 255}.${(p.address >>> 8) & 255}.${p.address & 255}/${p.length}`);
      }
    } catch {
      // routes iproute2 prints in forms we do not model (e.g. multicast tables) cannot clash
    }
  }
  return clashes.length === 0
    ? { ok: true, what, detail: 'no overlap' }
    : { ok: false, what, detail: `${clashes.join('; ')}: pick another prefix/pool4 or remove the route` };
}

/** The continuous probes' targets parse (the schema cannot check a target's form). */
export function probeTargets(cfg: Config): Finding {
  const what = 'probes.targets';
  try {
    const n = parseEntries(cfg.probes.targets, what).length;
    return { ok: true, what, detail: n === 0 ? 'none configured' : `${n} target${n === 1 ? '' : 's'}` };
  } catch (e) {
    return { ok: false, what, detail: (e as Error).message };
  }
}

function built(what: string, build: () => string): Finding {
  try {
    return { ok: true, what, detail: build() };
  } catch (e) {
    return { ok: false, what, detail: `${(e as Error).message}: \`sixgate run\` would fail to start with this config` };
  }
}

/** Builds what `run` builds from `cfg`, without any I/O; one finding per part. */
export function checkBuild(cfg: Config): Finding[] {
  return [
    built('translator, session state, static BIB and policy', () => {
      const plane = buildDataPlane(cfg, new BatchClock());
      const t = plane.translator.config;
      const pool = t.rfc6791Size === 0 ? 'own address' : `${t.rfc6791Size} addresses`;
      return `built (${cfg.nat64.staticBib.length} static BIB entries, ${cfg.nat64.policy.length} policy rules, RFC 6791 source: ${pool}, routes ${routedPrefixes(cfg).join(' ')})`;
    }),
    built('DNS64 options', () => {
      const o = validateDns64Options(dns64Options(cfg, () => true));
      const up = o.upstreams.length === 0 ? 'upstreams from /etc/resolv.conf at start' : `${o.upstreams.length} upstreams`;
      return `valid (${o.listen.length} listen addresses, ${up})`;
    }),
    built('TUN device options', () => {
      const o = resolveTunOptions(tunOptions(cfg));
      return `valid (${o.name}, MTU ${o.mtu})`;
    }),
    built('admin API listen', () => {
      // run always has a token (configured, or generated into the state dir) when it checks this.
      assertSafeListen(cfg.api.listen, cfg.api.token ?? 'generated-at-start');
      const ep = parseListenAddress(cfg.api.listen);
      return `valid (${ep.host} port ${ep.port})`;
    }),
  ];
}

/** Runs every environment check for `cfg`. */
export async function checkEnvironment(cfg: Config): Promise<Finding[]> {
  return [await tunDevice(), await netAdmin(), await forwarding(), ...(await ports(cfg)), await routeOverlaps(cfg), probeTargets(cfg), ...(await raFindings(cfg))];
}
