/**
 * IPv6 addresses as 16-byte arrays and CIDR prefixes. Text parsing uses
 * ipaddr.js; formatting follows RFC 5952 (lower case, longest zero run
 * compressed). Hot-path comparisons work on bytes in place.
 */
import ipaddr from 'ipaddr.js';
import { AddressError } from './errors.js';

/** An IPv6 prefix: `bytes` (16) has no bits set below `length`. */
export interface Ipv6Cidr {
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** Parses an IPv6 address into 16 bytes, or returns undefined. */
export function tryParseIpv6(text: string): Uint8Array | undefined {
  if (!text.includes(':') || text.includes('%')) return undefined;
  try {
    return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
  } catch {
    return undefined;
  }
}

/** Parses an IPv6 address into 16 bytes; throws AddressError. */
export function parseIpv6(text: string): Uint8Array {
  const v = tryParseIpv6(text);
  if (v === undefined) {
    const code = /^\d+\.\d+\.\d+\.\d+$/.test(text) ? 'ERR_ADDRESS_FAMILY' : 'ERR_ADDRESS_SYNTAX';
    throw new AddressError(code, `"${text}" is not an IPv6 address`);
  }
  return v;
}

/** Formats 16 bytes at `off` in RFC 5952 form. */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((buf[off + 2 * i]! << 8) | buf[off + 2 * i + 1]!);
  // RFC 5952 §4.2: compress the longest run of two or more zero words, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** A mask of `length` leading one bits within byte `i` of a 128-bit prefix. */
function maskByte(length: number, i: number): number {
  const bits = length - i * 8;
  if (bits >= 8) return 0xff;
  if (bits <= 0) return 0;
  return (0xff << (8 - bits)) & 0xff;
}

/** Parses `addr/len` (a bare address means /128); host bits must be zero. */
export function parseIpv6Cidr(text: string): Ipv6Cidr {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? '128' : text.slice(slash + 1);
  const bytes = tryParseIpv6(addrText);
  if (bytes === undefined) {
    const code = /^\d+\.\d+\.\d+\.\d+$/.test(addrText) ? 'ERR_ADDRESS_FAMILY' : 'ERR_ADDRESS_SYNTAX';
    throw new AddressError(code, `"${text}" is not an IPv6 prefix`);
  }
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > 128) {
    throw new AddressError('ERR_PREFIX_LENGTH', `"${text}" has an invalid prefix length (0-128)`);
  }
  const length = Number(lenText);
  for (let i = 0; i < 16; i++) {
    if ((bytes[i]! & ~maskByte(length, i) & 0xff) !== 0) {
      const fixed = bytes.map((b, k) => b & maskByte(length, k));
      throw new AddressError('ERR_PREFIX_HOST_BITS', `"${text}" has host bits set below /${length} (did you mean ${formatIpv6(fixed)}/${length}?)`);
    }
  }
  return { bytes, length };
}

/** Formats a prefix as `addr/len`. */
export function formatIpv6Cidr(cidr: Ipv6Cidr): string {
  return `${formatIpv6(cidr.bytes)}/${cidr.length}`;
}

/** Whether the 16 bytes at `buf[off]` lie inside `cidr`. Allocation-free. */
export function ipv6InCidr(buf: Uint8Array, off: number, cidr: Ipv6Cidr): boolean {
  const full = cidr.length >>> 3;
  const p = cidr.bytes;
  for (let i = 0; i < full; i++) if (buf[off + i] !== p[i]) return false;
  const rest = cidr.length & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (buf[off + full]! & m) === p[full];
}

/** Whether two IPv6 prefixes share at least one address. */
export function ipv6CidrsOverlap(a: Ipv6Cidr, b: Ipv6Cidr): boolean {
  const shorter = a.length <= b.length ? a : b;
  const longer = shorter === a ? b : a;
  return ipv6InCidr(longer.bytes, 0, shorter);
}

/** Byte-wise equality of two 16-byte addresses. */
export function ipv6Equal(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 16; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** One line of the kernel's IPv6 address table (/proc/net/if_inet6). */
export interface IfInet6Entry {
  readonly ifname: string;
  readonly address: Uint8Array;
  readonly prefixLength: number;
  /** IFA_F_* flags (linux/if_addr.h): 0x40 tentative (in DAD), 0x08 DAD failed. */
  readonly flags: number;
}

/**
 * Parses the text of /proc/net/if_inet6: per line "address ifindex
 * prefixlen scope flags name", the numbers in hex. Malformed lines and
 * prefix lengths over 128 are skipped. Pure (the caller reads the file).
 */
export function parseIfInet6(text: string): IfInet6Entry[] {
  const out: IfInet6Entry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0]!)) continue;
    const prefixLength = parseInt(f[2]!, 16);
    if (!(prefixLength >= 0 && prefixLength <= 128)) continue;
    const address = new Uint8Array(16);
    for (let i = 0; i < 16; i++) address[i] = parseInt(f[0]!.slice(2 * i, 2 * i + 2), 16);
    out.push({ ifname: f[5]!, address, prefixLength, flags: parseInt(f[4]!, 16) });
  }
  return out;
}
