import { describe, expect, it } from 'vitest';
import { parseIpv6 } from '@sixgate/addressing';
import { hex } from '@sixgate/testkit';
import { buildRouterAdvert, buildRouterSolicit, encodeDomain, parseRouterAdvert, parseRouterSolicit, plcOf, type RouterAdvert } from './message.js';

const LL = parseIpv6('fe80::1');
const meta = { source: LL, hopLimit: 255 };
const base: RouterAdvert = { curHopLimit: 0, managed: false, other: false, routerLifetime: 0, reachableTime: 0, retransTimer: 0, prefixes: [], pref64: [], rdnss: [], dnssl: [] };

describe('buildRouterAdvert', () => {
  it('writes PREF64 and RDNSS byte for byte (RFC 8781 §4, RFC 8106 §5.1)', () => {
    const ra = buildRouterAdvert({
      ...base,
      pref64: [{ prefix: parseIpv6('64:ff9b::'), length: 96, lifetime: 1800 }],
      rdnss: [{ lifetime: 1800, addresses: [parseIpv6('2001:db8::53')] }],
    });
    expect(ra).toEqual(hex`
      86 00 0000  00 00 0000  00000000  00000000   # RA: hop limit 0, no flags, router lifetime 0
      26 02 0708  0064ff9b 00000000 00000000       # PREF64: 1800 s = 225 × 8, PLC 0 (/96)
      19 03 0000  00000708                         # RDNSS, 1800 s
      20010db8 00000000 00000000 00000053`);
  });

  it.each([
    ['2001:db8:64::/96', 96, 0],
    ['2001:db8:6400::/64', 64, 1],
    ['2001:db8:6400::/56', 56, 2],
    ['2001:db8:6400::/48', 48, 3],
    ['2001:db8:6400::/40', 40, 4],
    ['2001:db8::/32', 32, 5],
  ])('encodes %s with PLC %i', (text, length, plc) => {
    expect(plcOf(length)).toBe(plc);
    const prefix = parseIpv6(text.split('/')[0]!);
    const ra = buildRouterAdvert({ ...base, pref64: [{ prefix, length, lifetime: 600 }] });
    expect(ra[16]).toBe(38);
    expect(ra[17]).toBe(2);
    expect(((ra[18]! << 8) | ra[19]!) & 7).toBe(plc);
    expect(((ra[18]! << 8) | ra[19]!) >> 3).toBe(75);
    const back = parseRouterAdvert(ra, ra.length, meta);
    expect(back.ok && back.message.pref64).toEqual([{ prefix, length, lifetime: 600 }]);
  });

  it('rounds a PREF64 lifetime up to whole 8-second units and clears bits past the length', () => {
    const ra = buildRouterAdvert({ ...base, pref64: [{ prefix: parseIpv6('2001:db8:ffff:ffff:ffff:ffff::'), length: 32, lifetime: 1 }] });
    expect(ra.subarray(16)).toEqual(hex`26 02 000d 20010db8 00000000 00000000`);
  });

  it('refuses what the wire cannot carry', () => {
    expect(() => buildRouterAdvert({ ...base, pref64: [{ prefix: parseIpv6('2001:db8::'), length: 33, lifetime: 8 }] })).toThrow(/cannot carry a \/33/);
    expect(() => buildRouterAdvert({ ...base, pref64: [{ prefix: parseIpv6('2001:db8::'), length: 96, lifetime: 65_536 }] })).toThrow(/lifetime/);
    expect(() => buildRouterAdvert({ ...base, rdnss: [{ lifetime: 1, addresses: [] }] })).toThrow(/at least one address/);
    expect(() => buildRouterAdvert({ ...base, routerLifetime: 70_000 })).toThrow(/routerLifetime/);
    expect(() => buildRouterAdvert({ ...base, dnssl: [{ lifetime: 1, domains: ['bad..name'] }] })).toThrow(/label/);
    expect(() => buildRouterAdvert({ ...base, prefixes: [{ prefix: parseIpv6('2001:db8::'), length: 64, onLink: true, autonomous: true, validLifetime: 10, preferredLifetime: 20 }] })).toThrow(/preferred/);
    const many = Array.from({ length: 80 }, (_, i) => parseIpv6(`2001:db8::${i + 1}`));
    expect(() => buildRouterAdvert({ ...base, rdnss: [{ lifetime: 1, addresses: many }] })).toThrow(/does not fit/);
  });

  it('writes DNSSL names in DNS wire form, zero padded (RFC 8106 §5.2)', () => {
    const ra = buildRouterAdvert({ ...base, dnssl: [{ lifetime: 600, domains: ['example.org'] }] });
    expect(ra.subarray(16)).toEqual(hex`
      1f 03 0000 00000258
      07 6578616d706c65 03 6f7267 00 000000`);
    const back = parseRouterAdvert(ra, ra.length, meta);
    expect(back.ok && back.message.dnssl).toEqual([{ lifetime: 600, domains: ['example.org'] }]);
    expect(encodeDomain('a.example.')).toEqual(hex`01 61 07 6578616d706c65 00`);
  });

  it('writes prefix information (RFC 4861 §4.6.2) and round-trips every field', () => {
    const ra: RouterAdvert = {
      ...base,
      routerLifetime: 1800,
      sourceLinkAddr: hex`02 00 00 00 00 01`,
      mtu: 1500,
      prefixes: [{ prefix: parseIpv6('2001:db8:1::'), length: 64, onLink: true, autonomous: true, validLifetime: 86_400, preferredLifetime: 14_400 }],
    };
    const b = buildRouterAdvert(ra);
    expect(b.subarray(16)).toEqual(hex`
      01 01 020000000001                                   # source link-layer address
      05 01 0000 000005dc                                  # MTU 1500
      03 04 40 c0 00015180 00003840 00000000 20010db8000100000000000000000000`);
    const back = parseRouterAdvert(b, b.length, meta);
    expect(back).toEqual({ ok: true, message: ra });
  });
});

