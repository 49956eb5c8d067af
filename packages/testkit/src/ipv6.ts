/**
 * IPv6 packet builders: fixed header, optional extension headers (including a
 * Fragment header), and a UDP, TCP or ICMPv6 upper layer, all with correct
 * lengths and checksums. A mutator callback sees the views before checksums
 * are filled, so a variant is still a valid packet unless it sets
 * `keepChecksums`.
 */
import { parseIpv6 } from '@sixgate/addressing';
import {
  IP_PROTOCOL,
  Icmpv6Header,
  Ipv6Header,
  TcpHeader,
  UdpHeader,
  emitIpv6Header,
  setU16,
  setU32,
  setU8,
} from './oracle/index.js';
import { type Packet, type Room, allocPacket, packetAt } from './packet.js';
import {
  type IcmpSpec,
  type TcpSpec,
  type UdpSpec,
  fillTransportChecksum,
  icmpLength,
  tcpLength,
  udpLength,
  writeIcmp,
  writeTcp,
  writeUdp,
} from './transport.js';

/** One extension header to insert, in order, between the fixed header and the upper layer. */
export type Ipv6ExtSpec =
  /** Hop-by-Hop (0), Destination Options (60), Mobility (135), HIP (139), Shim6 (140): `length` bytes (multiple of 8, default 8) of PadN. */
  | { type: 0 | 60 | 135 | 139 | 140; length?: number }
  /** Routing (43): `routingType` (default 253, experimental), `segmentsLeft` (default 0), `length` (default 8). */
  | { type: 43; routingType?: number; segmentsLeft?: number; length?: number }
  /** Fragment (44): `offset` in 8-octet units (default 0), `more` (M, default false), `id` (default 0x12345678). */
  | { type: 44; offset?: number; more?: boolean; id?: number }
  /** Authentication Header (51): `length` bytes (multiple of 8, ≥ 16, default 16). */
  | { type: 51; length?: number };

/** IPv6 header fields for a builder. Addresses are text. */
export interface Ipv6Spec extends Room {
  /** Source address, e.g. `'2001:db8::1'`. */
  src: string;
  /** Destination address, e.g. `'64:ff9b::c633:6402'`. */
  dst: string;
  /** Hop Limit (default 64). */
  hopLimit?: number;
  /** Traffic Class (default 0). */
  tc?: number;
  /** Flow Label (default 0). */
  flowLabel?: number;
  /** Extension headers, in order (default none). */
  ext?: readonly Ipv6ExtSpec[];
}

/** What a mutator sees: the buffer and views over the built packet. */
export interface Ipv6Ctx {
  /** The packet's buffer. */
  readonly buf: Uint8Array;
  /** Offset of the IPv6 header in `buf`. */
  readonly off: number;
  /** The IPv6 header. */
  readonly ip: Ipv6Header;
  /** Offset of the upper-layer header in `buf`. */
  readonly upperOffset: number;
  /** Set to true to keep the checksums as the mutator left them. */
  keepChecksums: boolean;
}
/** Mutator context of `buildIpv6Udp`. */
export interface Ipv6UdpCtx extends Ipv6Ctx {
  /** The UDP header. */
  readonly udp: UdpHeader;
}
/** Mutator context of `buildIpv6Tcp`. */
export interface Ipv6TcpCtx extends Ipv6Ctx {
  /** The TCP header. */
  readonly tcp: TcpHeader;
}
/** Mutator context of `buildIpv6Icmp`. */
export interface Ipv6IcmpCtx extends Ipv6Ctx {
  /** The ICMPv6 header. */
  readonly icmp: Icmpv6Header;
}

function extLength(e: Ipv6ExtSpec): number {
  if (e.type === 44) return 8;
  if (e.type === 51) return e.length ?? 16;
  return e.length ?? 8;
}

/** Writes extension header `e` at `i` with next header `nh`. */
function writeExt(e: Ipv6ExtSpec, nh: number, buf: Uint8Array, i: number): void {
  const len = extLength(e);
  buf.fill(0, i, i + len);
  setU8(buf, i, nh);
  switch (e.type) {
    case 44:
      setU16(buf, i + 2, (((e.offset ?? 0) & 0x1fff) << 3) | (e.more ? 1 : 0));
      setU32(buf, i + 4, e.id ?? 0x12345678);
      return;
    case 51:
      setU8(buf, i + 1, len / 4 - 2);
      setU32(buf, i + 4, 0x100); // SPI
      setU32(buf, i + 8, 1); // sequence number
      return;
    case 43:
      setU8(buf, i + 1, len / 8 - 1);
      setU8(buf, i + 2, e.routingType ?? 253);
      setU8(buf, i + 3, e.segmentsLeft ?? 0);
      return;
    default:
      setU8(buf, i + 1, len / 8 - 1);
      setU8(buf, i + 2, 1); // PadN over the rest
      setU8(buf, i + 3, len - 4);
  }
}

