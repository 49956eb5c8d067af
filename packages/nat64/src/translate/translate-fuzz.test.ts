// Fuzzing the translator itself (ADR 7): structured generators of almost-valid
// packets — IPv6 extension chains, fragments in any order, ICMPv4/ICMPv6
// errors quoting (cut) packets of real sessions, TCP option lists, IPv4
// options, lying lengths, flipped bytes — in both directions, through the real
// Translator over the real Nat64State, with the clock moving and timers
// running. After every packet:
// - nothing threw;
// - nothing was written outside the output area: in the input buffer only the
//   packet and the HEADROOM before it, in `out` only [outOff, end of the
//   last packet reported);
// - every emitted packet parses with the testkit oracle (written apart from
//   the translator), lengths agree, IP header checksums verify, ICMP error
//   checksums verify, and transport checksums verify whenever the input's did
//   (the translator updates them incrementally; a first fragment's covers the
//   whole datagram, so fragments are only parsed);
// - the state tables are consistent (Nat64State.verify()).
// SIXGATE_FUZZ_PCAP=<file> also writes every emitted packet to a pcap (raw
// IP), for a cross-check with another parser, e.g.
//   tshark -r <file> -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
//     -o udp.check_checksum:TRUE -Y '_ws.malformed || _ws.expert.severity >= warning'
import { formatIpv4, parseIpv4 } from '@sixgate/addressing';
import {
  Icmpv4Header,
  Icmpv6Header,
  Ipv4Header,
  Ipv6Extensions,
  Ipv6Header,
  TcpHeader,
  UdpHeader,
  buildIpv4,
  buildIpv4Icmp,
  buildIpv4Tcp,
  buildIpv4Udp,
  buildIpv6,
  buildIpv6Icmp,
  buildIpv6Tcp,
  buildIpv6Udp,
  fragmentIpv4,
  fragmentIpv6,
  isWireError,
  type Ipv6ExtSpec,
  type Packet,
  walkIpv6,
} from '@sixgate/testkit';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { HEADROOM } from '../translator.js';
import type { Outcome } from './outcome.js';
import { harness, type Harness } from './test-setup.js';

