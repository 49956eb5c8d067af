/**
 * RFC 6146 §3.8 hairpinning: the IPv4 result of a 6→4 translation whose
 * destination is a pool4 address goes straight back through 4→6. Used for
 * packets as they arrive and for held fragments as they are released.
 */
import { setU16, u16, update16 } from '@sixgate/wire';
import type { TranslateContext } from './context.js';
import { translate4to6 } from './ipv4-to-ipv6.js';
import type { Outcome } from './outcome.js';

/**
 * `r` is the 6→4 outcome (IPv4 packet in `buf`, or a translated ICMP error in
 * `out`); returns the 4→6 outcome. 5 parameters: hot-path shape.
 */
export function hairpin(c: TranslateContext, r: Outcome, buf: Uint8Array, out: Uint8Array, outOff: number): Outcome {
  c.hairpin = false;
  if (r.kind === 'forward') {
    c.counters.packetsOut4--;
    c.counters.bytesOut4 -= r.length;
    c.counters.hairpinned++;
    // One hop through the translator: give back the TTL the 4→6 pass will take again.
    const h = r.offset;
    const old = u16(buf, h + 8);
    buf[h + 8]!++;
    setU16(buf, h + 10, update16(u16(buf, h + 10), old, u16(buf, h + 8)));
    return translate4to6(c, buf, h, r.length, out, outOff);
  }
  if (r.kind === 'forward-many' && r.count === 1) {
    // An ICMPv6 error about a hairpinned flow (H11): its ICMPv4 form is in
    // `out`; the second translation writes right behind it.
    const o = r.offsets[0]!;
    const l = r.lengths[0]!;
    c.counters.packetsOut4--;
    c.counters.bytesOut4 -= l;
    c.counters.icmpErrorsTranslated--;
    c.counters.hairpinned++;
    return translate4to6(c, out, o, l, out, o + l);
  }
  return r;
}
