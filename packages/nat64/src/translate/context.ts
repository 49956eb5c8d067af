/**
 * Everything one translation needs, gathered once per Translator so the
 * per-packet functions take (ctx, buffers) and allocate nothing: validated
 * options, the state and policy ports, counters, reusable outcome slots,
 * fragment tables and scratch space.
 */
import { embedIpv4, type EmbedPolicy, type Nat64Prefix } from '@sixgate/addressing';
import type { Clock } from '../clock.js';
import type { TranslatorConfig } from '../config.js';
import type { DropReason } from '../metrics.js';
import { TranslatorCounters } from '../metrics.js';
import type { StateApi } from '../state/api.js';
import { FragmentHold } from './fragment-hold.js';
import { FragmentTable } from './fragment-table.js';
import { IcmpRateLimiter } from './icmp-limit.js';
import { DROP, type DropOutcome, ForwardManySlot, ForwardSlot, MAX_FRAGMENTS, ReplySlot } from './outcome.js';

/** What the translator needs from the policy rules (implemented by `Policy`). */
export interface PolicyCheck {
  /** Index of the first matching deny rule, or -1 when the flow is allowed. */
  /** `dst4` comes as an int32 (a uint32 above 2^31 would be boxed at the call): implementations take `>>> 0`. */
  check(proto: number, buf: Uint8Array, src6Off: number, dst4: number, dstPort: number): number;
  /** The rules; when present and empty, the translator skips the policy entirely. */
  rules?(): readonly unknown[];
}

/** Whether `p` may refuse anything (a policy without rules allows everything). */
export function policyActive(p: PolicyCheck): boolean {
  return typeof p.rules !== 'function' || p.rules().length > 0;
}

/** Per-Translator context of the translate functions. */
export class TranslateContext {
  readonly counters = new TranslatorCounters();
  readonly fwd = new ForwardSlot();
  readonly many = new ForwardManySlot();
  readonly reply = new ReplySlot();
  /** prefix + own IPv4 address: source of the translator's own ICMPv6 errors. */
  readonly own6 = new Uint8Array(16);
  /** 16-byte scratch for addresses (hairpin lookups, fragment keys). */
  readonly scratch6 = new Uint8Array(16);
  readonly embedPolicy: EmbedPolicy;
  /** 6→4 fragments: (src6, dst6, id, proto) → pool4 address of the first fragment's session. */
  readonly frags6: FragmentTable;
  /** 4→6 fragments: (src4, dst4, id, proto) → IPv6 client address of the first fragment's session. */
  readonly frags4: FragmentTable;
  /**
   * 6→4 first fragments as sent: (src4, dst4, identification, protocol) →
   * the IPv6 source (16 bytes), the 32-bit identification (4) and the
   * upper-layer length of a datagram held whole (2, 0 when not held), for
   * ICMPv4 errors that quote one of its fragments: a later fragment has no
   * ports to find the session with, the inner Fragment header needs the
   * identification, an inner ICMPv6 checksum the whole length.
   */
  readonly sent4: FragmentTable;
  /**
   * 4→6 fragmented datagrams as sent: (src6, dst6, identification, next
   * header) → the pool4 address (4 bytes) and the upper-layer length (2, 0
   * when unknown), for ICMPv6 errors that quote one of its fragments.
   */
  readonly sent6: FragmentTable;
  /** Out-of-order fragments waiting for their first fragment, and whole datagrams waiting to be complete. */
  readonly hold: FragmentHold;
  /** Token buckets of the translator's own ICMP errors (global and per source prefix). */
  readonly icmpLimit: IcmpRateLimiter;
  /** Where held fragments are translated when released (headroom + longest held fragment). */
  readonly releaseBuf: Uint8Array;
  /** Offsets/lengths of packets gathered while releasing held fragments. */
  readonly relOffsets = new Int32Array(MAX_FRAGMENTS);
  readonly relLengths = new Int32Array(MAX_FRAGMENTS);
  prefix: Nat64Prefix;
  /** The policy in force and whether it has rules. */
  policy: PolicyCheck;
  policyActive: boolean;
  /** Set by 6→4 when the destination is a pool4 address (hairpin: translate 4→6 next). */
  hairpin = false;
  /**
   * While a whole held datagram is released: its upper-layer length (the
   * first fragment's checksum is fixed with it), -1 otherwise.
   */
  wholeLen = -1;
  /** While a whole datagram is released: partial sum of its non-first fragments' data. */
  restSum = 0;
  /** While held fragments are released: a fragment that finds no entry is dropped, not held again. */
  releasing = false;
  /** The clock read once per packet (`translate()`); fragment tables and the hold read it from here. */
  readonly time = new Float64Array(1);
  /** xorshift32 state for IPv4 identifications (a typed array: a plain int32 field would box and allocate). */
  private readonly rng = new Int32Array(1);

  constructor(
    readonly cfg: TranslatorConfig,
    readonly state: StateApi,
    policy: PolicyCheck,
    readonly clock: Clock,
  ) {
    this.policy = policy;
    this.policyActive = policyActive(policy);
    this.prefix = cfg.prefix;
    this.embedPolicy = Object.freeze({ wkpStrict: cfg.wkpStrict });
    embedIpv4(cfg.prefix, cfg.ipv4Address, this.own6, 0);
    this.frags6 = new FragmentTable(cfg.fragmentEntries, 37, 4, this.time);
    this.frags4 = new FragmentTable(cfg.fragmentEntries, 11, 16, this.time);
    this.sent4 = new FragmentTable(cfg.fragmentEntries, 11, 22, this.time);
    this.sent6 = new FragmentTable(cfg.fragmentEntries, 37, 6, this.time);
    const holdLen = Math.min(9216, Math.max(cfg.ipv4Mtu, cfg.ipv6Mtu));
    this.hold = new FragmentHold(cfg.heldFragments, holdLen, this.time);
    this.icmpLimit = new IcmpRateLimiter(cfg, this.time);
    this.releaseBuf = new Uint8Array(64 + holdLen);
    this.rng[0] = ((Math.random() * 0xffffffff) | 0) || 0x2545f491;
  }

  /** Switches the prefix and the own IPv6 address; forgets fragment state. */
  setPrefix(prefix: Nat64Prefix): void {
    this.prefix = prefix;
    embedIpv4(prefix, this.cfg.ipv4Address, this.own6, 0);
    this.frags6.clear();
    this.frags4.clear();
    this.sent4.clear();
    this.sent6.clear();
    this.hold.clear();
  }

  /** A non-zero pseudo-random 16-bit IPv4 identification (RFC 6864 §4.1). */
  nextId(): number {
    let x = this.rng[0]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng[0] = x;
    return (x & 0xffff) || 1;
  }

  /** Counts and returns the drop outcome for `reason`. */
  drop(reason: DropReason): DropOutcome {
    this.counters.drops[reason]++;
    return DROP[reason];
  }

  /** Fills the forward-many slot with one packet in `out` (translated ICMP errors). */
  one(offset: number, length: number): ForwardManySlot {
    const m = this.many;
    m.count = 1;
    m.offsets[0] = offset;
    m.lengths[0] = length;
    return m;
  }

  /** Fills the forward slot. */
  forward(offset: number, length: number): ForwardSlot {
    this.fwd.offset = offset;
    this.fwd.length = length;
    return this.fwd;
  }
}