const ROOM = { headroom: 64, tailroom: 16 };
const CLIENTS = ['2001:db8::2', '2001:db8::3', '2001:db8:1::9'];
const SERVERS = ['192.0.2.1', '192.0.2.33', '203.0.113.7'];
const POOL = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
const v6of = (a4: string): string => {
  const n = parseIpv4(a4);
  return `64:ff9b:1::${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
};

/** A flow the translator forwarded 6→4: what a reply or an ICMP error must name. */
interface Flow {
  proto: 6 | 17 | 1;
  client: string;
  port6: number;
  server4: string;
  sport4: number;
  addr4: string;
  port4: number;
}

// ---------------------------------------------------------------- generators

const port = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(53, 80, 443, 1212, 40000));
const payloadLen = fc.oneof({ weight: 4, arbitrary: fc.nat(120) }, { weight: 1, arbitrary: fc.integer({ min: 1200, max: 1600 }) });

const tcpOption = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((m) => [2, 4, m >> 8, m & 0xff]),
  fc.constant([1]),
  fc.constant([0]),
  fc.integer({ min: 0, max: 14 }).map((s) => [3, 3, s]),
  fc.constant([4, 2]),
  fc.constant([8, 10, 0, 0, 0, 1, 0, 0, 0, 0]),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 12 })).map(([k, l]) => [k, l, ...new Array<number>(Math.max(0, l - 2)).fill(7)]),
);
const tcpOptions = fc.array(tcpOption, { maxLength: 6 }).map((l) => Uint8Array.from(l.flat().slice(0, 40)));
const tcpFlags = fc.oneof(fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14), fc.integer({ min: 0, max: 255 }));

const ext6: fc.Arbitrary<Ipv6ExtSpec> = fc.oneof(
  fc.constant({ type: 0 as const }),
  fc.constantFrom(8, 16).map((length) => ({ type: 60 as const, length })),
  fc.constantFrom(0, 0, 1).map((segmentsLeft) => ({ type: 43 as const, segmentsLeft })),
  fc.record({ offset: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })), more: fc.boolean(), id: fc.nat() }).map((f) => ({ type: 44 as const, ...f })),
  fc.constant({ type: 51 as const }),
);

/** Damage applied after the build: flipped bytes, a cut, a lying length field. */
const damage = fc.record({
  flips: fc.oneof({ weight: 5, arbitrary: fc.constant([] as [number, number][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }) }),
  cut: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }) }),
  lie: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -30, max: 30 }) }),
});

/** Fragmenting a packet: none, or the chunk size and the order the fragments are sent in. */
const fragging = fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.record({ chunk: fc.integer({ min: 8, max: 600 }), order: fc.array(fc.nat(), { maxLength: 8 }) }) });

/** Bytes cut off the end of a quoted packet (a router quotes at least 28, RFC 792; often more). */
const innerCut = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(120) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 300 }) });

const upper6 = fc.oneof(
  fc.record({ k: fc.constant('udp' as const), sport: port, dport: port, len: payloadLen }),
  fc.record({ k: fc.constant('tcp' as const), sport: port, dport: port, flags: tcpFlags, options: tcpOptions, len: fc.nat(60) }),
  fc.record({ k: fc.constant('echo' as const), id: port, seq: fc.nat(0xffff), len: payloadLen }),
  fc.record({
    k: fc.constant('error' as const),
    type: fc.integer({ min: 1, max: 4 }),
    code: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    rest: fc.oneof(fc.constantFrom(0, 1280, 1500, 6, 40, 24, 0x01000000), fc.nat()),
    flow: fc.nat(),
    inner: fc.constantFrom('udp', 'udp', 'tcp', 'echo', 'frag-first', 'frag-later', 'hbh', 'junk'),
    cut: innerCut,
  }),
  fc.record({ k: fc.constant('other' as const), nh: fc.constantFrom(59, 132, 50, 89), len: fc.nat(40) }),
);

const spec6 = fc.record({
  dir: fc.constant(6 as const),
  client: fc.constantFrom(...CLIENTS),
  dst: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...SERVERS).map(v6of) },
    { weight: 1, arbitrary: fc.constantFrom(...POOL).map(v6of) },
    { weight: 1, arbitrary: fc.constantFrom('2001:db8::99', v6of('127.0.0.1'), v6of('224.0.0.5'), v6of('10.1.2.3')) },
  ),
  hop: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 2, max: 255 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1) }),
  tc: fc.nat(255),
  /** To a pool4 address and port of an existing binding (hairpin, RFC 6146 §3.8), when one exists. */
  hairpin: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat() }),
  ext: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Ipv6ExtSpec[]) }, { weight: 2, arbitrary: fc.array(ext6, { maxLength: 4 }) }),
  up: upper6,
  frag: fragging,
  dmg: damage,
});

const upper4 = fc.oneof(
  fc.record({ k: fc.constant('udp' as const), zero: fc.boolean(), len: payloadLen }),
  fc.record({ k: fc.constant('tcp' as const), flags: tcpFlags, options: tcpOptions, len: fc.nat(60) }),
  fc.record({ k: fc.constant('echo' as const), type: fc.constantFrom(0, 0, 8), len: payloadLen }),
  fc.record({
    k: fc.constant('error' as const),
    type: fc.constantFrom(3, 3, 11, 12, 4, 5),
    code: fc.integer({ min: 0, max: 15 }),
    rest: fc.oneof(fc.constantFrom(0, 1400, 576, 68, 0x0c000000, 0x00200000), fc.nat()),
    inner: fc.constantFrom('udp', 'udp', 'tcp', 'echo', 'frag-first', 'frag-later', 'options', 'junk'),
    cut: innerCut,
  }),
  fc.record({ k: fc.constant('other' as const), proto: fc.constantFrom(47, 132, 50), len: fc.nat(40) }),
);

const ipv4Options = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom([1, 1, 1, 1], [131, 7, 4, 192, 0, 2, 9, 0], [137, 7, 8, 192, 0, 2, 9, 0], [7, 7, 4, 0, 0, 0, 0, 0], [131, 2, 0, 0], [68, 4, 5, 0]) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Array.from(b.subarray(0, b.length & ~3))) },
);

const spec4 = fc.record({
  dir: fc.constant(4 as const),
  flow: fc.nat(),
  reply: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  src: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...SERVERS) }, { weight: 1, arbitrary: fc.constantFrom('127.0.0.1', '0.0.0.1', '10.9.9.9', '198.51.100.2') }),
  dst: fc.constantFrom(...POOL, '203.0.113.200'),
  sport: port,
  dport: port,
  ttl: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 2, max: 255 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1) }),
  tos: fc.nat(255),
  df: fc.boolean(),
  options: ipv4Options,
  up: upper4,
  frag: fragging,
  dmg: damage,
});

const step = fc.oneof(
  { weight: 5, arbitrary: spec6 },
  { weight: 5, arbitrary: spec4 },
  { weight: 1, arbitrary: fc.record({ dir: fc.constant('tick' as const), ms: fc.oneof(fc.integer({ min: 0, max: 8000 }), fc.constantFrom(300_000, 7_500_000)) }) },
);

// ---------------------------------------------------------------- building

type Spec6 = fc.infer<typeof spec6>;
type Spec4 = fc.infer<typeof spec4>;

const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff);
const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

/** The IPv6 packet a client might quote in an ICMPv6 error: server → client of `f` (or made up). */
function inner6(kind: string, f: Flow | undefined, cut: number): Uint8Array {
  const src = v6of(f?.server4 ?? SERVERS[0]!);
  const dst = f?.client ?? CLIENTS[0]!;
  const sport = f?.sport4 ?? 53;
  const dport = f?.port6 ?? 1212;
  const base = { src, dst, hopLimit: 61 };
  let p: Packet;
  if (kind === 'tcp' || (kind !== 'echo' && f?.proto === 6)) p = buildIpv6Tcp({ ...base, sport, dport, flags: 0x12, payload: data(40) });
  else if (kind === 'echo' || f?.proto === 1) p = buildIpv6Icmp({ ...base, type: 129, id: dport, payload: data(56) });
  else p = buildIpv6Udp({ ...base, sport, dport, payload: data(60) });
  if (kind === 'frag-first' || kind === 'frag-later') {
    const frags = fragmentIpv6(p, 32, { id: 0x5151 });
    p = frags[kind === 'frag-first' ? 0 : Math.min(1, frags.length - 1)]!;
  } else if (kind === 'hbh') {
    p = buildIpv6Udp({ ...base, sport, dport, ext: [{ type: 0 }], payload: data(20) });
  } else if (kind === 'junk') {
    return data(Math.min(cut, 200));
  }
  return p.bytes.slice(0, Math.max(0, p.len - cut));
}

/** The IPv4 packet a router might quote in an ICMPv4 error: pool4 → server of `f` (or made up). */
function inner4(kind: string, f: Flow | undefined, cut: number): Uint8Array {
  const base = { src: f?.addr4 ?? POOL[0]!, dst: f?.server4 ?? SERVERS[0]!, ttl: 3, df: false };
  const sport = f?.port4 ?? 1024;
  const dport = f?.sport4 ?? 53;
  let p: Packet;
  if (kind === 'tcp' || (kind !== 'echo' && f?.proto === 6)) p = buildIpv4Tcp({ ...base, sport, dport, payload: data(40) });
  else if (kind === 'echo' || f?.proto === 1) p = buildIpv4Icmp({ ...base, type: 8, id: sport, payload: data(56) });
  else p = buildIpv4Udp({ ...base, sport, dport, payload: data(60) });
  if (kind === 'frag-first' || kind === 'frag-later') {
    const frags = fragmentIpv4(p, 32);
    p = frags[kind === 'frag-first' ? 0 : Math.min(1, frags.length - 1)]!;
  } else if (kind === 'options') {
    p = buildIpv4Udp({ ...base, sport, dport, options: Uint8Array.of(1, 1, 1, 1, 7, 7, 4, 0, 0, 0, 0, 0), payload: data(20) });
  } else if (kind === 'junk') {
    return data(Math.min(cut, 200));
  }
  return p.bytes.slice(0, Math.max(0, p.len - cut));
}

function build6(s: Spec6, flows: Flow[]): Packet {
  const hp = s.hairpin < 0 ? undefined : pick(flows.filter((f) => f.proto !== 1), s.hairpin);
  const base = { src: s.client, dst: hp === undefined ? s.dst : v6of(hp.addr4), hopLimit: s.hop, tc: s.tc, ext: s.ext, ...ROOM };
  const u = s.up;
  switch (u.k) {
    case 'udp':
      return buildIpv6Udp({ ...base, sport: u.sport, dport: hp?.port4 ?? u.dport, payload: data(u.len) });
    case 'tcp':
      return buildIpv6Tcp({ ...base, sport: u.sport, dport: hp?.port4 ?? u.dport, flags: u.flags, options: u.options, payload: data(u.len) });
    case 'echo':
      return buildIpv6Icmp({ ...base, type: 128, id: u.id, seq: u.seq, payload: data(u.len) });
    case 'error': {
      const f = pick(flows, u.flow);
      const dst = f === undefined ? s.dst : v6of(f.server4);
      return buildIpv6Icmp({ ...base, src: f?.client ?? s.client, dst, type: u.type, code: u.code, rest: u.rest >>> 0, payload: inner6(u.inner, f, u.cut) });
    }
    default:
      return buildIpv6({ ...base, nextHeader: u.nh, payload: data(u.len) });
  }
}

function build4(s: Spec4, flows: Flow[]): Packet {
  const f = pick(flows, s.flow);
  const r = s.reply && f !== undefined;
  const base = {
    src: r ? f.server4 : s.src,
    dst: r ? f.addr4 : s.dst,
    ttl: s.ttl,
    tos: s.tos,
    df: s.df,
    options: s.options === undefined ? undefined : Uint8Array.from(s.options),
    ...ROOM,
  };
  const sport = r ? f.sport4 : s.sport;
  const dport = r ? f.port4 : s.dport;
  // A reply speaks the flow's protocol (an error or an unknown protocol stays what it is).
  const u = !r || s.up.k === 'error' || s.up.k === 'other' ? s.up : asProto(s.up, f.proto);
  switch (u.k) {
    case 'udp':
      return buildIpv4Udp({ ...base, sport, dport, zeroChecksum: u.zero, payload: data(u.len) });
    case 'tcp':
      return buildIpv4Tcp({ ...base, sport, dport, flags: u.flags, options: u.options, payload: data(u.len) });
    case 'echo':
      return buildIpv4Icmp({ ...base, type: u.type, id: r && f.proto === 1 ? f.port4 : dport, payload: data(u.len) });
    case 'error':
      return buildIpv4Icmp({ ...base, type: u.type, code: u.code, rest: u.rest >>> 0, payload: inner4(u.inner, f, u.cut) });
    default:
      return buildIpv4({ ...base, protocol: u.proto, payload: data(u.len) });
  }
}

type Up4 = Spec4['up'];
/** `u` turned into the transport `proto`, keeping its length. */
function asProto(u: Up4, proto: number): Up4 {
  const len = 'len' in u ? u.len : 0;
  if (proto === 17) return u.k === 'udp' ? u : { k: 'udp', zero: false, len };
  if (proto === 6) return u.k === 'tcp' ? u : { k: 'tcp', flags: 0x12, options: new Uint8Array(0), len: Math.min(len, 60) };
  return u.k === 'echo' ? u : { k: 'echo', type: 0, len };
}

/** The packets one spec sends: the packet, or its fragments in the generated order; then the damage. */
function packets(s: Spec6 | Spec4, flows: Flow[]): Packet[] {
  const p = s.dir === 6 ? build6(s, flows) : build4(s, flows);
  let list = [p];
  if (s.frag !== undefined) {
    try {
      list = s.dir === 6 ? fragmentIpv6(p, s.frag.chunk, { id: 0x0badf00d, ...ROOM }) : fragmentIpv4(p, s.frag.chunk, ROOM);
    } catch {
      list = [p]; // the oracle refuses to cut this one (e.g. a chain it cannot walk): send it whole
    }
    const order = s.frag.order;
    for (let i = 0; i < order.length && list.length > 1; i++) {
      const j = order[i]! % list.length;
      [list[i % list.length], list[j]] = [list[j]!, list[i % list.length]!];
    }
  }
  return list.map((q) => {
    const { flips, cut, lie } = s.dmg;
    for (const [i, v] of flips) if (i < q.len) q.buf[q.off + i] = v;
    if (lie !== 0) {
      const at = q.off + (s.dir === 6 ? 4 : 2);
      const v = Math.max(0, Math.min(0xffff, ((q.buf[at]! << 8) | q.buf[at + 1]!) + lie));
      q.buf[at] = v >> 8;
      q.buf[at + 1] = v & 0xff;
    }
    return { ...q, len: Math.max(0, q.len - cut) };
  });
}

// ---------------------------------------------------------------- checking

/** Whether the transport checksum of the input packet verifies (the oracle's reading), so the output's must. */
function intact(b: Uint8Array): boolean {
  if (b.length < 1) return false;
  if (b[0]! >> 4 === 6) {
    const ip = Ipv6Header.check(b, 0, b.length);
    if (isWireError(ip)) return false;
    const x = walkIpv6(ip, new Ipv6Extensions());
    if (isWireError(x) || x.fragmentHeaderOffset >= 0) return false;
    return l4Verifies(b, x.upperProtocol, x.upperOffset, ip.off + ip.len, ip.pseudoHeaderSum(x.upperProtocol, ip.off + ip.len - x.upperOffset));
  }
  const ip = Ipv4Header.check(b, 0, b.length);
  if (isWireError(ip) || ip.isFragment) return false;
  const p = ip.payloadOffset;
  if (ip.protocol === 17 && ip.payloadLength >= 8 && b[p + 6] === 0 && b[p + 7] === 0) {
    // Computed by the translator over the IP payload: right when the UDP length agrees with it.
    const u = UdpHeader.check(b, p, ip.payloadLength);
    return !isWireError(u) && u.length === ip.payloadLength;
  }
  return l4Verifies(b, ip.protocol, p, ip.off + ip.len, ip.pseudoHeaderSum());
}

function l4Verifies(b: Uint8Array, proto: number, p: number, end: number, pseudo: number): boolean {
  const n = end - p;
  if (proto === 17) {
    const u = UdpHeader.check(b, p, n);
    return !isWireError(u) && u.verifyChecksum(pseudo);
  }
  if (proto === 6) {
    const t = TcpHeader.check(b, p, n);
    return !isWireError(t) && t.verifyChecksum(pseudo);
  }
  if (proto === 58) return !isWireError(Icmpv6Header.check(b, p, n)) && new Icmpv6Header(b, p, n).verifyChecksum(pseudo);
  if (proto === 1) return !isWireError(Icmpv4Header.check(b, p, n, undefined, 'verify'));
  return false;
}

/** An emitted packet parses with the oracle and its checksums verify (`l4` when the input's did). */
function checkEmitted(b: Uint8Array, l4: boolean, where: string): void {
  const v = b[0]! >> 4;
  if (v === 4) {
    const ip = Ipv4Header.check(b, 0, b.length);
    if (isWireError(ip)) throw new Error(`${where}: IPv4 ${ip.code}`);
    expect(ip.totalLength, where).toBe(b.length);
    if (ip.isFragment) return;
    const p = ip.payloadOffset;
    const n = ip.payloadLength;
    if (ip.protocol === 1) {
      const ic = Icmpv4Header.check(b, p, n, undefined, 'ignore');
      if (isWireError(ic)) throw new Error(`${where}: ICMPv4 ${ic.code}`);
      const error = ic.type !== 0 && ic.type !== 8;
      if (error || l4) expect(ic.verifyChecksum(), `${where}: ICMPv4 checksum`).toBe(true);
      if (error) {
        const inner = Ipv4Header.checkEmbedded(b, p + 8, n - 8);
        if (isWireError(inner)) throw new Error(`${where}: inner IPv4 ${inner.code}`);
        expect(inner.verifyChecksum(), `${where}: inner IPv4 header checksum`).toBe(true);
      }
      return;
    }
    if (l4 && (ip.protocol === 6 || ip.protocol === 17)) expect(l4Verifies(b, ip.protocol, p, b.length, ip.pseudoHeaderSum()), `${where}: L4 checksum`).toBe(true);
    return;
  }
  expect(v, `${where}: version`).toBe(6);
  const ip = Ipv6Header.check(b, 0, b.length);
  if (isWireError(ip)) throw new Error(`${where}: IPv6 ${ip.code}`);
  expect(ip.len, where).toBe(b.length);
  const x = walkIpv6(ip, new Ipv6Extensions());
  if (isWireError(x)) throw new Error(`${where}: IPv6 chain ${x.code}`);
  if (x.fragmentHeaderOffset >= 0) return;
  const p = x.upperOffset;
  const n = b.length - p;
  const pseudo = ip.pseudoHeaderSum(x.upperProtocol, n);
  if (x.upperProtocol === 58) {
    const ic = Icmpv6Header.check(b, p, n);
    if (isWireError(ic)) throw new Error(`${where}: ICMPv6 ${ic.code}`);
    const error = ic.type < 128;
    if (error || l4) expect(ic.verifyChecksum(pseudo), `${where}: ICMPv6 checksum`).toBe(true);
    if (error && isWireError(Ipv6Header.checkEmbedded(b, p + 8, n - 8))) throw new Error(`${where}: inner IPv6`);
    return;
  }
  if (l4 && (x.upperProtocol === 6 || x.upperProtocol === 17)) expect(l4Verifies(b, x.upperProtocol, p, b.length, pseudo), `${where}: L4 checksum`).toBe(true);
}

/** The packets of an outcome (copies) and the end of what it reports in `out`. */
function emitted(r: Outcome, buf: Uint8Array, out: Uint8Array, outOff: number): { list: Uint8Array[]; outEnd: number } {
  if (r.kind === 'forward') return { list: [buf.slice(r.offset, r.offset + r.length)], outEnd: outOff };
  if (r.kind === 'reply') return { list: [out.slice(r.offset, r.offset + r.length)], outEnd: r.offset + r.length };
  if (r.kind === 'forward-many') {
    const list: Uint8Array[] = [];
    let end = outOff;
    for (let i = 0; i < r.count; i++) {
      list.push(out.slice(r.offsets[i]!, r.offsets[i]! + r.lengths[i]!));
      end = Math.max(end, r.offsets[i]! + r.lengths[i]!);
    }
    return { list, outEnd: end };
  }
  return { list: [], outEnd: outOff };
}

/** Remembers a 6→4 flow from the packet the translator forwarded, so 4→6 packets and ICMP errors can hit it. */
function learn(flows: Flow[], input: Uint8Array, o: Uint8Array): void {
  if (o[0]! >> 4 !== 4 || input[0]! >> 4 !== 6) return;
  const ip = Ipv4Header.check(o, 0, o.length);
  if (isWireError(ip) || ip.isFragment || ip.payloadLength < 8) return;
  const p = ip.payloadOffset;
  const proto = ip.protocol;
  if (proto !== 6 && proto !== 17 && proto !== 1) return;
  const i6 = Ipv6Header.check(input, 0, input.length);
  if (isWireError(i6)) return;
  const x = walkIpv6(i6, new Ipv6Extensions());
  if (isWireError(x) || x.upperOffset + 8 > input.length) return;
  const u = x.upperOffset;
  const id = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
  if (proto === 1 && o[p] !== 8) return;
  flows.push({
    proto,
    client: formatIpv6Of(input, 8),
    port6: proto === 1 ? id(input, u + 4) : id(input, u),
    server4: formatIpv4(ip.dstAddr),
    sport4: proto === 1 ? id(o, p + 4) : id(o, p + 2),
    addr4: formatIpv4(ip.srcAddr),
    port4: proto === 1 ? id(o, p + 4) : id(o, p),
  });
}

function formatIpv6Of(b: Uint8Array, at: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
  return parts.join(':');
}

/**
 * The output area: room for the largest result these generators can cause
 * (a 1.6 KB datagram cut for 1280, 16 held fragments of ≤ 600 bytes released
 * at once, a 1280-byte ICMPv6 error), not OUT_BUFFER_SIZE's 64 KiB, so the
 * stray-write scan stays cheap.
 */
const OUT_LEN = 16 * 1024;
const OUT = new Uint8Array(256 + OUT_LEN);

/** Sends one packet and checks every invariant. */
function send(h: Harness, q: Packet, outOff: number, flows: Flow[], where: string): void {
  const input = q.buf.slice(q.off, q.off + q.len);
  const l4 = intact(input);
  const bufBefore = q.buf.slice();
  const out = OUT.subarray(0, outOff + OUT_LEN).fill(0x5a);
  let r: Outcome;
  try {
    r = h.tr.translate(q.buf, q.off, q.len, out, outOff);
  } catch (e) {
    throw new Error(`${where}: threw ${String(e)}`);
  }
  // In the input buffer: only the packet and the headroom in front of it.
  const lo = q.off - HEADROOM;
  for (let i = 0; i < q.buf.length; i++) {
    if ((i < lo || i >= q.off + q.len) && q.buf[i] !== bufBefore[i]) throw new Error(`${where}: input buffer written at ${i} (packet ${q.off}..${q.off + q.len})`);
  }
  const { list, outEnd } = emitted(r, q.buf, out, outOff);
  for (let i = 0; i < out.length; i++) {
    if ((i < outOff || i >= outEnd) && out[i] !== 0x5a) throw new Error(`${where}: out written at ${i} (${r.kind}, reported ${outOff}..${outEnd})`);
  }
  const isErr = input.length > 28 && (input[0]! >> 4 === 6 ? input[6] === 58 && input[40]! < 128 : input[9] === 1 && input[(input[0]! & 15) * 4]! !== 0 && input[(input[0]! & 15) * 4]! !== 8);
  tally(`${input[0]! >> 4}:${r.kind}${r.kind === 'forward-many' && isErr ? ':icmp-error' : ''}${'reason' in r ? `:${r.reason}` : ''}`);
  if (PCAP !== undefined && l4) dumped.push(...list); // the ones whose checksums must verify
  list.forEach((b, k) => checkEmitted(b, l4, `${where} → ${r.kind}${'reason' in r ? ` ${r.reason}` : ''} #${k}`));
  if (r.kind === 'forward') learn(flows, input, list[0]!);
  const bad = h.st.verify();
  if (bad.length > 0) throw new Error(`${where}: state ${bad.join('; ')}`);
}

