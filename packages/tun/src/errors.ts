/**
 * Edge errors of @sixgate/tun (STYLE §4): every failure that leaves this package
 * is a `TunError` with a stable `code`, or a `TunClosedError` once the device is
 * closed. The native addon throws plain errors carrying `errno` and `syscall`;
 * `fromNative()` maps them here, so errno numbers never leak to callers.
 */
import { constants } from 'node:os';

/** Stable error codes; tests and callers switch on these, never on messages. */
export const TUN_ERROR_CODES = {
  /** Generic failure opening /dev/net/tun or attaching the interface. */
  ERR_TUN_OPEN: 'could not open the TUN device',
  /** Missing CAP_NET_ADMIN or no access to /dev/net/tun. */
  ERR_TUN_PERMISSION: 'permission denied (needs CAP_NET_ADMIN and access to /dev/net/tun)',
  /** The interface name is taken (another TUN owner, or a non-TUN interface). */
  ERR_TUN_BUSY: 'interface name already in use',
  /** /dev/net/tun is missing or the tun module is not available. */
  ERR_TUN_UNAVAILABLE: '/dev/net/tun is not available',
  /** MTU or link-state ioctl failed. */
  ERR_TUN_CONFIG: 'could not configure the interface',
  /** Fatal read/poll error: the device is unusable. */
  ERR_TUN_IO: 'TUN device I/O failed',
  /** Bad argument (name, MTU, batch size, buffers). */
  ERR_TUN_ARGUMENT: 'invalid argument',
  /** The native addon is not built or cannot be loaded. */
  ERR_TUN_ADDON: 'native addon not available',
  /** The device was closed. */
  ERR_TUN_CLOSED: 'TUN device is closed',
} as const;

export type TunErrorCode = keyof typeof TUN_ERROR_CODES;

/** An error at the TUN boundary with a stable `code` and, when known, the errno. */
export class TunError extends Error {
  override readonly name: string = 'TunError';
  readonly code: TunErrorCode;
  /** errno name from the kernel (`EBUSY`), when the error came from a syscall. */
  readonly errno: string | undefined;
  /** The syscall that failed (`ioctl TUNSETIFF`), when known. */
  readonly syscall: string | undefined;

  constructor(code: TunErrorCode, message: string, opts: { errno?: string; syscall?: string; cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.errno = opts.errno;
    this.syscall = opts.syscall;
  }
}

/** Thrown by every operation on a device after `close()`. */
export class TunClosedError extends TunError {
  override readonly name = 'TunClosedError';
  constructor(device: string) {
    super('ERR_TUN_CLOSED', `device ${device} is closed`);
  }
}

/** What the native layer was doing when it failed; picks the fallback code. */
export type NativeOp = 'open' | 'config' | 'io';

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, num]) => [num, name]),
);

/** errno number → symbolic name (`16` → `EBUSY`); unknown numbers stay numeric text. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

function codeFor(op: NativeOp, errno: string, syscall: string): TunErrorCode {
  if (errno === 'EPERM' || errno === 'EACCES') return 'ERR_TUN_PERMISSION';
  if (op === 'open') {
    if (errno === 'EBUSY') return 'ERR_TUN_BUSY';
    // TUNSETIFF gives EINVAL when the name belongs to a non-TUN interface or to a
    // TUN created with other flags (multi-queue mismatch); names are validated
    // before the call, so EINVAL here means the name is taken.
    if (errno === 'EINVAL' && syscall === 'ioctl TUNSETIFF') return 'ERR_TUN_BUSY';
    if (syscall.startsWith('open') && (errno === 'ENOENT' || errno === 'ENODEV' || errno === 'ENXIO')) {
      return 'ERR_TUN_UNAVAILABLE';
    }
    return 'ERR_TUN_OPEN';
  }
  return op === 'config' ? 'ERR_TUN_CONFIG' : 'ERR_TUN_IO';
}

/**
 * Maps an error thrown by the addon (`{errno: number, syscall: string}`) to a
 * TunError; `device` names the interface in the message. Non-native errors
 * (N-API failures) become ERR_TUN_IO with the original as `cause`.
 */
export function fromNative(err: unknown, op: NativeOp, device: string): TunError {
  if (err instanceof TunError) return err;
  const e = err as { errno?: unknown; syscall?: unknown; message?: unknown };
  if (typeof e?.errno !== 'number' || typeof e.syscall !== 'string') {
    return new TunError(op === 'open' ? 'ERR_TUN_OPEN' : 'ERR_TUN_IO', `${device}: ${String(e?.message ?? err)}`, {
      cause: err,
    });
  }
  if (e.syscall === 'closed') return new TunClosedError(device);
  const errno = errnoName(e.errno);
  const code = codeFor(op, errno, e.syscall);
  return new TunError(code, `${device}: ${TUN_ERROR_CODES[code]} (${e.syscall}: ${errno})`, {
    errno,
    syscall: e.syscall,
  });
}
