/**
 * IPv6 fragmentation of translated IPv4 DF=0 packets (RFC 7915 §4.1: "the
 * translator MUST fragment ... so that the resulting IPv6 packets do not
 * exceed `lowest-ipv6-mtu`"; RFC 8200 §4.5). The translated packet at
 * `buf[h6..h6+total)` (optionally with a Fragment header already, when the
 * IPv4 packet was itself a fragment) is cut into pieces whose data length is
 * a multiple of 8, written back to back into `out`. Every piece carries the
 * IPv4 Identification as Fragment ID (Jool ck), offsets continue from the
 * original fragment offset, and M stays set on the last piece when the
 * original had MF.
 */
import { copyBytes, setU16, setU32, u16 } from '@sixgate/wire';
import type { TranslateContext } from './context.js';
import { MAX_FRAGMENTS, type Outcome } from './outcome.js';

/** 7 parameters: hot-path shape, no descriptor allocation. */
export function fragment6(c: TranslateContext, buf: Uint8Array, h6: number, total: number, id: number, out: Uint8Array, outOff: number): Outcome {
  const hasFrag = buf[h6 + 6] === 44;
  const nh = hasFrag ? buf[h6 + 40]! : buf[h6 + 6]!;
  const baseOff = hasFrag ? u16(buf, h6 + 42) & 0xfff8 : 0;
  const moreAfter = hasFrag && (buf[h6 + 43]! & 1) === 1;
  const data = h6 + (hasFrag ? 48 : 40);
  const dataLen = h6 + total - data;
  const max = ((c.cfg.lowestIpv6Mtu - 48) >> 3) << 3;
  const n = Math.ceil(dataLen / max);
  if (n > MAX_FRAGMENTS) return c.drop('bad-header');
  if (outOff + n * 48 + dataLen > out.length) return c.drop('out-too-small');
  const m = c.many;
  let o = outOff;
  for (let k = 0, pos = 0; k < n; k++, pos += max) {
    const chunk = Math.min(max, dataLen - pos);
    copyBytes(out, o, buf, h6, 8);
    copyBytes(out, o + 8, buf, h6 + 8, 32);
    setU16(out, o + 4, 8 + chunk);
    out[o + 6] = 44;
    out[o + 40] = nh;
    out[o + 41] = 0;
    setU16(out, o + 42, (baseOff + pos) | (k < n - 1 || moreAfter ? 1 : 0));
    setU32(out, o + 44, id);
    copyBytes(out, o + 48, buf, data + pos, chunk);
    m.offsets[k] = o;
    m.lengths[k] = 48 + chunk;
    o += 48 + chunk;
  }
  m.count = n;
  c.counters.fragmentsMade += n;
  c.counters.packetsOut6 += n;
  c.counters.bytesOut6 += o - outOff;
  return m;
}
