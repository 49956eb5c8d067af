import { SYNC_WORDS } from '@sixgate/nat64';
import { describe, expect, it } from 'vitest';
import { encodeBulkEnd, encodeJson, encodeRecords, encodeSeq, FrameDecoder, MAX_FRAME } from './codec.js';
import { SyncQueue } from './queue.js';

const words = Int32Array.from({ length: 3 * SYNC_WORDS }, (_, i) => (i % 2 === 0 ? -i * 1000 : i * 77777));
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('frame codec', () => {
  it('round-trips every kind, also when the stream arrives one byte at a time', () => {
    const stream = Buffer.concat([
      encodeJson('hello', { protocol: 1, nodeId: 'a' }),
      encodeRecords('records', 7, words, 3, (i) => i * SYNC_WORDS),
      encodeSeq('bulkBegin', 8),
      encodeRecords('bulkChunk', 9, words, 0, () => 0),
      encodeBulkEnd(10, 12345),
      encodeSeq('ack', 0xffffffff),
      encodeJson('config', { version: 3 }),
      encodeJson('heartbeat', { role: 'active' }),
    ]);
    const whole = new FrameDecoder().push(stream);
    const dec = new FrameDecoder();
    const bytewise = [...stream].flatMap((b) => dec.push(Buffer.from([b])));
    dec.end();
    expect(bytewise).toEqual(whole);
    expect(whole.map((f) => f.kind)).toEqual(['hello', 'records', 'bulkBegin', 'bulkChunk', 'bulkEnd', 'ack', 'config', 'heartbeat']);
    const rec = whole[1] as { seq: number; count: number; records: Int32Array };
    expect(rec.seq).toBe(7);
    expect(rec.count).toBe(3);
    expect([...rec.records]).toEqual([...words]);
    expect(whole[4]).toEqual({ kind: 'bulkEnd', seq: 10, total: 12345 });
    expect(whole[5]).toEqual({ kind: 'ack', seq: 0xffffffff });
    expect(whole[0]).toEqual({ kind: 'hello', json: { protocol: 1, nodeId: 'a' } });
  });

  it('puts every record word on the wire big-endian, for records in runs, out of order and across a wrap', () => {
    const ring = Int32Array.from({ length: 8 * SYNC_WORDS }, (_, i) => (i * 0x9e3779b1) | 0);
    const order = [5, 6, 7, 0, 1, 3, 2, 2]; // a run across the ring's end, a gap, one backwards, one twice
    const b = encodeRecords('records', 0x01020304, ring, order.length, (i) => order[i]! * SYNC_WORDS);
    const want = Buffer.alloc(5 + 8 + order.length * SYNC_WORDS * 4);
    want.writeUInt32BE(want.length - 4, 0);
    want[4] = 6;
    want.writeUInt32BE(0x01020304, 5);
    want.writeUInt32BE(order.length, 9);
    let o = 13;
    for (const r of order) for (let j = 0; j < SYNC_WORDS; j++, o += 4) want.writeInt32BE(ring[r * SYNC_WORDS + j]!, o);
    expect(b.equals(want)).toBe(true);
    const [f] = new FrameDecoder().push(b) as [{ records: Int32Array }];
    expect([...f.records]).toEqual(order.flatMap((r) => [...ring.subarray(r * SYNC_WORDS, (r + 1) * SYNC_WORDS)]));
  });

  it('refuses oversized, empty, unknown and malformed frames with ERR_HA_FRAME', () => {
    const hdr = (len: number, kind: number, payload: number[] = []): Buffer => {
      const b = Buffer.alloc(5 + payload.length);
      b.writeUInt32BE(len, 0);
      b[4] = kind;
      Buffer.from(payload).copy(b, 5);
      return b;
    };
    expect(code(() => new FrameDecoder().push(hdr(MAX_FRAME + 1, 6)))).toBe('ERR_HA_FRAME'); // refused from the header alone
    expect(code(() => new FrameDecoder().push(hdr(0, 6)))).toBe('ERR_HA_FRAME');
    expect(code(() => new FrameDecoder().push(hdr(1, 99)))).toBe('ERR_HA_FRAME');
    expect(code(() => new FrameDecoder().push(hdr(3, 7, [0, 0])))).toBe('ERR_HA_FRAME'); // ack with 2 bytes
    expect(code(() => new FrameDecoder().push(hdr(4, 6, [0, 0, 0])))).toBe('ERR_HA_FRAME'); // records without count
    // A count that does not match the payload (claims 1000 records, carries one).
    const lie = encodeRecords('records', 1, words, 1, () => 0);
    lie.writeUInt32BE(1000, 9);
    expect(code(() => new FrameDecoder().push(lie))).toBe('ERR_HA_FRAME');
    expect(code(() => new FrameDecoder().push(hdr(4, 1, [0x7b, 0x7b, 0x7d])))).toBe('ERR_HA_FRAME'); // "{{}" is not JSON
    expect(code(() => new FrameDecoder().push(hdr(3, 1, [0x5b, 0x5d])))).toBe('ERR_HA_FRAME'); // [] is not an object
    expect(code(() => new FrameDecoder().push(hdr(5, 8, [0x6e, 0x75, 0x6c, 0x6c])))).toBe('ERR_HA_FRAME'); // null
    expect(code(() => encodeJson('config', { big: 'x'.repeat(MAX_FRAME) }))).toBe('ERR_HA_FRAME');
  });

  it('a stream that ends inside a frame is ERR_HA_TRUNCATED; a complete one is not', () => {
    const f = encodeSeq('ack', 5);
    const dec = new FrameDecoder();
    expect(dec.push(f.subarray(0, 6))).toEqual([]);
    expect(dec.buffered).toBe(6);
    expect(code(() => dec.end())).toBe('ERR_HA_TRUNCATED');
    const ok = new FrameDecoder();
    ok.push(f);
    expect(code(() => ok.end())).toBeUndefined();
  });
});

describe('SyncQueue', () => {
  const fake = { exportSession: (s: number, op: number, out: Int32Array, off: number): boolean => (s < 0 ? false : ((out[off] = op), (out[off + 1] = s), true)) };

  it('keeps records in order across the wrap and counts drops when full', () => {
    const q = new SyncQueue(3);
    expect(q.push(fake, 1, -1)).toBe(false); // not a live session: not queued, not a drop
    expect(q.drops).toBe(0);
    expect(q.push(fake, 1, 10)).toBe(true);
    expect(q.push(fake, 1, 11)).toBe(true);
    q.consume(1);
    expect(q.push(fake, 2, 12)).toBe(true);
    expect(q.push(fake, 3, 13)).toBe(true); // wraps
    expect(q.push(fake, 3, 14)).toBe(false);
    expect(q.drops).toBe(1);
    expect([0, 1, 2].map((i) => q.words[q.at(i) + 1])).toEqual([11, 12, 13]);
    q.consume(5);
    expect(q.length).toBe(0);
  });

  it('refuses a bad capacity', () => {
    expect(code(() => new SyncQueue(0))).toBe('ERR_HA_OPTIONS');
    expect(code(() => new SyncQueue(1.5))).toBe('ERR_HA_OPTIONS');
  });
});
