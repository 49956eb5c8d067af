/** Errors of the ha room, each with a stable code. */
export type HaErrorCode =
  /** A frame that is too long, too short, of an unknown kind or with a payload that does not match its kind. */
  | 'ERR_HA_FRAME'
  /** The link closed in the middle of a frame. */
  | 'ERR_HA_TRUNCATED'
  /** A hello, heartbeat or config message with missing or wrong fields, or another protocol version. */
  | 'ERR_HA_MESSAGE'
  /** The pre-shared key is missing, too short or not hex. */
  | 'ERR_HA_KEY'
  /** Bad options (addresses, sizes). */
  | 'ERR_HA_OPTIONS'
  /**
   * A configuration change on this node cannot take the next version: the
   * peer has it already, is committing it, or won the tie-break for it
   * (ADR 8, "Simultaneous changes"). Nothing changed; retry.
   */
  | 'ERR_HA_CONFIG_CONFLICT';

export class HaError extends Error {
  constructor(readonly code: HaErrorCode, message: string) {
    super(message);
    this.name = 'HaError';
  }
}
