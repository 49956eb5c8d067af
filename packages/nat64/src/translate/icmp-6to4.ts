/**
 * ICMPv6 error → ICMPv4 error (RFC 7915 §5.2–5.3, RFC 6146 §3.5.3): type,
 * code, pointer and MTU from the §5.2 tables, the embedded IPv6 packet
 * translated to IPv4 (addresses and ports through the session found with
 * `findOutbound`, inner checksums fixed, inner hop limit NOT decremented,
 * inner DF cleared), RFC 4884 extensions kept, the whole message capped at
 * 576 bytes and its checksum recomputed. Built into `out`.
 */
import { extractIpv4 } from '@sixgate/addressing';
import {
  addressSum4,
  addressSum6,
  adjust,
  bytesEqual,
  copyBytes,
  finish,
  fold,
  IPV6_CHAIN_OK,
  Ipv6Chain,
  pseudoHeaderSum6,
  setU16,
  setU32,
  sum,
  u16,
  u32,
  walkIpv6Chain,
} from '@sixgate/wire';
import { ICMP, type Proto } from '../state/api.js';
import type { TranslateContext } from './context.js';
import { datagramEnd, planExtension } from './icmp-ext.js';
import { isIcmp6Error, mapIcmp6Error, mapPointer6to4, mtu6to4 } from './icmp-map.js';
import { ICMP4_ERROR_MAX, writeIpv4Header } from './icmp-reply.js';
import type { Outcome } from './outcome.js';

/** The ICMPv4 `rest` word for the mapped error, or -1 to drop. */
function rest4(c: TranslateContext, buf: Uint8Array, p: number): number {
  const type = buf[p]!;
  if (type === 2) return mtu6to4(u32(buf, p + 4), c.cfg.ipv6Mtu, c.cfg.ipv4Mtu);
  if (type === 4 && buf[p + 1] === 0) {
    const ptr = mapPointer6to4(u32(buf, p + 4));
    return ptr < 0 ? -1 : ptr << 24;
  }
  return 0;
}

/** Inner protocol (next header `nh`, transport at `ip`) as a state protocol, or -1 when untranslatable (F5). */
function innerProto(nh: number, buf: Uint8Array, ip: number, dEnd: number): number {
  if (nh === 6 || nh === 17) return dEnd - ip >= 4 ? nh : -1;
  if (nh === 58) return dEnd - ip >= 8 && !isIcmp6Error(buf[ip]!) ? ICMP : -1;
  return -1; // extension headers (0/43/60, a second Fragment header) and unknown transports
}

/** What the parse step found; read by the build steps. Reused, no allocation. */
class Parsed {
  /** Inner (quoted) IPv6 header and its transport offset. */
  i = 0;
  ip = 0;
  /** End of the quoted datagram and start of the RFC 4884 extension. */
  dEnd = 0;
  extStart = 0;
  hasLen = false;
  mapped = 0;
  rest = 0;
  proto = 0;
  rem4 = 0;
  /** The session's pool4 address and port. */
  addr4 = 0;
  port4 = 0;
  /** From an inner Fragment header: IPv4 identification and flags/offset word (0 without one). */
  id4 = 0;
  fragWord = 0;
  /** The inner packet is a later fragment (no transport header). */
  later = false;
  /** Upper-layer length of the inner ICMPv6 message its pseudo-header counted. */
  ulLen = 0;
}

const e = new Parsed();

/** The quoted packet's chain. */
const inner = new Ipv6Chain();

/** Parses the error at `buf[p..end)` and finds its session into `e`; returns a drop or null. */
function parse(c: TranslateContext, buf: Uint8Array, p: number, end: number): Outcome | null {
  const mapped = mapIcmp6Error(buf[p]!, buf[p + 1]!);
  const rest = mapped < 0 ? -1 : rest4(c, buf, p);
  if (rest < 0) return c.drop('icmp-untranslatable');
  const i = p + 8;
  if (end - i < 40 || buf[i]! >> 4 !== 6) return c.drop('icmp-error-inner');
  e.hasLen = buf[p] === 1 || buf[p] === 3;
  e.extStart = e.hasLen ? datagramEnd(i, end, buf[p + 4]!, 8) : end;
  // Padding after the quoted datagram (RFC 4884 §4) is not datagram data.
  e.dEnd = Math.min(e.extStart, i + 40 + u16(buf, i + 4));
  const rem4 = extractIpv4(c.prefix, buf, i + 8);
  if (rem4 < 0) return c.drop('icmp-error-inner');
  // The quoted chain through wire's walk; only a Fragment header may precede
  // the transport (other extension headers: untranslatable, F5).
  if (e.dEnd < i + 40 || walkIpv6Chain(buf, i, e.dEnd, inner) !== IPV6_CHAIN_OK || inner.exts !== 0) return c.drop('icmp-error-inner');
  const ip = inner.upper;
  const nh = inner.nh;
  e.id4 = 0;
  e.fragWord = 0;
  e.later = false;
  if (inner.frag >= 0) {
    // §5.3: the inner Fragment header becomes the inner IPv4 fragment fields (§5.1.1).
    const f = inner.frag;
    e.id4 = u16(buf, f + 6);
    e.fragWord = (inner.fragOffset >> 3) | ((buf[f + 3]! & 1) << 13);
    if (inner.fragOffset !== 0) return laterFragment(c, buf, i, ip, nh, mapped, rest, rem4);
  }
  const proto = innerProto(nh, buf, ip, e.dEnd);
  if (proto < 0) return c.drop('icmp-error-inner');
  e.ulLen = u16(buf, i + 4) - (ip - i - 40);
  // An ICMPv6 first fragment's checksum counted the whole message (§5.2, RFC
  // 8200 §8.1): its length is in the datagram's `sent6` entry when known.
  if (proto === ICMP && (e.fragWord & 0x2000) !== 0) wholeLength(c, buf, i, ip);
  const sp = proto === ICMP ? u16(buf, ip + 4) : u16(buf, ip);
  const dp = proto === ICMP ? sp : u16(buf, ip + 2);
  const h = c.state.findOutbound(proto as Proto, buf, i + 24, dp, rem4, sp);
  if (h < 0) return c.drop('icmp-error-no-session');
  e.addr4 = c.state.addr4(h);
  e.port4 = c.state.port4(h);
  e.i = i;
  e.ip = ip;
  e.mapped = mapped;
  e.rest = rest;
  e.proto = proto;
  e.rem4 = rem4;
  return null;
}

