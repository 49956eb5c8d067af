import dnsPacket, { type Answer } from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueryProbe, cacheVariant, encodeName, encodeNameInto, headerOnlyResponse, parseQuery, probeQuery, walkRecords, type ParsedQuery } from './wire.js';

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

  it('refuses owners whose pointer loops or points forward (one walker: name-walk.ts)', () => {
    const m = Buffer.from(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'a.example.org', type: 'A' }], answers: [{ name: 'a.example.org', type: 'A', ttl: 77, data: '192.0.2.1' }] }));
    const owner = 12 + 15 + 4; // after the question
    expect(walkRecords(m)).toHaveLength(1);
    const self = Buffer.concat([m.subarray(0, owner), Buffer.from([0xc0, owner]), m.subarray(owner + 15)]);
    expect(walkRecords(self)).toBeUndefined();
    const back = Buffer.concat([m.subarray(0, owner), Buffer.from([0xc0, 12]), m.subarray(owner + 15)]);
    expect(walkRecords(back)).toHaveLength(1);
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

  it('an owner with a dot inside a label is not the question name (no false pointer)', async () => {
    const { compressOwners } = await import('./wire.js');
    const m = dnsPacket.encode({
      type: 'response', id: 1, questions: [{ name: 'a.b.example', type: 'AAAA' }],
      answers: [{ name: 'axb.example', type: 'A', ttl: 1, data: '192.0.2.1' }],
    });
    const owner = 12 + 13 + 4;
    expect(m[owner]).toBe(3);
    m[owner + 2] = 0x2e; // one label "a.b", then "example"
    expect(compressOwners(m)).toEqual(m);
  });
});

/** Query bytes from parts: header fields, raw name bytes, type/class, raw additional bytes. */
function rawQuery(o: { flags?: number; qd?: number; an?: number; ns?: number; ar?: number; name?: number[]; tail?: number[]; extra?: number[] } = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(o.flags ?? 0x0100, 2);
  h.writeUInt16BE(o.qd ?? 1, 4);
  h.writeUInt16BE(o.an ?? 0, 6);
  h.writeUInt16BE(o.ns ?? 0, 8);
  h.writeUInt16BE(o.ar ?? (o.extra === undefined ? 0 : 1), 10);
  const name = o.name ?? [1, 0x61, 7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0];
  return Buffer.concat([h, Buffer.from(name), Buffer.from(o.tail ?? [0, 28, 0, 1]), Buffer.from(o.extra ?? [])]);
}
/** An OPT record: owner, UDP size, version, DO, RDATA. */
const opt = (o: { owner?: number[]; size?: number; version?: number; dnssecOk?: boolean; rdata?: number[]; rdlen?: number } = {}): number[] => {
  const rdata = o.rdata ?? [];
  const size = o.size ?? 1232;
  const rdlen = o.rdlen ?? rdata.length;
  return [...(o.owner ?? [0]), 0, 41, size >> 8, size & 0xff, 0, o.version ?? 0, o.dnssecOk ? 0x80 : 0, 0, rdlen >> 8, rdlen & 0xff, ...rdata];
};

