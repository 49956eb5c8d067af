import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv6 } from '@sixgate/addressing';
import { ALL_NODES, LinkAdvertiser, checkTiming, type Announcement, type Timers } from './advertiser.js';
import { buildRouterAdvert, parseRouterAdvert, type RouterAdvert } from './message.js';

/** Timers that fire only when the test moves time. */
class FakeTimers implements Timers {
  t = 1_000_000;
  private seq = 0;
  private readonly q = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.q.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.q.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.q) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.q.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

interface Sent {
  at: number;
  dst: string;
  ra: RouterAdvert;
}

const LL = parseIpv6('fe80::1');
const pref = (text: string) => ({ prefix: parseIpv6(text.split('/')[0]!), length: Number(text.split('/')[1]) });

function setup(opts: { random?: () => number; min?: number; max?: number; fail?: () => number } = {}) {
  const timers = new FakeTimers();
  const sent: Sent[] = [];
  let ann: Announcement = { pref64: pref('64:ff9b::/96'), rdnss: [parseIpv6('2001:db8::53')], dnssl: [], prefixes: [], routerLifetime: 0 };
  const adv = new LinkAdvertiser(
    'lan0',
    { minInterval: opts.min ?? 200, maxInterval: opts.max ?? 600 },
    () => ann,
    (msg, dst) => {
      const err = opts.fail?.() ?? 0;
      if (err !== 0) return err;
      const r = parseRouterAdvert(msg, msg.length, { source: LL, hopLimit: 255 });
      if (!r.ok) throw new Error(r.reason);
      sent.push({ at: timers.now(), dst: formatIpv6(dst), ra: r.message });
      return 0;
    },
    timers,
    opts.random ?? (() => 0.5),
  );
  return { timers, sent, adv, set: (a: Partial<Announcement>) => (ann = { ...ann, ...a }) };
}

const pref64Of = (s: Sent) => s.ra.pref64.map((p) => `${formatIpv6(p.prefix)}/${p.length} ${p.lifetime}`);

describe('LinkAdvertiser schedule (RFC 4861 §6.2.4)', () => {
  it('sends at once on start, then fast initial RAs, then in [Min, Max]', () => {
    const { timers, sent, adv } = setup();
    adv.start();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.dst).toBe('ff02::1');
    expect(pref64Of(sent[0]!)).toEqual(['64:ff9b::/96 1800']);
    expect(sent[0]!.ra.rdnss).toEqual([{ lifetime: 1800, addresses: [parseIpv6('2001:db8::53')] }]);
    expect(sent[0]!.ra.routerLifetime).toBe(0);
    timers.advance(16_000 * 3);
    expect(sent.map((s) => s.at - sent[0]!.at)).toEqual([0, 16_000, 32_000, 48_000]);
    timers.advance(400_000);
    // random 0.5 → 200 + 0.5 × 400 = 400 s
    expect(sent.map((s) => s.at - sent[0]!.at).slice(4)).toEqual([448_000]);
  });

  it('spreads unsolicited RAs over [Min, Max] with the random source', () => {
    const rs = [0, 0, 0, 0.999, 0];
    const { timers, sent, adv } = setup({ random: () => rs.shift() ?? 0 });
    adv.start();
    timers.advance(3 * 16_000);
    const t0 = sent.at(-1)!.at;
    timers.advance(600_000);
    expect(sent.at(-1)!.at - t0).toBe(Math.round(200_000 + 0.999 * 400_000));
  });

  it('retries a failed initial RA after a second and counts the error', () => {
    let fails = 2;
    const { timers, sent, adv } = setup({ fail: () => (fails-- > 0 ? 99 : 0) });
    adv.start();
    expect(sent).toHaveLength(0);
    expect(adv.counters.sendErrors).toBe(1);
    timers.advance(1_000);
    timers.advance(1_000);
    expect(sent).toHaveLength(1);
    expect(adv.counters.sendErrors).toBe(2);
    expect(adv.lastError).toBe(99);
  });

  it('PREF64 lifetime is at least 3 × MaxRtrAdvInterval, rounded to 8 s (RFC 8781 §4)', () => {
    const { sent, adv } = setup({ min: 3, max: 5 });
    adv.start();
    expect(pref64Of(sent[0]!)).toEqual(['64:ff9b::/96 16']);
    expect(sent[0]!.ra.rdnss[0]!.lifetime).toBe(15);
  });

  it('rejects intervals outside RFC 4861 §6.2.1', () => {
    expect(() => checkTiming({ minInterval: 3, maxInterval: 3 })).toThrow(/maxInterval/);
    expect(() => checkTiming({ minInterval: 2, maxInterval: 600 })).toThrow(/minInterval/);
    expect(() => checkTiming({ minInterval: 500, maxInterval: 600 })).toThrow(/minInterval/);
    expect(() => checkTiming({ minInterval: 3, maxInterval: 1801 })).toThrow(/maxInterval/);
  });
});

