/**
 * IPv4 → IPv6 (RFC 7915 §4, stateful per RFC 6146 §3.5): header translation
 * in place. The IPv6 header (plus a Fragment header for fragments) is written
 * immediately in front of the transport header, into the headroom the caller
 * keeps before the packet (STYLE §3: ≥ 28 bytes). DF=0 packets larger than
 * `lowestIpv6Mtu` are split into IPv6 fragments written to `out`.
 *
 * Order of checks: lengths → header checksum (§4.1, silently dropped) →
 * destination in pool4 → source → source route (§4.1) → TTL (§4.1, time
 * exceeded) → MTU with DF (§4.1 / RFC 1191) → transport and state.
 */
import {
  addressSum4,
  addressSum6,
  adjust,
  combine,
  copyBytes,
  finish,
  fold,
  IPV4_BAD_VERSION,
  IPV4_TRUNCATED,
  ipv4HeaderCheck,
  ipv4SourceRoute,
  normalizeUdp,
  pseudoHeaderSum6,
  setU16,
  setU32,
  sum,
  u16,
  u32,
} from '@sixgate/wire';
import { ICMP, StateFail, TCP_SYN } from '../state/api.js';
import type { TranslateContext } from './context.js';
import { fragment6 } from './fragment.js';
import { clampMss, embed, forbiddenIpv4, mayEmbed4, sum20 } from './guards.js';
import { holdFragment } from './hold-fragment.js';
import { translateIcmp4Error } from './icmp-4to6.js';
import { isIcmp4Error } from './icmp-map.js';
import { replyIcmp4 } from './icmp-reply.js';
import type { Outcome } from './outcome.js';

const EMPTY = new Uint8Array(0);

/** Fields of the IPv4 header read before it is overwritten. Reused; no allocation. */
class V4 {
  off = 0;
  /** Transport header offset. */
  p = 0;
  end = 0;
  src4 = 0;
  dst4 = 0;
  tos = 0;
  ttl = 0;
  proto = 0;
  id = 0;
  /** Fragment offset in bytes. */
  fragOff = 0;
  mf = false;
  df = false;
  /** MF set or offset ≠ 0: the IPv6 packet carries a Fragment header (§4.1). */
  isFrag = false;
}

const v4 = new V4();

/** Reads and checks the IPv4 header into `v4`; returns a drop or null. */
function readHeader(c: TranslateContext, buf: Uint8Array, off: number, len: number): Outcome | null {
  const ihl = ipv4HeaderCheck(buf, off, len);
  if (ihl < 0) return c.drop(ihl === IPV4_TRUNCATED ? 'truncated' : ihl === IPV4_BAD_VERSION ? 'bad-version' : 'bad-header');
  const total = u16(buf, off + 2);
  if ((ihl === 20 ? sum20(buf, off) : sum(buf, off, off + ihl)) !== 0xffff) return c.drop('bad-ipv4-checksum');
  const fo = u16(buf, off + 6);
  v4.off = off;
  v4.p = off + ihl;
  v4.end = off + total;
  v4.tos = c.cfg.zeroizeTrafficClass ? 0 : buf[off + 1]!;
  v4.ttl = buf[off + 8]!;
  v4.proto = buf[off + 9]!;
  v4.id = u16(buf, off + 4);
  // int32, not uint32: see the note in ipv6-to-ipv4.ts (no boxing at calls).
  v4.src4 = u32(buf, off + 12) | 0;
  v4.dst4 = u32(buf, off + 16) | 0;
  v4.fragOff = (fo & 0x1fff) << 3;
  v4.mf = (fo & 0x2000) !== 0;
  v4.df = (fo & 0x4000) !== 0;
  v4.isFrag = v4.mf || v4.fragOff !== 0;
  return null;
}

/**
 * Translates the IPv4 packet at `buf[off..off+len)`. 6 parameters: hot path.
 * On success the IPv6 packet is in `buf` (forward) or its fragments in `out`
 * (forward-many); ICMP errors and translated ICMP errors go into `out`.
 */