describe('probeQuery (the cache-hit fast path reads the wire)', () => {
  const probe = (b: Buffer, off = 0, len = b.length): QueryProbe | false => {
    const p = new QueryProbe();
    return probeQuery(b, off, len, p) ? p : false;
  };

  it.each([
    { name: 'no EDNS', b: rawQuery(), want: { qLen: 19, variant: 0, udpLimit: 512 } },
    { name: 'CD, no EDNS', b: rawQuery({ flags: 0x0110 }), want: { variant: 1, udpLimit: 512 } },
    { name: 'EDNS 1232', b: rawQuery({ extra: opt() }), want: { variant: 2, udpLimit: 1232 } },
    { name: 'EDNS with DO and CD', b: rawQuery({ flags: 0x0110, extra: opt({ dnssecOk: true, size: 1400 }) }), want: { variant: 5, udpLimit: 1232 } },
    { name: 'EDNS 4096 (capped at 1232)', b: rawQuery({ extra: opt({ size: 4096 }) }), want: { udpLimit: 1232 } },
    { name: 'EDNS 100 (raised to 512)', b: rawQuery({ extra: opt({ size: 100 }) }), want: { udpLimit: 512 } },
    { name: 'EDNS 800 with a cookie option', b: rawQuery({ extra: opt({ size: 800, rdata: [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8] }) }), want: { udpLimit: 800 } },
    { name: 'the root name', b: rawQuery({ name: [0], tail: [0, 2, 0, 1] }), want: { qLen: 5 } },
    { name: 'RD clear, AD set, trailing garbage', b: Buffer.concat([rawQuery({ flags: 0x0020 }), Buffer.from([1, 2, 3])]), want: { qLen: 19 } },
  ])('accepts $name', ({ b, want }) => {
    expect(probe(b)).toMatchObject(want);
  });

  it.each([
    { name: 'a short header', b: rawQuery().subarray(0, 11) },
    { name: 'a response', b: rawQuery({ flags: 0x8100 }) },
    { name: 'opcode NOTIFY', b: rawQuery({ flags: 0x2100 }) },
    { name: 'no question', b: rawQuery({ qd: 0 }) },
    { name: 'two questions', b: rawQuery({ qd: 2 }) },
    { name: 'huge counts', b: rawQuery({ qd: 0xffff, an: 0xffff, ns: 0xffff, ar: 0xffff }) },
    { name: 'an answer record', b: rawQuery({ an: 1 }) },
    { name: 'an authority record', b: rawQuery({ ns: 1 }) },
    { name: 'two additional records', b: rawQuery({ ar: 2, extra: [...opt(), ...opt()] }) },
    { name: 'a compressed question name', b: rawQuery({ name: [0xc0, 0x0c] }) },
    { name: 'a reserved label type', b: rawQuery({ name: [0x41, 0x61, 0] }) },
    { name: 'a label of 64', b: rawQuery({ name: [64, ...Array(64).fill(0x61), 0] }) },
    { name: 'a name over 255 bytes', b: rawQuery({ name: [...Array(4).fill([63, ...Array(63).fill(0x61)]).flat(), 0] }) },
    { name: 'a name running past the end', b: rawQuery({ name: [9, 0x61], tail: [] }) },
    { name: 'no type and class', b: rawQuery({ tail: [0, 28, 0] }) },
    { name: 'ARCOUNT 1 without the record', b: rawQuery({ ar: 1 }) },
    { name: 'a cut OPT', b: rawQuery({ extra: opt().slice(0, 10) }) },
    { name: 'an OPT whose RDLEN runs past the end', b: rawQuery({ extra: opt({ rdlen: 4 }) }) },
    { name: 'an OPT not owned by the root', b: rawQuery({ extra: opt({ owner: [1, 0x61, 0] }) }) },
    { name: 'EDNS version 1 (BADVERS on the full path)', b: rawQuery({ extra: opt({ version: 1 }) }) },
    { name: 'a TSIG-like additional record', b: rawQuery({ extra: [0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0] }) },
  ])('leaves $name to the full parser', ({ b }) => {
    expect(probe(b)).toBe(false);
  });

  it('reads a query inside a larger arena, never past `len`', () => {
    const b = rawQuery({ extra: opt() });
    const arena = Buffer.concat([Buffer.alloc(100, 0xee), b, Buffer.alloc(50, 0xee)]);
    expect(probe(arena, 100, b.length)).toMatchObject({ qLen: 19, variant: 2 });
    expect(probe(arena, 100, b.length - 1)).toBe(false);
    expect(probe(arena, 100, 100 + b.length)).toBe(false); // runs past the buffer
  });

  /** Valid queries (random labels, case, flags, EDNS) with a few bytes changed or cut. */
  const mutated = fc.record({
    labels: fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }), { maxLength: 4 }),
    flags: fc.integer({ min: 0, max: 0xffff }),
    qtype: fc.integer({ min: 0, max: 0xffff }),
    edns: fc.option(fc.record({ size: fc.integer({ min: 0, max: 0xffff }), version: fc.constantFrom(0, 0, 1), dnssecOk: fc.boolean(), rdata: fc.uint8Array({ maxLength: 8 }) })),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
    cut: fc.nat({ max: 6 }),
  }).map(({ labels, flags, qtype, edns, edits, cut }) => {
    const b = rawQuery({
      flags: flags & 0x07ff, name: [...labels.flatMap((l) => [l.length, ...l]), 0], tail: [qtype >> 8, qtype & 0xff, 0, 1],
      ...(edns ? { extra: opt({ ...edns, rdata: [...edns.rdata] }) } : {}),
    });
    for (const [at, v] of edits) b[at % b.length] = v;
    return b.subarray(0, Math.max(0, b.length - (cut > 3 ? cut - 3 : 0)));
  });

  it('accepts only what parseQuery accepts, with the same question, variant and UDP limit', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 80 })), (b) => {
      const p = probe(Buffer.from(b));
      if (p === false) return;
      accepted++;
      const q = parseQuery(b) as ParsedQuery;
      expect(q.questionEnd).toBeDefined();
      expect(q.edns?.version ?? 0).toBe(0);
      expect(p.qLen).toBe(q.questionEnd - 12);
      expect(p.variant).toBe(cacheVariant(q.edns !== undefined, q.edns?.dnssecOk === true, q.cd));
      expect(p.udpLimit).toBe(q.edns === undefined ? 512 : Math.min(q.edns.udpSize, 1232));
    }), { numRuns: 5000 });
    expect(accepted).toBeGreaterThan(500); // the generator reaches the accepting branch
  });
});
