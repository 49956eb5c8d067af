import { describe, expect, it } from 'vitest';
import { SseWriter } from './sse.js';

const read = (w: SseWriter): string => {
  const chunks: Buffer[] = [];
  let c: Buffer | null;
  while ((c = w.stream.read() as Buffer | null) !== null) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
};

describe('SseWriter', () => {
  it('writes events in the event-stream format and ends with a last event', async () => {
    const w = new SseWriter(1024);
    w.comment('hello');
    w.event('record', { a: 1, s: 'two\nlines' });
    w.end('end', { n: 1 });
    const text = read(w);
    expect(text).toBe(': hello\n\nevent: record\ndata: {"a":1,"s":"two\\nlines"}\n\nevent: end\ndata: {"n":1}\n\n');
    expect([w.written, w.dropped]).toEqual([1, 0]);
  });

  it('drops and counts events while nobody reads, then accepts again once drained', () => {
    const w = new SseWriter(4096);
    let queued = 0;
    for (let i = 0; i < 1000; i++) if (w.event('record', { i, pad: 'x'.repeat(100) })) queued++;
    expect(w.dropped).toBeGreaterThan(900);
    expect(queued + w.dropped).toBe(1000);
    expect(w.buffered).toBeLessThan(4096 + 200);
    read(w);
    expect(w.event('record', { after: true })).toBe(true);
    expect(read(w)).toBe('event: record\ndata: {"after":true}\n\n');
  });
});
