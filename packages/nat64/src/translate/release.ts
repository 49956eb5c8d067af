/**
 * Releases held out-of-order fragments (fragment-hold.ts) right after their
 * first fragment was translated: the first fragment's result and every held
 * fragment translated behind it become one `forward-many` outcome in `out`.
 */
import type { TranslateContext } from './context.js';
import { translate4to6 } from './ipv4-to-ipv6.js';
import { translate6to4 } from './ipv6-to-ipv4.js';
import { MAX_FRAGMENTS, type Outcome } from './outcome.js';

/** Headroom used in the release buffer (IPv4 → IPv6 with a Fragment header needs 28). */
const ROOM = 64;

/** Appends one translated packet (already in `out` or copied from `buf`) to the release list. */
function push(c: TranslateContext, n: number, offset: number, length: number): number {
  c.relOffsets[n] = offset;
  c.relLengths[n] = length;
  return n + 1;
}

/**
 * `r` is the outcome of a first fragment whose tracking entry was just
 * created. 5 parameters: called once per first fragment with held followers.
 */
export function releaseHeld(c: TranslateContext, r: Outcome, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  const family = c.hold.matchFamily;
  c.hold.matchFamily = 0;
  let n = 0;
  let o = outOff;
  if (r.kind === 'forward') {
    if (outOff + r.length > out.length) return r;
    out.set(buf.subarray(r.offset, r.offset + r.length), outOff);
    n = push(c, n, outOff, r.length);
    o += r.length;
  } else if (r.kind === 'forward-many') {
    for (let k = 0; k < r.count; k++) n = push(c, n, r.offsets[k]!, r.lengths[k]!);
    o = r.offsets[r.count - 1]! + r.lengths[r.count - 1]!;
  } else return r;
  const rb = c.releaseBuf;
  for (let i = c.hold.nextMatch(family); i >= 0 && n < MAX_FRAGMENTS; i = c.hold.nextMatch(family)) {
    const len = c.hold.take(i, rb, ROOM);
    const x = family === 6 ? translate6to4(c, rb, ROOM, len, out, o) : translate4to6(c, rb, ROOM, len, out, o);
    if (x.kind === 'forward') {
      if (o + x.length > out.length) {
        c.counters.drops['out-too-small']++;
        continue;
      }
      out.set(rb.subarray(x.offset, x.offset + x.length), o);
      n = push(c, n, o, x.length);
      o += x.length;
    } else if (x.kind === 'forward-many') {
      for (let k = 0; k < x.count && n < MAX_FRAGMENTS; k++) n = push(c, n, x.offsets[k]!, x.lengths[k]!);
      o = x.offsets[x.count - 1]! + x.lengths[x.count - 1]!;
    }
  }
  const m = c.many;
  m.count = n;
  m.offsets.set(c.relOffsets.subarray(0, n));
  m.lengths.set(c.relLengths.subarray(0, n));
  return m;
}
