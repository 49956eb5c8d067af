import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DNS64_DEFAULTS, parseEndpoint } from '../config.js';
import { createCounters } from '../metrics.js';
import { RateLimiter } from '../rate-limit.js';
import { ClientCache } from './client-cache.js';
import { loadNativeUdp, nativeUdpLoadError } from './native-udp.js';
import { openUdpListener, type UdpListener } from './udp.js';

const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((c) => c());
  vi.unstubAllEnvs();
});

/**
 * Sends `n` queries in one synchronous burst (all queued before the listener's
 * next wake-up); every one "misses" (the answer is a promise that never
 * settles). Returns how many queries each loop turn handled.
 */
async function missesPerTurn(n: number): Promise<number[]> {
  if (loadNativeUdp() === undefined) throw new Error(`the addon must be built: ${nativeUdpLoadError()?.message}`);
  const key = new RateLimiter(DNS64_DEFAULTS.rateLimit, Date.now).keyFor(new Uint8Array(4), true);
  const clients = new ClientCache((_v4, v6, text) => ({ allowed: true, rateKey: key, client6: v6, text }));
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  closers.push(() => (ticking = false));
  const perTurn = new Map<number, number>();
  const pending = new Promise<Buffer | undefined>(() => undefined);
  const l: UdpListener = await openUdpListener('native', parseEndpoint('127.0.0.1:0', 0, 'listen'), false, {
    clients, counters: createCounters(),
    answer: () => pending,
    answerInto: () => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      return pending;
    },
  });
  closers.push(() => l.close());
  const c = dgram.createSocket('udp4');
  closers.push(() => c.close());
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  const q = Buffer.alloc(32, 1);
  setImmediate(tick);
  for (let i = 0; i < n; i++) c.send(q, l.address().port, '127.0.0.1');
  const end = Date.now() + 5000;
  while ([...perTurn.values()].reduce((a, b) => a + b, 0) < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return [...perTurn.values()];
}

describe('work per loop turn on the UDP listener', () => {
  it('hands at most about one batch beyond the miss budget (64) to the full path per turn, then yields', async () => {
    const counts = await missesPerTurn(1024);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1024);
    expect(Math.max(...counts)).toBeLessThanOrEqual(64 + 64);
    expect(counts.length).toBeGreaterThanOrEqual(8);
  });

  it('follows SIXGATE_DNS64_TURN_MISSES', async () => {
    vi.stubEnv('SIXGATE_DNS64_TURN_MISSES', '1');
    const counts = await missesPerTurn(256);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(256);
    expect(Math.max(...counts)).toBeLessThanOrEqual(64);
  });
});
