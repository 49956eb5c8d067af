/**
 * One interface's router advertisement schedule and conflict watch (RFC 4861
 * §6.2). Pure: the clock, the timers, the randomness and the socket are
 * injected, so tests drive it with a fake clock and literal packets.
 *
 * - Unsolicited RAs go to ff02::1 at a random interval in [Min, Max]
 *   RtrAdvInterval (§6.2.4); the first MAX_INITIAL_RTR_ADVERTISEMENTS after a
 *   start or a change are at most MAX_INITIAL_RTR_ADVERT_INTERVAL apart.
 * - A valid Router Solicitation is answered after a random delay of at most
 *   MAX_RA_DELAY_TIME (§6.2.6): to the solicitor's address when it has one
 *   (RFC 4861 §6.2.6 allows it; RFC 7772 §5.1 recommends it), else to
 *   ff02::1, where consecutive RAs are at least MIN_DELAY_BETWEEN_RAS apart
 *   and an RA already due sooner answers instead. A solicitor gets at most one
 *   unicast answer per MIN_DELAY_BETWEEN_RAS.
 * - A change (new prefix, new RDNSS addresses) is announced at once (at most
 *   one change RA per second); a PREF64, RDNSS address or DNSSL domain that
 *   is no longer announced is sent with lifetime 0 (withdrawn, RFC 8781 §4,
 *   RFC 8106 §5.1/§5.2) in the next WITHDRAW_COUNT RAs, a prefix with
 *   preferred lifetime 0 (deprecated, RFC 4862 §5.5.3).
 * - Stopping with `withdraw` sends MAX_FINAL_RTR_ADVERTISEMENTS RAs with every
 *   lifetime 0 (§6.2.5).
 * - Valid RAs from other routers are checked against what this link
 *   announces: a PREF64 that differs, or an RDNSS elsewhere beside our own
 *   PREF64, is a conflict until its lifetime runs out.
 */
import { formatIpv6 } from '@sixgate/addressing';
import {
  buildRouterAdvert,
  maskPrefix,
  PREF64_MAX_LIFETIME,
  type PrefixInfoOption,
  type RouterAdvert,
} from './message.js';

/** RFC 4861 §10 router constants, in milliseconds. */
export const MAX_INITIAL_RTR_ADVERT_INTERVAL = 16_000;
export const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
export const MAX_FINAL_RTR_ADVERTISEMENTS = 3;
export const MIN_DELAY_BETWEEN_RAS = 3_000;
export const MAX_RA_DELAY_TIME = 500;
/** RAs that carry a withdrawn PREF64, RDNSS address, DNSSL domain or prefix. */
export const WITHDRAW_COUNT = 3;
/** Shortest gap between two RAs sent for configuration changes. */
export const CHANGE_GAP = 1_000;
/** Most solicitors waiting for a unicast answer at once; more are answered by multicast. */
export const MAX_PENDING_UNICAST = 64;
/** Most distinct (router, prefix) pairs counted in `foreign`. */
export const MAX_FOREIGN_KEYS = 256;

