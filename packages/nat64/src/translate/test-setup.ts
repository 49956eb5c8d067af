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

/** A clock tests move by hand. */
export class FakeClock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A policy that denies flows to the listed IPv4 destinations. */
export class FakePolicy implements PolicyCheck {
  deny = new Set<number>();
  calls = 0;
  check(_proto: number, _buf: Uint8Array, _src6Off: number, dst4: number): number {
    this.calls++;
    return this.deny.has(dst4) ? 0 : -1;
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
  const clock = new FakeClock();
  const pool = parseIpv4Cidr(POOL);
  const st = new Nat64State(defaultStateOptions([{ cidr: pool }], { portSecret: new Uint8Array(8).fill(7), ...stateOver }), clock);
  const policy = new FakePolicy();
  const tr = new Translator({ prefix: PREFIX, pool4: [pool], ...opts }, st, policy, clock);
  return { tr, st, clock, policy, out: new Uint8Array(70000).fill(0x5a) };
}