describe('LinkAdvertiser solicitations (RFC 4861 §6.2.6)', () => {
  it('answers a solicitor unicast within MAX_RA_DELAY_TIME, once per 3 s', () => {
    const { timers, sent, adv } = setup({ random: () => 0.9 });
    adv.start();
    timers.advance(5_000);
    const solicitor = parseIpv6('fe80::2');
    adv.solicited(solicitor);
    adv.solicited(solicitor); // while one is pending: folded
    timers.advance(449);
    expect(sent).toHaveLength(1);
    timers.advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.dst).toBe('fe80::2');
    adv.solicited(solicitor); // again within 3 s: rate limited
    timers.advance(600);
    expect(sent).toHaveLength(2);
    expect(adv.counters).toMatchObject({ rsReceived: 3, rsAnswered: 1, rsRateLimited: 2, rasSolicitedUnicast: 1 });
    timers.advance(3_000);
    adv.solicited(solicitor);
    timers.advance(500);
    expect(sent).toHaveLength(3);
  });

  it('answers :: by multicast, no sooner than 3 s after the last multicast RA', () => {
    const { timers, sent, adv } = setup({ random: () => 0.2 });
    adv.start();
    timers.advance(1_000);
    adv.solicited(new Uint8Array(16));
    timers.advance(1_999);
    expect(sent).toHaveLength(1);
    timers.advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.dst).toBe('ff02::1');
    expect(sent[1]!.at - sent[0]!.at).toBe(3_000);
  });

  it('falls back to a multicast answer when the unicast one cannot leave, and does not rate-limit the retry', () => {
    // The solicitor's first RS arrives while this link's link-local address is
    // still tentative: the unicast send fails, a multicast answer follows once
    // the address is usable; a second RS then is answered unicast.
    let failing = true;
    const { timers, sent, adv } = setup({ random: () => 0.5, fail: () => (failing ? 99 : 0) });
    adv.start(); // fails: retried every second
    const solicitor = parseIpv6('fe80::2');
    adv.solicited(solicitor);
    timers.advance(250); // the unicast answer fails
    expect(sent).toHaveLength(0);
    failing = false;
    timers.advance(1_000); // the multicast answer, retried a second later, carries it
    expect(sent.map((s) => s.dst)).toEqual(['ff02::1']);
    expect(adv.counters).toMatchObject({ rsReceived: 1, rsAnswered: 1, rsRateLimited: 0, rasSolicitedUnicast: 0, sendErrors: 3 });
    adv.solicited(solicitor);
    timers.advance(250);
    expect(sent.map((s) => s.dst)).toEqual(['ff02::1', 'fe80::2']);
    expect(adv.counters).toMatchObject({ rsAnswered: 2, rasSolicitedUnicast: 1 });
  });

  it('answers by multicast after a failed unicast answer even when no initial RA is pending', () => {
    let fail = 0;
    const { timers, sent, adv } = setup({ random: () => 0.5, fail: () => (fail-- > 0 ? 101 : 0) });
    adv.start();
    timers.advance(60_000); // past the initial RAs
    const before = sent.length;
    fail = 1;
    adv.solicited(parseIpv6('fe80::2'));
    timers.advance(250); // the unicast answer fails; the last multicast RA was > 3 s ago, so one goes now
    expect(sent.slice(before).map((s) => [s.at - sent[0]!.at, s.dst])).toEqual([[60_250, 'ff02::1']]);
    adv.solicited(parseIpv6('fe80::3'));
    fail = 1;
    timers.advance(250); // fails again: this multicast answer keeps MIN_DELAY_BETWEEN_RAS after the previous
    timers.advance(3_000);
    expect(sent.slice(before).map((s) => [s.at - sent[0]!.at, s.dst])).toEqual([[60_250, 'ff02::1'], [63_250, 'ff02::1']]);
    expect(adv.counters).toMatchObject({ rsAnswered: 2, rasSolicitedUnicast: 0 });
  });

  it('lets an RA already due answer a solicitation', () => {
    const { timers, sent, adv } = setup({ random: () => 0.9 });
    adv.start();
    timers.advance(15_800); // next initial RA at 16 s
    adv.solicited(new Uint8Array(16));
    timers.advance(1_000);
    expect(sent.map((s) => s.at - sent[0]!.at)).toEqual([0, 16_000]);
  });

  it('ignores solicitations while stopped', () => {
    const { timers, sent, adv } = setup();
    adv.solicited(parseIpv6('fe80::2'));
    timers.advance(1_000);
    expect(sent).toHaveLength(0);
    expect(adv.counters.rsReceived).toBe(1);
  });
});

