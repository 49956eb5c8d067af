/**
 * `Nat64State`: the RFC 6146 BIB and session tables behind the `StateApi`
 * contract (api.ts). The packet path lives in core.ts; this file adds timers
 * (`tick`), static BIB entries, the management views and snapshots.
 *
 * Snapshot format (JSON-safe, version 1):
 *   { format: 'sixgate-nat64-state', version: 1,
 *     bindings: [proto, "ipv6", port6, "ipv4", port4, static 0|1][],
 *     sessions: [bindingIndex, "remote4", remotePort, tcpState, timerClass, remainingMs][] }
 * Lifetimes are relative to the time of the snapshot so a restart keeps them.
 */
import { formatIpv4, parseIpv4, parseIpv6, parseNat64Prefix, embedIpv4, formatIpv6, formatIpv6Cidr, type Ipv6Cidr, type Nat64Prefix } from '@sixgate/addressing';
import type { Clock } from '../clock.js';
import { ICMP, TCP, UDP, type BibEntry, type ExpiredSyn, type Proto, type SessionEntry, type StateApi, type StateEvent, type StateOptions, type Pool4Usage } from './api.js';
import { StateCore } from './core.js';
import { classOf, PROTO_NAMES } from './tables.js';
import { StateError } from './errors.js';
import { verifyTables } from './verify.js';
import { restoreInto, snapshotOf } from './snapshot.js';
import { B_STRIDE, S_STRIDE, T_EST, T_ICMP, T_TRANS, T_UDP, TIMER_CLASSES } from './store.js';
import { ESTABLISHED, TCP_STATE_NAMES } from './tcp.js';
import { SW_A6, SW_ADDR4, SW_HEAD, SW_PORTS, SW_REMAINING, SW_REMOTE4, SW_RPORT } from './sync-record.js';

/** Timer class of UDP and ICMP sessions by protocol class (TCP depends on state). */
const UNTIMED_CLASS_TIMER = [-1, T_UDP, T_ICMP];
/** How much longer an imported session may live to be appended at its timer list's tail (ms). */
const IMPORT_SLACK_MS = 1000;
const PROTO_BY_NAME: Readonly<Record<string, Proto>> = { tcp: TCP, udp: UDP, icmp: ICMP };

export class Nat64State extends StateCore implements StateApi {
  private readonly sync6 = new Uint8Array(16);
  /** Per timer class, the session imported last (see placeImported). */
  private readonly importFinger = new Int32Array(TIMER_CLASSES).fill(-1);
  constructor(options: StateOptions, clock: Clock) {
    super(options, clock);
  }

  /** Runs due timers; O(expired sessions + expired SYNs). */
  tick(): readonly ExpiredSyn[] {
    const now = this.clock.now();
    const ss = this.s;
    for (let t = 0; t < TIMER_CLASSES; t++) {
      for (let s = ss.thead[t]!; s >= 0 && ss.expires(s) <= now; s = ss.thead[t]!) this.removeSession(s, 'expired');
    }
    const syns = this.syns.expire(now);
    // Sessions not carried over yet expire where they are; held SYNs too.
    const old = this.prev === null ? syns : (this.prev as Nat64State).tick();
    return old === syns || old.length === 0 ? syns : syns.length === 0 ? old : [...syns, ...old];
  }

