/**
 * Errors of the state tables' management calls (never of the packet path,
 * which returns `StateFail` codes instead).
 *
 * | code                   | when                                                  |
 * |------------------------|-------------------------------------------------------|
 * | ERR_STATE_OPTIONS      | invalid StateOptions (pool4, ports, timeouts, limits)  |
 * | ERR_STATE_CONFLICT     | a static BIB entry collides with an existing binding  |
 * | ERR_STATE_NOT_POOL4    | a static BIB entry's IPv4 address is not in pool4      |
 * | ERR_STATE_ARGUMENT     | a malformed argument (protocol, port, address length)  |
 * | ERR_STATE_SNAPSHOT     | restore() got something that is not one of our snapshots |
 */
export type StateErrorCode =
  | 'ERR_STATE_OPTIONS'
  | 'ERR_STATE_CONFLICT'
  | 'ERR_STATE_NOT_POOL4'
  | 'ERR_STATE_ARGUMENT'
  | 'ERR_STATE_SNAPSHOT';

/** A management call on the state tables was refused. */
export class StateError extends Error {
  override readonly name = 'StateError';
  constructor(
    readonly code: StateErrorCode,
    message: string,
  ) {
    super(message);
  }
}