export const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/** Time and timers, injected (tests use a fake clock). */
export interface Timers {
  /** Milliseconds (wall clock: conflict times are shown as dates). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Sends one ICMPv6 message on the link; returns 0 or the errno of the failure. */
export type SendFn = (message: Uint8Array, destination: Uint8Array) => number;

/** What a link announces right now (asked for again before every RA). */
export interface Announcement {
  readonly pref64?: { readonly prefix: Uint8Array; readonly length: number };
  /** RDNSS addresses (none: no RDNSS option). */
  readonly rdnss: readonly Uint8Array[];
  readonly dnssl: readonly string[];
  readonly prefixes: readonly PrefixInfoOption[];
  /** Seconds; 0 = not a default router (RFC 4861 §4.2). */
  readonly routerLifetime: number;
}

export interface LinkTiming {
  /** MinRtrAdvInterval, seconds (RFC 4861 §6.2.1: 3 to 0.75 × max). */
  readonly minInterval: number;
  /** MaxRtrAdvInterval, seconds (4 to 1800). */
  readonly maxInterval: number;
}

export interface Conflict {
  readonly kind: 'pref64' | 'rdnss';
  readonly interface: string;
  /** The other router's link-local address. */
  readonly router: string;
  /** What it announces: a PREF64 prefix or RDNSS addresses. */
  readonly announced: string;
  /** What this link announces instead. */
  readonly ours: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly expires: number;
  readonly count: number;
}

export interface LinkCounters {
  rasSent: number;
  rasSolicitedUnicast: number;
  rsReceived: number;
  rsAnswered: number;
  rsRateLimited: number;
  sendErrors: number;
  rasReceived: number;
  foreignPref64: number;
  foreignRdnss: number;
}

interface Withdrawn<T> {
  readonly value: T;
  left: number;
}

const hex = (a: Uint8Array): string => Buffer.from(a).toString('hex');
const prefixText = (p: { prefix: Uint8Array; length: number }): string => `${formatIpv6(p.prefix)}/${p.length}`;

export class LinkAdvertiser {
  readonly counters: LinkCounters = { rasSent: 0, rasSolicitedUnicast: 0, rsReceived: 0, rsAnswered: 0, rsRateLimited: 0, sendErrors: 0, rasReceived: 0, foreignPref64: 0, foreignRdnss: 0 };
  /** Foreign PREF64 sightings by "router prefix". */
  readonly foreign = new Map<string, { router: string; prefix: string; count: number }>();
  lastSentAt = 0;
  lastError = 0;
  private timing: LinkTiming;
  private timer: unknown;
  private nextAt = 0;
  private lastMulticastAt = -Infinity;
  private lastChangeAt = -Infinity;
  private initialLeft = MAX_INITIAL_RTR_ADVERTISEMENTS;
  private running = false;
  private readonly withdrawnPref64 = new Withdrawals<{ prefix: Uint8Array; length: number }>((p) => `${hex(p.prefix)}/${p.length}`);
  private readonly withdrawnRdnss = new Withdrawals<Uint8Array>(hex);
  private readonly withdrawnDnssl = new Withdrawals<string>((d) => d.toLowerCase());
  private readonly withdrawnPrefixes = new Withdrawals<PrefixInfoOption>((p) => `${hex(maskPrefix(p.prefix, p.length))}/${p.length}`);
  private readonly pendingUnicast = new Map<string, unknown>();
  private readonly lastUnicast = new Map<string, number>();
  private readonly conflictMap = new Map<string, Conflict>();

