/**
 * ICMP type/code/pointer/MTU translation tables of RFC 7915 §4.2 (ICMPv4 →
 * ICMPv6) and §5.2 (ICMPv6 → ICMPv4), as pure functions returning packed
 * numbers so nothing is allocated: `(type << 8) | code`, or -1 for "drop".
 */

/** Default MTU plateaus of RFC 1191 §7 (used when a 3/4 carries MTU 0). */
const PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68] as const;

/** Whether an ICMPv4 type is an error message (RFC 792). */
export function isIcmp4Error(type: number): boolean {
  return type === 3 || type === 11 || type === 12 || type === 4 || type === 5;
}

/** Whether an ICMPv6 type is an error message (RFC 4443 §2.1: types 0-127). */
export function isIcmp6Error(type: number): boolean {
  return type < 128;
}

/**
 * §4.2 ICMPv4 error → ICMPv6 error: packed (type << 8 | code) or -1.
 * Informational types (echo) are handled by the caller.
 */
export function mapIcmp4Error(type: number, code: number): number {
  if (type === 3) {
    switch (code) {
      case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
        return (1 << 8) | 0; // no route to destination
      case 2:
        return (4 << 8) | 1; // unrecognized next header, pointer 6
      case 3:
        return (1 << 8) | 4; // port unreachable
      case 4:
        return 2 << 8; // packet too big
      case 9: case 10: case 13: case 15:
        return (1 << 8) | 1; // administratively prohibited
      default:
        return -1; // 14 (host precedence violation) and unknown codes
    }
  }
  if (type === 11) return code <= 1 ? (3 << 8) | code : -1;
  if (type === 12) return code === 0 || code === 2 ? 4 << 8 : -1;
  return -1; // 4 source quench, 5 redirect and the rest (§4.2: silently drop)
}

/** §4.2 Figure 3: IPv4 header pointer → IPv6 header pointer, -1 = drop. */
export function mapPointer4to6(p: number): number {
  if (p === 0 || p === 1) return p;
  if (p === 2 || p === 3) return 4;
  if (p === 8) return 7;
  if (p === 9) return 6;
  if (p >= 12 && p <= 15) return 8;
  if (p >= 16 && p <= 19) return 24;
  return -1;
}

/**
 * §5.2 ICMPv6 error → ICMPv4 error: packed (type << 8 | code) or -1.
 */
export function mapIcmp6Error(type: number, code: number): number {
  switch (type) {
    case 1:
      if (code === 0 || code === 2 || code === 3) return (3 << 8) | 1; // host unreachable
      if (code === 1) return (3 << 8) | 10; // communication administratively prohibited
      if (code === 4) return (3 << 8) | 3; // port unreachable
      return -1;
    case 2:
      return (3 << 8) | 4; // fragmentation needed
    case 3:
      return code <= 1 ? (11 << 8) | code : -1;
    case 4:
      if (code === 0) return 12 << 8;
      if (code === 1) return (3 << 8) | 2; // protocol unreachable
      return -1;
    default:
      return -1;
  }
}

/** §5.2 Figure 6: IPv6 header pointer → IPv4 header pointer, -1 = drop. */
export function mapPointer6to4(p: number): number {
  if (p === 0 || p === 1) return p;
  if (p === 4 || p === 5) return 2;
  if (p === 6) return 9;
  if (p === 7) return 8;
  if (p >= 8 && p <= 23) return 12;
  if (p >= 24 && p <= 39) return 16;
  return -1;
}

/** The largest RFC 1191 plateau strictly below `totalLength`. */
export function plateauBelow(totalLength: number): number {
  for (const p of PLATEAUS) if (p < totalLength) return p;
  return 68;
}

/**
 * §4.2 PTB MTU from an ICMPv4 3/4 MTU: max(1280, min(mtu4 + 20, ipv6Mtu,
 * ipv4Mtu + 20)); MTU 0 (pre-RFC 1191 routers) uses the plateau below the
 * inner packet's total length.
 */
export function mtu4to6(mtu4: number, innerTotal: number, ipv6Mtu: number, ipv4Mtu: number): number {
  const m = mtu4 === 0 ? plateauBelow(innerTotal) : mtu4;
  return Math.max(1280, Math.min(m + 20, ipv6Mtu, ipv4Mtu + 20));
}

/** §5.2 fragmentation-needed MTU from an ICMPv6 PTB: min(mtu6 − 20, ipv4Mtu, ipv6Mtu − 20). */
export function mtu6to4(mtu6: number, ipv6Mtu: number, ipv4Mtu: number): number {
  return Math.max(68, Math.min(mtu6 - 20, ipv4Mtu, ipv6Mtu - 20));
}
