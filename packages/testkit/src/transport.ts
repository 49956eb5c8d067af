/**
 * Version-independent upper-layer writers shared by the IPv4 and IPv6
 * builders: each writes the header and payload with a zero checksum; the IP
 * builder fills checksums once the mutator has run.
 */
import {
  IP_PROTOCOL,
  TCP_FLAG,
  TcpHeader,
  UdpHeader,
  emitTcpHeader,
  emitUdpHeader,
  icmpEchoRest,
  icmpv4MtuRest,
  icmpv4PointerRest,
  icmpv6LengthRest,
  setU16,
  setU32,
  setU8,
  tcpHeaderLength,
} from './oracle/index.js';

const NONE = new Uint8Array(0);

/** UDP fields for a builder. */
export interface UdpSpec {
  /** Source port (default 12345). */
  sport?: number;
  /** Destination port (default 53). */
  dport?: number;
  /** Data (default empty). */
  payload?: Uint8Array;
}

/** TCP fields for a builder. */
export interface TcpSpec {
  /** Source port (default 12345). */
  sport?: number;
  /** Destination port (default 80). */
  dport?: number;
  /** Sequence number (default 1000). */
  seq?: number;
  /** Acknowledgment number (default 0). */
  ack?: number;
  /** Flags octet (default SYN); see `TCP_FLAG`. */
  flags?: number;
  /** Window (default 65535). */
  window?: number;
  /** Urgent pointer (default 0). */
  urgent?: number;
  /** MSS option to put first in the options (none by default). */
  mss?: number;
  /** Further raw option bytes (padded with EOL to a multiple of 4). */
  options?: Uint8Array;
  /** Data (default empty). */
  payload?: Uint8Array;
}

/** ICMP fields for a builder (ICMPv4 or ICMPv6; defaults to an echo request). */
export interface IcmpSpec {
  /** Type (default echo request: 8 or 128). */
  type?: number;
  /** Code (default 0). */
  code?: number;
  /** Echo identifier (default 0x1234) for echo types. */
  id?: number;
  /** Echo sequence number (default 1) for echo types. */
  seq?: number;
  /** MTU: ICMPv4 3/4 Next-Hop MTU, ICMPv6 Packet Too Big MTU. */
  mtu?: number;
  /** Parameter Problem pointer (8 bits in ICMPv4, 32 bits in ICMPv6). */
  pointer?: number;
  /** RFC 4884 length field (32-bit words in ICMPv4, 64-bit words in ICMPv6). */
  length4884?: number;
  /** The whole rest-of-header word; overrides id/seq/mtu/pointer/length4884. */
  rest?: number;
  /** Body: echo data, or the quoted packet of an error (default empty). */
  payload?: Uint8Array;
}

/** Length of the UDP datagram for `s`. */
export function udpLength(s: UdpSpec): number {
  return 8 + (s.payload?.length ?? 0);
}

/** Writes the UDP datagram for `s` at `off` (checksum 0). */
export function writeUdp(s: UdpSpec, buf: Uint8Array, off: number): void {
  const payload = s.payload ?? NONE;
  buf.set(payload, off + 8);
  emitUdpHeader({ srcPort: s.sport ?? 12345, dstPort: s.dport ?? 53, payloadLength: payload.length }, buf, off);
}

function tcpOptions(s: TcpSpec): Uint8Array {
  const extra = s.options ?? NONE;
  if (s.mss === undefined) return extra;
  const o = new Uint8Array(4 + extra.length);
  o[0] = 2;
  o[1] = 4;
  setU16(o, 2, s.mss);
  o.set(extra, 4);
  return o;
}

/** Length of the TCP segment for `s`. */
export function tcpLength(s: TcpSpec): number {
  return 20 + ((tcpOptions(s).length + 3) & ~3) + (s.payload?.length ?? 0);
}

/** Writes the TCP segment for `s` at `off` (checksum 0). */
export function writeTcp(s: TcpSpec, buf: Uint8Array, off: number): void {
  const payload = s.payload ?? NONE;
  const repr = {
    srcPort: s.sport ?? 12345,
    dstPort: s.dport ?? 80,
    seqNumber: s.seq ?? 1000,
    ackNumber: s.ack ?? 0,
    flags: s.flags ?? TCP_FLAG.SYN,
    window: s.window ?? 0xffff,
    urgentPointer: s.urgent ?? 0,
    options: tcpOptions(s),
    payloadLength: payload.length,
  };
  buf.set(payload, off + tcpHeaderLength(repr));
  emitTcpHeader(repr, buf, off);
}

/** Length of the ICMP message for `s`. */
export function icmpLength(s: IcmpSpec): number {
  return 8 + (s.payload?.length ?? 0);
}

function icmpRest(s: IcmpSpec, v6: boolean, type: number): number {
  if (s.rest !== undefined) return s.rest;
  const echo = v6 ? type === 128 || type === 129 : type === 0 || type === 8;
  if (echo) return icmpEchoRest(s.id ?? 0x1234, s.seq ?? 1);
  if (v6) {
    if (type === 2) return s.mtu ?? 1280;
    if (type === 4) return s.pointer ?? 0;
    return icmpv6LengthRest(s.length4884 ?? 0);
  }
  if (type === 12) return icmpv4PointerRest(s.pointer ?? 0, s.length4884 ?? 0);
  return icmpv4MtuRest(s.mtu ?? 0, s.length4884 ?? 0);
}

/** Writes the ICMPv4 (`v6` false) or ICMPv6 message for `s` at `off` (checksum 0). */
export function writeIcmp(s: IcmpSpec, v6: boolean, buf: Uint8Array, off: number): void {
  const type = s.type ?? (v6 ? 128 : 8);
  setU8(buf, off, type);
  setU8(buf, off + 1, s.code ?? 0);
  setU16(buf, off + 2, 0);
  setU32(buf, off + 4, icmpRest(s, v6, type));
  buf.set(s.payload ?? NONE, off + 8);
}

/** Fills the transport checksum of the upper layer `proto` at `off` (length `len`) given the pseudo-header sum. */
export function fillTransportChecksum(proto: number, buf: Uint8Array, off: number, len: number, pseudo: number): void {
  if (proto === IP_PROTOCOL.UDP) new UdpHeader(buf, off, len).fillChecksum(pseudo);
  else if (proto === IP_PROTOCOL.TCP) new TcpHeader(buf, off, len).fillChecksum(pseudo);
}
