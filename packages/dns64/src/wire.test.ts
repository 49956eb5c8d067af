import dnsPacket, { type Answer } from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeName, encodeNameInto, headerOnlyResponse, parseQuery, walkRecords, type ParsedQuery } from './wire.js';

const q = (name: string, edns?: { size: number; do: boolean }): Buffer => dnsPacket.encode({
  type: 'query', id: 0xbeef, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'AAAA', class: 'IN' }],
  additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: edns.size, flags: edns.do ? dnsPacket.DNSSEC_OK : 0 } as Answer] : [],
});

describe('parseQuery', () => {
  it('parses header, lower-cased question and EDNS', () => {
    const p = parseQuery(q('WWW.Example.org', { size: 1400, do: true })) as ParsedQuery;
    expect(p).toMatchObject({ id: 0xbeef, qname: 'www.example.org', qtype: 28, qclass: 1, rd: true, cd: false, edns: { udpSize: 1400, version: 0, dnssecOk: true } });
    expect(p.questionEnd).toBe(12 + 17 + 4);
  });

  it('treats an EDNS buffer below 512 as 512 (RFC 6891 §6.2.5)', () => {
    expect((parseQuery(q('a.example.org', { size: 100, do: false })) as ParsedQuery).edns!.udpSize).toBe(512);
  });

  it.each([
    { name: 'short header', hex: '0001', want: { kind: 'drop', reason: 'short' } },
    { name: 'a response', hex: '000180000001000000000000', want: { kind: 'drop', reason: 'response' } },
    { name: 'no question', hex: '000101000000000000000000', want: { kind: 'error', rcode: 1 } },
    { name: 'truncated question', hex: '00010100000100000000000003777777', want: { kind: 'error', rcode: 1 } },
    { name: 'compressed question name', hex: '000101000001000000000000c00c00010001', want: { kind: 'error', rcode: 1 } },
    { name: 'two OPT records', hex: `000101000001000000000002000001000100002904d0000000000000${'00002904d0000000000000'}`, want: { kind: 'error', rcode: 1 } },
    { name: 'huge counts', hex: '00010100000100ff00ff00ff00000100010000', want: { kind: 'error', rcode: 1 } },
    { name: 'opcode UPDATE', hex: '000128000001000000000000000001000100', want: { kind: 'error', rcode: 4 } },
  ])('rejects $name', ({ hex, want }) => {
    expect(parseQuery(Buffer.from(hex, 'hex'))).toMatchObject(want);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (b) => {
      const r = parseQuery(b);
      expect(typeof r).toBe('object');
    }), { numRuns: 2000 });
  });

  it('encodes the root, escapes and empty labels, and writes at an offset', () => {
    expect([...encodeName('')]).toEqual([0]);
    expect([...encodeName('a\\046b.c')]).toEqual([3, 0x61, 0x2e, 0x62, 1, 0x63, 0]);
    expect([...encodeName('a\\04')]).toEqual([4, 0x61, 0x5c, 0x30, 0x34, 0]); // not a full \DDD: literal bytes
    const out = new Uint8Array(10).fill(0xee);
    expect(encodeNameInto('ab.c', out, 3)).toBe(9);
    expect([...out]).toEqual([0xee, 0xee, 0xee, 2, 0x61, 0x62, 1, 0x63, 0, 0xee]);
  });

  it('round-trips names with unusual bytes through encodeName', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 }), (labels) => {
      const wire = Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), l])), Buffer.from('0000010001', 'hex')]);
      const p = parseQuery(wire) as ParsedQuery;
      const lower = Buffer.from(wire.subarray(12, p.questionEnd - 4)).map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));
      expect(encodeName(p.qname)).toEqual(Buffer.from(lower));
    }));
  });
});

describe('walkRecords and headerOnlyResponse', () => {
  it('finds every TTL offset and rejects truncated messages', () => {
    const m = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'a.example.org', type: 'A' }], answers: [{ name: 'a.example.org', type: 'A', ttl: 77, data: '192.0.2.1' }] });
    const spans = walkRecords(m)!;
    expect(spans).toHaveLength(1);
    expect(m.readUInt32BE(spans[0]!.ttlOffset)).toBe(77);
    expect(walkRecords(m.subarray(0, m.length - 1))).toBeUndefined();
  });

  it('builds an error answer with the question, RD/CD copied and OPT echoed', () => {
    const raw = q('a.example.org', { size: 4096, do: true });
    const r = dnsPacket.decode(headerOnlyResponse(raw, parseQuery(raw) as ParsedQuery, 5));
    expect(r).toMatchObject({ id: 0xbeef, rcode: 'REFUSED', flag_rd: true, flag_qr: true });
    expect(r.questions).toEqual([{ name: 'a.example.org', type: 'AAAA', class: 'IN' }]);
    expect((r.additionals![0] as { flag_do?: boolean }).flag_do).toBe(true);
  });
});

describe('compressOwners', () => {
  it('points owners at the question or an earlier owner and keeps the message equal', async () => {
    const { compressOwners } = await import('./wire.js');
    const m = dnsPacket.encode({
      type: 'response', id: 1, questions: [{ name: 'big.example.org', type: 'AAAA' }],
      answers: [
        { name: 'big.example.org', type: 'CNAME', ttl: 1, data: 'x.example.net' },
        { name: 'x.example.net', type: 'A', ttl: 1, data: '192.0.2.1' },
        { name: 'X.example.net', type: 'A', ttl: 1, data: '192.0.2.2' },
      ],
      authorities: [{ name: 'example.net', type: 'NS', ttl: 1, data: 'ns.example.net' }],
    });
    const c = compressOwners(m);
    expect(c.length).toBe(m.length - 15 - 13); // question owner 17→2, repeated x.example.net 15→2
    const a = dnsPacket.decode(m);
    const b = dnsPacket.decode(c);
    expect(b.answers!.map((r) => [r.name.toLowerCase(), r.type, r.data])).toEqual(a.answers!.map((r) => [r.name.toLowerCase(), r.type, r.data]));
    expect(b.authorities).toEqual(a.authorities);
    expect(walkRecords(c)).toHaveLength(4);
  });
});