  addStatic(proto: Proto, addr6: Uint8Array, port6: number, addr4: number, port4: number): BibEntry {
    this.finishCarry();
    const cls = classOf(proto);
    if (cls < 0) throw new StateError('ERR_STATE_ARGUMENT', `protocol ${String(proto)} has no state (use 6, 17 or 1)`);
    if (!(addr6 instanceof Uint8Array) || addr6.length !== 16) throw new StateError('ERR_STATE_ARGUMENT', 'addr6 must be 16 bytes');
    for (const [n, v] of [['port6', port6], ['port4', port4]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new StateError('ERR_STATE_ARGUMENT', `${n} must be an integer 0-65535, got ${String(v)}`);
    }
    addr4 >>>= 0;
    const a = this.pool.indexOf(addr4);
    if (a < 0) throw new StateError('ERR_STATE_NOT_POOL4', `${formatIpv4(addr4)} is not a pool4 address`);
    const w = [0, 4, 8, 12].map((o) => (addr6[o]! << 24) | (addr6[o + 1]! << 16) | (addr6[o + 2]! << 8) | addr6[o + 3]!) as [number, number, number, number];
    const hb = this.h6(proto, ...w, port6);
    const by6 = this.findB6(proto, ...w, port6, hb);
    const by4 = this.findB4(proto, addr4 | 0, port4);
    if (by6 >= 0 && by6 === by4 && this.b.kind(by6) === 1) return this.bibEntry(by6);
    const clash = by4 >= 0 ? by4 : by6;
    if (clash >= 0) {
      throw new StateError('ERR_STATE_CONFLICT', `${PROTO_NAMES[cls]} ${this.v6Text(clash)} <-> ${this.v4Text(clash)} already exists (${this.b.kind(clash) === 1 ? 'static' : 'dynamic'})`);
    }
    const r = this.addBinding(proto, cls, addr6, 0, port6, a, port4, 1, this.findClient(...w), hb);
    return this.bibEntry(r);
  }

  removeStatic(id: string): boolean {
    this.finishCarry();
    const r = this.rowOfId(id);
    if (r < 0 || this.b.kind(r) !== 1) return false;
    while (this.b.head[r]! >= 0) this.removeSession(this.b.head[r]!, 'removed', true);
    this.removeBinding(r, 'removed');
    return true;
  }

  listBib(filter?: { protocol?: Proto }): BibEntry[] {
    this.finishCarry();
    const out: BibEntry[] = [];
    for (let r = 0; r < this.b.top; r++) {
      if (!this.b.live(r)) continue;
      if (filter?.protocol !== undefined && this.b.proto(r) !== filter.protocol) continue;
      out.push(this.bibEntry(r));
    }
    return out;
  }

  listSessions(filter: { protocol?: Proto; limit: number; offset: number }, prefix: Ipv6Cidr): { total: number; items: SessionEntry[] } {
    this.finishCarry();
    const { limit, offset } = filter;
    if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(offset) || offset < 0) {
      throw new StateError('ERR_STATE_ARGUMENT', 'limit and offset must be non-negative integers');
    }
    const p = asNat64Prefix(prefix);
    const now = this.clock.now();
    const items: SessionEntry[] = [];
    const tmp = new Uint8Array(16);
    let total = 0;
    for (let s = 0; s < this.s.top; s++) {
      const r = this.s.bind(s);
      if (r < 0 || (filter.protocol !== undefined && this.b.proto(r) !== filter.protocol)) continue;
      if (total++ < offset || items.length >= limit) continue;
      embedIpv4(p, this.s.remote4(s), tmp, 0);
      const server = `[${formatIpv6(tmp)}]:${this.b.proto(r) === ICMP ? this.b.port6(r) : this.s.rport(s)}`;
      items.push({
        protocol: this.protoName(r),
        ipv6Client: this.v6Text(r),
        ipv6Server: server,
        ipv4Local: this.v4Text(r),
        ipv4Remote: this.remoteText(s),
        state: this.b.proto(r) === TCP ? TCP_STATE_NAMES[this.s.state(s)]! : 'established',
        expiresInMs: Math.max(0, this.s.expires(s) - now),
      });
    }
    return { total, items };
  }

  flush(reason: StateEvent['reason']): number {
    // Sessions not carried over yet go with the older state.
    let n = this.pending();
    this.prev = null;
    this.s.carryTail.fill(-1);
    for (let t = 0; t < TIMER_CLASSES; t++) {
      for (let s = this.s.thead[t]!; s >= 0; s = this.s.thead[t]!, n++) this.removeSession(s, reason);
    }
    for (let r = 0; r < this.b.top; r++) if (this.b.live(r) && this.b.kind(r) === 0) this.removeBinding(r, reason);
    this.syns.clear();
    return n;
  }

  pool4Usage(limit: number): Pool4Usage {
    return this.pool.usage(limit);
  }