describe('parseRouterAdvert (RFC 4861 §6.1.2)', () => {
  const good = hex`86 00 0000 40 00 0000 00000000 00000000  26 02 0708 0064ff9b 00000000 00000000`;
  it('reads a valid RA', () => {
    const r = parseRouterAdvert(good, good.length, meta);
    expect(r.ok && r.message.curHopLimit).toBe(64);
    expect(r.ok && r.message.pref64[0]?.lifetime).toBe(1800);
  });
  it.each([
    ['a source that is not link-local', good, { source: parseIpv6('2001:db8::1'), hopLimit: 255 }, 'source not link-local'],
    ['hop limit 254', good, { source: LL, hopLimit: 254 }, 'hop limit not 255'],
    ['code 1', hex`86 01 0000 40 00 0000 00000000 00000000`, meta, 'code not 0'],
    ['15 bytes', good.subarray(0, 15), meta, 'short'],
    ['an option of length 0', hex`86 00 0000 40 00 0000 00000000 00000000 26 00 0000 00000000`, meta, 'bad option length'],
    ['an option running past the end', hex`86 00 0000 40 00 0000 00000000 00000000 26 03 0708 0064ff9b 00000000 00000000`, meta, 'bad option length'],
    ['half an option header', hex`86 00 0000 40 00 0000 00000000 00000000 26`, meta, 'bad option length'],
    ['a solicitation', hex`85 00 0000 00000000`.slice(), meta, 'short'],
  ])('drops %s', (_what, bytes, m, reason) => {
    expect(parseRouterAdvert(bytes, bytes.length, m)).toEqual({ ok: false, reason });
  });
  it('ignores a malformed option on its own (RFC 8781 §4, RFC 8106 §5.3.1)', () => {
    const b = hex`
      86 00 0000 40 00 0000 00000000 00000000
      26 02 0706 0064ff9b 00000000 00000000   # PLC 6: not defined
      26 03 0708 0064ff9b 00000000 00000000 0000000000000000  # length 3: not 2
      19 01 0000 00000708                     # RDNSS without an address
      1f 02 0000 00000708 09 616263 0000 0000  # DNSSL label running past the option
      1f 02 0000 00000708 03 61 00 62 00 000000  # DNSSL label with a NUL byte
      99 01 000000000000                      # unknown option: skipped
      26 02 0709 20010db8 00000000 00000000   # valid: /64... PLC 1
    `;
    const r = parseRouterAdvert(b, b.length, meta);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message.pref64).toEqual([{ prefix: parseIpv6('2001:db8::'), length: 64, lifetime: 1800 }]);
    expect(r.message.rdnss).toEqual([]);
    expect(r.message.dnssl).toEqual([]);
  });
  it('survives random bytes without throwing', () => {
    for (let i = 0; i < 2000; i++) {
      const n = 16 + Math.floor(Math.random() * 80);
      const b = new Uint8Array(n).map(() => Math.floor(Math.random() * 256));
      b[0] = 134;
      b[1] = 0;
      expect(() => parseRouterAdvert(b, n, meta)).not.toThrow();
    }
  });
});

describe('parseRouterSolicit (RFC 4861 §6.1.1)', () => {
  it('reads the source link-layer address', () => {
    const b = buildRouterSolicit(hex`02 00 00 00 00 02`);
    expect(b).toEqual(hex`85 00 0000 00000000 01 01 020000000002`);
    expect(parseRouterSolicit(b, b.length, meta)).toEqual({ ok: true, message: { sourceLinkAddr: hex`020000000002` } });
  });
  it('takes one from the unspecified address without the option', () => {
    const b = buildRouterSolicit();
    expect(parseRouterSolicit(b, b.length, { source: new Uint8Array(16), hopLimit: 255 })).toEqual({ ok: true, message: {} });
  });
  it.each([
    ['7 bytes', hex`85 00 0000 000000`, meta, 'short'],
    ['hop limit 64', hex`85 00 0000 00000000`, { source: LL, hopLimit: 64 }, 'hop limit not 255'],
    ['code 2', hex`85 02 0000 00000000`, meta, 'code not 0'],
    ['an option of length 0', hex`85 00 0000 00000000 01 00 000000000000`, meta, 'bad option length'],
    ['a link-layer address from ::', hex`85 00 0000 00000000 01 01 020000000002`, { source: new Uint8Array(16), hopLimit: 255 }, 'source link-layer address from the unspecified address'],
  ])('drops %s', (_what, bytes, m, reason) => {
    expect(parseRouterSolicit(bytes, bytes.length, m)).toEqual({ ok: false, reason });
  });
  it('refuses a length larger than the buffer', () => {
    expect(parseRouterSolicit(new Uint8Array(8), 9, meta)).toEqual({ ok: false, reason: 'short' });
  });
});
