/**
 * RFC 6146 §3.5.2.2: an IPv4 SYN held for simultaneous open whose 6 s ran out
 * without an IPv6 SYN is answered with ICMPv4 3/3 (port unreachable) quoting
 * it (Jool so.46). Timer path: allocates the reply.
 */
import type { TranslateContext } from './context.js';
import { ICMP4_ERROR_MAX, replyIcmp4 } from './icmp-reply.js';

/** The ICMPv4 3/3 for a held SYN, or null when its source may not get one. */
export function replyExpiredSyn(c: TranslateContext, packet: Uint8Array): Uint8Array | null {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return null;
  const out = new Uint8Array(ICMP4_ERROR_MAX);
  const r = replyIcmp4(c, packet, 0, packet.length, 3, 3, 0, out, 0, 'syn-held');
  if (r.kind !== 'reply') return null;
  // The SYN was counted under 'syn-held' when it was queued; count the answer, not the drop again.
  c.counters.drops['syn-held']--;
  c.counters.expiredSynReplies++;
  return out.slice(0, r.length);
}