const PCAP = process.env.SIXGATE_FUZZ_PCAP || undefined;
const dumped: Uint8Array[] = [];

/** A pcap file (LINKTYPE_RAW: IPv4/IPv6 without a link header) of `packets`. */
function pcap(packets: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, 101, true);
  parts.push(new Uint8Array(head.buffer));
  packets.forEach((p, i) => {
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(0, i, true);
    rec.setUint32(8, p.length, true);
    rec.setUint32(12, p.length, true);
    parts.push(new Uint8Array(rec.buffer), p);
  });
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

afterAll(() => {
  if (PCAP !== undefined) writeFileSync(PCAP, pcap(dumped));
});

/** What the runs reached: direction:outcome[:reason], and the translator's counters. */
const seen = new Map<string, number>();
function tally(k: string, n = 1): void {
  seen.set(k, (seen.get(k) ?? 0) + n);
}

/** Opens one flow per protocol so replies and errors have sessions to hit. */
function open(h: Harness, flows: Flow[]): void {
  const seed = [
    buildIpv6Udp({ src: CLIENTS[0]!, dst: v6of(SERVERS[1]!), sport: 1212, dport: 53, payload: data(20), ...ROOM }),
    buildIpv6Tcp({ src: CLIENTS[1]!, dst: v6of(SERVERS[0]!), sport: 40000, dport: 443, flags: 0x02, ...ROOM }),
    buildIpv6Icmp({ src: CLIENTS[2]!, dst: v6of(SERVERS[2]!), type: 128, id: 77, payload: data(16), ...ROOM }),
  ];
  for (const p of seed) send(h, p, 0, flows, 'seed');
}