/**
 * The inner packet is a later fragment (no ports, F5): its datagram's entry in
 * `sent6` (made when it left 4→6 as fragments) gives the pool4 address;
 * unknown datagrams are dropped. 8 parameters: error path, no descriptor allocation.
 */
function laterFragment(
  c: TranslateContext, buf: Uint8Array, i: number, ip: number, nh: number, mapped: number, rest: number, rem4: number,
): Outcome | null {
  const s = c.sent6;
  copyBytes(s.key, 0, buf, i + 8, 32);
  copyBytes(s.key, 32, buf, ip - 4, 4);
  s.key[36] = nh;
  const slot = s.find();
  if (slot < 0) return c.drop('icmp-error-no-session');
  e.addr4 = u32(s.values, slot * s.valLen);
  e.later = true;
  e.i = i;
  e.ip = ip;
  e.mapped = mapped;
  e.rest = rest;
  e.proto = nh === 58 ? ICMP : nh;
  e.rem4 = rem4;
  return null;
}

/** Sets `e.ulLen` from the `sent6` entry of the inner first fragment's datagram (Fragment header at `ip - 8`), when there is one. */
function wholeLength(c: TranslateContext, buf: Uint8Array, i: number, ip: number): void {
  const s = c.sent6;
  copyBytes(s.key, 0, buf, i + 8, 32);
  copyBytes(s.key, 32, buf, ip - 4, 4);
  s.key[36] = 58;
  const slot = s.find();
  const whole = slot < 0 ? 0 : u16(s.values, slot * s.valLen + 4);
  if (whole > 0) e.ulLen = whole;
}

/**
 * Translates the ICMPv6 error at `buf[p..end)` of the IPv6 packet at `off`.
 * 7 parameters: hot-path shape, see translate6to4.
 */
export function translateIcmp6Error(
  c: TranslateContext, buf: Uint8Array, off: number, p: number, end: number, out: Uint8Array, outOff: number,
): Outcome {
  const bad = parse(c, buf, p, end);
  if (bad !== null) return bad;
  const { ip, dEnd, extStart } = e;
  const o = outOff;
  const extLen = extStart < end ? end - extStart : -1;
  const plan = planExtension(20 + dEnd - ip, extLen, Math.min(ICMP4_ERROR_MAX, out.length - o) - 28, 4);
  const innerLen = Math.floor(plan / 1024);
  const lenField = plan % 1024;
  if (innerLen < 28) return c.drop('out-too-small');
  writeInner(buf, out, o, innerLen);
  let total = 28 + innerLen;
  if (lenField > 0) {
    const padded = lenField * 4;
    out.fill(0, o + 28 + innerLen, o + 28 + padded);
    copyBytes(out, o + 28 + padded, buf, extStart, extLen);
    total = 28 + padded + extLen;
  }
  writeOuter(c, buf, off, out, o, total, e.rest | (e.hasLen ? lenField << 16 : 0));
  c.counters.icmpErrorsTranslated++;
  c.counters.packetsOut4++;
  c.counters.bytesOut4 += total;
  return c.one(o, total);
}

