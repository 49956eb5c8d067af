/**
 * ICMPv4 error → ICMPv6 error (RFC 7915 §4.2–4.3, RFC 6146 §3.5.3): type,
 * code, pointer and MTU from the §4.2 tables, the embedded IPv4 packet
 * translated to IPv6 (addresses and ports through the session found with
 * `findInbound`, inner checksums fixed, inner TTL NOT decremented), RFC 4884
 * extensions kept, the whole message capped at 1280 bytes and its checksum
 * recomputed. Built into `out`. An inner IPv4 fragment is translated like
 * §4.1 translates a fragment: with a Fragment header (the client's 32-bit
 * identification from `sent4`); a later one has no ports and is found
 * through `sent4` alone.
 *
 * Outer source (F11): with `sourceIcmpErrorsBetter`, prefix + the reporting
 * IPv4 router (traceroute shows the hops); otherwise, or when the router's
 * address cannot be embedded, prefix + the inner destination (RFC 6146).
 */
import { embedIpv4, mayEmbed } from '@sixgate/addressing';
import {
  addressSum4,
  addressSum6,
  adjust,
  copyBytes,
  finish,
  fold,
  ipv4EmbeddedHeaderLength,
  pseudoHeaderSum6,
  setU16,
  setU32,
  sum,
  u16,
  u32,
} from '@sixgate/wire';
import { ICMP, type Proto } from '../state/api.js';
import type { TranslateContext } from './context.js';
import { forbiddenIpv4 } from './guards.js';
import { datagramEnd, planExtension } from './icmp-ext.js';
import { mapIcmp4Error, mapPointer4to6, mtu4to6 } from './icmp-map.js';
import { ICMP6_ERROR_MAX } from './icmp-reply.js';
import type { Outcome } from './outcome.js';

/** The ICMPv6 parameter word for the mapped error, or -1 to drop. */
function param6(c: TranslateContext, buf: Uint8Array, p: number, mapped: number, i: number): number {
  const type6 = mapped >> 8;
  if (type6 === 2) return mtu4to6(u16(buf, p + 6), u16(buf, i + 2), c.cfg.ipv6Mtu, c.cfg.ipv4Mtu);
  if (type6 === 4 && (mapped & 0xff) === 1) return 6; // §4.2: protocol unreachable → pointer 6
  if (type6 === 4) return mapPointer4to6(buf[p + 4]!);
  return 0;
}

/** Inner protocol as a state protocol, or -1 when untranslatable (F5: nested errors, unknown transports). */
function innerProto(buf: Uint8Array, i: number, ip: number, dEnd: number): number {
  const proto = buf[i + 9]!;
  if (proto === 6 || proto === 17) return dEnd - ip >= 4 ? proto : -1;
  if (proto === 1) return dEnd - ip >= 8 && (buf[ip] === 8 || buf[ip] === 0) ? ICMP : -1;
  return -1;
}

/** What the parse step found; read by the build steps. Reused, no allocation. */
class Parsed {
  /** Inner (quoted) IPv4 header offset, its length, its transport offset. */
  i = 0;
  iihl = 0;
  ip = 0;
  /** End of the quoted datagram and start of the RFC 4884 extension. */
  dEnd = 0;
  extStart = 0;
  mapped = 0;
  param = 0;
  proto = 0;
  in4 = 0;
  rem4 = 0;
  /** Session handle. */
  h = 0;
  /** The inner packet is an IPv4 fragment: the inner IPv6 packet gets a Fragment header. */
  frag = false;
  /** The inner packet is a later fragment (no transport header). */
  later = false;
  /** Slot of the inner fragment's datagram in `sent4`, else -1. */
  sent = -1;
  /** Upper-layer length of the inner ICMP message for the ICMPv6 pseudo-header. */
  ulLen = 0;
}

const e = new Parsed();

