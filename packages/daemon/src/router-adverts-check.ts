/**
 * `sixgate check` for router advertisements: on each `ra.interfaces` link,
 * can the raw socket be opened, and does another router announce a
 * different PREF64 (or our PREF64 with another resolver)? One Router
 * Solicitation and a 4-second look (RFC 4861 §6.2.6 lets a router take up to
 * 3.5 s to answer): a router that ignores solicitations and advertises rarely
 * can be missed here; the running daemon keeps listening and reports it in
 * health and GET /api/v1/ra.
 */
import { networkInterfaces } from 'node:os';
import { formatIpv6, parseNat64Prefix, tryParseIpv6 } from '@sixgate/addressing';
import { parseListenAddress, type Config } from '@sixgate/config';
import { maskPrefix, probeRouters, type ProbeDeps } from '@sixgate/ra';
import type { Finding } from './check.js';

/** How long `check` listens after its solicitation. */
export const PROBE_MS = 4_000;

function hostAddresses(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const b = a.family === 'IPv6' ? tryParseIpv6(a.address.split('%')[0]!) : undefined;
      if (b) out.push(b);
    }
  }
  return out;
}

export async function raFindings(cfg: Config, deps: ProbeDeps & { waitMs?: number } = {}): Promise<Finding[]> {
  if (cfg.ra.interfaces.length === 0) return [];
  const ours = parseNat64Prefix(cfg.prefix);
  const ourText = ours.text;
  const oursHex = Buffer.from(maskPrefix(ours.bytes, ours.length)).toString('hex');
  // DNS64's own addresses: a wildcard listener answers on every address of the host.
  const listen = cfg.dns64.listen.map((l) => parseListenAddress(l)).filter((l) => l.port === 53);
  const dns = new Set<string>((listen.some((l) => l.host === '::') ? hostAddresses() : listen.map((l) => tryParseIpv6(l.host)).filter((a): a is Uint8Array => a !== undefined)).map((a) => formatIpv6(a)));
  const out: Finding[] = [];
  await Promise.all(
    cfg.ra.interfaces.map(async (ifname) => {
      const what = `router advertisements on ${ifname}`;
      let seen;
      try {
        seen = await probeRouters(ifname, deps.waitMs ?? PROBE_MS, { localAddresses: hostAddresses, ...deps });
      } catch (e) {
        const err = e as Error & { errno?: number };
        const fix = err.errno === 1 ? 'run as root, or the container with NET_RAW (Docker grants it by default)' : err.errno === 19 ? `no interface "${ifname}" (ra.interfaces)` : 'see the error';
        out.push({ ok: false, what, detail: `${err.message}: ${fix}` });
        return;
      }
      const problems: string[] = [];
      for (const s of seen) {
        const same = (p: { prefix: Uint8Array; length: number }) => p.length === ours.length && Buffer.from(p.prefix).toString('hex') === oursHex;
        for (const p of s.advert.pref64) {
          if (p.lifetime > 0 && !same(p)) problems.push(`router ${s.router} announces PREF64 ${formatIpv6(p.prefix)}/${p.length} (sixgate: ${ourText})`);
        }
        if (s.advert.pref64.some((p) => p.lifetime > 0 && same(p)) && s.advert.rdnss.some((r) => r.lifetime > 0)) {
          const rdnss = s.advert.rdnss.flatMap((r) => r.addresses.map((a) => formatIpv6(a)));
          if (rdnss.some((a) => dns.has(a))) continue;
          problems.push(`router ${s.router} announces sixgate's PREF64 with RDNSS ${rdnss.join(' ')}: not sixgate's DNS64 (${[...dns].join(' ') || 'none on port 53'})`);
        }
      }
      out.push(
        problems.length === 0
          ? { ok: true, what, detail: seen.length === 0 ? 'raw socket opens; no other router answered a solicitation' : `raw socket opens; ${seen.length} other router(s), none with another PREF64` }
          : { ok: false, what, detail: `${problems.join('; ')}: clients may use the wrong prefix; stop the other announcement or use the same prefix` },
      );
    }),
  );
  return out.sort((a, b) => a.what.localeCompare(b.what));
}
