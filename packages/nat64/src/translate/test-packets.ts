/**
 * Compact raw-bytes packets for the translator's hand-written tests (not
 * exported from the package entry): transport headers as literal bytes
 * (`udp`, `tcp`, `icmp`), deliberately broken fields (`keepChecksum`), and
 * the IP packet around them through the @sixgate/testkit builders. Checksums
 * are filled and verified (`valid4`, `valid6`) with the testkit oracle, which
 * shares no code with the translator (docs/adr/0007-one-packet-parser.md).
 * Documentation addresses only. For structured packets use the testkit
 * builders directly.
 */
import { buildIpv4, buildIpv6, finish, hex as testkitHex, pseudoHeaderSum4, pseudoHeaderSum6, setU16, setU32, sum, u16 } from '@sixgate/testkit';

/** Hex text to bytes; whitespace and `#` / `//` comments ignored (testkit's `hex`). */
export function hex(text: string): Uint8Array {
  return testkitHex(text);
}

/** A UDP header + data with checksum 0 (filled by the IP builder). */
export function udp(sport: number, dport: number, data: Uint8Array | number = 4): Uint8Array {
  const d = typeof data === 'number' ? fill(data) : data;
  const b = new Uint8Array(8 + d.length);
  setU16(b, 0, sport);
  setU16(b, 2, dport);
  setU16(b, 4, b.length);
  b.set(d, 8);
  return b;
}

/** A TCP header (20 bytes + options) + data with checksum 0. */
export function tcp(sport: number, dport: number, flags: number, opts: { options?: Uint8Array; data?: number; seq?: number } = {}): Uint8Array {
  const o = opts.options ?? new Uint8Array(0);
  const d = fill(opts.data ?? 0);
  const hl = 20 + o.length;
  const b = new Uint8Array(hl + d.length);
  setU16(b, 0, sport);
  setU16(b, 2, dport);
  setU32(b, 4, opts.seq ?? 0x01020304);
  b[12] = (hl / 4) << 4;
  b[13] = flags;
  setU16(b, 14, 65535);
  b.set(o, 20);
  b.set(d, hl);
  return b;
}

/** An ICMP(v4/v6) header + body with checksum 0: type, code, 4-byte rest, body. */
export function icmp(type: number, code: number, rest: number, body: Uint8Array | number = 8): Uint8Array {
  const d = typeof body === 'number' ? fill(body) : body;
  const b = new Uint8Array(8 + d.length);
  b[0] = type;
  b[1] = code;
  setU32(b, 4, rest >>> 0);
  b.set(d, 8);
  return b;
}

/** Deterministic data bytes 0, 1, 2, … */
export function fill(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

/** Options of `ipv6`. */
export interface V6 {
  src?: string;
  dst?: string;
  nh: number;
  hop?: number;
  tc?: number;
  flow?: number;
  /** Extension headers placed before the payload; `nh` is then the first one's type. */
  ext?: Uint8Array;
  /** Next header written inside the last extension header is the caller's business. */
  payload: Uint8Array;
  /** Leave the L4 checksum as given. */
  keepChecksum?: boolean;
  /** Upper-layer protocol for the checksum when `ext` is present. */
  upper?: number;
}

/** An IPv6 packet with a correct TCP/UDP/ICMPv6 checksum. */
export function ipv6(o: V6): Uint8Array {
  const ext = o.ext ?? new Uint8Array(0);
  const payload = new Uint8Array(ext.length + o.payload.length);
  payload.set(ext, 0);
  payload.set(o.payload, ext.length);
  const b = buildIpv6({
    src: o.src ?? '2001:db8::2',
    dst: o.dst ?? '64:ff9b::c000:221',
    hopLimit: o.hop ?? 64,
    tc: o.tc ?? 0,
    flowLabel: o.flow ?? 0,
    nextHeader: o.nh,
    payload,
  }).bytes.slice();
  const upper = o.upper ?? o.nh;
  if (!o.keepChecksum) checksum6(b, 0, 40 + ext.length, upper, b.length);
  return b;
}

/** Writes the L4 checksum of an IPv6 packet's transport at `p`. */
export function checksum6(b: Uint8Array, off: number, p: number, upper: number, end: number): void {
  const at = csOffset(upper);
  if (at < 0) return;
  setU16(b, p + at, 0);
  const c = finish(sum(b, p, end, pseudoHeaderSum6(b, off + 8, off + 24, upper, end - p)));
  setU16(b, p + at, upper === 17 && c === 0 ? 0xffff : c);
}

/** Options of `ipv4`. */
export interface V4 {
  src?: string;
  dst?: string;
  proto: number;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes. */
  fragOff?: number;
  options?: Uint8Array;
  payload: Uint8Array;
  keepChecksum?: boolean;
}

/** An IPv4 packet with correct header and L4 checksums. */
export function ipv4(o: V4): Uint8Array {
  const b = buildIpv4({
    src: o.src ?? '192.0.2.33',
    dst: o.dst ?? '198.51.100.1',
    protocol: o.proto,
    ttl: o.ttl ?? 64,
    tos: o.tos ?? 0,
    identification: o.id ?? 0x1234,
    df: o.df ?? false,
    mf: o.mf ?? false,
    fragmentOffset: (o.fragOff ?? 0) >> 3,
    options: o.options,
    payload: o.payload,
  }).bytes.slice();
  const ihl = (b[0]! & 0x0f) << 2;
  if (!o.keepChecksum && (o.fragOff ?? 0) === 0) checksum4(b, 0, ihl, o.proto, b.length);
  return b;
}

/** Writes the L4 checksum of an IPv4 packet's transport at `p` (ICMP without pseudo-header). */
export function checksum4(b: Uint8Array, off: number, p: number, proto: number, end: number): void {
  const at = csOffset(proto);
  if (at < 0) return;
  setU16(b, p + at, 0);
  const init = proto === 1 ? 0 : pseudoHeaderSum4(b, off + 12, off + 16, proto, end - p);
  const c = finish(sum(b, p, end, init));
  setU16(b, p + at, proto === 17 && c === 0 ? 0xffff : c);
}

function csOffset(proto: number): number {
  if (proto === 6) return 16;
  if (proto === 17) return 6;
  if (proto === 1 || proto === 58) return 2;
  return -1;
}

/** `pkt` copied into a buffer at `off` (headroom) with `tail` spare bytes, pre-filled with 0xa5. */
export function placed(pkt: Uint8Array, off = 64, tail = 64): { buf: Uint8Array; off: number; len: number } {
  const buf = new Uint8Array(off + pkt.length + tail).fill(0xa5);
  buf.set(pkt, off);
  return { buf, off, len: pkt.length };
}

/** Whether the IPv4 packet at `b[off]` has a good header checksum and (if first fragment, known proto) L4 checksum. */
export function valid4(b: Uint8Array, off = 0): boolean {
  const ihl = (b[off]! & 15) * 4;
  const end = off + u16(b, off + 2);
  if (sum(b, off, off + ihl) !== 0xffff) return false;
  const proto = b[off + 9]!;
  if ((u16(b, off + 6) & 0x3fff) !== 0) return true;
  if (csOffset(proto) < 0) return true;
  if (proto === 17 && u16(b, off + ihl + 6) === 0) return true;
  const init = proto === 1 ? 0 : pseudoHeaderSum4(b, off + 12, off + 16, proto, end - off - ihl);
  return sum(b, off + ihl, end, init) === 0xffff;
}

/** Whether the IPv6 packet at `b[off]` (no extension headers but maybe a fragment header) has a good L4 checksum. */
export function valid6(b: Uint8Array, off = 0): boolean {
  let nh = b[off + 6]!;
  let p = off + 40;
  const end = off + 40 + u16(b, off + 4);
  if (nh === 44) {
    if ((u16(b, p + 2) & 0xfff9) !== 0) return true; // fragmented: checksum covers the whole datagram
    nh = b[p]!;
    p += 8;
  }
  if (csOffset(nh) < 0) return true;
  return sum(b, p, end, pseudoHeaderSum6(b, off + 8, off + 24, nh, end - p)) === 0xffff;
}

/** A Fragment header: next header, offset in bytes, M, identification. */
export function fragHdr(nh: number, offset: number, m: boolean, id: number): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = nh;
  b[2] = offset >> 8;
  b[3] = (offset & 0xf8) | (m ? 1 : 0);
  setU32(b, 4, id >>> 0);
  return b;
}

