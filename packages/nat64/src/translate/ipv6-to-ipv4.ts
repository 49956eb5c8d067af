/**
 * IPv6 → IPv4 (RFC 7915 §5, stateful per RFC 6146 §3.5): header translation
 * in place. The IPv4 header is written immediately in front of the transport
 * header (the IPv6 header and its extension headers are at least 20 bytes
 * longer), so the payload never moves.
 *
 * Order of checks: length → destination under the prefix → source →
 * extension-header chain (§5.1: skip HbH/DestOpt/Routing with Segments Left 0)
 * → hop limit (§5.1, time exceeded from the translator) → destination policy
 * (A2/A3) → MTU (§5.1 PTB) → transport and state.
 */
import { extractIpv4 } from '@sixgate/addressing';
import {
  addressSum4,
  addressSum6,
  adjust,
  copyBytes,
  fold,
  IPV6_CHAIN_AFTER_FRAGMENT,
  IPV6_CHAIN_OK,
  IPV6_CHAIN_SEGMENTS_LEFT,
  IPV6_CHAIN_TRUNCATED,
  Ipv6Chain,
  normalizeUdp,
  pseudoHeaderSum6,
  setU16,
  setU32,
  u16,
  walkIpv6Chain,
} from '@sixgate/wire';
import { ICMP, StateFail, TCP, TCP_SYN } from '../state/api.js';
import type { TranslateContext } from './context.js';
import { clampMss, forbiddenIpv4, forbiddenIpv6Source, mayEmbed4, sum20 } from './guards.js';
import { holdFragment } from './hold-fragment.js';
import { translateIcmp6Error } from './icmp-6to4.js';
import { isIcmp6Error } from './icmp-map.js';
import { replyIcmp6 } from './icmp-reply.js';
import type { Outcome } from './outcome.js';

/** Where the walk of the extension-header chain ended (wire's walk). Reused; no allocation. */
const walk = new Ipv6Chain();

/**
 * Walks the chain of the packet at `buf[off..end)` (§5.1: HbH, Routing with
 * Segments Left 0 and Destination Options are skipped). Returns null on
 * success (result in `walk`), or an outcome (drop or ICMPv6 error) when the
 * chain is refused. 6 parameters: hot path.
 */
function walkChain(c: TranslateContext, buf: Uint8Array, off: number, end: number, out: Uint8Array, outOff: number): Outcome | null {
  switch (walkIpv6Chain(buf, off, end, walk)) {
    case IPV6_CHAIN_OK:
      return null;
    case IPV6_CHAIN_TRUNCATED:
      return c.drop('truncated');
    case IPV6_CHAIN_AFTER_FRAGMENT:
      // Jool ac1–ac6: an extension header after the Fragment header is refused.
      return replyIcmp6(c, buf, off, end - off, 1, 1, 0, out, outOff, 'extension-after-fragment');
    case IPV6_CHAIN_SEGMENTS_LEFT:
      // §5.1: "If a Routing header with a non-zero Segments Left field is
      // present, then the packet MUST NOT be translated" — parameter problem
      // pointing at Segments Left.
      return replyIcmp6(c, buf, off, end - off, 4, 0, walk.at - off, out, outOff, 'routing-header');
    default:
      return c.drop('bad-header');
  }
}

/**
 * Translates the IPv6 packet at `buf[off..off+len)`. 6 parameters: hot path.
 * On success the IPv4 packet is in `buf` (outcome `forward`); ICMP errors go
 * into `out`. Sets `c.hairpin` when the destination is a pool4 address.
 */