  constructor(
    readonly name: string,
    timing: LinkTiming,
    private readonly announcement: () => Announcement,
    private readonly send: SendFn,
    private readonly timers: Timers,
    private readonly random: () => number = Math.random,
  ) {
    this.timing = checkTiming(timing);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** When the next multicast RA is due (ms, the timers' clock), 0 when stopped. */
  get nextUnsolicitedAt(): number {
    return this.running ? this.nextAt : 0;
  }

  /** Starts: the first RA goes out now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.initialLeft = MAX_INITIAL_RTR_ADVERTISEMENTS;
    this.multicastNow();
  }

  /** New intervals (takes effect from the next RA). */
  setTiming(timing: LinkTiming): void {
    this.timing = checkTiming(timing);
  }

  /**
   * The announcement changed: send it at once (or one second after the
   * previous change RA), then again in fast initial RAs (RFC 4861 §6.2.4).
   */
  changed(): void {
    if (!this.running) return;
    this.initialLeft = MAX_INITIAL_RTR_ADVERTISEMENTS;
    const now = this.timers.now();
    const at = Math.max(now, this.lastChangeAt + CHANGE_GAP);
    this.lastChangeAt = at;
    if (at === now) this.multicastNow();
    else this.schedule(at - now);
  }

  /** A valid Router Solicitation arrived from `source` (16 bytes, may be ::). */
  solicited(source: Uint8Array): void {
    this.counters.rsReceived++;
    if (!this.running) return;
    const now = this.timers.now();
    const delay = Math.floor(this.random() * MAX_RA_DELAY_TIME);
    const unspecified = source.every((b) => b === 0);
    if (!unspecified && this.pendingUnicast.size < MAX_PENDING_UNICAST) {
      const key = hex(source);
      if (this.pendingUnicast.has(key)) {
        this.counters.rsRateLimited++;
        return;
      }
      const last = this.lastUnicast.get(key);
      if (last !== undefined && now - last < MIN_DELAY_BETWEEN_RAS) {
        this.counters.rsRateLimited++;
        return;
      }
      const dst = source.slice();
      this.pendingUnicast.set(
        key,
        this.timers.setTimeout(() => {
          this.pendingUnicast.delete(key);
          if (!this.running) return;
          this.pruneUnicast();
          if (this.transmit(dst, false)) {
            this.lastUnicast.set(key, this.timers.now());
            this.counters.rsAnswered++;
            this.counters.rasSolicitedUnicast++;
            return;
          }
          // The unicast answer could not leave (the link-local source still
          // in DAD, a neighbour entry refused): the solicitor still gets its
          // answer, by multicast, which retries while the link comes up.
          this.answerByMulticast(this.timers.now(), 0);
        }, delay),
      );
      return;
    }
    this.answerByMulticast(now, delay);
  }

  /**
   * §6.2.6: multicast answers at least MIN_DELAY_BETWEEN_RAS apart; an RA
   * already due by then answers this solicitation too.
   */
  private answerByMulticast(now: number, delay: number): void {
    const at = Math.max(now + delay, this.lastMulticastAt + MIN_DELAY_BETWEEN_RAS);
    this.counters.rsAnswered++;
    if (this.nextAt > now && this.nextAt <= at) return;
    this.schedule(at - now);
  }

  /** A valid Router Advertisement from another router on this link. */
  advertised(source: Uint8Array, ra: RouterAdvert): void {
    this.counters.rasReceived++;
    const now = this.timers.now();
    this.expireConflicts(now);
    const router = formatIpv6(source);
    const ours = this.announcement();
    const ourPref = ours.pref64 ? prefixText(ours.pref64) : '(none)';
    let pointsHere = false;
    for (const p of ra.pref64) {
      const text = prefixText(p);
      const key = `pref64 ${router} ${text}`;
      if (ours.pref64 && p.length === ours.pref64.length && hex(p.prefix) === hex(maskPrefix(ours.pref64.prefix, ours.pref64.length))) {
        if (p.lifetime > 0) pointsHere = true;
        continue;
      }
      if (p.lifetime === 0) {
        this.conflictMap.delete(key);
        continue;
      }
      this.counters.foreignPref64++;
      const seen = this.foreign.get(`${router} ${text}`);
      if (seen) seen.count++;
      else if (this.foreign.size < MAX_FOREIGN_KEYS) this.foreign.set(`${router} ${text}`, { router, prefix: text, count: 1 });
      this.note(key, 'pref64', router, text, ourPref, p.lifetime, now);
    }
    // An RDNSS pointing elsewhere while the PREF64 points here: clients may ask
    // a resolver that synthesizes with another prefix, or none.
    const ourRdnss = new Set(ours.rdnss.map(hex));
    for (const r of ra.rdnss) {
      const key = `rdnss ${router}`;
      if (r.lifetime === 0) {
        this.conflictMap.delete(key);
        continue;
      }
      if (!pointsHere || r.addresses.some((a) => ourRdnss.has(hex(a)))) continue;
      this.counters.foreignRdnss++;
      const ourText = ours.rdnss.length > 0 ? ours.rdnss.map((a) => formatIpv6(a)).join(' ') : '(none)';
      this.note(key, 'rdnss', router, r.addresses.map((a) => formatIpv6(a)).join(' '), ourText, r.lifetime, now);
    }
  }

  /** Current conflicts (expired ones dropped). */
  conflicts(): Conflict[] {
    this.expireConflicts(this.timers.now());
    return [...this.conflictMap.values()];
  }

  /** The RA this link would send now (for the API), with the withdrawals pending. */
  preview(): RouterAdvert {
    return this.compose(this.announcement(), false);
  }

  /**
   * Stops. With `withdraw`, MAX_FINAL_RTR_ADVERTISEMENTS RAs with every
   * lifetime 0 go out first (§6.2.5: router lifetime 0; RFC 8781 §4 and
   * RFC 8106 §5.1: lifetime 0 = no longer to be used), back to back: the
   * process is about to exit, so they cannot be spread out.
   */
  stop(withdraw: boolean): void {
    if (!this.running) return;
    if (withdraw) {
      for (let i = 0; i < MAX_FINAL_RTR_ADVERTISEMENTS; i++) this.transmit(ALL_NODES, true);
    }
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.pendingUnicast.values()) this.timers.clearTimeout(t);
    this.pendingUnicast.clear();
  }

  private note(key: string, kind: Conflict['kind'], router: string, announced: string, ours: string, lifetime: number, now: number): void {
    const prev = this.conflictMap.get(key);
    this.conflictMap.set(key, {
      kind,
      interface: this.name,
      router,
      announced,
      ours,
      firstSeen: prev?.firstSeen ?? now,
      lastSeen: now,
      expires: now + lifetime * 1000,
      count: (prev?.count ?? 0) + 1,
    });
  }

  private expireConflicts(now: number): void {
    for (const [k, c] of this.conflictMap) if (c.expires <= now) this.conflictMap.delete(k);
  }

  private pruneUnicast(): void {
    const now = this.timers.now();
    for (const [k, t] of this.lastUnicast) if (now - t >= MIN_DELAY_BETWEEN_RAS) this.lastUnicast.delete(k);
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.nextAt = this.timers.now() + ms;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.multicastNow();
    }, ms);
  }

