import { parseIpv4, parseIpv4Cidr, parseIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { describe, expect, it } from 'vitest';
import { ICMP, TCP, TCP_ACK, TCP_FIN, TCP_SYN, UDP, type Pool4Range } from './api.js';
import { Nat64State } from './nat64-state.js';
import { defaultStateOptions } from './options.js';
import { SW_HEAD, SW_REMAINING, SW_RPORT, SYNC_OP_CREATE, SYNC_OP_DELETE, SYNC_OP_UPDATE, SYNC_WORDS } from './sync-record.js';

class FakeClock {
  t = 42_000;
  now(): number {
    return this.t;
  }
}
const PREFIX = parseNat64Prefix('64:ff9b::/96');
const POOL: Pool4Range[] = [{ cidr: parseIpv4Cidr('198.51.100.0/30') }];
const make = (clock = new FakeClock(), pool = POOL): Nat64State => new Nat64State(defaultStateOptions(pool, { portSecret: new Uint8Array(8).fill(3) }), clock);
const SRV = parseIpv4('192.0.2.4');

/** Active and standby with the active's onSync copied straight into the standby. */
function pair(): { a: Nat64State; b: Nat64State; ops: number[]; clock: FakeClock } {
  const clock = new FakeClock();
  const a = make(clock);
  const b = make(clock);
  const ops: number[] = [];
  const rec = new Int32Array(SYNC_WORDS);
  a.onSync = (op, s) => {
    ops.push(op);
    expect(a.exportSession(s, op, rec, 0)).toBe(true);
    if (op === SYNC_OP_DELETE) b.dropSession(rec, 0);
    else expect(b.importSession(rec, 0)).toBeGreaterThanOrEqual(0);
  };
  return { a, b, ops, clock };
}

const view = (st: Nat64State) => st.listSessions({ limit: 100, offset: 0 }, PREFIX).items;

describe('state sync records (exportSession / importSession / dropSession)', () => {
  it('mirrors creates, TCP state changes and deletes so the standby translates the same flows', () => {
    const { a, b, ops, clock } = pair();
    const c6 = parseIpv6('2001:db8::7');
    const hu = a.outbound(UDP, c6, 0, 5000, SRV, 53, 0);
    const ht = a.outbound(TCP, c6, 0, 6000, SRV, 443, TCP_SYN);
    a.inbound(TCP, SRV, 443, a.addr4(ht), a.port4(ht), TCP_SYN | TCP_ACK, new Uint8Array(0));
    a.outbound(ICMP, c6, 0, 77, SRV, 77, 0);
    expect(ops).toEqual([SYNC_OP_CREATE, SYNC_OP_CREATE, SYNC_OP_UPDATE, SYNC_OP_CREATE]);
    expect(view(b)).toEqual(view(a));
    expect(b.verify()).toEqual([]);
    // The standby answers the return traffic of the active's flows with the same binding.
    const hb = b.inbound(UDP, SRV, 53, a.addr4(hu), a.port4(hu), 0, new Uint8Array(0));
    expect(hb).toBeGreaterThanOrEqual(0);
    expect(b.port6(hb)).toBe(5000);
    // FIN from the IPv6 side is a state change; expiry deletes on both.
    a.outbound(TCP, c6, 0, 6000, SRV, 443, TCP_FIN | TCP_ACK);
    expect(ops.at(-1)).toBe(SYNC_OP_UPDATE);
    expect(view(b)).toEqual(view(a));
    clock.t += 7_440_001; // the established lifetime, longest of the three
    a.tick();
    expect(a.stats().sessions['total']).toBe(0);
    expect(b.stats().sessions['total']).toBe(0);
    expect(b.stats().bindings).toBe(0);
    expect(b.verify()).toEqual([]);
  });

  it('an update record refreshes the remaining lifetime and is capped at the local lifetime', () => {
    const clock = new FakeClock();
    const a = make(clock);
    const b = make(clock);
    const rec = new Int32Array(SYNC_WORDS);
    const h = a.outbound(UDP, parseIpv6('2001:db8::1'), 0, 1, SRV, 53, 0);
    a.exportSession(h, SYNC_OP_CREATE, rec, 0);
    expect(rec[SW_REMAINING]).toBe(300_000);
    rec[SW_REMAINING] = 10;
    const s = b.importSession(rec, 0);
    expect(view(b)[0]!.expiresInMs).toBe(10);
    rec[SW_REMAINING] = 0x7fffffff;
    expect(b.importSession(rec, 0)).toBe(s); // same session, not a second one
    expect(view(b)[0]!.expiresInMs).toBe(300_000);
    expect(b.stats().sessions['total']).toBe(1);
    expect(b.verify()).toEqual([]);
  });

  it('refuses malformed records and records that do not fit, and changes nothing', () => {
    const clock = new FakeClock();
    const a = make(clock);
    const rec = new Int32Array(SYNC_WORDS);
    const h = a.outbound(UDP, parseIpv6('2001:db8::1'), 0, 1, SRV, 53, 0);
    a.exportSession(h, SYNC_OP_CREATE, rec, 0);
    const b = make(clock);
    const bad = (mut: (r: Int32Array) => void): number => {
      const r = rec.slice();
      mut(r);
      return b.importSession(r, 0);
    };
    expect(bad((r) => (r[SW_HEAD] = (r[SW_HEAD]! & ~0xff00) | (41 << 8)))).toBe(-1); // protocol without state
    expect(bad((r) => (r[SW_HEAD] = (r[SW_HEAD]! & 0x00ffffff) | (9 << 24)))).toBe(-1); // timer class
    expect(bad((r) => (r[SW_HEAD] = (r[SW_HEAD]! & ~0xff0000) | (5 << 16)))).toBe(-1); // UDP with a TCP state
    expect(bad((r) => (r[SW_REMAINING] = -5))).toBe(-1);
    expect(bad((r) => (r[SW_RPORT] = r[SW_RPORT]! | (7 << 16)))).toBe(-1);
    expect(bad((r) => (r[6] = parseIpv4('203.0.113.1') | 0))).toBe(-2); // not pool4 here
    expect(bad((r) => (r[SW_RPORT] = r[SW_RPORT]! | (1 << 16)))).toBe(-2); // static entry not configured here
    // The pool4 port is taken by another client's binding on this node.
    const other = make(clock);
    const ho = other.outbound(UDP, parseIpv6('2001:db8::1'), 0, 1, SRV, 53, 0);
    expect(other.port4(ho)).toBe(a.port4(h));
    const r2 = rec.slice();
    r2[1] = 0x20010db8;
    r2[4] = 0x99;
    expect(other.importSession(r2, 0)).toBe(-2);
    expect(b.stats().sessions['total']).toBe(0);
    expect(b.stats().bindings).toBe(0);
    expect(b.dropSession(rec, 0)).toBe(false);
    expect(a.exportSession(-1, 1, rec, 0)).toBe(false);
    expect(a.exportSession(999, 1, rec, 0)).toBe(false);
    expect(b.verify()).toEqual([]);
  });

  it('the sweep visits every live session through sessionRows/exportSession', () => {
    const a = make();
    for (let i = 1; i <= 20; i++) a.outbound(UDP, parseIpv6(`2001:db8::${i}`), 0, 1000 + i, SRV, 53, 0);
    a.outbound(UDP, parseIpv6('2001:db8::3'), 0, 1003, SRV, 53, 0);
    const rec = new Int32Array(SYNC_WORDS);
    let n = 0;
    for (let s = 0; s < a.sessionRows(); s++) if (a.exportSession(s, 4, rec, 0)) n++;
    expect(n).toBe(20);
  });
});

describe('imported timers', () => {
  it('a bulk in expiry order behind a live stream at the tail is placed after the previous import (the lists stay ordered)', () => {
    const clock = new FakeClock();
    const a = make(clock, [{ cidr: parseIpv4Cidr('198.51.100.0/24') }]);
    const b = make(clock, [{ cidr: parseIpv4Cidr('198.51.100.0/24') }]);
    const rec = new Int32Array(SYNC_WORDS);
    const c6 = parseIpv6('2001:db8::6');
    // Live records at the full lifetime reach the standby first...
    for (let i = 0; i < 100; i++) {
      a.exportSession(a.outbound(UDP, c6, 0, 5000 + i, SRV, 53, 0), SYNC_OP_CREATE, rec, 0);
      b.importSession(rec, 0);
    }
    // ...then a bulk of older sessions, increasing remaining lifetimes, interleaved with more live records.
    for (let i = 0; i < 2000; i++) {
      a.exportSession(a.outbound(UDP, c6, 0, 10_000 + i, SRV, 53, 0), SYNC_OP_CREATE, rec, 0);
      rec[SW_REMAINING] = 200_000 + i * 10;
      expect(b.importSession(rec, 0)).toBeGreaterThanOrEqual(0);
      if (i % 100 === 0) {
        a.exportSession(a.outbound(UDP, c6, 0, 30_000 + i, SRV, 53, 0), SYNC_OP_CREATE, rec, 0);
        b.importSession(rec, 0);
      }
    }
    expect(b.verify()).toEqual([]);
    clock.t += 200_000 + 1000 * 10 + 1;
    b.tick();
    expect(b.stats().sessions['total']).toBe(100 + 20 + 1000 - 1);
  });

  it('a burst imported in one millisecond stays O(1) per record and the lists stay ordered', () => {
    const clock = new FakeClock();
    const a = make(clock, [{ cidr: parseIpv4Cidr('198.51.100.0/24') }]);
    const b = make(clock, [{ cidr: parseIpv4Cidr('198.51.100.0/24') }]);
    const rec = new Int32Array(SYNC_WORDS);
    const c6 = parseIpv6('2001:db8::5');
    for (let i = 0; i < 5000; i++) {
      const h = a.outbound(UDP, c6, 0, 1000 + i, SRV, 53, 0);
      a.exportSession(h, SYNC_OP_CREATE, rec, 0);
      rec[SW_REMAINING] = 300_000 - (i % 2); // the active's floor() alternates
      expect(b.importSession(rec, 0)).toBeGreaterThanOrEqual(0);
    }
    // The coarse refresh of idle sessions repeats their expiry: nothing moves, the lists stay ordered.
    clock.t += 10_000;
    for (let s = 0; s < a.sessionRows(); s++) {
      if (!a.exportSession(s, 4, rec, 0)) continue;
      expect(b.importSession(rec, 0)).toBeGreaterThanOrEqual(0);
    }
    expect(b.verify()).toEqual([]);
    clock.t -= 10_000;
    // A session about to expire is placed from the head, one in the middle from the tail.
    const h = a.outbound(UDP, c6, 0, 9, SRV, 53, 0);
    a.exportSession(h, SYNC_OP_CREATE, rec, 0);
    rec[SW_REMAINING] = 5;
    b.importSession(rec, 0);
    const h2 = a.outbound(UDP, c6, 0, 10, SRV, 53, 0);
    a.exportSession(h2, SYNC_OP_CREATE, rec, 0);
    rec[SW_REMAINING] = 200_000;
    b.importSession(rec, 0);
    expect(b.verify()).toEqual([]);
    clock.t += 6;
    b.tick();
    expect(b.stats().sessions['total']).toBe(5001);
    clock.t += 200_000;
    b.tick();
    expect(b.stats().sessions['total']).toBe(5000);
    clock.t += 101_001; // the slack: at most IMPORT_SLACK_MS longer
    b.tick();
    expect(b.stats().sessions['total']).toBe(0);
  });
  it('the hook on the packet path exports the remaining lifetime from the translator\'s time cell, no clock call; outside the hook it reads the clock', () => {
    let calls = 0;
    const clock = { now: (): number => (calls++, 50_000) };
    const a = make(clock as unknown as FakeClock);
    const cell = new Float64Array([10_000]); // the packet path's time, behind the clock
    a.shareTime(cell);
    const rec = new Int32Array(SYNC_WORDS);
    let remainingInHook = -1;
    let clockCallsInHook = -1;
    a.onSync = (op, s) => {
      const before = calls;
      expect(a.exportSession(s, op, rec, 0)).toBe(true);
      clockCallsInHook = calls - before;
      remainingInHook = rec[SW_REMAINING]!;
    };
    const h = a.outbound(UDP, parseIpv6('2001:db8::9'), 0, 5000, SRV, 53, 0);
    expect(h).toBeGreaterThanOrEqual(0);
    // Created at the cell's time with the UDP lifetime (RFC 6146 §4: 5 min): exactly that remains in the hook.
    expect(clockCallsInHook).toBe(0);
    expect(remainingInHook).toBe(300_000);
    // The sweep or a bulk (outside the hook) measure against the clock: 40 s later than the cell.
    a.onSync = undefined;
    const before = calls;
    expect(a.exportSession(0, SYNC_OP_CREATE, rec, 0)).toBe(true);
    expect(calls - before).toBe(1);
    expect(rec[SW_REMAINING]).toBe(300_000 - 40_000);
  });
});