  stats(): { sessions: Record<string, number>; bindings: number; pool4Used: number; pool4Size: number } {
    // During a carry-over the older state's entries count too (bindings present in both count twice).
    const p = this.prev as Nat64State | null;
    const sessions: Record<string, number> = { total: this.s.count + (p?.s.count ?? 0) };
    PROTO_NAMES.forEach((name, cls) => (sessions[name] = this.byClass[cls]! + (p?.byClass[cls] ?? 0)));
    TCP_STATE_NAMES.forEach((name, st) => {
      if (st !== 0) sessions[`tcp-${name}`] = this.byTcpState[st]! + (p?.byTcpState[st] ?? 0);
    });
    return { sessions, bindings: this.b.count + (p?.b.count ?? 0), pool4Used: this.pool.used, pool4Size: this.pool.size };
  }

  /**
   * Sizes the record arrays for the session limit now (store.ts) instead of
   * when the first few hundred rows fill: the allocation and the garbage
   * collections V8 runs for it (tens of ms under load, whatever the table
   * size) then happen at startup or at a config commit, never behind a packet.
   * Untouched rows cost address space, not memory. Tests skip it.
   */
  reserveTables(): void {
    this.b.reserveAll();
    this.s.reserveAll();
    this.c.reserveAll();
  }

  /** Held simultaneous-open SYNs and bytes held by the tables (for metrics and benchmarks). */
  memory(): { heldSyns: number; clients: number; tableBytes: number } {
    const bytes = this.b.bytes + this.s.bytes + this.c.bytes + this.bind6.bytes + this.bind4.bytes + this.sess.bytes + this.cli.bytes + this.pool.bytes + this.syns.bytes + (this.refs?.bytes ?? 0);
    const old = this.prev === null ? { heldSyns: 0, clients: 0, tableBytes: 0 } : (this.prev as Nat64State).memory();
    return { heldSyns: this.syns.size + old.heldSyns, clients: this.c.count, tableBytes: bytes + old.tableBytes };
  }

  snapshot(): unknown {
    this.finishCarry();
    return snapshotOf(this.b, this.s, this.clock.now(), (r) => this.v6Parts(r));
  }

  restore(snap: unknown): number {
    this.finishCarry();
    return restoreInto(snap, {
      bindingFor: (proto, addr6, port6, addr4, port4, isStatic) => this.restoreBinding(proto, addr6, port6, addr4, port4, isStatic),
      session: (b, remote4, rport, state, timer, remaining) => this.restoreSession(b, remote4, rport, state, timer, remaining),
      dropIfEmpty: (b) => {
        if (this.b.live(b) && this.b.kind(b) === 0 && this.b.sessions[b] === 0) this.removeBinding(b, 'removed');
      },
    });
  }

  // ---- state sync (packages/ha; record layout in sync-record.ts) -------------------------

  /** Session rows ever used: `exportSession` over 0..sessionRows()-1 visits every session (the coarse refresh sweep). */
  sessionRows(): number {
    return this.s.top;
  }

  /**
   * Writes session `s` as a sync record at `out[off]` with op `op`; false (and
   * nothing written) when `s` is no live session. Allocation-free.
   */
  exportSession(s: number, op: number, out: Int32Array, off: number): boolean {
    if (!(s >= 0 && s < this.s.top)) return false;
    const b = this.s.bind(s);
    if (b < 0) return false;
    const rec = this.b.rec;
    const o = b * B_STRIDE;
    out[off + SW_HEAD] = (op & 0xff) | (this.b.proto(b) << 8) | (this.s.state(s) << 16) | (this.s.timer(s) << 24);
    for (let i = 0; i < 4; i++) out[off + SW_A6 + i] = rec[o + 1 + i]!;
    out[off + SW_PORTS] = rec[o + 6]!;
    out[off + SW_ADDR4] = rec[o + 5]!;
    out[off + SW_REMOTE4] = this.s.rec[s * S_STRIDE + 1]!;
    out[off + SW_RPORT] = this.s.rport(s) | (this.b.kind(b) << 16);
    // Inside the packet path's hook: the time the session's expiry was just set from (tables.ts hookTime).
    const now = this.hookTime === this.hookTime ? this.hookTime : this.clock.now();
    const left = this.s.expires(s) - now;
    out[off + SW_REMAINING] = left <= 0 ? 0 : left >= 0x7fffffff ? 0x7fffffff : Math.floor(left);
    out[off + 10] = 0;
    out[off + 11] = 0;
    return true;
  }

