/**
 * Per-client translator policy (SPEC §6 "DNS64 asks the same rules before
 * synthesizing"): synthesized AAAA whose IPv4 address the translator would
 * not translate for this client are removed, so DNS64 never hands out an
 * address that leads nowhere. Applied after the cache, because the answer
 * depends on the client while the cache entry does not.
 */
import dnsPacket from 'dns-packet';
import type { WouldTranslate } from './config.js';

/** The answer with denied synthetic AAAA removed, and how many were removed. */
export function applyPolicy(
  wire: Buffer,
  embedded: readonly number[],
  client6: Uint8Array | undefined,
  wouldTranslate: WouldTranslate,
): { wire: Buffer; denied: number } {
  const allowed = embedded.map((v4) => wouldTranslate(client6, v4));
  const denied = allowed.filter((x) => !x).length;
  if (denied === 0) return { wire, denied };
  const p = dnsPacket.decode(wire);
  let i = 0;
  // Synthesized AAAA appear in the answer in the order of `embedded`; everything else stays.
  p.answers = (p.answers ?? []).filter((r) => r.type !== 'AAAA' || allowed[i++] === true);
  // When nothing is left this is NODATA: the CNAME chain alone, rcode NOERROR.
  return { wire: dnsPacket.encode(p), denied };
}
