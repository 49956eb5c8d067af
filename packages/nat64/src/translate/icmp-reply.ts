/**
 * ICMP errors the translator originates itself (not translated ones): time
 * exceeded, parameter problem, destination unreachable, packet too big /
 * fragmentation needed. Built into the caller's `out` buffer, quoting as much
 * of the offending packet as the minimum MTU allows (RFC 4443 §2.4(c): an
 * ICMPv6 error fits in 1280 bytes; RFC 1812 §4.3.2.3: ICMPv4 errors up to 576).
 */
import { copyBytes, finish, pseudoHeaderSum6, setU16, setU32, sum } from '@sixgate/wire';
import type { DropReason } from '../metrics.js';
import type { TranslateContext } from './context.js';
import type { Outcome } from './outcome.js';

/** Largest ICMPv6 error (RFC 4443 §2.4(c)). */
export const ICMP6_ERROR_MAX = 1280;
/** Largest ICMPv4 error (RFC 1812 §4.3.2.3). */
export const ICMP4_ERROR_MAX = 576;

/**
 * ICMPv6 error `type`/`code` with the 32-bit `param` (pointer or MTU) to the
 * source of the IPv6 packet at `buf[off..off+len)`, from prefix + own IPv4.
 * Hot-path-shaped: 10 parameters instead of an allocated descriptor.
 */
export function replyIcmp6(
  c: TranslateContext, buf: Uint8Array, off: number, len: number,
  type: number, code: number, param: number, out: Uint8Array, outOff: number, reason: DropReason,
): Outcome {
  // RFC 4443 §2.4(e): never to a multicast or unspecified source.
  if (buf[off + 8] === 0xff || isZero16(buf, off + 8)) return c.drop(reason);
  if (!c.icmpLimit.allow6(buf, off + 8)) return c.drop('icmp-rate-limited');
  const room = out.length - outOff - 48;
  const quote = Math.min(len, ICMP6_ERROR_MAX - 48, room);
  if (quote < 40) return c.drop('out-too-small');
  const o = outOff;
  setU32(out, o, 0x60000000);
  setU16(out, o + 4, 8 + quote);
  out[o + 6] = 58;
  out[o + 7] = c.cfg.ownHopLimit;
  copyBytes(out, o + 8, c.own6, 0, 16);
  copyBytes(out, o + 24, buf, off + 8, 16);
  out[o + 40] = type;
  out[o + 41] = code;
  setU16(out, o + 42, 0);
  setU32(out, o + 44, param);
  copyBytes(out, o + 48, buf, off, quote);
  const ps = pseudoHeaderSum6(out, o + 8, o + 24, 58, 8 + quote);
  setU16(out, o + 42, finish(sum(out, o + 40, o + 48 + quote, ps)));
  return replied(c, o, 48 + quote, reason);
}

/**
 * ICMPv4 error `type`/`code` with the 32-bit `rest` word (pointer, MTU) to
 * the source of the IPv4 packet at `buf[off..off+len)`, from the
 * translator's IPv4 address. Hot path: 10 parameters, see replyIcmp6.
 */
export function replyIcmp4(
  c: TranslateContext, buf: Uint8Array, off: number, len: number,
  type: number, code: number, rest: number, out: Uint8Array, outOff: number, reason: DropReason,
): Outcome {
  const src = buf[off + 12]!;
  // RFC 1812 §4.3.2.7: not to 0/8, loopback, multicast or broadcast sources.
  if (src === 0 || src === 127 || src >= 224) return c.drop(reason);
  if (!c.icmpLimit.allow4(buf, off + 12)) return c.drop('icmp-rate-limited');
  const room = out.length - outOff - 28;
  const quote = Math.min(len, ICMP4_ERROR_MAX - 28, room);
  if (quote < 20) return c.drop('out-too-small');
  const o = outOff;
  writeIpv4Header(out, o, 28 + quote, c.nextId(), c.cfg.ownHopLimit, 1, c.cfg.ipv4Address);
  copyBytes(out, o + 16, buf, off + 12, 4);
  setU16(out, o + 10, finish(sum(out, o, o + 20)));
  out[o + 20] = type;
  out[o + 21] = code;
  setU16(out, o + 22, 0);
  setU32(out, o + 24, rest);
  copyBytes(out, o + 28, buf, off, quote);
  setU16(out, o + 22, finish(sum(out, o + 20, o + 28 + quote)));
  return replied(c, o, 28 + quote, reason);
}

/**
 * Writes an option-less IPv4 header (DF=0, TOS 0, checksum 0, destination
 * left to the caller). 7 parameters: builder used on error paths.
 */
export function writeIpv4Header(out: Uint8Array, o: number, total: number, id: number, ttl: number, proto: number, src: number): void {
  setU32(out, o, 0x45000000 | total);
  setU32(out, o + 4, id << 16);
  out[o + 8] = ttl;
  out[o + 9] = proto;
  setU16(out, o + 10, 0);
  setU32(out, o + 12, src);
}

function replied(c: TranslateContext, offset: number, length: number, reason: DropReason): Outcome {
  c.counters.drops[reason]++;
  c.counters.icmpErrorsSent++;
  const r = c.reply;
  r.offset = offset;
  r.length = length;
  r.reason = reason;
  return r;
}

/** Whether the 16 bytes at `buf[off]` are all zero. */
export function isZero16(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0) return false;
  return true;
}