/**
 * The unfragmented IPv6 packet `pkt` (no extension headers) cut into
 * fragments of at most `chunk` data bytes (a multiple of 8), Fragment ID `id`.
 */
export function split6(pkt: Uint8Array, chunk: number, id: number): Uint8Array[] {
  const data = pkt.subarray(40);
  const list: Uint8Array[] = [];
  for (let pos = 0; pos < data.length; pos += chunk) {
    const piece = data.subarray(pos, Math.min(data.length, pos + chunk));
    const f = new Uint8Array(48 + piece.length);
    f.set(pkt.subarray(0, 40), 0);
    setU16(f, 4, 8 + piece.length);
    f[6] = 44;
    f.set(fragHdr(pkt[6]!, pos, pos + chunk < data.length, id), 40);
    f.set(piece, 48);
    list.push(f);
  }
  return list;
}

/** The unfragmented option-less IPv4 packet `pkt` cut into fragments of at most `chunk` data bytes (a multiple of 8). */
export function split4(pkt: Uint8Array, chunk: number): Uint8Array[] {
  const data = pkt.subarray(20, u16(pkt, 2));
  const list: Uint8Array[] = [];
  for (let pos = 0; pos < data.length; pos += chunk) {
    const piece = data.subarray(pos, Math.min(data.length, pos + chunk));
    const f = new Uint8Array(20 + piece.length);
    f.set(pkt.subarray(0, 20), 0);
    setU16(f, 2, f.length);
    setU16(f, 6, (u16(pkt, 6) & 0x4000) | (pos + chunk < data.length ? 0x2000 : 0) | (pos >> 3));
    setU16(f, 10, 0);
    f.set(piece, 20);
    setU16(f, 10, finish(sum(f, 0, 20)));
    list.push(f);
  }
  return list;
}

/** Data of IPv6 fragments (Fragment header right after the IPv6 header) put back together. */
export function reassemble6(frags: Uint8Array[]): Uint8Array {
  const parts = frags.map((f) => ({ off: u16(f, 42) & 0xfff8, data: f.subarray(48, 40 + u16(f, 4)) }));
  return join(parts);
}

/** Data of option-less IPv4 fragments put back together. */
export function reassemble4(frags: Uint8Array[]): Uint8Array {
  const parts = frags.map((f) => ({ off: (u16(f, 6) & 0x1fff) << 3, data: f.subarray(20, u16(f, 2)) }));
  return join(parts);
}

function join(parts: { off: number; data: Uint8Array }[]): Uint8Array {
  const len = Math.max(...parts.map((p) => p.off + p.data.length));
  const b = new Uint8Array(len);
  for (const p of parts) b.set(p.data, p.off);
  return b;
}
