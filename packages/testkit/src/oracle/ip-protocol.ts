/**
 * IP protocol numbers / IPv6 next-header values (IANA "Assigned Internet
 * Protocol Numbers"). An open enum: unknown numbers stay plain numbers.
 */

/** Protocol numbers used by the translator; any other value is just a number. */
export const IP_PROTOCOL = Object.freeze({
  /** IPv6 Hop-by-Hop Options (RFC 8200 §4.3). */
  HOP_BY_HOP: 0,
  /** ICMP for IPv4 (RFC 792). */
  ICMP: 1,
  /** TCP (RFC 9293). */
  TCP: 6,
  /** UDP (RFC 768). */
  UDP: 17,
  /** IPv6 Routing header (RFC 8200 §4.4). */
  IPV6_ROUTE: 43,
  /** IPv6 Fragment header (RFC 8200 §4.5). */
  IPV6_FRAGMENT: 44,
  /** Encapsulating Security Payload (RFC 4303). */
  ESP: 50,
  /** Authentication Header (RFC 4302). */
  AH: 51,
  /** ICMP for IPv6 (RFC 4443). */
  ICMPV6: 58,
  /** IPv6 No Next Header (RFC 8200 §4.7). */
  IPV6_NO_NEXT: 59,
  /** IPv6 Destination Options (RFC 8200 §4.6). */
  IPV6_DEST_OPTS: 60,
  /** Mobility header (RFC 6275). */
  MOBILITY: 135,
  /** Host Identity Protocol (RFC 7401). */
  HIP: 139,
  /** Shim6 (RFC 5533). */
  SHIM6: 140,
} as const);

const NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'hopopts', 1: 'icmp', 6: 'tcp', 17: 'udp', 43: 'route', 44: 'frag', 50: 'esp', 51: 'ah',
  58: 'icmpv6', 59: 'none', 60: 'dstopts', 135: 'mobility', 139: 'hip', 140: 'shim6',
});

/** Short lower-case name of a protocol number for logs (`'udp'`), or the number as text. */
export function protocolName(proto: number): string {
  return NAMES[proto] ?? String(proto);
}