export function translate6to4(c: TranslateContext, buf: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): Outcome {
  if (len < 40) return c.drop('truncated');
  if (buf[off]! >> 4 !== 6) return c.drop('bad-version');
  const end = off + 40 + u16(buf, off + 4);
  if (end > off + len) return c.drop('truncated');
  if (buf[off + 6] === 0 && end === off + 40) return c.drop('bad-header'); // jumbogram (RFC 2675)
  const x4 = extractIpv4(c.prefix, buf, off + 24);
  if (x4 < 0) return c.drop('not-nat64-destination');
  // IPv4 addresses travel as int32 from here on: a uint32 above 2^31 is not
  // a small integer for V8 and is boxed (allocated) at every call boundary.
  const dst4 = x4 | 0;
  if (forbiddenIpv6Source(buf, off + 8)) return c.drop('forbidden-source');
  const refused = walkChain(c, buf, off, end, out, outOff);
  if (refused !== null) return refused;
  const nh = walk.nh;
  const p = walk.upper;
  const first = walk.fragOffset === 0;
  if (buf[off + 7]! <= 1) {
    // RFC 4443 §2.4(e.1): no ICMP error about an ICMP error.
    if (nh === 58 && first && p < end && isIcmp6Error(buf[p]!)) return c.drop('ttl-expired');
    return replyIcmp6(c, buf, off, end - off, 3, 0, 0, out, outOff, 'ttl-expired');
  }
  if (forbiddenIpv4(dst4)) return c.drop('forbidden-destination');
  c.hairpin = c.state.isPool4(dst4);
  // RFC 6052 §3.1 keeps non-global IPv4 out of 64:ff9b::/96; the translator's
  // own pool4 (often private) stays reachable for hairpinning.
  if (!c.hairpin && !mayEmbed4(c, dst4)) return c.drop('non-global-ipv4');
  // §5.1 + RFC 8021: too big for the IPv4 link → PTB with MTU + 20, floor 1280.
  if (!c.hairpin && 20 + end - p > c.cfg.ipv4Mtu && !(nh === 58 && first && isIcmp6Error(buf[p]!))) {
    return replyIcmp6(c, buf, off, end - off, 2, 0, Math.max(1280, c.cfg.ipv4Mtu + 20), out, outOff, 'packet-too-big');
  }
  if (!first) return nonFirstFragment(c, buf, off, end, dst4);
  if (nh === 6 || nh === 17) return tcpUdp(c, buf, off, end, dst4, out, outOff);
  if (nh === 58) return icmp6(c, buf, off, end, dst4, out, outOff);
  return c.drop('unsupported-protocol');
}

/** TCP or UDP (first fragment or whole packet). 7 parameters: hot path. */
function tcpUdp(c: TranslateContext, buf: Uint8Array, off: number, end: number, dst4: number, out: Uint8Array, outOff: number): Outcome {
  const nh = walk.nh;
  const p = walk.upper;
  const l4Len = end - p;
  if (l4Len < (nh === 6 ? 20 : 8)) return c.drop('truncated');
  const sport = u16(buf, p);
  const dport = u16(buf, p + 2);
  const flags = nh === 6 ? buf[p + 13]! : 0;
  const early = admit(c, nh, buf, off, end, sport, dst4, dport, out, outOff);
  if (early !== null) return early;
  const h = found >= 0 ? refresh(c, found, flags) : c.state.outbound(nh as 6 | 17, buf, off + 8, sport, dst4, dport, flags);
  if (h < 0) return stateFail(c, h, buf, off, end, out, outOff);
  const addr4 = c.state.addr4i(h);
  const port4 = c.state.port4(h);
  const csOff = p + (nh === 6 ? 16 : 6);
  let cs = u16(buf, csOff);
  if (nh === TCP && (flags & TCP_SYN) !== 0 && c.cfg.mssClamp) {
    const clamped = clampMss(buf, p, l4Len, cs, c.cfg.ipv4Mtu - 40);
    if (clamped !== cs) c.counters.mssClamped++;
    cs = clamped;
  }
  // §5.5: only the pseudo-header addresses and the source port change.
  cs = adjust(cs, fold(addressSum6(buf, off + 8, off + 24) + sport), fold(addressSum4(addr4, dst4) + port4));
  setU16(buf, csOff, nh === 17 ? normalizeUdp(cs) : cs);
  setU16(buf, p, port4);
  return emit4(c, buf, off, end, nh, addr4, dst4);
}