/**
 * Lays out header + extension headers for an upper layer `proto` of
 * `upperLen` bytes; returns the buffer, packet offset and upper-layer offset.
 */
function layout(spec: Ipv6Spec, proto: number, upperLen: number): { buf: Uint8Array; off: number; upper: number; len: number } {
  const exts = spec.ext ?? [];
  const extLen = exts.reduce((n, e) => n + extLength(e), 0);
  const len = 40 + extLen + upperLen;
  const { buf, off } = allocPacket(len, spec);
  emitIpv6Header(
    {
      srcAddr: parseIpv6(spec.src),
      dstAddr: parseIpv6(spec.dst),
      nextHeader: exts[0]?.type ?? proto,
      hopLimit: spec.hopLimit ?? 64,
      trafficClass: spec.tc ?? 0,
      flowLabel: spec.flowLabel ?? 0,
      payloadLength: extLen + upperLen,
    },
    buf,
    off,
  );
  let i = off + 40;
  exts.forEach((e, k) => {
    writeExt(e, exts[k + 1]?.type ?? proto, buf, i);
    i += extLength(e);
  });
  return { buf, off, upper: i, len };
}

function finish<C extends Ipv6Ctx>(ctx: C, len: number, mutate: ((c: C) => void) | undefined, fill: (c: C) => void): Packet {
  mutate?.(ctx);
  if (!ctx.keepChecksums) fill(ctx);
  return packetAt(ctx.buf, ctx.off, len);
}

/** Builds an IPv6 packet with upper-layer protocol `nextHeader` and raw `payload` (no checksum filled). */
export function buildIpv6(spec: Ipv6Spec & { nextHeader: number; payload?: Uint8Array }, mutate?: (c: Ipv6Ctx) => void): Packet {
  const payload = spec.payload ?? new Uint8Array(0);
  const { buf, off, upper, len } = layout(spec, spec.nextHeader, payload.length);
  buf.set(payload, upper);
  const ctx: Ipv6Ctx = { buf, off, ip: new Ipv6Header(buf, off, len), upperOffset: upper, keepChecksums: false };
  return finish(ctx, len, mutate, () => undefined);
}

/** Builds IPv6 + UDP with a valid checksum (RFC 8200 §8.1 pseudo-header). */
export function buildIpv6Udp(spec: Ipv6Spec & UdpSpec, mutate?: (c: Ipv6UdpCtx) => void): Packet {
  const { buf, off, upper, len } = layout(spec, IP_PROTOCOL.UDP, udpLength(spec));
  writeUdp(spec, buf, upper);
  const ip = new Ipv6Header(buf, off, len);
  const ctx: Ipv6UdpCtx = { buf, off, ip, upperOffset: upper, keepChecksums: false, udp: new UdpHeader(buf, upper, off + len - upper) };
  return finish(ctx, len, mutate, (c) => {
    const n = c.off + len - c.upperOffset;
    fillTransportChecksum(IP_PROTOCOL.UDP, c.buf, c.upperOffset, n, c.ip.pseudoHeaderSum(IP_PROTOCOL.UDP, n));
  });
}

/** Builds IPv6 + TCP with a valid checksum. */
export function buildIpv6Tcp(spec: Ipv6Spec & TcpSpec, mutate?: (c: Ipv6TcpCtx) => void): Packet {
  const { buf, off, upper, len } = layout(spec, IP_PROTOCOL.TCP, tcpLength(spec));
  writeTcp(spec, buf, upper);
  const ip = new Ipv6Header(buf, off, len);
  const ctx: Ipv6TcpCtx = { buf, off, ip, upperOffset: upper, keepChecksums: false, tcp: new TcpHeader(buf, upper, off + len - upper) };
  return finish(ctx, len, mutate, (c) => {
    const n = c.off + len - c.upperOffset;
    fillTransportChecksum(IP_PROTOCOL.TCP, c.buf, c.upperOffset, n, c.ip.pseudoHeaderSum(IP_PROTOCOL.TCP, n));
  });
}

/** Builds IPv6 + ICMPv6 (echo request by default; errors quote `payload`) with a valid checksum. */
export function buildIpv6Icmp(spec: Ipv6Spec & IcmpSpec, mutate?: (c: Ipv6IcmpCtx) => void): Packet {
  const { buf, off, upper, len } = layout(spec, IP_PROTOCOL.ICMPV6, icmpLength(spec));
  writeIcmp(spec, true, buf, upper);
  const ip = new Ipv6Header(buf, off, len);
  const ctx: Ipv6IcmpCtx = { buf, off, ip, upperOffset: upper, keepChecksums: false, icmp: new Icmpv6Header(buf, upper, off + len - upper) };
  return finish(ctx, len, mutate, (c) => {
    const n = c.off + len - c.upperOffset;
    c.icmp.reset(c.buf, c.upperOffset, n).fillChecksum(c.ip.pseudoHeaderSum(IP_PROTOCOL.ICMPV6, n));
  });
}
