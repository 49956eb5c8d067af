/**
 * Errors of the dns64 room. Each carries a stable `code`; tests assert on it.
 *
 * | code                  | when                                                   |
 * |-----------------------|--------------------------------------------------------|
 * | ERR_DNS64_CONFIG      | an option breaks a rule (message names key and value)  |
 * | ERR_DNS64_LISTEN      | a listener could not bind                              |
 * | ERR_DNS64_STATE       | start/stop called in the wrong state                   |
 * | ERR_UPSTREAM_TIMEOUT  | no upstream answered within the attempts               |
 * | ERR_UPSTREAM_FAILED   | every upstream failed (network error, bad answer)      |
 * | ERR_UPSTREAM_OVERLOAD | the cap on outstanding upstream queries was reached    |
 */
export type Dns64ErrorCode =
  | 'ERR_DNS64_CONFIG'
  | 'ERR_DNS64_LISTEN'
  | 'ERR_DNS64_STATE'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_UPSTREAM_FAILED'
  | 'ERR_UPSTREAM_OVERLOAD';

/** An error of the dns64 room. */
export class Dns64Error extends Error {
  override readonly name = 'Dns64Error';
  constructor(
    readonly code: Dns64ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