export function translate4to6(c: TranslateContext, buf: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): Outcome {
  const bad = readHeader(c, buf, off, len);
  if (bad !== null) return bad;
  const { p, end, proto, src4 } = v4;
  if (!c.state.isPool4(v4.dst4)) return c.drop('not-pool4-destination');
  const isErr = proto === 1 && v4.fragOff === 0 && end > p && isIcmp4Error(buf[p]!);
  if (!isErr) {
    if (forbiddenIpv4(src4)) return c.drop('forbidden-source');
    // pool4 sources are hairpinned packets (RFC 6146 §3.8), exempt like in 6→4.
    if (!mayEmbed4(c, src4) && !c.state.isPool4(src4)) return c.drop('non-global-ipv4');
  }
  if (p > off + 20 && ipv4SourceRoute(buf, off, p - off) >= 0) {
    return replyIcmp4(c, buf, off, end - off, 3, 5, 0, out, outOff, 'source-route');
  }
  if (v4.ttl <= 1) {
    if (isErr) return c.drop('ttl-expired');
    return replyIcmp4(c, buf, off, end - off, 11, 0, 0, out, outOff, 'ttl-expired');
  }
  if (isErr) return translateIcmp4Error(c, buf, off, p - off, end, out, outOff);
  // §4.1 with DF: no fragmentation; fragmentation needed with MTU − 20.
  if (v4.df && 40 + (v4.isFrag ? 8 : 0) + end - p > c.cfg.ipv6Mtu) {
    return replyIcmp4(c, buf, off, end - off, 3, 4, c.cfg.ipv6Mtu - 20, out, outOff, 'packet-too-big');
  }
  if (p - 40 - (v4.isFrag ? 8 : 0) < 0) return c.drop('no-headroom');
  if (v4.fragOff !== 0) return nonFirstFragment(c, buf, out, outOff);
  if (proto === 6 || proto === 17) return tcpUdp(c, buf, out, outOff);
  if (proto === 1) return icmp4(c, buf, out, outOff);
  return c.drop('unsupported-protocol');
}

/** TCP or UDP, whole packet or first fragment. */
function tcpUdp(c: TranslateContext, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  const { p, end, proto, src4, dst4 } = v4;
  const l4Len = end - p;
  if (l4Len < (proto === 6 ? 20 : 8)) return c.drop('truncated');
  const sport = u16(buf, p);
  const dport = u16(buf, p + 2);
  const flags = proto === 6 ? buf[p + 13]! : 0;
  const csOff = p + (proto === 6 ? 16 : 6);
  let cs = u16(buf, csOff);
  const zeroUdp = proto === 17 && cs === 0;
  // §4.5: UDP checksum 0 is computed, over the whole datagram when fragmented
  // (held until complete, fragment-hold.ts; RFC 6146 §3.4 lets NAT64 reassemble).
  if (zeroUdp && v4.isFrag && c.wholeLen < 0) return holdWhole(c, buf);
  const syn = (flags & TCP_SYN) !== 0;
  // The SYN's window is passed as offsets: a subarray would allocate per SYN.
  const h = syn
    ? c.state.inbound(proto as 6 | 17, src4, sport, dst4, dport, flags, buf, v4.off, end - v4.off)
    : c.state.inbound(proto as 6 | 17, src4, sport, dst4, dport, flags, EMPTY);
  if (h < 0) return stateFail(c, h, buf, out, outOff);
  const port6 = c.state.port6(h);
  const h6 = writeHeader6(c, buf, h);
  if (proto === 6 && syn && c.cfg.mssClamp) {
    const clamped = clampMss(buf, p, l4Len, cs, c.cfg.lowestIpv6Mtu - 60);
    if (clamped !== cs) c.counters.mssClamped++;
    cs = clamped;
  }
  setU16(buf, p + 2, port6);
  if (zeroUdp) cs = udpZeroChecksum(c, buf, h6);
  else {
    // §4.5: only the pseudo-header addresses and the destination port change.
    cs = adjust(cs, fold(addressSum4(src4, dst4) + dport), fold(addressSum6(buf, h6 + 8, h6 + 24) + port6));
    if (proto === 17) cs = normalizeUdp(cs);
  }
  setU16(buf, csOff, cs);
  return finish6(c, buf, h6, out, outOff);
}