/** ICMPv6 informational (echo) or error. 7 parameters: hot path. */
function icmp6(c: TranslateContext, buf: Uint8Array, off: number, end: number, dst4: number, out: Uint8Array, outOff: number): Outcome {
  const p = walk.upper;
  const l4Len = end - p;
  if (l4Len < 8) return c.drop('truncated');
  const type = buf[p]!;
  if (isIcmp6Error(type)) return translateIcmp6Error(c, buf, off, p, end, out, outOff);
  if (type !== 128 && type !== 129) return c.drop('icmp-untranslatable'); // §5.2: MLD, ND, unknown
  let ulLen = l4Len;
  if (walk.frag >= 0 && (buf[walk.frag + 3]! & 1) !== 0) {
    // A first fragment: the ICMPv6 pseudo-header counts the whole message
    // (§5.2, RFC 8200 §8.1), known once every fragment is here (fragment-hold.ts).
    if (c.wholeLen < 0) return holdWhole(c, buf, off, end);
    ulLen = c.wholeLen;
  }
  const id = u16(buf, p + 4);
  const early = admit(c, ICMP, buf, off, end, id, dst4, id, out, outOff);
  if (early !== null) return early;
  const h = found >= 0 ? refresh(c, found, 0) : c.state.outbound(ICMP, buf, off + 8, id, dst4, id, 0);
  if (h < 0) return stateFail(c, h, buf, off, end, out, outOff);
  const addr4 = c.state.addr4i(h);
  const id4 = c.state.port4(h);
  const code = buf[p + 1]!;
  const type4 = type === 128 ? 8 : 0;
  // §5.2: ICMPv4 has no pseudo-header; type and identifier change.
  const oldSum = fold(pseudoHeaderSum6(buf, off + 8, off + 24, 58, ulLen) + ((type << 8) | code) + id);
  const cs = adjust(u16(buf, p + 2), oldSum, fold(((type4 << 8) | code) + id4));
  buf[p] = type4;
  setU16(buf, p + 2, cs);
  setU16(buf, p + 4, id4);
  return emit4(c, buf, off, end, 58, addr4, dst4);
}

/**
 * The session `admit` found for this packet (policy rules only), or -1: the
 * caller then refreshes it instead of looking it up again in `outbound`.
 */
let found = -1;

/** `outbound` for the session `h` found by `admit`. */
function refresh(c: TranslateContext, h: number, flags: number): number {
  return c.state.refreshOutbound(h, flags);
}

/**
 * Policy and hairpin checks before state is touched. Returns an outcome when
 * the packet is refused. The policy decides new flows only (its hit counters
 * count flows): an existing session is looked up first (left in `found`),
 * and only when there are rules at all. 10 parameters: hot path, no
 * descriptor allocation.
 */
function admit(
  c: TranslateContext, proto: number, buf: Uint8Array, off: number, end: number,
  sport: number, dst4: number, dport: number, out: Uint8Array, outOff: number,
): Outcome | null {
  const p4 = proto === 58 ? ICMP : proto;
  const f = c.policyActive ? c.state.findOutbound(p4 as 1 | 6 | 17, buf, off + 8, sport, dst4, dport) : -1;
  if (c.policyActive && f < 0 && c.policy.check(p4, buf, off + 8, dst4, dport) >= 0) {
    return replyIcmp6(c, buf, off, end - off, 1, 1, 0, out, outOff, 'policy-deny');
  }
  // H8: hairpin to a pool4 address/port without a binding → port unreachable.
  if (c.hairpin && c.state.findBinding4(p4 as 1 | 6 | 17, dst4, dport, c.scratch6, 0) < 0) {
    return replyIcmp6(c, buf, off, end - off, 1, 4, 0, out, outOff, 'hairpin-no-binding');
  }
  // Neither check mutates the state, so the handle is still valid (api.ts).
  found = f;
  return null;
}

/** Maps a negative `outbound` result to a drop or an ICMPv6 1/1. 7 parameters: hot path. */
function stateFail(c: TranslateContext, h: number, buf: Uint8Array, off: number, end: number, out: Uint8Array, outOff: number): Outcome {
  const reason =
    h === StateFail.poolExhausted ? 'pool-exhausted' : h === StateFail.sessionLimit ? 'session-limit' : h === StateFail.clientSessionLimit ? 'client-session-limit' : null;
  if (reason !== null) return replyIcmp6(c, buf, off, end - off, 1, 1, 0, out, outOff, reason);
  // An HA standby answers nothing for a new flow: the client retries, and reaches the active.
  return c.drop(h === StateFail.standby ? 'ha-standby' : 'tcp-no-session');
}

/**
 * Non-first fragment: addresses from the first fragment's session (no ports
 * here). A hairpinned one goes on through 4→6 like its first fragment, which
 * left an entry in both fragment tables (RFC 6146 §3.8). Without an entry it
 * is held for its first fragment (or to complete a datagram held whole).
 */
