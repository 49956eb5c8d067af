/**
 * Router Solicitation and Router Advertisement messages (RFC 4861 §4.1,
 * §4.2) with the options sixgate sends and watches for: Source Link-Layer
 * Address (§4.6.1), Prefix Information (§4.6.2), MTU (§4.6.4), RDNSS and
 * DNSSL (RFC 8106 §5.1, §5.2) and PREF64 (RFC 8781 §4).
 *
 * Buffers hold the ICMPv6 message only (a raw ICMPv6 socket sees no IPv6
 * header); the checksum field is left 0 on build because the kernel fills it
 * in for raw ICMPv6 sockets (RFC 3542 §3.1) and verifies it on receive.
 *
 * Pure: no I/O. Parsing never throws on bad input: it returns
 * `{ ok: false, reason }` naming the RFC 4861 §6.1 rule that failed.
 */

export const ICMP6_ROUTER_SOLICIT = 133;
export const ICMP6_ROUTER_ADVERT = 134;

export const OPT_SOURCE_LINK_ADDR = 1;
export const OPT_PREFIX_INFO = 3;
export const OPT_MTU = 5;
export const OPT_RDNSS = 25;
export const OPT_DNSSL = 31;
export const OPT_PREF64 = 38;

/** Longest lifetime a PREF64 option can carry: 8191 × 8 s (RFC 8781 §4). */
export const PREF64_MAX_LIFETIME = 8191 * 8;

/** RFC 8781 §4: Prefix Length Code → prefix length. */
const PLC_TO_LENGTH = [96, 64, 56, 48, 40, 32] as const;

/** Prefix length → RFC 8781 Prefix Length Code, or -1 for a length PREF64 cannot carry. */
export function plcOf(length: number): number {
  return (PLC_TO_LENGTH as readonly number[]).indexOf(length);
}

/** A NAT64 prefix as announced in PREF64; `lifetime` in seconds. */
export interface Pref64Option {
  readonly prefix: Uint8Array;
  readonly length: number;
  readonly lifetime: number;
}

export interface PrefixInfoOption {
  readonly prefix: Uint8Array;
  readonly length: number;
  readonly onLink: boolean;
  readonly autonomous: boolean;
  readonly validLifetime: number;
  readonly preferredLifetime: number;
}

export interface RdnssOption {
  readonly lifetime: number;
  readonly addresses: readonly Uint8Array[];
}

export interface DnsslOption {
  readonly lifetime: number;
  readonly domains: readonly string[];
}

/** A Router Advertisement, built or parsed. Lifetimes in seconds, times in milliseconds. */
export interface RouterAdvert {
  readonly curHopLimit: number;
  readonly managed: boolean;
  readonly other: boolean;
  readonly routerLifetime: number;
  readonly reachableTime: number;
  readonly retransTimer: number;
  readonly sourceLinkAddr?: Uint8Array;
  readonly mtu?: number;
  readonly prefixes: readonly PrefixInfoOption[];
  readonly pref64: readonly Pref64Option[];
  readonly rdnss: readonly RdnssOption[];
  readonly dnssl: readonly DnsslOption[];
}

export interface RouterSolicit {
  readonly sourceLinkAddr?: Uint8Array;
}

/** What the socket reports with each received message. */
export interface ReceivedMeta {
  /** Source address of the IPv6 header (16 bytes). */
  readonly source: Uint8Array;
  /** The IPv6 hop limit the packet arrived with (0 when the kernel gave none). */
  readonly hopLimit: number;
}

export type Parsed<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly reason: string };

const MAX_U32 = 0xffff_ffff;

