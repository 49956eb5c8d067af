// The addon's argument checks, which run before any privileged call (no root needed).
import { describe, expect, it } from 'vitest';
import { loadNativeRa, RaSocket } from './socket.js';

describe('raw ICMPv6 socket addon', () => {
  const native = loadNativeRa();

  it('names a missing interface (ENODEV from if_nametoindex)', () => {
    expect(() => RaSocket.open('sgnope0', native)).toThrow(expect.objectContaining({ errno: 19, syscall: 'if_nametoindex' }));
  });

  it.each([
    ['an empty name', ''],
    ['a name longer than IFNAMSIZ', 'a'.repeat(20)],
  ])('refuses %s', (_what, name) => {
    expect(() => native.open(name)).toThrow(expect.objectContaining({ errno: 22 }));
  });

  it('refuses a handle that is not one', () => {
    const bogus = {} as never;
    expect(() => native.recv(bogus, new Uint8Array(8), new Uint8Array(40))).toThrow(/not an RA socket handle/);
    expect(() => native.close(bogus)).toThrow();
  });
});