function nonFirstFragment(c: TranslateContext, buf: Uint8Array, off: number, end: number, dst4: number): Outcome {
  const t = c.frags6;
  const frag = walk.frag;
  fragKey6(t.key, buf, off, frag, walk.nh);
  const slot = t.find();
  if (slot >= 0) {
    // The pool4 address as int32, read inline: `u32()` returns a uint32, boxed (allocated) above 2^31 when not inlined.
    const v = t.values;
    const o = slot * 4;
    return emit4(c, buf, off, end, walk.nh, (v[o]! << 24) | (v[o + 1]! << 16) | (v[o + 2]! << 8) | v[o + 3]!, dst4);
  }
  return holdFragment(c, t.key, 37, 6, buf, off, end - off, walk.upper - off, walk.fragOffset, (buf[frag + 3]! & 1) !== 0);
}

/** Holds a first fragment whose translation needs its whole datagram. */
function holdWhole(c: TranslateContext, buf: Uint8Array, off: number, end: number): Outcome {
  const t = c.frags6;
  fragKey6(t.key, buf, off, walk.frag, walk.nh);
  return holdFragment(c, t.key, 37, 6, buf, off, end - off, walk.upper - off, 0, true);
}

/** Fragment key: src6, dst6, identification, next header (37 bytes). */
function fragKey6(key: Uint8Array, buf: Uint8Array, off: number, frag: number, nh: number): void {
  copyBytes(key, 0, buf, off + 8, 32);
  copyBytes(key, 32, buf, frag + 4, 4);
  key[36] = nh;
}

/**
 * Records a first fragment: for its followers (`frags6`, by the IPv6 key) and
 * for ICMPv4 errors quoting one of its fragments (`sent4`, by the IPv4 key it
 * leaves with: source, destination, low 16 bits of the identification,
 * protocol; the upper-layer length when the datagram was held whole).
 * 7 parameters: fragment path.
 */
function noteFirst(c: TranslateContext, buf: Uint8Array, off: number, frag: number, nh: number, src4: number, dst4: number): void {
  const ttl = c.cfg.fragmentTimeoutMs;
  const t = c.frags6;
  fragKey6(t.key, buf, off, frag, nh);
  setU32(t.values, t.insert(ttl) * 4, src4);
  c.hold.noteFirst(t.key, 37, 6);
  const s = c.sent4;
  setU32(s.key, 0, src4);
  setU32(s.key, 4, dst4);
  copyBytes(s.key, 8, buf, frag + 6, 2);
  s.key[10] = nh === 58 ? 1 : nh;
  const v = s.insert(ttl) * s.valLen;
  copyBytes(s.values, v, buf, off + 8, 16);
  copyBytes(s.values, v + 16, buf, frag + 4, 4);
  setU16(s.values, v + 20, c.wholeLen > 0 ? c.wholeLen : 0);
}

/**
 * Writes the IPv4 header in front of the transport header (§5.1) and fills
 * the forward slot. Reads every IPv6 field it needs before overwriting.
 * 7 parameters: hot path.
 */
function emit4(c: TranslateContext, buf: Uint8Array, off: number, end: number, nh: number, src4: number, dst4: number): Outcome {
  const p = walk.upper;
  const frag = walk.frag;
  const tos = c.cfg.overrideTos >= 0 ? c.cfg.overrideTos : ((buf[off]! & 0x0f) << 4) | (buf[off + 1]! >> 4);
  const ttl = buf[off + 7]! - 1;
  const total = 20 + end - p;
  let id: number;
  let fo: number;
  if (frag >= 0) {
    // §5.1.1: ID = low 16 bits of the Identification, DF = 0, MF = M, offset copied.
    id = u16(buf, frag + 6);
    fo = (u16(buf, frag + 2) >> 3) | ((buf[frag + 3]! & 1) << 13);
    if (walk.fragOffset === 0 && (buf[frag + 3]! & 1) !== 0) noteFirst(c, buf, off, frag, nh, src4, dst4);
  } else if (total > 1260) {
    // §5.1: DF = 1 above 1260 bytes so PMTUD works; atomic datagram, ID 0 (RFC 6864 §4.1).
    id = 0;
    fo = 0x4000;
  } else {
    id = c.nextId();
    fo = 0;
  }
  const h = p - 20;
  setU32(buf, h, 0x45000000 | (tos << 16) | total);
  setU16(buf, h + 4, id);
  setU16(buf, h + 6, fo);
  buf[h + 8] = ttl;
  buf[h + 9] = nh === 58 ? 1 : nh;
  setU16(buf, h + 10, 0);
  setU32(buf, h + 12, src4);
  setU32(buf, h + 16, dst4);
  setU16(buf, h + 10, ~sum20(buf, h) & 0xffff);
  c.counters.packetsOut4++;
  c.counters.bytesOut4 += total;
  return c.forward(h, total);
}