  /**
   * Creates or updates the session of a sync record (a standby applying the
   * active's changes): the binding is found by its IPv6 side or made with the
   * record's pool4 address and port, the session gets the record's TCP state,
   * timer class and remaining lifetime (capped at this node's lifetime).
   * Returns the session row, or a negative code: -1 malformed record, -2 the
   * binding does not fit here (pool4 address unknown, port taken by another
   * binding, static entry not configured), -3 a session limit. Allocation-free.
   */
  importSession(rec: Int32Array, off: number): number {
    const head = rec[off + SW_HEAD]!;
    const proto = (head >>> 8) & 0xff;
    const state = (head >>> 16) & 0xff;
    const timer = (head >>> 24) & 0xff;
    const cls = classOf(proto);
    if (cls < 0 || timer >= TIMER_CLASSES) return -1;
    const tcp = proto === TCP;
    if (tcp ? !((timer === T_EST || timer === T_TRANS) && state >= 1 && state <= 7) : timer !== UNTIMED_CLASS_TIMER[cls] || state !== ESTABLISHED) return -1;
    const w0 = rec[off + SW_A6]!;
    const w1 = rec[off + SW_A6 + 1]!;
    const w2 = rec[off + SW_A6 + 2]!;
    const w3 = rec[off + SW_A6 + 3]!;
    const ports = rec[off + SW_PORTS]!;
    const port6 = ports & 0xffff;
    const port4 = ports >>> 16;
    const addr4 = rec[off + SW_ADDR4]! | 0;
    const remote4 = rec[off + SW_REMOTE4]! | 0;
    const rp = proto === ICMP ? 0 : rec[off + SW_RPORT]! & 0xffff;
    const isStatic = (rec[off + SW_RPORT]! >>> 16) & 0xff;
    const remaining = rec[off + SW_REMAINING]!;
    if (isStatic > 1 || remaining < 0) return -1;
    const hb = this.h6(proto, w0, w1, w2, w3, port6);
    let b = this.findB6(proto, w0, w1, w2, w3, port6, hb);
    const by4 = this.findB4(proto, addr4, port4);
    if (b >= 0 || by4 >= 0) {
      if (b !== by4) return -2;
    } else {
      const a = this.pool.indexOf(addr4);
      if (isStatic === 1 || a < 0 || !this.pool.isFree(cls, a, port4)) return -2;
      const tmp = this.sync6;
      tmp[0] = w0 >>> 24; tmp[1] = (w0 >>> 16) & 0xff; tmp[2] = (w0 >>> 8) & 0xff; tmp[3] = w0 & 0xff;
      tmp[4] = w1 >>> 24; tmp[5] = (w1 >>> 16) & 0xff; tmp[6] = (w1 >>> 8) & 0xff; tmp[7] = w1 & 0xff;
      tmp[8] = w2 >>> 24; tmp[9] = (w2 >>> 16) & 0xff; tmp[10] = (w2 >>> 8) & 0xff; tmp[11] = w2 & 0xff;
      tmp[12] = w3 >>> 24; tmp[13] = (w3 >>> 16) & 0xff; tmp[14] = (w3 >>> 8) & 0xff; tmp[15] = w3 & 0xff;
      if (this.s.count >= this.opts.maxSessions) return -3;
      b = this.addBinding(proto, cls, tmp, 0, port6, a, port4, 0, this.findClient(w0, w1, w2, w3), hb);
    }
    let s = this.findS(b, remote4, rp);
    if (s < 0) {
      if (this.s.count >= this.opts.maxSessions || this.c.sessions[this.b.client(b)]! >= this.opts.maxSessionsPerClient) {
        if (this.b.kind(b) === 0 && this.b.sessions[b] === 0) this.removeBinding(b, 'removed');
        return -3;
      }
      s = this.newSession(b, cls, remote4, rp, state);
    } else if (tcp && this.s.state(s) !== state) {
      this.byTcpState[this.s.state(s)]!--;
      this.byTcpState[state]!++;
      this.s.setState(s, state);
    }
    const at = this.clock.now() + Math.min(remaining, this.life[timer]!);
    // The coarse refresh of an idle session repeats the expiry it already has: nothing to move.
    if (this.s.timer(s) === timer && Math.abs(this.s.expires(s) - at) <= IMPORT_SLACK_MS) return s;
    this.s.timerUnlink(s);
    this.placeImported(s, timer, at);
    return s;
  }