  private multicastNow(): void {
    if (!this.running) return;
    const ok = this.transmit(ALL_NODES, false);
    // A link without a usable link-local address yet (DAD still running) or
    // down: try the first RAs again in a second instead of after an interval.
    if (!ok && this.initialLeft > 0) {
      this.schedule(1_000);
      return;
    }
    this.lastMulticastAt = this.timers.now();
    // §6.2.4: uniformly distributed in [Min, Max]; the first few sooner.
    const { minInterval, maxInterval } = this.timing;
    let next = (minInterval + this.random() * (maxInterval - minInterval)) * 1000;
    if (this.initialLeft > 0) {
      this.initialLeft--;
      next = Math.min(next, MAX_INITIAL_RTR_ADVERT_INTERVAL);
    }
    this.schedule(Math.round(next));
  }

  /** Sends one RA; true when the socket took it. */
  private transmit(dst: Uint8Array, final: boolean): boolean {
    let bytes: Uint8Array;
    try {
      bytes = buildRouterAdvert(this.compose(this.announcement(), final, true));
    } catch {
      this.counters.sendErrors++;
      return false;
    }
    const err = this.send(bytes, dst);
    if (err !== 0) {
      this.counters.sendErrors++;
      this.lastError = err;
      return false;
    }
    this.counters.rasSent++;
    this.lastSentAt = this.timers.now();
    return true;
  }

