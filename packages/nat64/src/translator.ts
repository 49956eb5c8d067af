/**
 * The stateful NAT64 translator (RFC 6146 + RFC 7915), sans-IO: bytes in,
 * an `Outcome` out, time from an injected clock, state behind `StateApi`.
 * IPv6 packets (first nibble 6) are translated 6→4, IPv4 packets 4→6; an
 * IPv6 packet to prefix + a pool4 address is hairpinned (6→4→6, RFC 6146
 * §3.8) and leaves as IPv6.
 *
 * Buffers: the input packet must have HEADROOM free bytes in front of `off`
 * (4→6 writes the longer IPv6 header there). `out` receives ICMP errors,
 * translated ICMP errors and fragments; it must not overlap the input.
 */
import type { Nat64Prefix } from '@sixgate/addressing';
import type { Clock } from './clock.js';
import { resolveTranslatorOptions, type TranslatorConfig, type TranslatorOptions } from './config.js';
import { snapshotCounters, type TranslatorSnapshot } from './metrics.js';
import type { StateApi } from './state/api.js';
import { type PolicyCheck, policyActive, TranslateContext } from './translate/context.js';
import { replyExpiredSyn } from './translate/expired-syn.js';
import { hairpin } from './translate/hairpin.js';
import { translate4to6 } from './translate/ipv4-to-ipv6.js';
import { translate6to4 } from './translate/ipv6-to-ipv4.js';
import { releaseHeld } from './translate/release.js';
import type { Outcome } from './translate/outcome.js';

/** Bytes callers keep free in front of every packet: 20 (IPv6 − IPv4 header) + 8 (Fragment header). */
export const HEADROOM = 28;

/** Size of an `out` buffer that fits any single result (fragments of a 64 KiB packet). */
export const OUT_BUFFER_SIZE = 65535 + 56 * 48;

export class Translator {
  private readonly c: TranslateContext;
  /** The validated options in force. */
  readonly config: TranslatorConfig;

  constructor(opts: TranslatorOptions, state: StateApi, policy: PolicyCheck, clock: Clock) {
    this.config = resolveTranslatorOptions(opts);
    this.c = new TranslateContext(this.config, state, policy, clock);
    state.shareTime?.(this.c.time);
  }

  /** The prefix in force. */
  get prefix(): Nat64Prefix {
    return this.c.prefix;
  }

  /**
   * Translates one packet `buf[off..off+len)`. The result is valid until the
   * next call. 5 parameters: hot path (buffer, window, output window).
   */
  translate(buf: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): Outcome {
    this.c.time[0] = this.c.clock.now();
    const r = this.translateOne(buf, off, len, out, outOff);
    // A first fragment whose out-of-order followers were held, or the fragment
    // that completed a datagram held whole: send the held fragments too.
    return this.c.hold.matchFamily === 0 ? r : releaseHeld(this.c, r, buf, out, outOff);
  }

  private translateOne(buf: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): Outcome {
    const c = this.c;
    if (len < 1 || off < 0 || off + len > buf.length) return c.drop('truncated');
    const v = buf[off]! >> 4;
    if (v === 6) {
      c.counters.packetsIn6++;
      c.hairpin = false;
      const r = translate6to4(c, buf, off, len, out, outOff);
      return c.hairpin ? hairpin(c, r, buf, out, outOff) : r;
    }
    if (v === 4) {
      c.counters.packetsIn4++;
      return translate4to6(c, buf, off, len, out, outOff);
    }
    return c.drop('bad-version');
  }

  /** Replaces the translation policy (rules changed); existing sessions are kept. */
  setPolicy(policy: PolicyCheck): void {
    this.c.policy = policy;
    this.c.policyActive = policyActive(policy);
  }

  /** Changes the prefix at runtime; every dynamic session goes (`state.flush('prefix-change')`). */
  setPrefix(prefix: Nat64Prefix): number {
    this.c.setPrefix(prefix);
    return this.c.state.flush('prefix-change');
  }

  /**
   * Runs the state timers. Held SYNs whose 6 s ran out are answered with
   * ICMPv4 3/3 quoting the SYN (RFC 6146 §3.5.2.2); the returned packets are
   * fresh buffers for the daemon to write to the TUN (timer path, may allocate).
   */
  tick(): Uint8Array[] {
    this.c.time[0] = this.c.clock.now();
    this.c.counters.drops['fragment-expired'] += this.c.hold.expire(this.c.time[0]);
    const expired = this.c.state.tick();
    const replies: Uint8Array[] = [];
    for (const e of expired) {
      const p = replyExpiredSyn(this.c, e.packet);
      if (p !== null) replies.push(p);
    }
    return replies;
  }

  /** A detached copy of the counters. */
  snapshot(): TranslatorSnapshot {
    return snapshotCounters(this.c.counters);
  }
}