/** Parses the error and finds its session into `e`; returns a drop or null. */
function parse(c: TranslateContext, buf: Uint8Array, p: number, end: number): Outcome | null {
  if (end - p < 8) return c.drop('truncated');
  const mapped = mapIcmp4Error(buf[p]!, buf[p + 1]!);
  if (mapped < 0) return c.drop('icmp-untranslatable');
  const i = p + 8;
  const iihl = ipv4EmbeddedHeaderLength(buf, i, end - i);
  if (iihl < 0) return c.drop('icmp-error-inner');
  const param = param6(c, buf, p, mapped, i);
  if (param < 0) return c.drop('icmp-untranslatable');
  e.extStart = datagramEnd(i, end, buf[p + 5]!, 4); // types 3, 11, 12 all carry the RFC 4884 length
  // Padding after the quoted datagram (RFC 4884 §4) is not datagram data.
  e.dEnd = Math.min(e.extStart, i + Math.max(iihl, u16(buf, i + 2)));
  const ip = i + iihl;
  e.in4 = u32(buf, i + 12); // pool4 side
  e.rem4 = u32(buf, i + 16);
  e.sent = -1;
  e.later = false;
  const fw = u16(buf, i + 6);
  if ((fw & 0x1fff) !== 0) return laterFragment(c, buf, i, ip, mapped, param);
  const proto = innerProto(buf, i, ip, e.dEnd);
  if (proto < 0) return c.drop('icmp-error-inner');
  const sp = proto === ICMP ? u16(buf, ip + 4) : u16(buf, ip);
  const dp = proto === ICMP ? sp : u16(buf, ip + 2);
  e.h = c.state.findInbound(proto as Proto, e.rem4, dp, e.in4, sp);
  if (e.h < 0) return c.drop('icmp-error-no-session');
  e.ulLen = u16(buf, i + 2) - iihl;
  // A first fragment (MF = 1, offset 0): the client sent it with a Fragment
  // header, so the inner IPv6 packet gets one again (§4.3 → §4.1).
  e.frag = (fw & 0x2000) !== 0;
  if (e.frag) firstFragment(c, buf, i);
  e.i = i;
  e.iihl = iihl;
  e.ip = ip;
  e.mapped = mapped;
  e.param = param;
  e.proto = proto;
  return null;
}

/**
 * The inner packet is a later fragment (no ports, F5): its datagram's entry in
 * `sent4` (made when its first fragment left 6→4) gives the client address
 * and the IPv6 identification; unknown datagrams are dropped.
 * 6 parameters: error path, no descriptor allocation.
 */
function laterFragment(c: TranslateContext, buf: Uint8Array, i: number, ip: number, mapped: number, param: number): Outcome | null {
  e.sent = findSent(c, buf, i);
  if (e.sent < 0) return c.drop('icmp-error-no-session');
  e.frag = true;
  e.later = true;
  e.i = i;
  e.iihl = ip - i;
  e.ip = ip;
  e.mapped = mapped;
  e.param = param;
  e.proto = buf[i + 9]!;
  return null;
}

/**
 * The inner packet is a first fragment; the session was found by its ports.
 * Its datagram's entry in `sent4` gives the client's 32-bit identification
 * and, for an ICMP echo held whole before it left, the upper-layer length
 * its checksum covers. Without an entry (the datagram left unfragmented and
 * an IPv4 router cut it, or the entry expired) the identification is the
 * IPv4 one, as §4.1 makes it, and the length is this fragment's.
 */
function firstFragment(c: TranslateContext, buf: Uint8Array, i: number): void {
  e.sent = findSent(c, buf, i);
  if (e.sent < 0) return;
  const whole = u16(c.sent4.values, e.sent * c.sent4.valLen + 20);
  if (whole > 0) e.ulLen = whole;
}

/** Slot in `sent4` of the datagram of the inner IPv4 fragment at `buf[i]` (source, destination, ID, protocol), or -1. */
function findSent(c: TranslateContext, buf: Uint8Array, i: number): number {
  const s = c.sent4;
  copyBytes(s.key, 0, buf, i + 12, 8);
  copyBytes(s.key, 8, buf, i + 4, 2);
  s.key[10] = buf[i + 9]!;
  return s.find();
}

