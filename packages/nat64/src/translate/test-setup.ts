/**
 * Test harness: a Translator over the real Nat64State with a fake clock and a
 * programmable policy (not exported from the package entry).
 */
import { parseIpv4Cidr, parseNat64Prefix } from '@sixgate/addressing';
import type { TranslatorOptions } from '../config.js';
import { Nat64State } from '../state/nat64-state.js';
import { defaultStateOptions } from '../state/options.js';
import type { StateOptions } from '../state/api.js';
import { Translator } from '../translator.js';
import type { PolicyCheck } from './context.js';
import type { Outcome } from './outcome.js';
import { ipv6, placed, udp } from './test-packets.js';
import { FakeClock } from '@sixgate/testkit';
import { u16 } from '@sixgate/wire';

/** A policy that denies flows to the listed IPv4 destinations. */
export class FakePolicy implements PolicyCheck {
  deny = new Set<number>();
  calls = 0;
  check(_proto: number, _buf: Uint8Array, _src6Off: number, dst4: number): number {
    this.calls++;
    return this.deny.has(dst4 >>> 0) ? 0 : -1;
  }
}

/** 64:ff9b:1::/96 (RFC 8215 local use): may embed documentation addresses. */
export const PREFIX = parseNat64Prefix('64:ff9b:1::/96');
/** pool4 198.51.100.0/30 → own address 198.51.100.1. */
export const POOL = '198.51.100.0/30';

export interface Harness {
  tr: Translator;
  st: Nat64State;
  clock: FakeClock;
  policy: FakePolicy;
  out: Uint8Array;
}

/** A translator + state with defaults suitable for literal-packet tests. */
export function harness(opts: Partial<TranslatorOptions> = {}, stateOver: Partial<StateOptions> = {}): Harness {
  const clock = new FakeClock(1_000_000);
  const pool = parseIpv4Cidr(POOL);
  const st = new Nat64State(defaultStateOptions([{ cidr: pool }], { portSecret: new Uint8Array(8).fill(7), ...stateOver }), clock);
  const policy = new FakePolicy();
  const tr = new Translator({ prefix: PREFIX, pool4: [pool], ...opts }, st, policy, clock);
  return { tr, st, clock, policy, out: new Uint8Array(70000).fill(0x5a) };
}

/** The client and server used across tests. */
export const CLIENT = '2001:db8::2';
export const SERVER4 = '192.0.2.33';
export const SERVER6 = '64:ff9b:1::c000:221';
export const OWN4 = '198.51.100.1';
export const OWN6 = '64:ff9b:1::c633:6401';

/** Translates `pkt` placed with `headroom` bytes in front. */
export function run(h: Harness, pkt: Uint8Array, headroom = 64): { r: Outcome; buf: Uint8Array } {
  const p = placed(pkt, headroom);
  return { r: h.tr.translate(p.buf, p.off, p.len, h.out, 0), buf: p.buf };
}

/** The forwarded packet (copy), or throws naming the outcome. */
export function fwd(x: { r: Outcome; buf: Uint8Array }): Uint8Array {
  const r = x.r;
  if (r.kind !== 'forward') throw new Error(`expected forward, got ${r.kind} ${'reason' in r ? r.reason : ''}`);
  return x.buf.slice(r.offset, r.offset + r.length);
}

/** The packets of a forward-many outcome (copies from `h.out`). */
export function many(h: Harness, r: Outcome): Uint8Array[] {
  if (r.kind !== 'forward-many') throw new Error(`expected forward-many, got ${r.kind} ${'reason' in r ? r.reason : ''}`);
  const list: Uint8Array[] = [];
  for (let i = 0; i < r.count; i++) list.push(h.out.slice(r.offsets[i]!, r.offsets[i]! + r.lengths[i]!));
  return list;
}

/** The reply packet (copy from `h.out`) and its reason. */
export function replied(h: Harness, r: Outcome): Uint8Array {
  if (r.kind !== 'reply') throw new Error(`expected reply, got ${r.kind} ${'reason' in r ? r.reason : ''}`);
  return h.out.slice(r.offset, r.offset + r.length);
}

/** Opens a UDP session CLIENT#sport → SERVER#dport; returns the pool4 port. */
export function openUdp(h: Harness, sport = 1212, dport = 53): number {
  const o = fwd(run(h, ipv6({ nh: 17, src: CLIENT, dst: SERVER6, payload: udp(sport, dport, 4) })));
  return u16(o, 20);
}
