import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { errnoName, fromNative, TunClosedError, TunError, TUN_ERROR_CODES } from './errors.js';

const E = constants.errno;
/** What the addon throws: a plain Error with numeric errno and a syscall. */
function nativeErr(errno: number, syscall: string): Error {
  return Object.assign(new Error(`${syscall}: failed`), { errno, syscall });
}

describe('fromNative errno mapping', () => {
  it.each([
    { name: 'EPERM on TUNSETIFF', errno: E.EPERM, syscall: 'ioctl TUNSETIFF', op: 'open', code: 'ERR_TUN_PERMISSION' },
    { name: 'EACCES opening /dev/net/tun', errno: E.EACCES, syscall: 'open /dev/net/tun', op: 'open', code: 'ERR_TUN_PERMISSION' },
    { name: 'EBUSY on TUNSETIFF', errno: E.EBUSY, syscall: 'ioctl TUNSETIFF', op: 'open', code: 'ERR_TUN_BUSY' },
    { name: 'EINVAL on TUNSETIFF (non-TUN name)', errno: E.EINVAL, syscall: 'ioctl TUNSETIFF', op: 'open', code: 'ERR_TUN_BUSY' },
    { name: 'ENOENT /dev/net/tun', errno: E.ENOENT, syscall: 'open /dev/net/tun', op: 'open', code: 'ERR_TUN_UNAVAILABLE' },
    { name: 'ENODEV /dev/net/tun', errno: E.ENODEV, syscall: 'open /dev/net/tun', op: 'open', code: 'ERR_TUN_UNAVAILABLE' },
    { name: 'EMFILE at open', errno: E.EMFILE, syscall: 'open /dev/net/tun', op: 'open', code: 'ERR_TUN_OPEN' },
    { name: 'EINVAL setting MTU', errno: E.EINVAL, syscall: 'ioctl SIOCSIFMTU', op: 'config', code: 'ERR_TUN_CONFIG' },
    { name: 'EPERM setting flags', errno: E.EPERM, syscall: 'ioctl SIOCSIFFLAGS', op: 'config', code: 'ERR_TUN_PERMISSION' },
    { name: 'EBADFD reading', errno: E.EBADFD ?? 77, syscall: 'read', op: 'io', code: 'ERR_TUN_IO' },
    { name: 'EIO reading', errno: E.EIO, syscall: 'read', op: 'io', code: 'ERR_TUN_IO' },
  ] as const)('$name → $code', ({ errno, syscall, op, code }) => {
    const err = fromNative(nativeErr(errno, syscall), op, 'sixgate0');
    expect(err).toBeInstanceOf(TunError);
    expect(err.code).toBe(code);
    expect(err.syscall).toBe(syscall);
    expect(err.errno).toBe(errnoName(errno));
    expect(err.message).toContain('sixgate0');
    expect(err.message).toContain(code);
  });

  it('the closed marker becomes TunClosedError', () => {
    const err = fromNative(nativeErr(E.EBADF, 'closed'), 'io', 'sixgate0');
    expect(err).toBeInstanceOf(TunClosedError);
    expect(err.code).toBe('ERR_TUN_CLOSED');
  });

  it('a non-errno error keeps its cause and gets the op fallback code', () => {
    const cause = new TypeError('N-API call failed');
    const open = fromNative(cause, 'open', 'x');
    expect(open.code).toBe('ERR_TUN_OPEN');
    expect(open.cause).toBe(cause);
    expect(fromNative('weird', 'io', 'x').code).toBe('ERR_TUN_IO');
    expect(fromNative(null, 'io', 'x').code).toBe('ERR_TUN_IO');
  });

  it('passes a TunError through unchanged', () => {
    const e = new TunError('ERR_TUN_BUSY', 'x');
    expect(fromNative(e, 'io', 'y')).toBe(e);
  });

  it('errnoName names known numbers and does not throw on unknown ones', () => {
    expect(errnoName(E.EBUSY)).toBe('EBUSY');
    expect(errnoName(99999)).toBe('errno 99999');
  });

  it('every code has a description', () => {
    for (const [code, text] of Object.entries(TUN_ERROR_CODES)) {
      expect(code).toMatch(/^ERR_TUN_[A-Z_]+$/);
      expect(text.length).toBeGreaterThan(5);
    }
  });
});
