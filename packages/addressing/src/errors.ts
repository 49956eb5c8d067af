/**
 * Errors raised while parsing addresses and prefixes given by an operator.
 *
 * Every error carries a stable `code` (tests assert on it) and a message that
 * names the value and the rule it breaks, so the config layer only has to put
 * the key in front of it.
 *
 * | code                     | when                                          |
 * |--------------------------|-----------------------------------------------|
 * | ERR_ADDRESS_SYNTAX       | not an IPv4/IPv6 address or CIDR at all        |
 * | ERR_ADDRESS_FAMILY       | IPv4 where IPv6 is required, or the reverse    |
 * | ERR_PREFIX_LENGTH        | prefix length out of range / not allowed       |
 * | ERR_PREFIX_HOST_BITS     | bits set below the prefix length               |
 * | ERR_PREFIX_U_OCTET       | RFC 6052 bits 64–71 not zero                   |
 * | ERR_PREFIX_RESERVED      | prefix inside a range that cannot be a Pref64  |
 */
export type AddressErrorCode =
  | 'ERR_ADDRESS_SYNTAX'
  | 'ERR_ADDRESS_FAMILY'
  | 'ERR_PREFIX_LENGTH'
  | 'ERR_PREFIX_HOST_BITS'
  | 'ERR_PREFIX_U_OCTET'
  | 'ERR_PREFIX_RESERVED';

/** An operator-supplied address or prefix was rejected. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(
    readonly code: AddressErrorCode,
    message: string,
  ) {
    super(message);
  }
}
