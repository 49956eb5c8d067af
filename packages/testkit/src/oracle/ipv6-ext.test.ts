import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ipv6Extensions, isIpv6Extension, walkIpv6, walkIpv6Extensions } from './ipv6-ext.js';
import { Ipv6Header } from './ipv6.js';
import { WireError } from './errors.js';
import { hex } from './test-helpers.js';

const IP6 = (plen: string, nh: string): string => `
  60 00 00 00 ${plen} ${nh} 40                    # version 6, payload length, next header, hop limit 64
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 # source 2001:db8::1
  00 64 ff 9b 00 00 00 00 00 00 00 00 c6 33 64 02 # destination 64:ff9b::c633:6402
`;

const CHAIN = hex(`
  ${IP6('00 38', '00')}
  2b 00 01 04 00 00 00 00                         # @40 hop-by-hop: next routing, len 0, PadN
  2c 02 fd 01 00 00 00 00                         # @48 routing: next fragment, len 2 (24 bytes), type 253, segments left 1
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02 #     address 2001:db8::2
  3c 00 00 01 12 34 56 78                         # @72 fragment: next dest-opts, offset 0, M, id 0x12345678
  11 00 01 04 00 00 00 00                         # @80 destination options: next UDP, len 0, PadN
  30 39 00 35 00 08 00 00                         # @88 UDP header
`);

function walked(buf: Uint8Array, into?: Ipv6Extensions): Ipv6Extensions {
  const ip = Ipv6Header.check(buf);
  if (ip instanceof WireError) throw new Error(ip.toString());
  const x = walkIpv6(ip, into);
  if (x instanceof WireError) throw new Error(x.toString());
  return x;
}

describe('walkIpv6Extensions', () => {
  it('reports everything in one pass', () => {
    const x = walked(CHAIN);
    expect(x.upperProtocol).toBe(17);
    expect(x.upperOffset).toBe(88);
    expect(x.start).toBe(40);
    expect(x.length).toBe(48);
    expect(x.hasHopByHop).toBe(true);
    expect(x.fragmentHeaderOffset).toBe(72);
    expect(x.fragmentOffset).toBe(0);
    expect(x.moreFragments).toBe(true);
    expect(x.isLaterFragment).toBe(false);
    expect(x.extensionAfterFragment).toBe(true);
    expect(x.segmentsLeftOffset).toBe(51);
  });

  it('no extension headers', () => {
    const x = walked(hex(`${IP6('00 08', '11')} 30 39 00 35 00 08 00 00`));
    expect(x.upperProtocol).toBe(17);
    expect(x.upperOffset).toBe(40);
    expect(x.length).toBe(0);
    expect(x.fragmentHeaderOffset).toBe(-1);
    expect(x.segmentsLeftOffset).toBe(-1);
    expect(x.extensionAfterFragment).toBe(false);
  });

  it('a routing header with segments left 0 is not reported; no next header stops', () => {
    const x = walked(hex(`${IP6('00 08', '2b')} 3b 00 fd 00 00 00 00 00 # routing: next none, segments left 0`));
    expect(x.segmentsLeftOffset).toBe(-1);
    expect(x.upperProtocol).toBe(59);
    expect(x.upperOffset).toBe(48);
  });

  it('stops after the fragment header of a non-first fragment', () => {
    const x = walked(hex(`
      ${IP6('00 10', '2c')}
      3c 00 00 98 00 00 00 01 # fragment: next dest-opts, offset 19 (152 bytes), M clear
      11 00 01 04 00 00 00 00 # fragment data that happens to look like a header
    `));
    expect(x.isLaterFragment).toBe(true);
    expect(x.fragmentOffset).toBe(19);
    expect(x.moreFragments).toBe(false);
    expect(x.upperProtocol).toBe(60);
    expect(x.upperOffset).toBe(48);
    expect(x.extensionAfterFragment).toBe(false);
  });

  it('walks AH in 4-octet units', () => {
    const x = walked(hex(`
      ${IP6('00 14', '33')}
      3a 01 00 00 00 00 00 01 00 00 00 02 # AH: next ICMPv6, payload len 1 ((1+2)*4 = 12 bytes)
      80 00 00 00 00 01 00 01             # ICMPv6 echo request
    `));
    expect(x.upperProtocol).toBe(58);
    expect(x.upperOffset).toBe(52);
  });

  it('reuses one result object and clears it between walks', () => {
    const into = new Ipv6Extensions();
    expect(walked(CHAIN, into)).toBe(into);
    walked(hex(`${IP6('00 00', '3b')}`), into);
    expect(into.fragmentHeaderOffset).toBe(-1);
    expect(into.segmentsLeftOffset).toBe(-1);
    expect(into.hasHopByHop).toBe(false);
    expect(into.upperProtocol).toBe(59);
  });

  it('classifies extension header numbers', () => {
    expect([0, 43, 44, 51, 60, 135, 139, 140].every(isIpv6Extension)).toBe(true);
    expect([6, 17, 58, 59, 50, 4, 255].some(isIpv6Extension)).toBe(false);
  });

  it.each([
    { name: 'header runs past the end', bytes: `${IP6('00 08', '3c')} 11 01 00 00 00 00 00 00`, code: 'truncated' },
    { name: 'only one byte of a header', bytes: `${IP6('00 01', '3c')} 11`, code: 'truncated' },
    { name: 'fragment header cut short', bytes: `${IP6('00 04', '2c')} 11 00 00 01`, code: 'truncated' },
    { name: 'hop-by-hop not first', bytes: `${IP6('00 10', '3c')} 00 00 01 04 00 00 00 00 11 00 01 04 00 00 00 00`, code: 'bad-extension-header' },
    { name: 'two fragment headers', bytes: `${IP6('00 10', '2c')} 2c 00 00 01 00 00 00 01 11 00 00 01 00 00 00 01`, code: 'bad-extension-header' },
  ])('rejects: $name', ({ bytes, code }) => {
    const ip = Ipv6Header.check(hex(bytes)) as Ipv6Header;
    expect(ip).toBeInstanceOf(Ipv6Header);
    expect((walkIpv6(ip) as WireError).code).toBe(code);
  });

  it('rejects bounds outside the buffer', () => {
    expect((walkIpv6Extensions(CHAIN, 40, CHAIN.length + 1, 0) as WireError).code).toBe('truncated');
  });

  it('never throws and stays in bounds on arbitrary chains', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(0, 43, 44, 51, 60, 135, 17, 59), fc.nat(130), (b, nh, end) => {
        const r = walkIpv6Extensions(b, 0, Math.min(end, b.length), nh);
        if (r instanceof WireError) return true;
        return r.upperOffset <= Math.min(end, b.length) && r.upperOffset >= 0 && r.segmentsLeftOffset < r.upperOffset;
      }),
    );
  });
});
