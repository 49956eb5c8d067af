/**
 * The sync protocol's framing (ADR 8). Every message is
 *
 *   u32 length | u8 kind | payload        (big-endian; length = 1 + payload bytes)
 *
 * with length at most MAX_FRAME. Record-carrying frames (records, bulk-chunk)
 * are `u32 seq | u32 count | count × 48-byte records` (nat64's sync record,
 * each int32 word big-endian); bulk-begin is `u32 seq`, bulk-end `u32 seq |
 * u32 total`, ack `u32 seq`; hello, heartbeat, config, config-lock and
 * config-lock-reply carry one JSON object.
 * Anything else is a protocol error: the link is closed with a named reason,
 * nothing is guessed.
 */
import { SYNC_BYTES, SYNC_WORDS } from '@sixgate/nat64';
import { HaError } from './errors.js';

export const KIND = {
  hello: 1,
  heartbeat: 2,
  bulkBegin: 3,
  bulkChunk: 4,
  bulkEnd: 5,
  records: 6,
  ack: 7,
  config: 8,
  /** A node asks the peer for a configuration version before committing a change there (ADR 8). */
  configLock: 9,
  /** The answer: granted or refused, with the reason. */
  configLockReply: 10,
} as const;
export type KindName = keyof typeof KIND;
/** Kinds whose payload is one JSON object. */
export type JsonKind = 'hello' | 'heartbeat' | 'config' | 'configLock' | 'configLockReply';
const NAME_OF: Record<number, KindName> = Object.fromEntries(Object.entries(KIND).map(([k, v]) => [v, k as KindName]));

/** Largest frame (kind + payload), 1 MiB. */
export const MAX_FRAME = 1 << 20;
export const HEADER = 5;
/** Records per frame so that a frame stays near 64 KiB. */
export const RECORDS_PER_FRAME = Math.floor(65_536 / SYNC_BYTES);

export type Frame =
  | { kind: JsonKind; json: Record<string, unknown> }
  | { kind: 'records' | 'bulkChunk'; seq: number; count: number; records: Int32Array }
  | { kind: 'bulkBegin' | 'ack'; seq: number }
  | { kind: 'bulkEnd'; seq: number; total: number };

function frame(kind: number, payload: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER + payload);
  b.writeUInt32BE(1 + payload, 0);
  b[4] = kind;
  return b;
}

export function encodeJson(kind: JsonKind, obj: Record<string, unknown>): Buffer {
  const body = Buffer.from(JSON.stringify(obj), 'utf8');
  if (body.length + 1 > MAX_FRAME) throw new HaError('ERR_HA_FRAME', `${kind} message of ${body.length} bytes is over the ${MAX_FRAME}-byte frame limit`);
  const b = frame(KIND[kind], body.length);
  body.copy(b, HEADER);
  return b;
}

export function encodeSeq(kind: 'bulkBegin' | 'ack', seq: number): Buffer {
  const b = frame(KIND[kind], 4);
  b.writeUInt32BE(seq >>> 0, HEADER);
  return b;
}

export function encodeBulkEnd(seq: number, total: number): Buffer {
  const b = frame(KIND.bulkEnd, 8);
  b.writeUInt32BE(seq >>> 0, HEADER);
  b.writeUInt32BE(total >>> 0, HEADER + 4);
  return b;
}

/** A records or bulk-chunk frame of `count` records taken from `words` (SYNC_WORDS each) by `at(i)` → word offset. */
export function encodeRecords(kind: 'records' | 'bulkChunk', seq: number, words: Int32Array, count: number, at: (i: number) => number): Buffer {
  if (count > RECORDS_PER_FRAME * 16) throw new HaError('ERR_HA_FRAME', `${count} records do not fit one frame`);
  const b = frame(KIND[kind], 8 + count * SYNC_BYTES);
  b.writeUInt32BE(seq >>> 0, HEADER);
  b.writeUInt32BE(count, HEADER + 4);
  // Runs of records adjacent in `words` (the ring between wraps, a bulk slice) are copied in one
  // go and byte-swapped in one swap32 call: 3-4x less CPU per record on the active's packet-loop
  // thread than a writeInt32BE per word (docs/benchmarks.md, HA sync cost).
  let o = HEADER + 8;
  let i = 0;
  while (i < count) {
    const w = at(i);
    let n = 1;
    while (i + n < count && at(i + n) === w + n * SYNC_WORDS) n++;
    b.set(new Uint8Array(words.buffer, words.byteOffset + w * 4, n * SYNC_BYTES), o);
    o += n * SYNC_BYTES;
    i += n;
  }
  if (LITTLE_ENDIAN && count > 0) b.subarray(HEADER + 8, o).swap32();
  return b;
}

/** The host's Int32Array byte order: the wire is big-endian, a little-endian host swaps. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function decode(kind: number, p: Buffer): Frame {
  const name = NAME_OF[kind];
  if (name === undefined) throw new HaError('ERR_HA_FRAME', `unknown frame kind ${kind}`);
  const need = (n: number): void => {
    if (p.length !== n) throw new HaError('ERR_HA_FRAME', `${name} frame has ${p.length} payload bytes, expected ${n}`);
  };
  switch (name) {
    case 'hello':
    case 'heartbeat':
    case 'config':
    case 'configLock':
    case 'configLockReply': {
      let v: unknown;
      try {
        v = JSON.parse(p.toString('utf8'));
      } catch {
        throw new HaError('ERR_HA_FRAME', `${name} frame is not JSON`);
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HaError('ERR_HA_FRAME', `${name} frame is not a JSON object`);
      return { kind: name, json: v as Record<string, unknown> };
    }
    case 'records':
    case 'bulkChunk': {
      if (p.length < 8) throw new HaError('ERR_HA_FRAME', `${name} frame has ${p.length} payload bytes, at least 8 needed`);
      const count = p.readUInt32BE(4);
      need(8 + count * SYNC_BYTES);
      const records = new Int32Array(count * SYNC_WORDS);
      const bytes = new Uint8Array(records.buffer);
      bytes.set(p.subarray(8, 8 + count * SYNC_BYTES));
      if (LITTLE_ENDIAN) Buffer.from(records.buffer).swap32();
      return { kind: name, seq: p.readUInt32BE(0), count, records };
    }
    case 'bulkBegin':
    case 'ack':
      need(4);
      return { kind: name, seq: p.readUInt32BE(0) };
    case 'bulkEnd':
      need(8);
      return { kind: name, seq: p.readUInt32BE(0), total: p.readUInt32BE(4) };
  }
}

/** Cuts a byte stream into frames; throws HaError on the first bad frame. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Bytes of an incomplete frame held. */
  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): Frame[] {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Frame[] = [];
    for (;;) {
      if (buf.length < 4) break;
      const len = buf.readUInt32BE(0);
      if (len < 1) throw new HaError('ERR_HA_FRAME', 'frame of length 0');
      if (len > MAX_FRAME) throw new HaError('ERR_HA_FRAME', `frame of ${len} bytes is over the ${MAX_FRAME}-byte limit`);
      if (buf.length < 4 + len) break;
      out.push(decode(buf[4]!, buf.subarray(HEADER, 4 + len)));
      buf = buf.subarray(4 + len);
    }
    this.pending = Buffer.from(buf);
    return out;
  }

  /** The stream ended: an incomplete frame is an error. */
  end(): void {
    if (this.pending.length > 0) throw new HaError('ERR_HA_TRUNCATED', `link closed inside a frame (${this.pending.length} bytes of it received)`);
  }
}