/**
 * §4.5: the UDP checksum of a datagram that arrived with 0, over the IPv6
 * pseudo-header and every byte; a first fragment's datagram was held whole,
 * so the other fragments' length and data sum are in the context.
 */
function udpZeroChecksum(c: TranslateContext, buf: Uint8Array, h6: number): number {
  const { p, end } = v4;
  c.counters.udpZeroChecksumFixed++;
  const ps = v4.isFrag ? combine(pseudoHeaderSum6(buf, h6 + 8, h6 + 24, 17, c.wholeLen), c.restSum) : pseudoHeaderSum6(buf, h6 + 8, h6 + 24, 17, end - p);
  return normalizeUdp(finish(sum(buf, p, end, ps)));
}

/** ICMPv4 echo request/reply; errors are handled in icmp-4to6.ts. */
function icmp4(c: TranslateContext, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  const { p, end, src4, dst4 } = v4;
  const l4Len = end - p;
  if (l4Len < 8) return c.drop('truncated');
  const type = buf[p]!;
  if (type !== 8 && type !== 0) return c.drop('icmp-untranslatable'); // §4.2: the rest is dropped
  // A first fragment: the ICMPv6 pseudo-header counts the whole message (§4.2,
  // RFC 8200 §8.1), known once every fragment is here (fragment-hold.ts).
  if (v4.isFrag && c.wholeLen < 0) return holdWhole(c, buf);
  const ulLen = v4.isFrag ? c.wholeLen : l4Len;
  const id = u16(buf, p + 4);
  const h = c.state.inbound(ICMP, src4, id, dst4, id, 0, EMPTY);
  if (h < 0) return stateFail(c, h, buf, out, outOff);
  const id6 = c.state.port6(h);
  const h6 = writeHeader6(c, buf, h);
  const code = buf[p + 1]!;
  const type6 = type === 8 ? 128 : 129;
  // §4.2: ICMPv6 adds the pseudo-header; type and identifier change.
  const newSum = fold(pseudoHeaderSum6(buf, h6 + 8, h6 + 24, 58, ulLen) + ((type6 << 8) | code) + id6);
  setU16(buf, p + 2, adjust(u16(buf, p + 2), fold(((type << 8) | code) + id), newSum));
  buf[p] = type6;
  setU16(buf, p + 4, id6);
  return finish6(c, buf, h6, out, outOff);
}

/** Non-first fragment: the destination comes from the first fragment's session. */
function nonFirstFragment(c: TranslateContext, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  const t = c.frags4;
  fragKey4(t.key);
  const slot = t.find();
  // No entry: held for its first fragment (or to complete a datagram held whole).
  if (slot < 0) return holdFragment(c, t.key, 11, 4, buf, v4.off, v4.end - v4.off, v4.p - v4.off, v4.fragOff, v4.mf);
  const h6 = v4.p - 48;
  copyBytes(buf, h6 + 24, t.values, slot * 16, 16);
  embed(c.prefix, v4.src4, buf, h6 + 8);
  return finish6(c, buf, h6, out, outOff);
}

/** Holds a first fragment whose translation needs its whole datagram. */
function holdWhole(c: TranslateContext, buf: Uint8Array): Outcome {
  const t = c.frags4;
  fragKey4(t.key);
  return holdFragment(c, t.key, 11, 4, buf, v4.off, v4.end - v4.off, v4.p - v4.off, 0, true);
}

/** Fragment key: src4, dst4, identification, protocol (11 bytes). */
function fragKey4(key: Uint8Array): void {
  setU32(key, 0, v4.src4);
  setU32(key, 4, v4.dst4);
  setU16(key, 8, v4.id);
  key[10] = v4.proto;
}

/**
 * Writes the IPv6 addresses (source = prefix + IPv4 source, destination =
 * the session's client) at the header position and returns that position.
 * Records first fragments for their followers.
 */
