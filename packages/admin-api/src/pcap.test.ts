import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPcap, LINKTYPE_RAW, PCAP_MAGIC, PCAP_SNAPLEN } from './pcap.js';

describe('buildPcap', () => {
  it('writes the global header: magic, version 2.4, UTC, snaplen, LINKTYPE_RAW', () => {
    const f = Buffer.from(buildPcap([]));
    expect(f.length).toBe(24);
    expect(f.subarray(0, 4)).toEqual(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]));
    expect([f.readUInt16LE(4), f.readUInt16LE(6), f.readInt32LE(8), f.readUInt32LE(12)]).toEqual([2, 4, 0, 0]);
    expect(f.readUInt32LE(16)).toBe(PCAP_SNAPLEN);
    expect(f.readUInt32LE(20)).toBe(LINKTYPE_RAW);
  });

  it('truncates packets above the snap length and keeps the original length', () => {
    const big = new Uint8Array(PCAP_SNAPLEN + 100).fill(7);
    const f = Buffer.from(buildPcap([{ ts: 0, data: big }]));
    expect([f.readUInt32LE(32), f.readUInt32LE(36)]).toEqual([PCAP_SNAPLEN, PCAP_SNAPLEN + 100]);
    expect(f.length).toBe(24 + 16 + PCAP_SNAPLEN);
  });

  it('every file reads back record by record to the same packets and times (property)', () => {
    const packet = fc.record({ ts: fc.integer({ min: 0, max: 4_000_000_000_000 }), data: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), (packets) => {
        const f = Buffer.from(buildPcap(packets));
        expect(f.readUInt32LE(0)).toBe(PCAP_MAGIC);
        let off = 24;
        for (const p of packets) {
          expect(f.readUInt32LE(off) * 1000 + f.readUInt32LE(off + 4) / 1000).toBe(p.ts);
          const incl = f.readUInt32LE(off + 8);
          expect(incl).toBe(p.data.length);
          expect(new Uint8Array(f.subarray(off + 16, off + 16 + incl))).toEqual(p.data);
          off += 16 + incl;
        }
        expect(off).toBe(f.length);
      }),
    );
  });
});