  /**
   * Puts an imported session into its timer list without a long walk: the
   * active's creates, state changes and refreshes carry nearly the full
   * lifetime, so they go to the tail (kept up to IMPORT_SLACK_MS longer
   * rather than walking back over a burst imported in the same millisecond);
   * a session expiring soon is placed from the head.
   */
  private placeImported(s: number, t: number, at: number): void {
    const ss = this.s;
    const tail = ss.ttail[t]!;
    const head = ss.thead[t]!;
    const f = this.importFinger[t]!;
    this.importFinger[t] = s;
    if (tail < 0 || ss.expires(tail) - at <= IMPORT_SLACK_MS) return ss.timerAppend(s, t, Math.max(at, tail < 0 ? at : ss.expires(tail)));
    // A bulk transfer arrives in row order, which is mostly expiry order: continue after the
    // previous import when it fits there (the finger), so a bulk is O(1) per record too.
    if (f !== s && f >= 0 && f < ss.top && ss.bind(f) >= 0 && ss.timer(f) === t && ss.expires(f) <= at) {
      const n = ss.tnext(f);
      if (n < 0 || ss.expires(n) >= at) return ss.timerInsertAfter(s, t, at, f);
    }
    if (at - ss.expires(head) < ss.expires(tail) - at) ss.timerInsertFromHead(s, t, at);
    else ss.timerInsertSorted(s, t, at);
  }

  /** Deletes the session a sync record names (a dynamic binding goes with its last session); false if there is none. */
  dropSession(rec: Int32Array, off: number): boolean {
    const proto = (rec[off + SW_HEAD]! >>> 8) & 0xff;
    if (classOf(proto) < 0) return false;
    const w0 = rec[off + SW_A6]!;
    const w1 = rec[off + SW_A6 + 1]!;
    const w2 = rec[off + SW_A6 + 2]!;
    const w3 = rec[off + SW_A6 + 3]!;
    const port6 = rec[off + SW_PORTS]! & 0xffff;
    const b = this.findB6(proto, w0, w1, w2, w3, port6, this.h6(proto, w0, w1, w2, w3, port6));
    if (b < 0) return false;
    const s = this.findS(b, rec[off + SW_REMOTE4]! | 0, proto === ICMP ? 0 : rec[off + SW_RPORT]! & 0xffff);
    if (s < 0) return false;
    this.removeSession(s, 'removed');
    return true;
  }

  /**
   * Checks every internal invariant (O(n); tests and debugging only) and
   * returns the broken ones, empty when all hold.
   */
  verify(): string[] {
    this.finishCarry();
    return verifyTables({
      b: this.b, s: this.s, c: this.c, pool: this.pool,
      findB6: (r) => this.findB6(this.b.proto(r), this.b.word(r, 0), this.b.word(r, 1), this.b.word(r, 2), this.b.word(r, 3), this.b.port6(r),
        this.h6(this.b.proto(r), this.b.word(r, 0), this.b.word(r, 1), this.b.word(r, 2), this.b.word(r, 3), this.b.port6(r))),
      findB4: (r) => this.findB4(this.b.proto(r), this.b.addr4(r) | 0, this.b.port4(r)),
      findS: (x) => this.findS(this.s.bind(x), this.s.remote4(x) | 0, this.s.rport(x)),
      counts: { bind6: this.bind6.count, bind4: this.bind4.count, sess: this.sess.count, cli: this.cli.count, byClass: this.byClass, byTcpState: this.byTcpState },
    });
  }

