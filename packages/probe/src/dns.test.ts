import { describe, expect, it } from 'vitest';
import * as dnsPacket from 'dns-packet';
import { buildQuery, classifyDns, parseAnswer } from './dns.js';

const answer = (id: number, name: string, type: 'A' | 'AAAA', data: string[], opts: { ede?: number; rcode?: string } = {}): Buffer =>
  dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (opts.rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [{ type, name, class: 'IN' }],
    answers: data.map((d) => ({ type, name, ttl: 60, class: 'IN', data: d }) as dnsPacket.Answer),
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: opts.ede === undefined ? [] : [{ code: 15, data: Buffer.from([0, opts.ede]) }] } as unknown as dnsPacket.Answer],
  });

describe('DNS wire', () => {
  it('builds a recursive query with EDNS', () => {
    const q = dnsPacket.decode(buildQuery(7, 'www.example.net', 'AAAA'));
    expect(q).toMatchObject({ id: 7, questions: [{ type: 'AAAA', name: 'www.example.net' }] });
    expect((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED).toBeTruthy();
  });

  it('reads addresses, EDE 29 and the rcode of the matching answer', () => {
    expect(parseAnswer(answer(7, 'www.example.net', 'AAAA', ['64:ff9b::c000:20a'], { ede: 29 }), 7, 'www.example.net', 'AAAA')).toEqual({ rcode: 'NOERROR', addresses: ['64:ff9b::c000:20a'], ede: [29], truncated: false });
    expect(parseAnswer(answer(7, 'x.example.net', 'A', [], { rcode: 'NXDOMAIN' }), 7, 'X.example.net', 'A')).toMatchObject({ rcode: 'NXDOMAIN', addresses: [] });
  });

  it.each([
    ['another id', answer(8, 'www.example.net', 'A', ['192.0.2.1'])],
    ['another name', answer(7, 'evil.example.net', 'A', ['192.0.2.1'])],
    ['another type', answer(7, 'www.example.net', 'AAAA', [])],
    ['a query, not a response', buildQuery(7, 'www.example.net', 'A')],
    ['truncated bytes', answer(7, 'www.example.net', 'A', ['192.0.2.1']).subarray(0, 20)],
    ['garbage', Buffer.from('not dns at all')],
    ['empty', Buffer.alloc(0)],
  ])('ignores %s', (_name, bytes) => {
    expect(parseAnswer(bytes, 7, 'www.example.net', 'A')).toBeUndefined();
  });
});

describe('classifyDns', () => {
  const a = (addresses: string[]) => ({ rcode: 'NOERROR', addresses, ede: [], truncated: false });
  it('takes the synthesized address whose embedded IPv4 is an A record', () => {
    const aaaa = { ...a(['64:ff9b:1::c000:20b', '64:ff9b:1::c000:20a']), ede: [29] };
    expect(classifyDns(a(['192.0.2.10']), aaaa, '64:ff9b:1::/96')).toEqual({ kind: 'synthesized', address6: '64:ff9b:1::c000:20a', address4: '192.0.2.10' });
  });
  it('works with a /64 prefix (RFC 6052 §2.2 u octet)', () => {
    expect(classifyDns(a(['192.0.2.10']), a(['2001:db8:64:0:c0:2:a00:0']), '2001:db8:64::/64')).toMatchObject({ kind: 'synthesized', address4: '192.0.2.10' });
  });
  it('an A that DNS64 did not synthesize', () => {
    expect(classifyDns(a(['192.0.2.10']), a([]), '64:ff9b::/96')).toEqual({ kind: 'not-synthesized', address4: '192.0.2.10' });
  });
});
