/**
 * Fragmenting built packets, to make IPv4 fragments (RFC 791 §3.2) and IPv6
 * fragments (RFC 8200 §4.5) whose reassembly is the original packet, with the
 * original, whole-datagram transport checksum.
 */
import { IP_PROTOCOL, Ipv4Header, Ipv6Header, isWireError, setU16, setU32, setU8, u8 } from './oracle/index.js';
import { type Packet, type Room, allocPacket, packetAt } from './packet.js';

/**
 * Splits an IPv4 packet into fragments carrying at most `maxPayload` data
 * bytes each (rounded down to a multiple of 8). Options are copied into every
 * fragment; DF is cleared. A packet that is already a fragment is split
 * further (offsets and MF are kept consistent).
 */
export function fragmentIpv4(p: Packet, maxPayload: number, room: Room = {}): Packet[] {
  const ip = Ipv4Header.check(p.buf, p.off, p.len, undefined, 'ignore');
  if (isWireError(ip)) throw new Error(`fragmentIpv4: ${ip.toString()}`);
  const hl = ip.headerLength;
  const data = ip.payload();
  const chunk = maxPayload & ~7;
  if (chunk <= 0) throw new RangeError('fragmentIpv4: maxPayload must be at least 8');
  const out: Packet[] = [];
  for (let at = 0; at < data.length || at === 0; at += chunk) {
    const part = data.subarray(at, at + chunk);
    const { buf, off } = allocPacket(hl + part.length, room);
    buf.set(p.buf.subarray(p.off, p.off + hl), off);
    buf.set(part, off + hl);
    const f = new Ipv4Header(buf, off, hl + part.length);
    f.totalLength = hl + part.length;
    f.dontFragment = false;
    f.fragmentOffset = ip.fragmentOffset + at / 8;
    f.moreFragments = at + chunk < data.length || ip.moreFragments;
    f.fillChecksum();
    out.push(packetAt(buf, off, hl + part.length));
    if (data.length === 0) break;
  }
  return out;
}

/** Offset (from the packet start) where the fragmentable part begins, and the offset of the next-header byte that points to it. */
function unfragmentable(ip: Ipv6Header): { end: number; nhAt: number } {
  const b = ip.buf;
  let nh = ip.nextHeader;
  let i = ip.off + 40;
  let end = i;
  let endNhAt = ip.off + 6;
  // RFC 8200 §4.5: Hop-by-Hop, and Destination Options/Routing up to the last Routing header.
  while (nh === IP_PROTOCOL.HOP_BY_HOP || nh === IP_PROTOCOL.IPV6_ROUTE || nh === IP_PROTOCOL.IPV6_DEST_OPTS) {
    const len = (u8(b, i + 1) + 1) * 8;
    if (nh !== IP_PROTOCOL.IPV6_DEST_OPTS) {
      end = i + len;
      endNhAt = i;
    }
    nh = u8(b, i);
    i += len;
  }
  return { end: end - ip.off, nhAt: endNhAt - ip.off };
}

/**
 * Splits an unfragmented IPv6 packet into fragments carrying at most
 * `maxPayload` bytes of the fragmentable part each (rounded down to a
 * multiple of 8), each with a Fragment header (`id`, default 0x12345678).
 * `maxPayload` ≥ the fragmentable part gives one atomic-looking fragment
 * with offset 0 and M clear.
 */
export function fragmentIpv6(p: Packet, maxPayload: number, opts: Room & { id?: number } = {}): Packet[] {
  const ip = Ipv6Header.check(p.buf, p.off, p.len);
  if (isWireError(ip)) throw new Error(`fragmentIpv6: ${ip.toString()}`);
  const { end, nhAt } = unfragmentable(ip);
  const nextHeader = u8(p.buf, p.off + nhAt);
  const data = p.buf.subarray(p.off + end, p.off + ip.len);
  const chunk = maxPayload & ~7;
  if (chunk <= 0) throw new RangeError('fragmentIpv6: maxPayload must be at least 8');
  const out: Packet[] = [];
  for (let at = 0; at === 0 || at < data.length; at += chunk) {
    const part = data.subarray(at, at + chunk);
    const len = end + 8 + part.length;
    const { buf, off } = allocPacket(len, opts);
    buf.set(p.buf.subarray(p.off, p.off + end), off);
    setU8(buf, off + nhAt, IP_PROTOCOL.IPV6_FRAGMENT);
    setU16(buf, off + 4, len - 40);
    const fh = off + end;
    setU8(buf, fh, nextHeader);
    setU8(buf, fh + 1, 0);
    setU16(buf, fh + 2, ((at / 8) << 3) | (at + chunk < data.length ? 1 : 0));
    setU32(buf, fh + 4, opts.id ?? 0x12345678);
    buf.set(part, fh + 8);
    out.push(packetAt(buf, off, len));
    if (at + chunk >= data.length) break;
  }
  return out;
}