function runSteps(steps: fc.infer<typeof step>[], outOff: number): void {
  const h = harness({ heldFragments: 16 });
  const flows: Flow[] = [];
  open(h, flows);
  steps.forEach((s, n) => {
    if (s.dir === 'tick') {
      h.clock.advance(s.ms);
      for (const p of h.tr.tick()) checkEmitted(p, true, `tick ${n}`);
      const bad = h.st.verify();
      if (bad.length > 0) throw new Error(`tick ${n}: state ${bad.join('; ')}`);
      return;
    }
    h.clock.advance(7);
    packets(s, flows).forEach((q, k) => send(h, q, outOff, flows, `step ${n}.${k} (${s.dir === 6 ? '6→4' : '4→6'} ${s.up.k})`));
  });
  const c = h.tr.snapshot();
  for (const k of ['mssClamped', 'hairpinned', 'udpZeroChecksumFixed', 'fragmentsMade', 'icmpErrorsTranslated', 'icmpErrorsSent', 'expiredSynReplies'] as const) tally(k, c[k]);
}

/**
 * The generators still reach the paths worth fuzzing (a generator that
 * drifts into producing only drops would pass every invariant). Only paths
 * hit dozens of times per run are named, so this does not flake.
 */
function reached(keys: string[]): void {
  const missing = keys.filter((k) => (seen.get(k) ?? 0) === 0);
  seen.clear();
  expect(missing, 'paths the generators no longer reach').toEqual([]);
}

