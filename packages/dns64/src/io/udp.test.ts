import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DNS64_DEFAULTS, parseEndpoint } from '../config.js';
import { createCounters } from '../metrics.js';
import { RateLimiter } from '../rate-limit.js';
import { ClientCache, type ClientInfo } from './client-cache.js';
import { openUdpListener, recvBufferBytes, type UdpListener } from './udp.js';

// The addon "cannot load" in this file: the server must fall back to node:dgram.
vi.mock('./native-udp.js', async (orig) => ({
  ...(await orig<typeof import('./native-udp.js')>()),
  loadNativeUdp: () => undefined,
  nativeUdpLoadError: () => new Error('cannot open shared object file'),
}));

const listeners: UdpListener[] = [];
afterEach(() => {
  for (const l of listeners.splice(0)) l.close();
  vi.unstubAllEnvs();
});

function context(): { clients: ClientCache; counters: ReturnType<typeof createCounters>; answer: (raw: Buffer, c: ClientInfo) => Buffer } {
  const key = new RateLimiter(DNS64_DEFAULTS.rateLimit, Date.now).keyFor(new Uint8Array(16), false);
  const clients = new ClientCache((_v4, v6, text) => ({ allowed: true, rateKey: key, client6: v6, text }));
  return { clients, counters: createCounters(), answer: (raw, c) => Buffer.concat([raw, Buffer.from(` from ${c.text}`)]) };
}

describe('openUdpListener without the addon', () => {
  it('auto falls back to node:dgram, which answers', async () => {
    const l = await openUdpListener('auto', parseEndpoint('127.0.0.1:0', 53, 'listen'), false, context());
    listeners.push(l);
    expect(l.kind).toBe('dgram');
    expect(l.nativeStats()).toBeUndefined();
    const c = dgram.createSocket('udp4');
    const reply = await new Promise<string>((resolve) => {
      c.on('message', (m) => resolve(m.toString()));
      c.send('hi', l.address().port, '127.0.0.1');
    });
    c.close();
    expect(reply).toBe('hi from 127.0.0.1');
  });

  it('native, when required, fails with ERR_DNS64_LISTEN saying how to build the addon', async () => {
    await expect(openUdpListener('native', parseEndpoint('127.0.0.1:0', 53, 'listen'), false, context())).rejects.toMatchObject({
      code: 'ERR_DNS64_LISTEN',
      message: expect.stringMatching(/cannot open shared object file.*build:native -w @sixgate\/dns64/),
    });
  });

  it('reports a bind conflict as ERR_DNS64_LISTEN', async () => {
    const first = await openUdpListener('dgram', parseEndpoint('127.0.0.1:0', 53, 'listen'), false, context());
    listeners.push(first);
    await expect(openUdpListener('dgram', parseEndpoint(`127.0.0.1:${first.address().port}`, 53, 'listen'), false, context())).rejects.toMatchObject({ code: 'ERR_DNS64_LISTEN' });
  });
});

describe('recvBufferBytes', () => {
  it('is 1 MiB unless SIXGATE_DNS64_RCVBUF gives a non-negative integer', () => {
    expect(recvBufferBytes()).toBe(1024 * 1024);
    vi.stubEnv('SIXGATE_DNS64_RCVBUF', '0');
    expect(recvBufferBytes()).toBe(0);
    vi.stubEnv('SIXGATE_DNS64_RCVBUF', '262144');
    expect(recvBufferBytes()).toBe(262144);
    for (const bad of ['-1', 'lots', '1.5']) {
      vi.stubEnv('SIXGATE_DNS64_RCVBUF', bad);
      expect(recvBufferBytes()).toBe(1024 * 1024);
    }
  });
});