function checkLifetime(name: string, v: number, max = MAX_U32): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer 0-${max}, got ${v}`);
}

function checkAddress(name: string, a: Uint8Array): void {
  if (a.length !== 16) throw new RangeError(`${name} must be 16 bytes`);
}

/** Domain name → DNS wire labels (RFC 1035 §3.1), as RFC 8106 §5.2 carries them. */
export function encodeDomain(name: string): Uint8Array {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length === 0 || trimmed.length > 253) throw new RangeError(`domain "${name}" must be 1-253 characters`);
  const labels = trimmed.split('.');
  const out = new Uint8Array(trimmed.length + 2);
  let o = 0;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63 || !/^[A-Za-z0-9_-]+$/.test(l)) throw new RangeError(`domain "${name}": label "${l}" must be 1-63 letters, digits, '-' or '_'`);
    out[o++] = l.length;
    for (let i = 0; i < l.length; i++) out[o++] = l.charCodeAt(i);
  }
  out[o++] = 0;
  return out.subarray(0, o);
}

/** Bytes the options of `ra` take. */
function optionsLength(ra: RouterAdvert, dnsslWire: Uint8Array[][]): number {
  let n = 0;
  if (ra.sourceLinkAddr) n += Math.ceil((2 + ra.sourceLinkAddr.length) / 8) * 8;
  if (ra.mtu !== undefined) n += 8;
  n += ra.prefixes.length * 32;
  n += ra.pref64.length * 16;
  for (const r of ra.rdnss) n += 8 + 16 * r.addresses.length;
  for (const names of dnsslWire) n += 8 + Math.ceil(names.reduce((s, w) => s + w.length, 0) / 8) * 8;
  return n;
}

/**
 * Builds a Router Advertisement (RFC 4861 §4.2). Throws RangeError on a value
 * the wire cannot carry (a PREF64 length outside RFC 8781's six, an empty
 * RDNSS list, a lifetime out of range); checksum 0 (the kernel fills it in).
 */
export function buildRouterAdvert(ra: RouterAdvert): Uint8Array {
  checkLifetime('routerLifetime', ra.routerLifetime, 0xffff);
  checkLifetime('curHopLimit', ra.curHopLimit, 255);
  checkLifetime('reachableTime', ra.reachableTime);
  checkLifetime('retransTimer', ra.retransTimer);
  const dnsslWire = ra.dnssl.map((d) => {
    if (d.domains.length === 0) throw new RangeError('a DNSSL option needs at least one domain');
    return d.domains.map(encodeDomain);
  });
  const total = 16 + optionsLength(ra, dnsslWire);
  // An RA must fit the IPv6 minimum MTU with its 40-byte header (RFC 8200 §5).
  if (total > 1280 - 40) throw new RangeError(`router advertisement of ${total} bytes does not fit 1240 bytes`);
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  b[0] = ICMP6_ROUTER_ADVERT;
  b[4] = ra.curHopLimit;
  b[5] = (ra.managed ? 0x80 : 0) | (ra.other ? 0x40 : 0);
  dv.setUint16(6, ra.routerLifetime);
  dv.setUint32(8, ra.reachableTime);
  dv.setUint32(12, ra.retransTimer);
  let o = 16;
  if (ra.sourceLinkAddr) {
    const len = Math.ceil((2 + ra.sourceLinkAddr.length) / 8);
    b[o] = OPT_SOURCE_LINK_ADDR;
    b[o + 1] = len;
    b.set(ra.sourceLinkAddr, o + 2);
    o += len * 8;
  }
  if (ra.mtu !== undefined) {
    checkLifetime('mtu', ra.mtu);
    b[o] = OPT_MTU;
    b[o + 1] = 1;
    dv.setUint32(o + 4, ra.mtu);
    o += 8;
  }
  for (const p of ra.prefixes) {
    checkAddress('prefix', p.prefix);
    if (!Number.isInteger(p.length) || p.length < 0 || p.length > 128) throw new RangeError(`prefix length ${p.length} is not 0-128`);
    checkLifetime('validLifetime', p.validLifetime);
    checkLifetime('preferredLifetime', p.preferredLifetime);
    // RFC 4861 §4.6.2: the preferred lifetime must not exceed the valid lifetime.
    if (p.preferredLifetime > p.validLifetime) throw new RangeError('preferredLifetime must not exceed validLifetime');
    b[o] = OPT_PREFIX_INFO;
    b[o + 1] = 4;
    b[o + 2] = p.length;
    b[o + 3] = (p.onLink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0);
    dv.setUint32(o + 4, p.validLifetime);
    dv.setUint32(o + 8, p.preferredLifetime);
    b.set(maskPrefix(p.prefix, p.length), o + 16);
    o += 32;
  }
  for (const p of ra.pref64) {
    checkAddress('PREF64 prefix', p.prefix);
    const plc = plcOf(p.length);
    if (plc < 0) throw new RangeError(`PREF64 cannot carry a /${p.length} (RFC 8781: /32, /40, /48, /56, /64 or /96)`);
    checkLifetime('PREF64 lifetime', p.lifetime, PREF64_MAX_LIFETIME);
    b[o] = OPT_PREF64;
    b[o + 1] = 2;
    // RFC 8781 §4: 13-bit lifetime in units of 8 seconds (rounded up so the
    // announced lifetime is never shorter than asked), then the 3-bit PLC.
    const scaled = Math.ceil(p.lifetime / 8);
    dv.setUint16(o + 2, (scaled << 3) | plc);
    b.set(maskPrefix(p.prefix, p.length).subarray(0, 12), o + 4);
    o += 16;
  }
  for (const r of ra.rdnss) {
    // RFC 8106 §5.1: at least one address.
    if (r.addresses.length === 0) throw new RangeError('an RDNSS option needs at least one address');
    checkLifetime('RDNSS lifetime', r.lifetime);
    b[o] = OPT_RDNSS;
    b[o + 1] = 1 + 2 * r.addresses.length;
    dv.setUint32(o + 4, r.lifetime);
    o += 8;
    for (const a of r.addresses) {
      checkAddress('RDNSS address', a);
      b.set(a, o);
      o += 16;
    }
  }
  for (let i = 0; i < ra.dnssl.length; i++) {
    const d = ra.dnssl[i]!;
    checkLifetime('DNSSL lifetime', d.lifetime);
    const names = dnsslWire[i]!;
    const bytes = names.reduce((s, w) => s + w.length, 0);
    const len = 1 + Math.ceil(bytes / 8);
    b[o] = OPT_DNSSL;
    b[o + 1] = len;
    dv.setUint32(o + 4, d.lifetime);
    let p = o + 8;
    for (const w of names) {
      b.set(w, p);
      p += w.length;
    }
    o += len * 8; // the rest is the zero padding RFC 8106 §5.2 asks for
  }
  return b;
}

/** A Router Solicitation (RFC 4861 §4.1), as a host sends it; for tests and `sixgate check`. */
export function buildRouterSolicit(sourceLinkAddr?: Uint8Array): Uint8Array {
  const opt = sourceLinkAddr ? Math.ceil((2 + sourceLinkAddr.length) / 8) * 8 : 0;
  const b = new Uint8Array(8 + opt);
  b[0] = ICMP6_ROUTER_SOLICIT;
  if (sourceLinkAddr) {
    b[8] = OPT_SOURCE_LINK_ADDR;
    b[9] = opt / 8;
    b.set(sourceLinkAddr, 10);
  }
  return b;
}

/** `prefix` with the bits after `length` cleared (a copy). */
export function maskPrefix(prefix: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    out[i] = prefix[i]! & ((0xff00 >> bits) & 0xff);
  }
  return out;
}

const isUnspecified = (a: Uint8Array): boolean => a.every((x) => x === 0);
/** fe80::/10 (RFC 4291 §2.5.6). */
export const isLinkLocal = (a: Uint8Array): boolean => a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;

interface RawOption {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
}

/** Splits the options at `from`; undefined when one has length 0 or runs past the end (RFC 4861 §4.6). */
function walkOptions(b: Uint8Array, from: number, end: number): RawOption[] | undefined {
  const out: RawOption[] = [];
  let o = from;
  while (o < end) {
    if (o + 2 > end) return undefined;
    const len = b[o + 1]! * 8;
    if (len === 0 || o + len > end) return undefined;
    out.push({ type: b[o]!, offset: o, length: len });
    o += len;
  }
  return out;
}

/**
 * Validates a received Router Solicitation (RFC 4861 §6.1.1). The kernel has
 * checked the ICMP checksum already.
 */
export function parseRouterSolicit(b: Uint8Array, length: number, meta: ReceivedMeta): Parsed<RouterSolicit> {
  if (length < 8 || length > b.length) return { ok: false, reason: 'short' };
  if (b[0] !== ICMP6_ROUTER_SOLICIT) return { ok: false, reason: 'not a router solicitation' };
  if (meta.hopLimit !== 255) return { ok: false, reason: 'hop limit not 255' };
  if (b[1] !== 0) return { ok: false, reason: 'code not 0' };
  const opts = walkOptions(b, 8, length);
  if (opts === undefined) return { ok: false, reason: 'bad option length' };
  let sourceLinkAddr: Uint8Array | undefined;
  for (const o of opts) {
    if (o.type !== OPT_SOURCE_LINK_ADDR) continue;
    // §6.1.1: no source link-layer address option from the unspecified address.
    if (isUnspecified(meta.source)) return { ok: false, reason: 'source link-layer address from the unspecified address' };
    sourceLinkAddr = b.slice(o.offset + 2, o.offset + o.length);
  }
  return { ok: true, message: sourceLinkAddr ? { sourceLinkAddr } : {} };
}

/** Reads DNS wire names until the padding; undefined when malformed. */
function decodeDomains(b: Uint8Array, from: number, end: number): string[] | undefined {
  const out: string[] = [];
  let o = from;
  while (o < end && b[o] !== 0) {
    const labels: string[] = [];
    for (;;) {
      if (o >= end) return undefined;
      const n = b[o++]!;
      if (n === 0) break;
      if (n > 63 || o + n > end) return undefined;
      const label = String.fromCharCode(...b.subarray(o, o + n));
      if (!/^[A-Za-z0-9_-]+$/.test(label)) return undefined;
      labels.push(label);
      o += n;
    }
    out.push(labels.join('.'));
  }
  // RFC 8106 §5.2: the padding after the last name is zero.
  for (; o < end; o++) if (b[o] !== 0) return undefined;
  return out;
}

/**
 * Validates and reads a received Router Advertisement (RFC 4861 §6.1.2).
 * Options this module does not know are skipped (§4.2); a known option with
 * a malformed body is ignored on its own, as its RFC says (RFC 8781 §4:
 * Length not 2 or an unknown PLC; RFC 8106 §5.3.1: RDNSS Length below 3).
 */
export function parseRouterAdvert(b: Uint8Array, length: number, meta: ReceivedMeta): Parsed<RouterAdvert> {
  if (length < 16 || length > b.length) return { ok: false, reason: 'short' };
  if (b[0] !== ICMP6_ROUTER_ADVERT) return { ok: false, reason: 'not a router advertisement' };
  if (!isLinkLocal(meta.source)) return { ok: false, reason: 'source not link-local' };
  if (meta.hopLimit !== 255) return { ok: false, reason: 'hop limit not 255' };
  if (b[1] !== 0) return { ok: false, reason: 'code not 0' };
  const opts = walkOptions(b, 16, length);
  if (opts === undefined) return { ok: false, reason: 'bad option length' };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const prefixes: PrefixInfoOption[] = [];
  const pref64: Pref64Option[] = [];
  const rdnss: RdnssOption[] = [];
  const dnssl: DnsslOption[] = [];
  let sourceLinkAddr: Uint8Array | undefined;
  let mtu: number | undefined;
  for (const o of opts) {
    const at = o.offset;
    switch (o.type) {
      case OPT_SOURCE_LINK_ADDR:
        sourceLinkAddr = b.slice(at + 2, at + o.length);
        break;
      case OPT_MTU:
        if (o.length === 8) mtu = dv.getUint32(at + 4);
        break;
      case OPT_PREFIX_INFO:
        if (o.length !== 32 || b[at + 2]! > 128) break;
        prefixes.push({
          length: b[at + 2]!,
          onLink: (b[at + 3]! & 0x80) !== 0,
          autonomous: (b[at + 3]! & 0x40) !== 0,
          validLifetime: dv.getUint32(at + 4),
          preferredLifetime: dv.getUint32(at + 8),
          prefix: b.slice(at + 16, at + 32),
        });
        break;
      case OPT_PREF64: {
        if (o.length !== 16) break;
        const word = dv.getUint16(at + 2);
        const len = PLC_TO_LENGTH[word & 7];
        if (len === undefined) break;
        const prefix = new Uint8Array(16);
        prefix.set(b.subarray(at + 4, at + 16));
        // RFC 8781 §4: bits past the prefix length are ignored by the receiver.
        pref64.push({ prefix: maskPrefix(prefix, len), length: len, lifetime: (word >>> 3) * 8 });
        break;
      }
      case OPT_RDNSS: {
        if (o.length < 24) break;
        const addresses: Uint8Array[] = [];
        for (let p = at + 8; p + 16 <= at + o.length; p += 16) addresses.push(b.slice(p, p + 16));
        rdnss.push({ lifetime: dv.getUint32(at + 4), addresses });
        break;
      }
      case OPT_DNSSL: {
        if (o.length < 16) break;
        const domains = decodeDomains(b, at + 8, at + o.length);
        if (domains !== undefined && domains.length > 0) dnssl.push({ lifetime: dv.getUint32(at + 4), domains });
        break;
      }
      default:
        break;
    }
  }
  return {
    ok: true,
    message: {
      curHopLimit: b[4]!,
      managed: (b[5]! & 0x80) !== 0,
      other: (b[5]! & 0x40) !== 0,
      routerLifetime: dv.getUint16(6),
      reachableTime: dv.getUint32(8),
      retransTimer: dv.getUint32(12),
      ...(sourceLinkAddr ? { sourceLinkAddr } : {}),
      ...(mtu !== undefined ? { mtu } : {}),
      prefixes,
      pref64,
      rdnss,
      dnssl,
    },
  };
}