/** Inner IPv4 header (§5.3: DF 0, TTL = hop limit, not decremented) and the translated quoted transport. */
function writeInner(buf: Uint8Array, out: Uint8Array, o: number, innerLen: number): void {
  const { i, ip, proto, rem4, addr4 } = e;
  // Inner packet first, while the IPv6 original is intact.
  const extra = ip - i - 40; // an inner Fragment header
  copyBytes(out, o + 48, buf, ip, innerLen - 20);
  if (!e.later) fixInner(buf, i, out, o + 48, innerLen - 20, proto, rem4, addr4, e.port4, e.ulLen);
  writeIpv4Header(out, o + 28, 20 + u16(buf, i + 4) - extra, e.id4, buf[i + 7]!, proto === ICMP ? 1 : proto, rem4);
  setU16(out, o + 34, e.fragWord);
  out[o + 29] = ((buf[i]! & 0x0f) << 4) | (buf[i + 1]! >> 4);
  setU32(out, o + 44, addr4);
  setU16(out, o + 38, finish(sum(out, o + 28, o + 48)));
}

/**
 * Outer ICMPv4 header with `rest` (MTU, pointer, RFC 4884 length in byte 5,
 * 32-bit units) and outer IPv4 header. §5.3 / RFC 6146 §3.5.3: the source is
 * the session's pool4 address when the client itself reports; otherwise the
 * RFC 6791 pool (F10). 7 parameters: error path, no descriptor allocation.
 */
function writeOuter(c: TranslateContext, buf: Uint8Array, off: number, out: Uint8Array, o: number, total: number, rest: number): void {
  out[o + 20] = e.mapped >> 8;
  out[o + 21] = e.mapped & 0xff;
  setU16(out, o + 22, 0);
  setU32(out, o + 24, rest);
  setU16(out, o + 22, finish(sum(out, o + 20, o + total)));
  const src4 = bytesEqual(buf, off + 8, buf, e.i + 24, 16) ? e.addr4 : rfc6791Source(c, buf, off);
  writeIpv4Header(out, o, total, c.nextId(), buf[off + 7]! - 1, 1, src4);
  out[o + 1] = ((buf[off]! & 0x0f) << 4) | (buf[off + 1]! >> 4);
  setU32(out, o + 16, e.rem4);
  setU16(out, o + 10, finish(sum(out, o, o + 20)));
}

/**
 * RFC 6791 §3: an IPv4 source from the pool for an ICMPv6 error whose IPv6
 * source cannot be mapped, "chosen randomly or by a hash". A hash of the whole
 * IPv6 source (FNV-1a over its four words, then a finalizer so that sources
 * differing in one bit spread over the pool) keeps one router on one address,
 * so a traceroute hop looks the same on every probe; different routers mostly
 * get different addresses, as §3 asks for traceroute. An empty pool gives the
 * translator's own address. No allocation: integer math and a walk over the
 * pool's few runs.
 */
function rfc6791Source(c: TranslateContext, buf: Uint8Array, off: number): number {
  const size = c.cfg.rfc6791Size;
  if (size === 0) return c.cfg.ipv4Address;
  let h = 0x811c9dc5;
  h = Math.imul(h ^ u32(buf, off + 8), 0x01000193);
  h = Math.imul(h ^ u32(buf, off + 12), 0x01000193);
  h = Math.imul(h ^ u32(buf, off + 16), 0x01000193);
  h = Math.imul(h ^ u32(buf, off + 20), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h ^= h >>> 16;
  let k = (h >>> 0) % size;
  const pool = c.cfg.rfc6791Pool;
  for (let i = 0; i < pool.length; i++) {
    const r = pool[i]!;
    if (k < r.count) return (r.first + k) >>> 0;
    k -= r.count;
  }
  return c.cfg.ipv4Address; // unreachable: k < size = Σ count
}

/**
 * Rewrites the copied inner transport header at `out[q..q+n)`: destination
 * port/identifier (the client's) → pool4 port, checksum for the IPv4
 * pseudo-header. The IPv6 inner header is still at `buf[i]`; `l4Len` is
 * the upper-layer length its ICMPv6 checksum counted. 10 parameters: hot-path shape.
 */
function fixInner(
  buf: Uint8Array, i: number, out: Uint8Array, q: number, n: number, proto: number, rem4: number, addr4: number, port4: number, l4Len: number,
): void {
  if (proto === ICMP) {
    const type = out[q]!;
    const code = out[q + 1]!;
    const type4 = type === 128 ? 8 : 0;
    const id = u16(out, q + 4);
    out[q] = type4;
    setU16(out, q + 4, port4);
    if (n >= 4) {
      const old = fold(pseudoHeaderSum6(buf, i + 8, i + 24, 58, l4Len) + ((type << 8) | code) + id);
      setU16(out, q + 2, adjust(u16(out, q + 2), old, fold(((type4 << 8) | code) + port4)));
    }
    return;
  }
  const dp = u16(out, q + 2);
  setU16(out, q + 2, port4);
  const csOff = proto === 6 ? 16 : 6;
  if (n < csOff + 2) return;
  const cs = u16(out, q + csOff);
  if (proto === 17 && cs === 0) return;
  const fixed = adjust(cs, fold(addressSum6(buf, i + 8, i + 24) + dp), fold(addressSum4(rem4, addr4) + port4));
  setU16(out, q + csOff, proto === 17 && fixed === 0 ? 0xffff : fixed);
}
