/**
 * Releases held fragments (fragment-hold.ts) into one `forward-many`
 * outcome in `out`, in offset order:
 *
 * - out-of-order followers, right after their first fragment was translated
 *   (the first fragment's result comes first);
 * - a whole datagram, once its last missing fragment arrived: the first
 *   fragment is translated with the datagram's upper-layer length (ICMP echo,
 *   RFC 7915 §4.2/§5.2) or the sum of the other fragments' data (IPv4 UDP
 *   checksum 0, §4.5) in the context, then every other fragment follows it.
 *
 * Held IPv6 fragments to a pool4 address are hairpinned like arriving ones.
 */
import { extractIpv4 } from '@sixgate/addressing';
import { copyBytes } from '@sixgate/wire';
import type { TranslateContext } from './context.js';
import { hairpin } from './hairpin.js';
import { translate4to6 } from './ipv4-to-ipv6.js';
import { translate6to4 } from './ipv6-to-ipv4.js';
import { DROP, MAX_FRAGMENTS, type Outcome } from './outcome.js';

/** Headroom used in the release buffer (IPv4 → IPv6 with a Fragment header needs 28). */
const ROOM = 64;

/** Appends one translated packet (already in `out`) to the release list. */
function push(c: TranslateContext, n: number, offset: number, length: number): number {
  c.relOffsets[n] = offset;
  c.relLengths[n] = length;
  return n + 1;
}

/** Fills the forward-many slot from the release list. */
function many(c: TranslateContext, n: number): Outcome {
  const m = c.many;
  m.count = n;
  for (let k = 0; k < n; k++) {
    m.offsets[k] = c.relOffsets[k]!;
    m.lengths[k] = c.relLengths[k]!;
  }
  return m;
}

/** The outcome of a whole datagram's first fragment that was not sent (see `drain`). */
let failed: Outcome = DROP['fragment-no-session'];

/** Translates one held packet now in the release buffer (hairpinning IPv6 to pool4). */
function translateHeld(c: TranslateContext, family: number, len: number, out: Uint8Array, o: number): Outcome {
  const rb = c.releaseBuf;
  if (family === 4) return translate4to6(c, rb, ROOM, len, out, o);
  c.hairpin = false;
  const x = translate6to4(c, rb, ROOM, len, out, o);
  return c.hairpin ? hairpin(c, x, rb, out, o) : x;
}

/**
 * Translates the held fragments of `family` matching the hold's `matchKey`,
 * lowest offset first, into `out` from `o`, appending to the release list
 * from `n`; returns the new count. With
 * `whole`, a first fragment that is not forwarded takes the rest with it
 * (0 returned, its outcome in `failed`). 6 parameters: fragment path.
 */
function drain(c: TranslateContext, family: number, n: number, o: number, out: Uint8Array, whole: boolean): number {
  const hold = c.hold;
  const rb = c.releaseBuf;
  c.releasing = true;
  failed = DROP['fragment-no-session'];
  for (let i = hold.nextMatch(family); i >= 0 && n < MAX_FRAGMENTS; i = hold.nextMatch(family)) {
    const x = translateHeld(c, family, hold.take(i, rb, ROOM), out, o);
    if (x.kind === 'forward') {
      if (o + x.length > out.length) {
        c.counters.drops['out-too-small']++;
        continue;
      }
      copyBytes(out, o, rb, x.offset, x.length);
      n = push(c, n, o, x.length);
      o += x.length;
    } else if (x.kind === 'forward-many') {
      for (let k = 0; k < x.count && n < MAX_FRAGMENTS; k++) n = push(c, n, x.offsets[k]!, x.lengths[k]!);
      o = x.offsets[x.count - 1]! + x.lengths[x.count - 1]!;
    } else if (whole && n === 0) {
      // Refused (policy, state, TTL …): its fragments share its fate and its reason.
      c.counters.drops[x.reason] += hold.discard(hold.matchKey, hold.matchLen, family);
      failed = x;
      break;
    }
  }
  c.releasing = false;
  return n;
}

/**
 * Called by `Translator.translate` when the hold has something pending: `r`
 * is the outcome of the packet just translated (a first fragment whose
 * followers were held, or the fragment that completed a whole datagram).
 * 5 parameters: called once per such packet.
 */
export function releaseHeld(c: TranslateContext, r: Outcome, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  const family = c.hold.matchFamily;
  if (c.hold.matchWhole) return releaseWhole(c, family, out, outOff);
  let n = 0;
  let o = outOff;
  if (r.kind === 'forward' && outOff + r.length <= out.length) {
    copyBytes(out, outOff, buf, r.offset, r.length);
    n = push(c, n, outOff, r.length);
    o += r.length;
  } else if (r.kind === 'forward-many') {
    for (let k = 0; k < r.count; k++) n = push(c, n, r.offsets[k]!, r.lengths[k]!);
    o = r.offsets[r.count - 1]! + r.lengths[r.count - 1]!;
  } else {
    c.hold.matchFamily = 0;
    return r;
  }
  // matchFamily stays set while draining: a first fragment translated again does not re-note.
  n = drain(c, family, n, o, out, false);
  c.hold.matchFamily = 0;
  return many(c, n);
}

/**
 * Releases the complete datagram of `family` in the hold: bounded first (every
 * fragment may become IPv6 pieces of `lowestIpv6Mtu` with a 48-byte header;
 * beyond MAX_FRAGMENTS or `out` the whole datagram is a counted drop).
 */
function releaseWhole(c: TranslateContext, family: number, out: Uint8Array, outOff: number): Outcome {
  const hold = c.hold;
  hold.matchWhole = false;
  hold.sums(family);
  const splits = family === 4 || c.state.isPool4(extractIpv4(c.prefix, hold.matchKey, 16) | 0);
  const most = hold.count + (splits ? Math.floor(hold.bytes / (((c.cfg.lowestIpv6Mtu - 48) >> 3) << 3)) : 0);
  if (most > MAX_FRAGMENTS || outOff + hold.bytes + most * 48 > out.length) {
    c.counters.drops['out-too-small'] += hold.discard(hold.matchKey, hold.matchLen, family) - 1;
    hold.matchFamily = 0;
    return c.drop('out-too-small');
  }
  c.wholeLen = hold.total;
  c.restSum = hold.restSum;
  const n = drain(c, family, 0, outOff, out, true);
  c.wholeLen = -1;
  hold.matchFamily = 0;
  return n === 0 ? failed : many(c, n);
}
