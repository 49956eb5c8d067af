/**
 * The fixed binary record of one session for state sync (packages/ha):
 * 12 int32 words (48 bytes), written by `Nat64State.exportSession` and read
 * by `importSession` / `dropSession`. Numbers only, so copying a session into
 * a preallocated ring allocates nothing.
 *
 *   word 0  op | proto << 8 | TCP state << 16 | timer class << 24
 *   1-4     IPv6 client address, big-endian words
 *   5       port6 | port4 << 16
 *   6       pool4 address (int32)
 *   7       remote IPv4 address (int32)
 *   8       remote port (0 for ICMP) | static binding << 16
 *   9       remaining lifetime in ms (0 .. 2^31-1)
 *   10-11   reserved, 0
 */
export const SYNC_WORDS = 12;
export const SYNC_BYTES = SYNC_WORDS * 4;
export const SW_HEAD = 0;
export const SW_A6 = 1;
export const SW_PORTS = 5;
export const SW_ADDR4 = 6;
export const SW_REMOTE4 = 7;
export const SW_RPORT = 8;
export const SW_REMAINING = 9;

/** Ops in word 0; 1-3 are the `onSync` operations, refresh is the coarse timer sweep. */
export const SYNC_OP_CREATE = 1;
export const SYNC_OP_UPDATE = 2;
export const SYNC_OP_DELETE = 3;
export const SYNC_OP_REFRESH = 4;
