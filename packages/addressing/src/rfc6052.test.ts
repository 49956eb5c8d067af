import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AddressError,
  embedIpv4,
  embedIpv4Bytes,
  extractIpv4,
  formatIpv6,
  parseIpv4,
  parseIpv6,
  parseNat64Prefix,
  WELL_KNOWN_PREFIX,
} from './index.js';

// RFC 6052 §2.4 worked examples: 192.0.2.33 under each prefix length.
const TABLE = [
  { name: '/32', prefix: '2001:db8::/32', embedded: '2001:db8:c000:221::' },
  { name: '/40', prefix: '2001:db8:100::/40', embedded: '2001:db8:1c0:2:21::' },
  { name: '/48', prefix: '2001:db8:122::/48', embedded: '2001:db8:122:c000:2:2100::' },
  { name: '/56', prefix: '2001:db8:122:300::/56', embedded: '2001:db8:122:3c0:0:221::' },
  { name: '/64', prefix: '2001:db8:122:344::/64', embedded: '2001:db8:122:344:c0:2:2100:0' },
  { name: '/96', prefix: '2001:db8:122:344::/96', embedded: '2001:db8:122:344::c000:221' },
  { name: 'WKP', prefix: '64:ff9b::/96', embedded: '64:ff9b::c000:221' },
];

describe('RFC 6052 embed/extract', () => {
  it.each(TABLE)('$name embeds 192.0.2.33 as $embedded', ({ prefix, embedded }) => {
    const p = parseNat64Prefix(prefix);
    expect(formatIpv6(embedIpv4Bytes(p, parseIpv4('192.0.2.33')))).toBe(embedded);
  });

  it.each(TABLE)('$name extracts 192.0.2.33 from $embedded', ({ prefix, embedded }) => {
    const p = parseNat64Prefix(prefix);
    expect(extractIpv4(p, parseIpv6(embedded))).toBe(parseIpv4('192.0.2.33'));
  });

  it('writes at an offset without touching neighbours', () => {
    const buf = new Uint8Array(20).fill(0xa5);
    embedIpv4(WELL_KNOWN_PREFIX, 0x08080808, buf, 2);
    expect(buf[0]).toBe(0xa5);
    expect(buf[1]).toBe(0xa5);
    expect(buf[18]).toBe(0xa5);
    expect(formatIpv6(buf, 2)).toBe('64:ff9b::808:808');
  });

  it('rejects addresses outside the prefix or with a non-zero u octet', () => {
    const p = parseNat64Prefix('2001:db8::/32');
    expect(extractIpv4(p, parseIpv6('2001:db9:c000:221::'))).toBe(-1);
    expect(extractIpv4(p, parseIpv6('2001:db8:c000:221:100::'))).toBe(-1);
    expect(extractIpv4(WELL_KNOWN_PREFIX, parseIpv6('64:ff9b:0:0:1::c000:221'))).toBe(-1);
  });

  it('extract(embed(x)) == x for every length and address (property)', () => {
    const prefixes = TABLE.map((t) => parseNat64Prefix(t.prefix));
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.integer({ min: 0, max: 0xffffffff }), (p, v4) => {
        const bytes = embedIpv4Bytes(p, v4);
        expect(bytes[8]).toBe(0);
        expect(extractIpv4(p, bytes)).toBe(v4);
      }),
    );
  });
});

describe('parseNat64Prefix', () => {
  it('canonicalizes and classifies', () => {
    expect(parseNat64Prefix('64:FF9B:0::/96').text).toBe('64:ff9b::/96');
    expect(parseNat64Prefix('64:ff9b::/96').wellKnown).toBe(true);
    expect(parseNat64Prefix('64:ff9b:1::/96').localUse).toBe(true);
    expect(parseNat64Prefix('64:ff9b:1::/96').wellKnown).toBe(false);
    expect(parseNat64Prefix('2001:db8::/32').localUse).toBe(false);
  });

  const BAD = [
    { name: '/0', text: '::/0', code: 'ERR_PREFIX_LENGTH', msg: /not a valid NAT64 prefix length \(RFC 6052 allows 32, 40, 48, 56, 64, 96\)/ },
    { name: '/33', text: '2001:db8::/33', code: 'ERR_PREFIX_LENGTH', msg: /^"2001:db8::\/33" is not a valid NAT64 prefix length/ },
    { name: '/104', text: '2001:db8::/104', code: 'ERR_PREFIX_LENGTH', msg: /104/ },
    { name: '/129', text: '2001:db8::/129', code: 'ERR_PREFIX_LENGTH', msg: /129/ },
    { name: 'no length', text: '2001:db8::', code: 'ERR_PREFIX_LENGTH', msg: /no prefix length/ },
    { name: 'IPv4 given', text: '192.0.2.0/24', code: 'ERR_ADDRESS_FAMILY', msg: /IPv4 prefix/ },
    { name: 'garbage', text: 'hello/96', code: 'ERR_ADDRESS_SYNTAX', msg: /not an IPv6 prefix/ },
    { name: 'bad syntax', text: '2001:db8:::/96', code: 'ERR_ADDRESS_SYNTAX', msg: /not an IPv6 prefix/ },
    { name: 'u octet', text: '2001:db8:0:0:100::/96', code: 'ERR_PREFIX_U_OCTET', msg: /bits 64-71/ },
    { name: 'host bits', text: '2001:db8::1/96', code: 'ERR_PREFIX_HOST_BITS', msg: /host bits set below \/96 \(did you mean 2001:db8::\/96\?\)/ },
    { name: 'host bits /32', text: '2001:db8:1::/32', code: 'ERR_PREFIX_HOST_BITS', msg: /did you mean 2001:db8::\/32/ },
    { name: 'mapped', text: '::ffff:0:0/96', code: 'ERR_PREFIX_RESERVED', msg: /IPv4-mapped/ },
    { name: 'unspecified', text: '::/96', code: 'ERR_PREFIX_RESERVED', msg: /::\/96/ },
    { name: 'multicast', text: 'ff0e::/96', code: 'ERR_PREFIX_RESERVED', msg: /multicast/ },
    { name: 'link-local', text: 'fe80::/64', code: 'ERR_PREFIX_RESERVED', msg: /link-local/ },
  ];
  it.each(BAD)('rejects $name', ({ text, code, msg }) => {
    let err: unknown;
    try {
      parseNat64Prefix(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AddressError);
    expect((err as AddressError).code).toBe(code);
    expect((err as AddressError).message).toMatch(msg);
  });
});