  // ---- helpers ------------------------------------------------------------------------

  /** Stable id of a binding: "<proto>-<ipv4>-<port4>" (unique while the binding exists). */
  private idOf(r: number): string {
    return `${this.protoName(r)}-${formatIpv4(this.b.addr4(r))}-${this.b.port4(r)}`;
  }

  private rowOfId(id: string): number {
    const m = /^(tcp|udp|icmp)-(\d+\.\d+\.\d+\.\d+)-(\d{1,5})$/.exec(id);
    if (m === null) return -1;
    let addr: number;
    try {
      addr = parseIpv4(m[2]!);
    } catch {
      return -1;
    }
    const port = Number(m[3]);
    return port > 65535 ? -1 : this.findB4(PROTO_BY_NAME[m[1]!]!, addr | 0, port);
  }

  private bibEntry(r: number): BibEntry {
    return { id: this.idOf(r), protocol: this.protoName(r), ipv6: this.v6Text(r), ipv4: this.v4Text(r), static: this.b.kind(r) === 1, sessions: this.b.sessions[r]! };
  }

  private v6Parts(r: number): [number, string, number, string, number, number] {
    const tmp = new Uint8Array(16);
    this.writeAddr6(r, tmp, 0);
    return [this.b.proto(r), formatIpv6(tmp), this.b.port6(r), formatIpv4(this.b.addr4(r)), this.b.port4(r), this.b.kind(r)];
  }

  /** The binding a snapshot entry maps to now, or -1 when it no longer fits. */
  private restoreBinding(proto: number, addr6: string, port6: number, addr4: string, port4: number, isStatic: boolean): number {
    const cls = classOf(proto);
    const a6 = parseIpv6(addr6);
    const v4 = parseIpv4(addr4);
    const a = this.pool.indexOf(v4);
    if (cls < 0 || a < 0) return -1;
    const w = [0, 4, 8, 12].map((o) => (a6[o]! << 24) | (a6[o + 1]! << 16) | (a6[o + 2]! << 8) | a6[o + 3]!) as [number, number, number, number];
    const hb = this.h6(proto, ...w, port6);
    const by6 = this.findB6(proto, ...w, port6, hb);
    const by4 = this.findB4(proto, v4 | 0, port4);
    // A static entry is restored only onto the same static entry configured now.
    if (isStatic) return by6 >= 0 && by6 === by4 && this.b.kind(by6) === 1 ? by6 : -1;
    if (by6 >= 0 || by4 >= 0) return by6 === by4 ? by6 : -1;
    if (!this.pool.isFree(cls, a, port4)) return -1;
    return this.addBinding(proto, cls, a6, 0, port6, a, port4, 0, this.findClient(...w), hb);
  }

  private restoreSession(b: number, remote4: number, rport: number, state: number, timer: number, remaining: number): boolean {
    const proto = this.b.proto(b);
    const cls = classOf(proto);
    const rp = proto === ICMP ? 0 : rport;
    if (this.s.count >= this.opts.maxSessions || this.findS(b, remote4 | 0, rp) >= 0) return false;
    if (this.c.sessions[this.b.client(b)]! >= this.opts.maxSessionsPerClient) return false;
    const tcp = proto === TCP;
    const expected = tcp ? (timer === T_EST || timer === T_TRANS) && state >= 1 && state <= 7 : timer === UNTIMED_CLASS_TIMER[cls] && state === ESTABLISHED;
    if (!expected) return false;
    const s = this.newSession(b, cls, remote4 | 0, rp, state);
    this.s.timerUnlink(s);
    this.s.timerInsertSorted(s, timer, this.clock.now() + Math.min(remaining, this.life[timer]!));
    return true;
  }
}

function asNat64Prefix(prefix: Ipv6Cidr): Nat64Prefix {
  if ('v4Offsets' in prefix) return prefix as Nat64Prefix;
  return parseNat64Prefix(formatIpv6Cidr(prefix));
}
