import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SessionLog } from './session-log.js';

const ev = (i: number) => ({ kind: 'session-created', protocol: 'udp', ipv6: `[2001:db8::1]:${i}`, ipv4: `203.0.113.1:${i}`, remote4: '198.51.100.2:53' });

describe('SessionLog', () => {
  it('writes one JSON line per event with both tuples, batched per loop turn', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d: Buffer) => chunks.push(d.toString()));
    const log = new SessionLog(out);
    log.push(ev(1));
    log.push(ev(2));
    expect(chunks).toHaveLength(0); // nothing written synchronously
    await new Promise((r) => setImmediate(r));
    expect(chunks).toHaveLength(1);
    const lines = chunks[0]!.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ msg: 'nat64-session', event: 'session-created', protocol: 'udp', ipv6: '[2001:db8::1]:1', ipv4: '203.0.113.1:1', remote4: '198.51.100.2:53' });
    expect(Date.parse(lines[0]!.time!)).not.toBeNaN();
    expect(log.counters).toEqual({ written: 2, dropped: 0 });
  });

  it('drops and counts events beyond its capacity', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const log = new SessionLog(out, 3);
    for (let i = 0; i < 10; i++) log.push(ev(i));
    await new Promise((r) => setImmediate(r));
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(log.counters).toEqual({ written: 3, dropped: 7 });
  });
});
