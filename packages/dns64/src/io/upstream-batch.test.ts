import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCounters } from '../metrics.js';
import type { NativeUdp } from './native-udp.js';
import { UpstreamClient } from './upstream-client.js';

/** The real addon, with its send calls counted (its own properties cannot be spied on). */
const calls = { batch: [] as number[], single: 0 };
vi.mock('./native-udp.js', async (orig) => {
  const real = await orig<typeof import('./native-udp.js')>();
  let counted: NativeUdp | undefined;
  return {
    ...real,
    loadNativeUdp: (): NativeUdp | undefined => {
      const addon = real.loadNativeUdp();
      if (addon === undefined) return undefined;
      counted ??= Object.create(addon, {
        sendBatch: {
          value: (...a: Parameters<NativeUdp['sendBatch']>) => {
            calls.batch.push(a[5]);
            return addon.sendBatch(...a);
          },
        },
        sendTo: {
          value: (...a: Parameters<NativeUdp['sendTo']>) => {
            calls.single++;
            return addon.sendTo(...a);
          },
        },
      }) as NativeUdp;
      return counted;
    },
  };
});

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

describe('upstream queries through the addon', () => {
  it('go out in one sendmmsg per socket per turn, and each still gets its own answer', async () => {
    const sock = dgram.createSocket('udp4');
    closers.push(() => sock.close());
    sock.on('message', (m, r) => {
      const q = dnsPacket.decode(m);
      sock.send(dnsPacket.encode({ ...q, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 60, data: '192.0.2.1' }], additionals: [] }), r.port, r.address);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const c = new UpstreamClient([{ address: '127.0.0.1', port: sock.address().port, family: 4 }],
      { timeoutMs: 2000, attempts: 1, failover: false, maxOutstanding: 100, portPool: { sockets: 1, uses: 1000 } }, createCounters(), Date.now, 'native');
    closers.push(() => c.close());
    expect(c.udpKind).toBe('native');
    const names = Array.from({ length: 40 }, (_, i) => `n${i}.example.org`);
    const answers = await Promise.all(names.map((name) => c.lookup({ name, type: 1, qclass: 1, dnssecOk: false, checkingDisabled: false })));
    expect(answers.map((w) => dnsPacket.decode(w).questions![0]!.name)).toEqual(names);
    expect(calls.batch).toEqual([40]);
    expect(calls.single).toBe(0);
    // A later turn is a batch of its own.
    await c.lookup({ name: 'later.example.org', type: 1, qclass: 1, dnssecOk: false, checkingDisabled: false });
    expect(calls.batch).toEqual([40, 1]);
  });
});
