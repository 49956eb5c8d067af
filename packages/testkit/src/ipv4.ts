/**
 * IPv4 packet builders: header (optionally with options and fragment fields)
 * and a UDP, TCP or ICMPv4 upper layer, with correct lengths and checksums.
 * A mutator callback sees the views before checksums are filled, so a variant
 * is still a valid packet unless it sets `keepChecksums`.
 */
import { parseIpv4 } from '@sixgate/addressing';
import { IP_PROTOCOL, Icmpv4Header, Ipv4Header, TcpHeader, UdpHeader, emitIpv4Header, ipv4HeaderLength } from './oracle/index.js';
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

/** IPv4 header fields for a builder. Addresses are text. */
export interface Ipv4Spec extends Room {
  /** Source address, e.g. `'192.0.2.1'`. */
  src: string;
  /** Destination address, e.g. `'198.51.100.2'`. */
  dst: string;
  /** Time to Live (default 64). */
  ttl?: number;
  /** Type of Service (default 0). */
  tos?: number;
  /** Identification (default 0x1234). Named in full: `id` is the ICMP echo identifier. */
  identification?: number;
  /** Don't Fragment (default true, as most modern stacks send). */
  df?: boolean;
  /** More Fragments (default false). */
  mf?: boolean;
  /** Fragment Offset in 8-octet units (default 0). */
  fragmentOffset?: number;
  /** Raw option bytes (padded with EOL to a multiple of 4; default none). */
  options?: Uint8Array;
}

/** What a mutator sees: the buffer and views over the built packet. */
export interface Ipv4Ctx {
  /** The packet's buffer. */
  readonly buf: Uint8Array;
  /** Offset of the IPv4 header in `buf`. */
  readonly off: number;
  /** The IPv4 header. */
  readonly ip: Ipv4Header;
  /** Offset of the upper-layer header in `buf`. */
  readonly upperOffset: number;
  /** Set to true to keep the checksums as the mutator left them. */
  keepChecksums: boolean;
}
/** Mutator context of `buildIpv4Udp`. */
export interface Ipv4UdpCtx extends Ipv4Ctx {
  /** The UDP header. */
  readonly udp: UdpHeader;
}
/** Mutator context of `buildIpv4Tcp`. */
export interface Ipv4TcpCtx extends Ipv4Ctx {
  /** The TCP header. */
  readonly tcp: TcpHeader;
}
/** Mutator context of `buildIpv4Icmp`. */
export interface Ipv4IcmpCtx extends Ipv4Ctx {
  /** The ICMPv4 header. */
  readonly icmp: Icmpv4Header;
}

function layout(spec: Ipv4Spec, proto: number, upperLen: number): { buf: Uint8Array; off: number; upper: number; len: number } {
  const repr = {
    srcAddr: parseIpv4(spec.src),
    dstAddr: parseIpv4(spec.dst),
    protocol: proto,
    ttl: spec.ttl ?? 64,
    tos: spec.tos ?? 0,
    identification: spec.identification ?? 0x1234,
    dontFragment: spec.df ?? true,
    moreFragments: spec.mf ?? false,
    fragmentOffset: spec.fragmentOffset ?? 0,
    options: spec.options ?? new Uint8Array(0),
    payloadLength: upperLen,
  };
  const hl = ipv4HeaderLength(repr);
  const { buf, off } = allocPacket(hl + upperLen, spec);
  emitIpv4Header(repr, buf, off);
  return { buf, off, upper: off + hl, len: hl + upperLen };
}

function finish<C extends Ipv4Ctx>(ctx: C, len: number, mutate: ((c: C) => void) | undefined, fill: (c: C) => void): Packet {
  mutate?.(ctx);
  if (!ctx.keepChecksums) {
    fill(ctx);
    ctx.ip.fillChecksum();
  }
  return packetAt(ctx.buf, ctx.off, len);
}

function ctxBase(buf: Uint8Array, off: number, upper: number, len: number): Ipv4Ctx {
  return { buf, off, ip: new Ipv4Header(buf, off, len), upperOffset: upper, keepChecksums: false };
}

/** Builds an IPv4 packet with protocol `protocol` and raw `payload` (header checksum filled). */
export function buildIpv4(spec: Ipv4Spec & { protocol: number; payload?: Uint8Array }, mutate?: (c: Ipv4Ctx) => void): Packet {
  const payload = spec.payload ?? new Uint8Array(0);
  const { buf, off, upper, len } = layout(spec, spec.protocol, payload.length);
  buf.set(payload, upper);
  return finish(ctxBase(buf, off, upper, len), len, mutate, () => undefined);
}

/** Builds IPv4 + UDP with valid checksums; `zeroChecksum` sends UDP checksum 0 ("none", RFC 768). */
export function buildIpv4Udp(spec: Ipv4Spec & UdpSpec & { zeroChecksum?: boolean }, mutate?: (c: Ipv4UdpCtx) => void): Packet {
  const { buf, off, upper, len } = layout(spec, IP_PROTOCOL.UDP, udpLength(spec));
  writeUdp(spec, buf, upper);
  const ctx: Ipv4UdpCtx = { ...ctxBase(buf, off, upper, len), udp: new UdpHeader(buf, upper, off + len - upper) };
  return finish(ctx, len, mutate, (c) => {
    if (spec.zeroChecksum) return;
    const n = c.off + len - c.upperOffset;
    fillTransportChecksum(IP_PROTOCOL.UDP, c.buf, c.upperOffset, n, c.ip.pseudoHeaderSum(IP_PROTOCOL.UDP, n));
  });
}

/** Builds IPv4 + TCP with valid checksums. */
export function buildIpv4Tcp(spec: Ipv4Spec & TcpSpec, mutate?: (c: Ipv4TcpCtx) => void): Packet {
  const { buf, off, upper, len } = layout(spec, IP_PROTOCOL.TCP, tcpLength(spec));
  writeTcp(spec, buf, upper);
  const ctx: Ipv4TcpCtx = { ...ctxBase(buf, off, upper, len), tcp: new TcpHeader(buf, upper, off + len - upper) };
  return finish(ctx, len, mutate, (c) => {
    const n = c.off + len - c.upperOffset;
    fillTransportChecksum(IP_PROTOCOL.TCP, c.buf, c.upperOffset, n, c.ip.pseudoHeaderSum(IP_PROTOCOL.TCP, n));
  });
}

/** Builds IPv4 + ICMPv4 (echo request by default; errors quote `payload`) with valid checksums. */
export function buildIpv4Icmp(spec: Ipv4Spec & IcmpSpec, mutate?: (c: Ipv4IcmpCtx) => void): Packet {
  const { buf, off, upper, len } = layout(spec, IP_PROTOCOL.ICMP, icmpLength(spec));
  writeIcmp(spec, false, buf, upper);
  const ctx: Ipv4IcmpCtx = { ...ctxBase(buf, off, upper, len), icmp: new Icmpv4Header(buf, upper, off + len - upper) };
  return finish(ctx, len, mutate, (c) => {
    c.icmp.reset(c.buf, c.upperOffset, c.off + len - c.upperOffset).fillChecksum();
  });
}
