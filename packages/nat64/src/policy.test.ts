import { parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr } from '@sixgate/addressing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicyRules, Policy, type PolicyRule } from './policy.js';

const C1 = parseIpv6('2001:db8:1::5');
const C2 = parseIpv6('2001:db8:2::5');
const buf = (a: Uint8Array, off = 0): Uint8Array => {
  const b = new Uint8Array(off + 16).fill(0xa5);
  b.set(a, off);
  return b;
};

const rules: PolicyRule[] = parsePolicyRules([
  { id: 'no-smtp', action: 'deny', protocol: 'tcp', ports: '25' },
  { id: 'lab-ok', action: 'allow', source6: '2001:db8:1::/48' },
  { id: 'no-dns-alt', action: 'deny', protocol: 'udp', ports: '5300-5400', destination4: '192.0.2.0/24' },
  { id: 'no-net', action: 'deny', destination4: '198.51.100.0/24' },
]);

describe('Policy.check', () => {
  it.each([
    { name: 'SMTP from the lab is denied (rule 0 first)', proto: 6, c: C1, dst: '203.0.113.1', port: 25, want: 0 },
    { name: 'the lab may reach the denied net', proto: 17, c: C1, dst: '198.51.100.7', port: 53, want: -1 },
    { name: 'others may not reach the denied net', proto: 17, c: C2, dst: '198.51.100.7', port: 53, want: 3 },
    { name: 'ICMP (58 too) to the denied net', proto: 58, c: C2, dst: '198.51.100.7', port: 9, want: 3 },
    { name: 'udp port range, inside', proto: 17, c: C2, dst: '192.0.2.9', port: 5400, want: 2 },
    { name: 'udp port range, just outside', proto: 17, c: C2, dst: '192.0.2.9', port: 5401, want: -1 },
    { name: 'udp range rule does not match tcp', proto: 6, c: C2, dst: '192.0.2.9', port: 5300, want: -1 },
    { name: 'no rule matches: allow', proto: 6, c: C2, dst: '203.0.113.1', port: 443, want: -1 },
  ])('$name', ({ proto, c, dst, port, want }) => {
    const p = new Policy(rules);
    expect(p.check(proto, buf(c, 3), 3, parseIpv4(dst), port)).toBe(want);
  });

  it('counts a hit on the deciding rule only', () => {
    const p = new Policy(rules);
    p.check(6, C1, 0, parseIpv4('203.0.113.1'), 25);
    p.check(17, C1, 0, parseIpv4('198.51.100.7'), 53);
    p.check(17, C1, 0, parseIpv4('198.51.100.7'), 53);
    p.check(17, C2, 0, parseIpv4('203.0.113.1'), 53);
    expect(p.hits()).toEqual([
      { id: 'no-smtp', action: 'deny', hits: 1 },
      { id: 'lab-ok', action: 'allow', hits: 2 },
      { id: 'no-dns-alt', action: 'deny', hits: 0 },
      { id: 'no-net', action: 'deny', hits: 0 },
    ]);
    expect(p.rules().map((r) => r.id)).toEqual(['no-smtp', 'lab-ok', 'no-dns-alt', 'no-net']);
  });

  it('an empty policy allows everything', () => {
    expect(new Policy([]).check(6, C1, 0, 0, 0)).toBe(-1);
    expect(new Policy([]).wouldTranslate(C1, 0)).toBe(true);
  });

  it('agrees with a straightforward first-match model on random rules and flows', () => {
    const rule = fc.record({
      action: fc.constantFrom('allow' as const, 'deny' as const),
      src: fc.option(fc.constantFrom('2001:db8::/32', '2001:db8:1::/48', '2001:db8:1::5/128'), { nil: undefined }),
      dst: fc.option(fc.constantFrom('0.0.0.0/0', '192.0.2.0/24', '192.0.2.128/25', '192.0.2.7/32'), { nil: undefined }),
      proto: fc.option(fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const), { nil: undefined }),
      lo: fc.integer({ min: 0, max: 100 }),
      span: fc.integer({ min: 0, max: 50 }),
      withPorts: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 8 }), fc.constantFrom(6, 17, 1), fc.constantFrom(C1, C2), fc.integer({ min: 0xc0000200, max: 0xc00002ff }), fc.integer({ min: 0, max: 160 }), (rs, proto, c, dst, port) => {
        const list: PolicyRule[] = rs.map((r, i) => ({
          id: `r${i}`,
          action: r.action,
          ...(r.src === undefined ? {} : { source6: parseIpv6Cidr(r.src) }),
          ...(r.dst === undefined ? {} : { destination4: parseIpv4Cidr(r.dst) }),
          ...(r.proto === undefined ? {} : { protocol: r.proto }),
          ...(r.withPorts && r.proto !== undefined && r.proto !== 'icmp' ? { ports: [r.lo, r.lo + r.span] as [number, number] } : {}),
        }));
        const name = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : 'icmp';
        const inV4 = (a: number, cidr: string): boolean => {
          const [base, len] = cidr.split('/');
          const m = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
          return ((a & m) >>> 0) === parseIpv4(base!);
        };
        const inV6 = (a: Uint8Array, cidr: string): boolean => {
          const [base, len] = cidr.split('/');
          const b = parseIpv6(base!);
          for (let bit = 0; bit < Number(len); bit++) if (((a[bit >> 3]! >> (7 - (bit & 7))) & 1) !== ((b[bit >> 3]! >> (7 - (bit & 7))) & 1)) return false;
          return true;
        };
        let want = -1;
        for (let i = 0; i < rs.length; i++) {
          const r = list[i]!;
          const src = rs[i]!.src;
          const d = rs[i]!.dst;
          if (r.protocol !== undefined && r.protocol !== name) continue;
          if (d !== undefined && !inV4(dst, d)) continue;
          if (src !== undefined && !inV6(c, src)) continue;
          if (r.ports !== undefined && (port < r.ports[0] || port > r.ports[1])) continue;
          want = r.action === 'deny' ? i : -1;
          break;
        }
        expect(new Policy(list).check(proto, c, 0, dst, port)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Policy.wouldTranslate (DNS64)', () => {
  it('is false only when a total deny comes first', () => {
    const p = new Policy(rules);
    expect(p.wouldTranslate(C2, parseIpv4('198.51.100.7'))).toBe(false);
    expect(p.wouldTranslate(C1, parseIpv4('198.51.100.7'))).toBe(true); // lab-ok first
    expect(p.wouldTranslate(C2, parseIpv4('203.0.113.1'))).toBe(true); // only SMTP denied
    expect(p.wouldTranslate(C2, parseIpv4('192.0.2.1'))).toBe(true); // only a UDP port range denied
  });

  it('a partial allow before a total deny keeps the address', () => {
    const p = new Policy(parsePolicyRules([
      { id: 'web', action: 'allow', protocol: 'tcp', ports: '443' },
      { id: 'all', action: 'deny' },
    ]));
    expect(p.wouldTranslate(C1, parseIpv4('203.0.113.1'))).toBe(true);
    expect(p.check(6, C1, 0, parseIpv4('203.0.113.1'), 80)).toBe(1);
    expect(p.hits().every((h) => h.hits <= 1)).toBe(true);
  });
});

describe('Policy.refusingRule (sixgate probe)', () => {
  it('names the rule wouldTranslate and check decide by, and counts no hits', () => {
    const p = new Policy(rules);
    expect(p.refusingRule(C2, parseIpv4('198.51.100.7'))).toBe('no-net');
    expect(p.refusingRule(C1, parseIpv4('198.51.100.7'))).toBeUndefined();
    expect(p.refusingRule(C2, parseIpv4('203.0.113.1'))).toBeUndefined();
    expect(p.refusingRule(C2, parseIpv4('203.0.113.1'), 6, 25)).toBe('no-smtp');
    expect(p.refusingRule(C2, parseIpv4('203.0.113.1'), 6, 443)).toBeUndefined();
    expect(p.refusingRule(C2, parseIpv4('192.0.2.1'), 17, 5353)).toBe('no-dns-alt');
    expect(p.refusingRule(C2, parseIpv4('192.0.2.1'), 17)).toBeUndefined();
    expect(p.refusingRule(C2, parseIpv4('198.51.100.7'), 1)).toBe('no-net');
    expect(p.refusingRule(C2, parseIpv4('198.51.100.7'), 58)).toBe('no-net');
    expect(p.hits().every((h) => h.hits === 0)).toBe(true);
  });

  it('agrees with check() and wouldTranslate() on arbitrary flows', () => {
    fc.assert(
      fc.property(fc.constantFrom(C1, C2), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(6, 17, 1), fc.integer({ min: 0, max: 65535 }), (c, d, proto, port) => {
        const p = new Policy(rules);
        const i = p.check(proto, c, 0, d, port);
        expect(p.refusingRule(c, d, proto, port)).toBe(i < 0 ? undefined : rules[i]!.id);
        expect(p.refusingRule(c, d) === undefined).toBe(p.wouldTranslate(c, d));
      }),
      { numRuns: 500 },
    );
  });
});

describe('rule validation', () => {
  it.each([
    { name: 'bad IPv6 prefix', r: { id: 'a', action: 'deny', source6: '2001:db8::1/32' }, msg: /policy\[0\] \("a"\)\.source6: .*host bits/ },
    { name: 'IPv4 as source6', r: { id: 'a', action: 'deny', source6: '192.0.2.0/24' }, msg: /source6/ },
    { name: 'bad IPv4 prefix', r: { id: 'a', action: 'deny', destination4: '192.0.2.0/33' }, msg: /destination4: .*prefix length/ },
    { name: 'ports without protocol', r: { id: 'a', action: 'deny', ports: '80' }, msg: /ports: need protocol tcp or udp/ },
    { name: 'ports on icmp', r: { id: 'a', action: 'deny', protocol: 'icmp', ports: '80' }, msg: /ports do not apply to icmp/ },
    { name: 'reversed range', r: { id: 'a', action: 'deny', protocol: 'tcp', ports: '90-80' }, msg: /low <= high/ },
    { name: 'port too big', r: { id: 'a', action: 'deny', protocol: 'tcp', ports: '65536' }, msg: /65535/ },
    { name: 'port text', r: { id: 'a', action: 'deny', protocol: 'tcp', ports: 'http' }, msg: /not a port/ },
    { name: 'unknown action', r: { id: 'a', action: 'drop' }, msg: /action: "drop" must be allow or deny/ },
    { name: 'unknown protocol', r: { id: 'a', action: 'deny', protocol: 'sctp' }, msg: /protocol: "sctp"/ },
    { name: 'bad id', r: { id: 'my rule', action: 'deny' }, msg: /id: "my rule"/ },
  ])('rejects $name with a message naming the rule and field', ({ r, msg }) => {
    expect(() => parsePolicyRules([r])).toThrow(msg);
    expect(() => parsePolicyRules([r])).toThrow(expect.objectContaining({ code: 'ERR_POLICY_RULE' }));
  });

  it('rejects duplicate ids and non-lists', () => {
    expect(() => new Policy(parsePolicyRules([{ id: 'x', action: 'deny' }, { id: 'x', action: 'allow' }]))).toThrow(/policy\[1\] \("x"\)\.id: already used by policy\[0\]/);
    expect(() => new Policy('nope' as never)).toThrow(/list of rules/);
  });
});