/**
 * Translates the ICMPv4 error of the IPv4 packet at `buf[off..end)` whose
 * header is `ihl` bytes. 7 parameters: hot-path shape.
 */
export function translateIcmp4Error(c: TranslateContext, buf: Uint8Array, off: number, ihl: number, end: number, out: Uint8Array, outOff: number): Outcome {
  const bad = parse(c, buf, off + ihl, end);
  if (bad !== null) return bad;
  const { ip, dEnd, extStart } = e;
  const type6 = e.mapped >> 8;
  const o = outOff;
  const extLen = extStart < end && (type6 === 1 || type6 === 3) ? end - extStart : -1;
  // Inner IPv6 header, Fragment header for a fragment (8 more bytes, §4.1).
  const hdr = e.frag ? 48 : 40;
  const plan = planExtension(hdr + dEnd - ip, extLen, Math.min(ICMP6_ERROR_MAX, out.length - o) - 48, 8);
  const innerLen = Math.floor(plan / 1024);
  const lenField = plan % 1024;
  // A later fragment is copied as is; otherwise the ports (8 bytes) must fit.
  if (innerLen < (e.later ? hdr : hdr + 8)) return c.drop('out-too-small');
  if (e.later) writeInnerFragment(c, buf, out, o, innerLen);
  else writeInner(c, buf, out, o, innerLen);
  let total = 48 + innerLen;
  if (lenField > 0) {
    const padded = lenField * 8;
    out.fill(0, o + 48 + innerLen, o + 48 + padded);
    copyBytes(out, o + 48 + padded, buf, extStart, extLen);
    total = 48 + padded + extLen;
  }
  writeOuter(c, buf, off, out, o, total, type6 === 1 || type6 === 3 ? lenField << 24 : e.param);
  c.counters.icmpErrorsTranslated++;
  c.counters.packetsOut6++;
  c.counters.bytesOut6 += total;
  return c.one(o, total);
}

/**
 * Inner IPv6 header (§4.3: TTL copied, not decremented), a Fragment header
 * when the inner packet is a first fragment, and the translated quoted
 * transport. The Payload Length is the quoted packet's, so it counts the
 * Fragment header (RFC 8200 §4.5) even when the quote is cut short.
 */
function writeInner(c: TranslateContext, buf: Uint8Array, out: Uint8Array, o: number, innerLen: number): void {
  const { i, iihl, ip, proto } = e;
  const nh = proto === ICMP ? 58 : proto;
  const x = e.frag ? 8 : 0;
  setU32(out, o + 48, 0x60000000 | (buf[i + 1]! << 20));
  setU16(out, o + 52, u16(buf, i + 2) - iihl + x);
  out[o + 54] = e.frag ? 44 : nh;
  out[o + 55] = buf[i + 8]!;
  c.state.copyAddr6(e.h, out, o + 56);
  embedIpv4(c.prefix, e.rem4, out, o + 72);
  if (e.frag) writeFragmentHeader(c, buf, out, o + 88, nh);
  copyBytes(out, o + 88 + x, buf, ip, innerLen - 40 - x);
  fixInner(out, o, o + 88 + x, innerLen - 40 - x, proto, c.state.port6(e.h));
}

/**
 * Inner later fragment (§4.3 translates the inner header like §4.1 does the
 * outer one): IPv6 header from the client (`sent4`) to prefix + the
 * destination, a Fragment header with the datagram's IPv6 identification,
 * offset and M, then the data as it was (no transport header to fix).
 */
function writeInnerFragment(c: TranslateContext, buf: Uint8Array, out: Uint8Array, o: number, innerLen: number): void {
  const { i, iihl, ip, proto } = e;
  setU32(out, o + 48, 0x60000000 | (buf[i + 1]! << 20));
  setU16(out, o + 52, u16(buf, i + 2) - iihl + 8);
  out[o + 54] = 44;
  out[o + 55] = buf[i + 8]!;
  copyBytes(out, o + 56, c.sent4.values, e.sent * c.sent4.valLen, 16);
  embedIpv4(c.prefix, e.rem4, out, o + 72);
  writeFragmentHeader(c, buf, out, o + 88, proto === 1 ? 58 : proto);
  copyBytes(out, o + 96, buf, ip, innerLen - 48);
}