describe('fuzz: the translator with real state, both directions', () => {
  it('sequences of almost-valid packets: no throw, no stray write, oracle-valid output, consistent state', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), fc.nat(200), (steps, outOff) => runSteps(steps, outOff)),
      { numRuns: 150 },
    );
    reached(['6:forward', '4:forward', '6:reply:ttl-expired', '4:reply:ttl-expired', 'icmpErrorsSent', 'icmpErrorsTranslated']);
  }, 30_000);

  it('6→4 only: extension chains, fragments, ICMPv6 errors quoting real sessions, TCP options', () => {
    fc.assert(
      fc.property(fc.array(spec6, { minLength: 1, maxLength: 10 }), (steps) => runSteps(steps, 0)),
      { numRuns: 120 },
    );
    reached(['6:forward', '6:reply:routing-header', '6:reply:extension-after-fragment', '6:reply:hairpin-no-binding', '6:drop:fragment-held', 'icmpErrorsSent']);
  }, 30_000);

  it('4→6 only: IPv4 options, fragments, ICMPv4 errors quoting real sessions, UDP zero checksum', () => {
    fc.assert(
      fc.property(fc.array(spec4, { minLength: 1, maxLength: 10 }), (steps) => runSteps(steps, 0)),
      { numRuns: 120 },
    );
    reached(['4:forward', '4:forward-many:icmp-error', '4:drop:fragment-held', 'fragmentsMade', 'udpZeroChecksumFixed', 'icmpErrorsTranslated']);
  }, 30_000);
});