describe('LinkAdvertiser changes and withdrawal', () => {
  it('announces a new prefix at once and withdraws the old one with lifetime 0 in the next 3 RAs', () => {
    const { timers, sent, adv, set } = setup();
    adv.start();
    timers.advance(60_000);
    const n = sent.length;
    set({ pref64: pref('2001:db8:64::/96') });
    adv.changed();
    expect(sent).toHaveLength(n + 1);
    expect(pref64Of(sent[n]!)).toEqual(['2001:db8:64::/96 1800', '64:ff9b::/96 0']);
    timers.advance(16_000 * 3);
    expect(sent.slice(n + 1).map(pref64Of)).toEqual([['2001:db8:64::/96 1800', '64:ff9b::/96 0'], ['2001:db8:64::/96 1800', '64:ff9b::/96 0'], ['2001:db8:64::/96 1800']]);
  });

  it('withdraws a rolled back prefix and stops withdrawing the restored one', () => {
    const { sent, adv, set, timers } = setup();
    adv.start();
    timers.advance(5_000);
    set({ pref64: pref('2001:db8:64::/96') });
    adv.changed();
    timers.advance(1_000);
    set({ pref64: pref('64:ff9b::/96') });
    adv.changed();
    expect(pref64Of(sent.at(-1)!)).toEqual(['64:ff9b::/96 1800', '2001:db8:64::/96 0']);
  });

  it('sends at most one change RA per second', () => {
    const { sent, adv, set, timers } = setup();
    adv.start();
    timers.advance(5_000);
    set({ pref64: pref('2001:db8:64::/96') });
    adv.changed();
    set({ pref64: pref('2001:db8:65::/96') });
    adv.changed();
    expect(sent).toHaveLength(2);
    timers.advance(1_000);
    expect(sent).toHaveLength(3);
    expect(pref64Of(sent[2]!)).toEqual(['2001:db8:65::/96 1800', '64:ff9b::/96 0', '2001:db8:64::/96 0']);
  });

  it('withdraws RDNSS addresses no longer served', () => {
    const { sent, adv, set } = setup();
    adv.start();
    set({ rdnss: [] });
    adv.changed();
    expect(sent[1]!.ra.rdnss).toEqual([{ lifetime: 0, addresses: [parseIpv6('2001:db8::53')] }]);
  });

  it('withdraws a DNSSL domain and deprecates a prefix no longer announced, in the next 3 RAs', () => {
    const { sent, adv, set, timers } = setup();
    const lan = { prefix: parseIpv6('2001:db8:1::'), length: 64, onLink: true, autonomous: true, validLifetime: 86_400, preferredLifetime: 14_400 };
    const lab = { ...lan, prefix: parseIpv6('2001:db8:2::') };
    set({ dnssl: ['example.org', 'branch.example.org'], prefixes: [lan, lab] });
    adv.start();
    timers.advance(5_000);
    const n = sent.length;
    set({ dnssl: ['example.org'], prefixes: [lan] });
    adv.changed();
    timers.advance(16_000 * 3);
    const view = (x: Sent) => [
      x.ra.dnssl.map((d) => `${d.domains.join(',')} ${d.lifetime}`),
      x.ra.prefixes.map((p) => `${formatIpv6(p.prefix)}/${p.length} ${p.validLifetime}/${p.preferredLifetime}`),
    ];
    const changed = [['example.org 1800', 'branch.example.org 0'], ['2001:db8:1::/64 86400/14400', '2001:db8:2::/64 7200/0']];
    expect(sent.slice(n).map(view)).toEqual([changed, changed, changed, [['example.org 1800'], ['2001:db8:1::/64 86400/14400']]]);
    // Announced again: no longer withdrawn.
    set({ dnssl: ['example.org', 'branch.example.org'], prefixes: [lan, lab] });
    adv.changed();
    expect(view(sent.at(-1)!)).toEqual([['example.org,branch.example.org 1800'], ['2001:db8:1::/64 86400/14400', '2001:db8:2::/64 86400/14400']]);
  });

  it('on a withdrawing stop sends 3 final RAs with every lifetime 0 (§6.2.5), then nothing', () => {
    const { sent, adv, set, timers } = setup();
    set({ routerLifetime: 1800, dnssl: ['example.org'] });
    adv.start();
    adv.stop(true);
    expect(sent).toHaveLength(4);
    for (const s of sent.slice(1)) {
      expect(s.ra.routerLifetime).toBe(0);
      expect(pref64Of(s)).toEqual(['64:ff9b::/96 0']);
      expect(s.ra.rdnss[0]!.lifetime).toBe(0);
      expect(s.ra.dnssl[0]!.lifetime).toBe(0);
    }
    timers.advance(3_600_000);
    expect(sent).toHaveLength(4);
  });

  it('keeps quiet on a restart stop', () => {
    const { sent, adv } = setup();
    adv.start();
    adv.stop(false);
    expect(sent).toHaveLength(1);
  });
});

