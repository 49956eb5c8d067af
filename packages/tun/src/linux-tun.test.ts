// LinuxTun without touching the network: option validation happens before the
// addon is asked for anything, and the addon's layout matches the wrapper. The
// real device is exercised in test/e2e/tun.test.ts inside a network namespace.
import { describe, expect, it } from 'vitest';
import { LinuxTun } from './linux-tun.js';
import { loadNative, NATIVE_STAT_SLOTS } from './native.js';
import { emptyStats } from './metrics.js';

describe('LinuxTun.open option validation', () => {
  it.each([
    { name: 'name too long', opts: { name: 'sixgate-too-long0' } },
    { name: 'name with slash', opts: { name: 'six/gate' } },
    { name: 'name not a string', opts: { name: 42 as unknown as string } },
    { name: 'MTU below 68', opts: { name: 'sixgate0', mtu: 0 } },
    { name: 'MTU NaN', opts: { name: 'sixgate0', mtu: Number.NaN } },
    { name: 'batch size negative', opts: { name: 'sixgate0', batchSize: -1 } },
  ])('rejects $name with ERR_TUN_ARGUMENT before opening anything', ({ opts }) => {
    expect(() => LinuxTun.open(opts)).toThrowError(expect.objectContaining({ code: 'ERR_TUN_ARGUMENT' }) as Error);
  });
});

describe('native addon', () => {
  it('is built and agrees with the wrapper on the stats layout', () => {
    const native = loadNative(); // throws ERR_TUN_ADDON with the build command if missing
    expect(native.STATS_COUNT).toBe(NATIVE_STAT_SLOTS.length);
    expect(new Set(NATIVE_STAT_SLOTS)).toEqual(new Set(Object.keys(emptyStats())));
    for (const fn of ['open', 'name', 'ifconfig', 'readFlat', 'writeFlat', 'poll', 'stats', 'close'] as const) {
      expect(typeof native[fn]).toBe('function');
    }
  });

  it('refuses something that is not a handle with a TypeError instead of crashing', () => {
    const native = loadNative();
    const fake = {} as Parameters<typeof native.close>[0];
    expect(() => native.close(fake)).toThrow(TypeError);
    expect(() => native.readFlat(fake, new Uint8Array(64), 64, 0, new Int32Array(1), 1)).toThrow(/not a TUN handle/);
  });
});
