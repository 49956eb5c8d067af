/**
 * Test harness (not built): a translator with its real state behind a
 * PacketLoop on a MemoryTun with offload, for the offload and coalescing
 * tests. The state's port secret is fixed, so two harnesses hand the same
 * client the same pool4 port and their output can be compared byte for byte.
 */
import { parseIpv4Cidr, parseNat64Prefix } from '@sixgate/addressing';
import { Nat64State, Translator, defaultStateOptions, type PolicyCheck } from '@sixgate/nat64';
import { MemoryTun } from '@sixgate/tun';
import { PacketLoop } from './packet-loop.js';
import { NO_TRACE } from './trace.js';

export const PREFIX = parseNat64Prefix('64:ff9b:1::/96');
export const POOL = parseIpv4Cidr('198.51.100.0/30');
export const CLIENT = '2001:db8::2';
export const SERVER4 = '192.0.2.33';
/** SERVER4 under PREFIX. */
export const SERVER6 = '64:ff9b:1::c000:221';

export interface LoopHarnessOptions {
  /** The device's offload (default true). */
  offload?: boolean;
  /** MemoryTun's: does the "kernel" take UDP GSO on write (default true). */
  udpGso?: boolean;
  batchSize?: number;
  /** nat64.coalesce (default true). */
  coalesce?: boolean;
}

export function loopHarness(opts: LoopHarnessOptions = {}): { dev: MemoryTun; loop: PacketLoop } {
  const clock = { t: 1_000_000, now() { return this.t; } };
  const state = new Nat64State(defaultStateOptions([{ cidr: POOL }], { portSecret: new Uint8Array(8).fill(7) }), clock);
  const allow: PolicyCheck = { check: () => -1 };
  const tr = new Translator({ prefix: PREFIX, pool4: [POOL] }, state, allow, clock);
  const dev = new MemoryTun({ batchSize: opts.batchSize ?? 8, offload: opts.offload ?? true, udpGso: opts.udpGso });
  const loop = new PacketLoop(dev, tr, NO_TRACE, { mtu: 1500, coalesce: opts.coalesce });
  return { dev, loop };
}