function writeHeader6(c: TranslateContext, buf: Uint8Array, h: number): number {
  const h6 = v4.p - 40 - (v4.isFrag ? 8 : 0);
  embed(c.prefix, v4.src4, buf, h6 + 8);
  c.state.copyAddr6(h, buf, h6 + 24);
  if (v4.mf && v4.fragOff === 0) {
    const t = c.frags4;
    fragKey4(t.key);
    const slot = t.insert(c.cfg.fragmentTimeoutMs);
    copyBytes(t.values, slot * 16, buf, h6 + 24, 16);
    c.hold.noteFirst(t.key, 11, 4);
  }
  return h6;
}

/**
 * Completes the IPv6 header at `h6` (§4.1: Traffic Class = TOS, Flow Label 0,
 * Payload Length, Next Header, Hop Limit = TTL − 1, Fragment header for
 * fragments) and forwards it, or splits it into fragments in `out`.
 */
function finish6(c: TranslateContext, buf: Uint8Array, h6: number, out: Uint8Array, outOff: number): Outcome {
  const { p, end, proto } = v4;
  const nh = proto === 1 ? 58 : proto;
  setU32(buf, h6, 0x60000000 | (v4.tos << 20));
  buf[h6 + 7] = v4.ttl - 1;
  let total = 40 + end - p;
  if (v4.isFrag) {
    buf[h6 + 6] = 44;
    buf[h6 + 40] = nh;
    buf[h6 + 41] = 0;
    setU16(buf, h6 + 42, v4.fragOff | (v4.mf ? 1 : 0));
    setU32(buf, h6 + 44, v4.id);
    total += 8;
    if (v4.fragOff === 0) noteSent6(c, buf, h6, nh);
  } else buf[h6 + 6] = nh;
  setU16(buf, h6 + 4, total - 40);
  // §4.1: DF=0 packets larger than the lowest IPv6 MTU are fragmented.
  if (!v4.df && total > c.cfg.lowestIpv6Mtu) {
    if (!v4.isFrag) noteSent6(c, buf, h6, nh);
    return fragment6(c, buf, h6, total, v4.id, out, outOff);
  }
  c.counters.packetsOut6++;
  c.counters.bytesOut6 += total;
  return c.forward(h6, total);
}

/**
 * Records a datagram that leaves as IPv6 fragments (`sent6`: source,
 * destination, identification, next header → the pool4 address and the
 * upper-layer length), for ICMPv6 errors that quote one of its fragments: a
 * later one has no ports to find the session with, a first one of an ICMP
 * message needs the whole length for the inner checksum (0: unknown).
 */
function noteSent6(c: TranslateContext, buf: Uint8Array, h6: number, nh: number): void {
  const s = c.sent6;
  copyBytes(s.key, 0, buf, h6 + 8, 32);
  setU32(s.key, 32, v4.id);
  s.key[36] = nh;
  const v = s.insert(c.cfg.fragmentTimeoutMs) * s.valLen;
  setU32(s.values, v, v4.dst4);
  setU16(s.values, v + 4, c.wholeLen > 0 ? c.wholeLen : v4.isFrag ? 0 : v4.end - v4.p);
}

/** Maps a negative `inbound` result to a drop or an ICMPv4 error. */
function stateFail(c: TranslateContext, h: number, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  switch (h) {
    case StateFail.filtered:
      // H12: address-dependent filtering → communication administratively prohibited.
      return replyIcmp4(c, buf, v4.off, v4.end - v4.off, 3, 13, 0, out, outOff, 'filtered');
    case StateFail.externalTcp:
      return c.drop('external-tcp');
    case StateFail.synHeld:
      return c.drop('syn-held');
    case StateFail.synQueueFull:
      return c.drop('syn-queue-full');
    case StateFail.tcpNoSession:
      return c.drop('tcp-no-session');
    case StateFail.standby:
      return c.drop('ha-standby');
    default:
      return c.drop('no-binding');
  }
}
