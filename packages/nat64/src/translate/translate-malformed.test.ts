// Bad input on purpose: truncated, oversized, malformed. Each gives a named,
// counted drop — never a throw.
import { buildIpv4Tcp, TCP_FLAG } from '@sixgate/testkit';
import { describe, expect, it } from 'vitest';
import { DROP_REASONS, type DropReason } from '../metrics.js';
import { hex, ipv4, ipv6, tcp, udp } from './test-packets.js';
import { CLIENT, harness, openUdp, run, SERVER4, SERVER6 } from './test-setup.js';

const good6 = (): Uint8Array => ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(1212, 53, 8) });
const good4 = (port4: number): Uint8Array => ipv4({ proto: 17, src: SERVER4, dst: '198.51.100.1', payload: udp(53, port4, 8) });

/** `p` with byte `i` set to `v` (IPv4 header checksum fixed when `fix4`). */
function poke(p: Uint8Array, edits: [number, number][], fix4 = false): Uint8Array {
  const b = p.slice();
  for (const [i, v] of edits) b[i] = v;
  if (fix4) {
    b[10] = 0;
    b[11] = 0;
    const ihl = Math.min((b[0]! & 15) * 4, b.length);
    let s = 0;
    for (let i = 0; i < ihl; i += 2) s += (b[i]! << 8) | b[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    b[10] = (~s >> 8) & 0xff;
    b[11] = ~s & 0xff;
  }
  return b;
}

describe('malformed packets are counted drops', () => {
  const cases: { name: string; reason: DropReason; pkt: (port4: number) => Uint8Array }[] = [
    { name: 'IPv6 shorter than 40 bytes', reason: 'truncated', pkt: () => good6().subarray(0, 39) },
    { name: 'IPv6 payload length beyond the data', reason: 'truncated', pkt: () => poke(good6(), [[5, 200]]) },
    { name: 'IPv6 UDP header cut', reason: 'truncated', pkt: () => poke(good6().subarray(0, 44), [[4, 0], [5, 4]]) },
    { name: 'IPv6 jumbogram (payload length 0, Hop-by-Hop)', reason: 'bad-header', pkt: () => poke(good6(), [[4, 0], [5, 0], [6, 0]]) },
    { name: 'two Fragment headers', reason: 'bad-header', pkt: () => ipv6({ nh: 44, upper: 17, ext: hex('2c000001 00000001 11000001 00000001'), src: CLIENT, dst: SERVER6, payload: udp(1, 2, 8) }) },
    { name: 'ten Destination Options headers', reason: 'bad-header', pkt: () => ipv6({ nh: 60, upper: 17, ext: hex('3c00010400000000'.repeat(9) + '1100010400000000'), src: CLIENT, dst: SERVER6, payload: udp(1, 2, 8) }) },
    { name: 'extension header running past the data', reason: 'truncated', pkt: () => ipv6({ nh: 60, upper: 17, ext: hex('11ff010400000000'), src: CLIENT, dst: SERVER6, payload: udp(1, 2, 8) }) },
    { name: 'version 5', reason: 'bad-version', pkt: () => poke(good6(), [[0, 0x50]]) },
    { name: 'IPv4 shorter than 20 bytes', reason: 'truncated', pkt: (p) => good4(p).subarray(0, 19) },
    { name: 'IPv4 IHL 4', reason: 'bad-header', pkt: (p) => poke(good4(p), [[0, 0x44]], true) },
    { name: 'IPv4 IHL beyond the data', reason: 'truncated', pkt: (p) => poke(good4(p).subarray(0, 24), [[0, 0x47]], true) },
    { name: 'IPv4 total length beyond the data', reason: 'truncated', pkt: (p) => poke(good4(p), [[2, 0x7f]], true) },
    { name: 'IPv4 total length below the header', reason: 'bad-header', pkt: (p) => poke(good4(p), [[2, 0], [3, 10]], true) },
    { name: 'IPv4 TCP header cut', reason: 'truncated', pkt: () => ipv4({ proto: 6, src: SERVER4, dst: '198.51.100.1', payload: tcp(80, 1, 0x10).subarray(0, 12) }) },
  ];

  it.each(cases)('$name → $reason', ({ reason, pkt }) => {
    const h = harness();
    const port4 = openUdp(h);
    const before = h.tr.snapshot().drops[reason];
    expect(run(h, pkt(port4)).r).toEqual({ kind: 'drop', reason });
    expect(h.tr.snapshot().drops[reason]).toBe(before + 1);
  });

  it('IPv4 with no headroom in front → no-headroom (nothing written before the buffer)', () => {
    const h = harness();
    const p = good4(openUdp(h));
    expect(h.tr.translate(p, 0, p.length, h.out, 0)).toEqual({ kind: 'drop', reason: 'no-headroom' });
  });

  it('a window outside the buffer is truncated, not a throw', () => {
    const h = harness();
    const p = good6();
    expect(h.tr.translate(p, 10, p.length, h.out, 0)).toEqual({ kind: 'drop', reason: 'truncated' });
    expect(h.tr.translate(p, -1, 10, h.out, 0)).toEqual({ kind: 'drop', reason: 'truncated' });
    expect(h.tr.translate(p, 0, 0, h.out, 0)).toEqual({ kind: 'drop', reason: 'truncated' });
  });

  it('syn-queue-full when more SYNs wait than maxHeldSyns', () => {
    const h = harness({}, { maxHeldSyns: 1 });
    const syn = (dport: number): ReturnType<typeof buildIpv4Tcp> =>
      buildIpv4Tcp({ src: SERVER4, dst: '198.51.100.1', sport: 80, dport, flags: TCP_FLAG.SYN, headroom: 64 });
    const a = syn(3000);
    const b = syn(3001);
    expect(h.tr.translate(a.buf, a.off, a.len, h.out, 0)).toEqual({ kind: 'drop', reason: 'syn-held' });
    expect(h.tr.translate(b.buf, b.off, b.len, h.out, 0)).toEqual({ kind: 'drop', reason: 'syn-queue-full' });
  });

  it('every drop reason has a counter that starts at 0', () => {
    const drops = harness().tr.snapshot().drops;
    expect(Object.keys(drops).sort()).toEqual([...DROP_REASONS].sort());
    expect(Object.values(drops).every((v) => v === 0)).toBe(true);
  });
});