/**
 * The inner Fragment header at `out[f]` (§4.1): next header `nh`, the IPv4
 * offset and MF, the identification the client gave the datagram (`sent4`)
 * or, without an entry, the IPv4 identification in the low 16 bits.
 */
function writeFragmentHeader(c: TranslateContext, buf: Uint8Array, out: Uint8Array, f: number, nh: number): void {
  const i = e.i;
  out[f] = nh;
  out[f + 1] = 0;
  setU16(out, f + 2, ((u16(buf, i + 6) & 0x1fff) << 3) | ((buf[i + 6]! >> 5) & 1));
  if (e.sent >= 0) copyBytes(out, f + 4, c.sent4.values, e.sent * c.sent4.valLen + 16, 4);
  else setU32(out, f + 4, u16(buf, i + 4));
}

/**
 * Outer IPv6 header (§4.1) and ICMPv6 header with `word` (MTU, pointer or
 * the RFC 4884 length in byte 4, 64-bit units); checksum over everything.
 * 7 parameters: error path, no descriptor allocation.
 */
function writeOuter(c: TranslateContext, buf: Uint8Array, off: number, out: Uint8Array, o: number, total: number, word: number): void {
  const router4 = u32(buf, off + 12);
  const better = c.cfg.sourceIcmpErrorsBetter && !forbiddenIpv4(router4) && mayEmbed(c.prefix, router4, c.embedPolicy);
  setU32(out, o, 0x60000000 | ((c.cfg.zeroizeTrafficClass ? 0 : buf[off + 1]!) << 20));
  setU16(out, o + 4, total - 40);
  out[o + 6] = 58;
  out[o + 7] = buf[off + 8]! - 1;
  embedIpv4(c.prefix, better ? router4 : e.rem4, out, o + 8);
  copyBytes(out, o + 24, out, o + 56, 16);
  out[o + 40] = e.mapped >> 8;
  out[o + 41] = e.mapped & 0xff;
  setU16(out, o + 42, 0);
  setU32(out, o + 44, word);
  setU16(out, o + 42, finish(sum(out, o + 40, o + total, pseudoHeaderSum6(out, o + 8, o + 24, 58, total - 40))));
}

/**
 * Rewrites the copied inner transport header at `out[q..q+n)`: source
 * port/identifier (pool4) → the client's, checksum for the IPv6 pseudo-header
 * whose addresses are already at `out[o+56]`/`out[o+72]` (an ICMPv6 one
 * counts `e.ulLen`, §4.2). 6 parameters: error path.
 */
function fixInner(out: Uint8Array, o: number, q: number, n: number, proto: number, port6: number): void {
  const { in4, rem4 } = e;
  if (proto === ICMP) {
    const type = out[q]!;
    const code = out[q + 1]!;
    const type6 = type === 8 ? 128 : 129;
    const id = u16(out, q + 4);
    out[q] = type6;
    setU16(out, q + 4, port6);
    const neu = fold(pseudoHeaderSum6(out, o + 56, o + 72, 58, e.ulLen) + ((type6 << 8) | code) + port6);
    setU16(out, q + 2, adjust(u16(out, q + 2), fold(((type << 8) | code) + id), neu));
    return;
  }
  const sp = u16(out, q);
  setU16(out, q, port6);
  const csOff = proto === 6 ? 16 : 6;
  if (n < csOff + 2) return;
  const cs = u16(out, q + csOff);
  if (proto === 17 && cs === 0) return;
  const fixed = adjust(cs, fold(addressSum4(in4, rem4) + sp), fold(addressSum6(out, o + 56, o + 72) + port6));
  setU16(out, q + csOff, proto === 17 && fixed === 0 ? 0xffff : fixed);
}
