/**
 * IPv4 addresses as unsigned 32-bit numbers (the hot-path form) and CIDR
 * prefixes. Parsing is strict dotted-quad: no octal, no short forms, because an
 * operator typing `10.1` almost certainly made a mistake.
 */
import { AddressError } from './errors.js';

/** An IPv4 prefix: `address` has no bits set below `length`. */
export interface Ipv4Cidr {
  readonly address: number;
  readonly length: number;
}

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted-quad IPv4 address into a uint32, or returns -1. */
export function tryParseIpv4(text: string): number {
  const m = QUAD.exec(text);
  if (m === null) return -1;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** Parses a dotted-quad IPv4 address into a uint32; throws AddressError. */
export function parseIpv4(text: string): number {
  const v = tryParseIpv4(text);
  if (v < 0) throw new AddressError('ERR_ADDRESS_SYNTAX', `"${text}" is not an IPv4 address`);
  return v;
}

/** Formats a uint32 as dotted quad. */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** The netmask of a prefix length as a uint32 (`ipv4Mask(24) === 0xffffff00`). */
export function ipv4Mask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Parses `a.b.c.d/len` (a bare address means /32); host bits must be zero. */
export function parseIpv4Cidr(text: string): Ipv4Cidr {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? '32' : text.slice(slash + 1);
  const address = tryParseIpv4(addrText);
  if (address < 0) {
    const family = addrText.includes(':') ? 'ERR_ADDRESS_FAMILY' : 'ERR_ADDRESS_SYNTAX';
    throw new AddressError(family, `"${text}" is not an IPv4 prefix`);
  }
  if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
    throw new AddressError('ERR_PREFIX_LENGTH', `"${text}" has an invalid prefix length (0-32)`);
  }
  const length = Number(lenText);
  if ((address & ~ipv4Mask(length)) !== 0) {
    throw new AddressError('ERR_PREFIX_HOST_BITS', `"${text}" has host bits set below /${length} (did you mean ${formatIpv4((address & ipv4Mask(length)) >>> 0)}/${length}?)`);
  }
  return { address, length };
}

/** Formats a prefix as `a.b.c.d/len`. */
export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.address)}/${cidr.length}`;
}

/** Whether `addr` lies inside `cidr`. */
export function ipv4InCidr(addr: number, cidr: Ipv4Cidr): boolean {
  return ((addr & ipv4Mask(cidr.length)) >>> 0) === cidr.address;
}

/** Whether two IPv4 prefixes share at least one address. */
export function ipv4CidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const len = Math.min(a.length, b.length);
  const m = ipv4Mask(len);
  return ((a.address & m) >>> 0) === ((b.address & m) >>> 0);
}

/** Number of addresses in a prefix. */
export function ipv4CidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.length);
}

/** Reads a uint32 IPv4 address from `buf` at `off` (network order). */
export function readIpv4(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes a uint32 IPv4 address into `buf` at `off` (network order). */
export function writeIpv4(buf: Uint8Array, off: number, addr: number): void {
  buf[off] = addr >>> 24;
  buf[off + 1] = (addr >>> 16) & 0xff;
  buf[off + 2] = (addr >>> 8) & 0xff;
  buf[off + 3] = addr & 0xff;
}