  /**
   * The RA for `a`; with `commit`, records what was announced and counts down
   * the withdrawals. `final` zeroes every lifetime.
   */
  private compose(a: Announcement, final: boolean, commit = false): RouterAdvert {
    const { maxInterval } = this.timing;
    // RFC 8781 §4: the PREF64 lifetime SHOULD be at least 3 × MaxRtrAdvInterval.
    const pref64Lifetime = final ? 0 : Math.min(PREF64_MAX_LIFETIME, Math.ceil((3 * maxInterval) / 8) * 8);
    // RFC 8106 §5.1: RDNSS/DNSSL lifetimes default to 3 × MaxRtrAdvInterval.
    const dnsLifetime = final ? 0 : 3 * maxInterval;
    const pref = a.pref64 ? { prefix: maskPrefix(a.pref64.prefix, a.pref64.length), length: a.pref64.length } : undefined;
    // What was announced before and is not now goes out with lifetime 0 in
    // the next WITHDRAW_COUNT RAs (RFC 8781 §4, RFC 8106 §5.1 and §5.2).
    const wPref = this.withdrawnPref64.next(pref ? [pref] : [], commit);
    const wRdnss = this.withdrawnRdnss.next(a.rdnss, commit);
    const wDnssl = this.withdrawnDnssl.next(a.dnssl, commit);
    const wPrefixes = this.withdrawnPrefixes.next(a.prefixes, commit);
    // RFC 4862 §5.5.3 (e): a host keeps a valid lifetime above two hours
    // against a shorter one, so a withdrawn prefix is deprecated at once
    // (preferred 0) and left to expire within two hours.
    const deprecate = (p: PrefixInfoOption): PrefixInfoOption => ({ ...p, preferredLifetime: 0, validLifetime: Math.min(p.validLifetime, 7_200) });
    return {
      curHopLimit: 0,
      managed: false,
      other: false,
      routerLifetime: final ? 0 : a.routerLifetime,
      reachableTime: 0,
      retransTimer: 0,
      prefixes: [...a.prefixes.map((p) => (final ? deprecate(p) : p)), ...wPrefixes.map(deprecate)],
      pref64: [...(pref ? [{ ...pref, lifetime: pref64Lifetime }] : []), ...wPref.map((w) => ({ ...w, lifetime: 0 }))],
      rdnss: [
        ...(a.rdnss.length > 0 ? [{ lifetime: dnsLifetime, addresses: a.rdnss }] : []),
        ...(wRdnss.length > 0 ? [{ lifetime: 0, addresses: wRdnss }] : []),
      ],
      dnssl: [
        ...(a.dnssl.length > 0 ? [{ lifetime: dnsLifetime, domains: a.dnssl }] : []),
        ...(wDnssl.length > 0 ? [{ lifetime: 0, domains: wDnssl }] : []),
      ],
    };
  }
}

/**
 * Values (PREF64 prefixes, RDNSS addresses, DNSSL domains, prefixes) that a
 * link announced and no longer does, each to be sent with lifetime 0 in the
 * next WITHDRAW_COUNT RAs; one announced again is no longer withdrawn.
 */
class Withdrawals<T> {
  private last: T[] = [];
  private pending: Withdrawn<T>[] = [];

  constructor(private readonly key: (v: T) => string) {}

  /** The values to withdraw in an RA announcing `now`; with `commit` (the RA is sent) records it and counts down. */
  next(now: readonly T[], commit: boolean): T[] {
    const current = new Set(now.map(this.key));
    const gone = this.last.filter((v) => !current.has(this.key(v)));
    const goneKeys = new Set(gone.map(this.key));
    const w = [...this.pending.filter((x) => !goneKeys.has(this.key(x.value))), ...gone.map((value) => ({ value, left: WITHDRAW_COUNT }))].filter((x) => !current.has(this.key(x.value)));
    if (commit) {
      this.last = [...now];
      for (const x of w) x.left--;
      this.pending = w.filter((x) => x.left > 0);
    }
    return w.map((x) => x.value);
  }
}

/** RFC 4861 §6.2.1 bounds of the intervals; throws RangeError. */
export function checkTiming(t: LinkTiming): LinkTiming {
  if (!(t.maxInterval >= 4 && t.maxInterval <= 1800)) throw new RangeError(`maxInterval must be 4-1800 seconds, got ${t.maxInterval}`);
  if (!(t.minInterval >= 3 && t.minInterval <= 0.75 * t.maxInterval)) throw new RangeError(`minInterval must be 3 to 0.75 × maxInterval (${0.75 * t.maxInterval}) seconds, got ${t.minInterval}`);
  return t;
}
