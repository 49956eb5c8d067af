import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerQuery, type LabZone } from './dns-zone.js';

const zone: LabZone = { apex: 'example.net', records: { 'example.net': '192.0.2.80', 'www.example.net': '192.0.2.80' }, ttl: 300 };

/** A query: header (ID 0x1234, RD set), one question. */
function query(name: string, type: number, opts: { id?: number; flags?: number; qclass?: number; qdcount?: number } = {}): Uint8Array {
  const labels = name.split('.').filter(Boolean).flatMap((l) => [l.length, ...Buffer.from(l)]);
  const id = opts.id ?? 0x1234;
  const flags = opts.flags ?? 0x0100;
  const qd = opts.qdcount ?? 1;
  const qclass = opts.qclass ?? 1;
  return Uint8Array.from([id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, qd, 0, 0, 0, 0, 0, 0, ...labels, 0, type >> 8, type & 0xff, qclass >> 8, qclass & 0xff]);
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const parts = (r: Uint8Array): { id: number; qr: boolean; aa: boolean; rd: boolean; rcode: number; qd: number; an: number; ns: number; ar: number } => ({
  id: u16(r, 0),
  qr: (r[2]! & 0x80) !== 0,
  aa: (r[2]! & 0x04) !== 0,
  rd: (r[2]! & 0x01) !== 0,
  rcode: r[3]! & 0x0f,
  qd: u16(r, 4),
  an: u16(r, 6),
  ns: u16(r, 8),
  ar: u16(r, 10),
});

describe('answerQuery', () => {
  it('answers A for a name in the zone, authoritative, ID and RD echoed', () => {
    const q = query('www.example.net', 1);
    const r = answerQuery(q, zone)!;
    expect(parts(r)).toEqual({ id: 0x1234, qr: true, aa: true, rd: true, rcode: 0, qd: 1, an: 1, ns: 0, ar: 0 });
    // The question is echoed byte for byte, then one A record pointing at it (0xc00c).
    expect(Buffer.from(r.subarray(12, q.length)).equals(Buffer.from(q.subarray(12)))).toBe(true);
    const rr = r.subarray(q.length);
    expect(Array.from(rr.subarray(0, 2))).toEqual([0xc0, 0x0c]);
    expect(u16(rr, 2)).toBe(1); // TYPE A
    expect(u16(rr, 4)).toBe(1); // CLASS IN
    expect((rr[6]! << 24) | (rr[7]! << 16) | (rr[8]! << 8) | rr[9]!).toBe(300);
    expect(u16(rr, 10)).toBe(4);
    expect(Array.from(rr.subarray(12, 16))).toEqual([192, 0, 2, 80]);
    expect(rr.length).toBe(16);
  });

  it('matches names case-insensitively (RFC 4343)', () => {
    expect(parts(answerQuery(query('WWW.Example.NET', 1), zone)!).an).toBe(1);
  });

  it('gives NODATA with the SOA for AAAA, so DNS64 synthesizes', () => {
    const q = query('www.example.net', 28);
    const r = answerQuery(q, zone)!;
    expect(parts(r)).toMatchObject({ rcode: 0, an: 0, ns: 1 });
    const soa = r.subarray(q.length);
    const owner = Buffer.from([7, ...Buffer.from('example'), 3, ...Buffer.from('net'), 0]);
    expect(Buffer.from(soa.subarray(0, owner.length)).equals(owner)).toBe(true);
    expect(u16(soa, owner.length)).toBe(6); // TYPE SOA
    // MINIMUM (the negative TTL) is the last 4 bytes of the RDATA.
    expect(u16(soa, soa.length - 2)).toBe(300);
  });

  it('gives NXDOMAIN with the SOA for an unknown name in the zone', () => {
    expect(parts(answerQuery(query('nope.example.net', 1), zone)!)).toMatchObject({ rcode: 3, an: 0, ns: 1 });
  });

  it('refuses names outside the zone and non-IN classes', () => {
    expect(parts(answerQuery(query('example.org', 1), zone)!)).toMatchObject({ rcode: 5, an: 0, ns: 0 });
    expect(parts(answerQuery(query('notexample.net', 1), zone)!).rcode).toBe(5);
    expect(parts(answerQuery(query('www.example.net', 1, { qclass: 3 }), zone)!).rcode).toBe(5);
  });

  it.each([
    { name: 'shorter than a header', msg: Uint8Array.from([0x12, 0x34, 1, 0, 0, 1]) },
    { name: 'a response (QR set)', msg: query('www.example.net', 1, { flags: 0x8100 }) },
    { name: 'empty', msg: new Uint8Array(0) },
  ])('drops $name', ({ msg }) => {
    expect(answerQuery(msg, zone)).toBeNull();
  });

  it.each([
    { name: 'truncated question', msg: query('www.example.net', 1).subarray(0, 20) },
    { name: 'no question', msg: query('www.example.net', 1, { qdcount: 0 }) },
    { name: 'two questions', msg: query('www.example.net', 1, { qdcount: 2 }) },
    { name: 'compression pointer in the question', msg: Uint8Array.from([...query('x', 1).subarray(0, 12), 0xc0, 0x0c, 0, 1, 0, 1]) },
    { name: 'name longer than 255 octets', msg: query(Array.from({ length: 9 }, () => 'a'.repeat(30)).join('.'), 1) },
  ])('answers FORMERR to $name', ({ msg }) => {
    const r = answerQuery(msg, zone)!;
    expect(parts(r)).toMatchObject({ id: 0x1234, qr: true, rcode: 1, qd: 0, an: 0 });
    expect(r.length).toBe(12);
  });

  it('answers NOTIMP to other opcodes', () => {
    expect(parts(answerQuery(query('www.example.net', 1, { flags: 0x2800 }), zone)!).rcode).toBe(4); // UPDATE
  });

  it('never throws and never answers with more than a header + question + 2 records, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = answerQuery(bytes, zone);
        if (r !== null) {
          expect(r.length).toBeGreaterThanOrEqual(12);
          expect(r.length).toBeLessThan(bytes.length + 200);
          expect(r[2]! & 0x80).toBe(0x80);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