describe('LinkAdvertiser conflicts', () => {
  const other = parseIpv6('fe80::99');
  const foreign = (p: string, lifetime = 1800, rdnss: string[] = []): RouterAdvert => {
    const bytes = buildRouterAdvert({
      curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTime: 0, retransTimer: 0, prefixes: [],
      pref64: [{ ...pref(p), lifetime }],
      rdnss: rdnss.length ? [{ lifetime, addresses: rdnss.map((a) => parseIpv6(a)) }] : [],
      dnssl: [],
    });
    const r = parseRouterAdvert(bytes, bytes.length, { source: other, hopLimit: 255 });
    if (!r.ok) throw new Error(r.reason);
    return r.message;
  };

  it('reports a different PREF64 until its lifetime ends', () => {
    const { adv, timers } = setup();
    adv.start();
    adv.advertised(other, foreign('2001:db8:bad::/96', 600));
    adv.advertised(other, foreign('2001:db8:bad::/96', 600));
    expect(adv.conflicts()).toMatchObject([{ kind: 'pref64', interface: 'lan0', router: 'fe80::99', announced: '2001:db8:bad::/96', ours: '64:ff9b::/96', count: 2 }]);
    expect(adv.counters.foreignPref64).toBe(2);
    expect([...adv.foreign.values()]).toEqual([{ router: 'fe80::99', prefix: '2001:db8:bad::/96', count: 2 }]);
    timers.advance(600_000);
    expect(adv.conflicts()).toEqual([]);
  });

  it('clears a conflict when the router withdraws its PREF64', () => {
    const { adv } = setup();
    adv.advertised(other, foreign('2001:db8:bad::/96'));
    adv.advertised(other, foreign('2001:db8:bad::/96', 0));
    expect(adv.conflicts()).toEqual([]);
  });

  it('is quiet about the same PREF64 with our RDNSS, reports it with a foreign RDNSS', () => {
    const { adv } = setup();
    adv.advertised(other, foreign('64:ff9b::/96', 1800, ['2001:db8::53']));
    expect(adv.conflicts()).toEqual([]);
    adv.advertised(other, foreign('64:ff9b::/96', 1800, ['2001:db8::1:53']));
    expect(adv.conflicts()).toMatchObject([{ kind: 'rdnss', announced: '2001:db8::1:53', ours: '2001:db8::53' }]);
    expect(adv.counters.foreignRdnss).toBe(1);
  });

  it('bounds the foreign sightings it keeps', () => {
    const { adv } = setup();
    for (let i = 0; i < 300; i++) adv.advertised(other, foreign(`2001:db8:${i.toString(16)}::/96`));
    expect(adv.foreign.size).toBe(256);
    expect(adv.counters.foreignPref64).toBe(300);
  });
});

describe('ALL_NODES', () => {
  it('is ff02::1', () => expect(formatIpv6(ALL_NODES)).toBe('ff02::1'));
});
