// Differential: wire's production accessors and the oracle agree on what they
// both decide — the IPv4 header check, the source-route walk, the MSS walk
// and the IPv6 chain walk — on random and structured bytes. The two were
// written apart (docs/adr/0007-one-packet-parser.md); a disagreement is a bug
// in one of them.
import {
  IPV6_CHAIN_OK,
  IPV6_CHAIN_SEGMENTS_LEFT,
  Ipv6Chain,
  ipv4HeaderCheck,
  ipv4SourceRoute,
  tcpMssOffset,
  walkIpv6Chain,
} from '@sixgate/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWireError } from './errors.js';
import { Ipv4Header } from './ipv4.js';
import { Ipv6Header } from './ipv6.js';
import { Ipv6Extensions, walkIpv6 } from './ipv6-ext.js';
import { TcpHeader } from './tcp.js';

describe('wire accessors agree with the oracle', () => {
  it('IPv4: header check and source route', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x40, max: 0x4f }), fc.uint8Array({ minLength: 19, maxLength: 80 }), fc.nat(100), (vi, rest, total) => {
        const b = Uint8Array.of(vi, ...rest);
        b[2] = total >> 8;
        b[3] = total & 0xff;
        const w = ipv4HeaderCheck(b, 0, b.length);
        const o = Ipv4Header.check(b, 0, b.length, undefined, 'ignore');
        expect(w >= 0).toBe(!isWireError(o));
        if (isWireError(o)) return;
        expect(w).toBe(o.headerLength);
        expect(ipv4SourceRoute(b, 0, w)).toBe(o.sourceRouteOffset());
      }),
      { numRuns: 3000 },
    );
  });

  it('TCP: the MSS option', () => {
    const opt = fc.oneof(
      fc.constant([1]),
      fc.constant([0]),
      fc.integer({ min: 0, max: 0xffff }).map((m) => [2, 4, m >> 8, m & 0xff]),
      fc.constant([3, 3, 7]),
      fc.constant([4, 2]),
      fc.constant([8, 10, 1, 2, 3, 4, 5, 6, 7, 8]),
      fc.tuple(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 12 })).map(([k, l]) => [k, l]),
    );
    fc.assert(
      fc.property(fc.array(opt, { maxLength: 8 }), (opts) => {
        const o = opts.flat().slice(0, 40);
        const hl = 20 + ((o.length + 3) & ~3);
        const b = new Uint8Array(hl);
        b.set(o, 20);
        b[12] = (hl / 4) << 4;
        const t = TcpHeader.check(b, 0, hl);
        if (isWireError(t)) throw new Error(t.toString());
        const m = t.mssOffset();
        const w = tcpMssOffset(b, 0, hl);
        // Both say where the MSS is, or that there is none to clamp. They may differ
        // on why: the oracle calls a kind-2 option of length ≠ 4 malformed, wire
        // skips it (as Linux does) and keeps walking.
        if (m >= 0) expect(w).toBe(m);
        else if (w >= 0) {
          expect(m).toBe(-2); // the oracle stopped at a wrong-length kind 2 ...
          expect([b[w - 2], b[w - 1]]).toEqual([2, 4]); // ... wire walked on to a real MSS
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('IPv6: the extension-header chain (HbH first, Routing, Destination Options, Fragment)', () => {
    const ext = fc.oneof(
      fc.record({ nh: fc.constantFrom(60, 43), n: fc.integer({ min: 0, max: 3 }), sl: fc.constantFrom(0, 0, 1) }),
      fc.record({ nh: fc.constant(44), n: fc.constant(0), sl: fc.integer({ min: 0, max: 0x1fff }) }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(ext, { maxLength: 5 }), fc.constantFrom(6, 17, 58, 59), fc.nat(40), (hbh, list, upper, data) => {
        const exts = hbh ? [{ nh: 0, n: 0, sl: 0 }, ...list] : list;
        const parts: number[] = [];
        exts.forEach((e, k) => {
          const next = exts[k + 1]?.nh ?? upper;
          if (e.nh === 44) parts.push(next, 0, ((e.sl << 3) | 1) >> 8, ((e.sl << 3) | 1) & 0xff, 0, 0, 0, 9);
          else {
            const h = new Array<number>((e.n + 1) * 8).fill(0);
            h[0] = next;
            h[1] = e.n;
            if (e.nh === 43) h[3] = e.sl;
            parts.push(...h);
          }
        });
        const b = new Uint8Array(40 + parts.length + data);
        b[0] = 0x60;
        b[4] = (parts.length + data) >> 8;
        b[5] = (parts.length + data) & 0xff;
        b[6] = exts[0]?.nh ?? upper;
        b.set(parts, 40);
        const x = new Ipv6Chain();
        const s = walkIpv6Chain(b, 0, b.length, x);
        const ip = Ipv6Header.check(b, 0, b.length);
        if (isWireError(ip)) throw new Error(ip.toString());
        const o = walkIpv6(ip, new Ipv6Extensions());
        const frags = exts.filter((e) => e.nh === 44).length;
        if (isWireError(o)) {
          // The oracle refuses a second Fragment header; wire does too (BAD), unless a
          // later fragment ended wire's walk before it.
          expect(frags).toBeGreaterThan(1);
          return;
        }
        if (s === IPV6_CHAIN_OK) {
          expect(x.upper).toBe(o.upperOffset);
          expect(x.nh).toBe(o.upperProtocol);
          expect(x.frag).toBe(o.fragmentHeaderOffset);
          expect(x.fragOffset).toBe(o.fragmentOffset * 8);
          expect(o.segmentsLeftOffset).toBe(-1);
          expect(o.extensionAfterFragment).toBe(false);
        } else if (s === IPV6_CHAIN_SEGMENTS_LEFT) {
          expect(x.at).toBe(o.segmentsLeftOffset);
        } else {
          // wire refuses (after-fragment or more than 8 headers); the oracle reports why.
          expect(o.extensionAfterFragment || exts.length > 8).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
