/**
 * The invariants of the state tables, checked in O(n) by `Nat64State.verify()`
 * (property tests call it after every operation).
 */
import { ICMP, TCP } from './api.js';
import { CLASS_ICMP, CLASS_TCP, CLASS_UDP, type Pool4 } from './pool4.js';
import { TIMER_CLASSES, type Bindings, type Clients, type Sessions } from './store.js';

export interface VerifyInput {
  readonly b: Bindings;
  readonly s: Sessions;
  readonly c: Clients;
  readonly pool: Pool4;
  findB6(r: number): number;
  findB4(r: number): number;
  findS(x: number): number;
  readonly counts: { bind6: number; bind4: number; sess: number; cli: number; byClass: Uint32Array; byTcpState: Uint32Array };
}

const clsOf = (proto: number): number => (proto === TCP ? CLASS_TCP : proto === ICMP ? CLASS_ICMP : CLASS_UDP);

function checkBindings(v: VerifyInput, bad: string[]): void {
  const { b, s, c, pool } = v;
  let live = 0;
  let inRange = 0;
  const perClientBindings = new Map<number, number>();
  for (let r = 0; r < b.top; r++) {
    if (!b.live(r)) continue;
    live++;
    if (v.findB6(r) !== r) bad.push(`binding ${r}: IPv6 lookup misses`);
    if (v.findB4(r) !== r) bad.push(`binding ${r}: IPv4 lookup misses`);
    if (pool.inRange(clsOf(b.proto(r)), b.aidx[r]!, b.port4(r))) {
      inRange++;
      if (pool.isFree(clsOf(b.proto(r)), b.aidx[r]!, b.port4(r))) bad.push(`binding ${r}: port not marked used`);
    }
    let n = 0;
    for (let x = b.head[r]!, prev = -1; x >= 0; prev = x, x = s.bnext(x)) {
      if (s.bind(x) !== r) bad.push(`binding ${r}: list holds session ${x} of ${s.bind(x)}`);
      if (s.bprev[x] !== prev) bad.push(`session ${x}: bprev broken`);
      if (++n > s.count) { bad.push(`binding ${r}: list cycle`); break; }
    }
    if (n !== b.sessions[r]) bad.push(`binding ${r}: ${b.sessions[r]} sessions counted, ${n} listed`);
    if (n === 0 && b.kind(r) === 0) bad.push(`binding ${r}: dynamic binding without sessions`);
    perClientBindings.set(b.client(r), (perClientBindings.get(b.client(r)) ?? 0) + 1);
  }
  if (live !== b.count || v.counts.bind6 !== live || v.counts.bind4 !== live) bad.push(`binding counts differ: ${live} live, ${b.count}, ${v.counts.bind6}, ${v.counts.bind4}`);
  if (pool.used !== inRange) bad.push(`pool4 used ${pool.used} != ${inRange} bindings in range`);
  if (c.count !== perClientBindings.size || v.counts.cli !== c.count) bad.push(`client count ${c.count} != ${perClientBindings.size}`);
  for (const [ci, n] of perClientBindings) if (c.bindings[ci] !== n) bad.push(`client ${ci}: ${c.bindings[ci]} bindings counted, ${n} found`);
}

function checkSessions(v: VerifyInput, bad: string[]): void {
  const { b, s, c } = v;
  let live = 0;
  const byClass = [0, 0, 0];
  const byState = new Array<number>(8).fill(0);
  const perClient = new Map<number, number>();
  for (let x = 0; x < s.top; x++) {
    const r = s.bind(x);
    if (r < 0) continue;
    live++;
    if (!b.live(r)) bad.push(`session ${x}: binding ${r} is gone`);
    if (v.findS(x) !== x) bad.push(`session ${x}: lookup misses`);
    const cls = clsOf(b.proto(r));
    byClass[cls]!++;
    if (cls === CLASS_TCP) byState[s.state(x)]!++;
    perClient.set(b.client(r), (perClient.get(b.client(r)) ?? 0) + 1);
  }
  if (live !== s.count || v.counts.sess !== live) bad.push(`session counts differ: ${live} live, ${s.count}, ${v.counts.sess} indexed`);
  byClass.forEach((n, k) => { if (v.counts.byClass[k] !== n) bad.push(`class ${k}: ${v.counts.byClass[k]} counted, ${n} found`); });
  byState.forEach((n, k) => { if (v.counts.byTcpState[k] !== n) bad.push(`tcp state ${k}: ${v.counts.byTcpState[k]} counted, ${n} found`); });
  for (let ci = 0; ci < c.top; ci++) {
    if (c.bindings[ci] === 0) continue;
    if (c.sessions[ci] !== (perClient.get(ci) ?? 0)) bad.push(`client ${ci}: ${c.sessions[ci]} sessions counted, ${perClient.get(ci) ?? 0} found`);
  }
  let listed = 0;
  for (let t = 0; t < TIMER_CLASSES; t++) {
    for (let x = s.thead[t]!, prev = -1; x >= 0; prev = x, x = s.tnext(x)) {
      if (s.tprev(x) !== prev || s.timer(x) !== t || s.bind(x) < 0) bad.push(`timer list ${t}: session ${x} misplaced`);
      if (prev >= 0 && s.expires(prev) > s.expires(x)) bad.push(`timer list ${t}: not sorted at ${x}`);
      if (++listed > s.count) { bad.push('timer lists: cycle'); return; }
      if (s.tnext(x) === -1 && s.ttail[t] !== x) bad.push(`timer list ${t}: tail wrong`);
    }
  }
  if (listed !== s.count) bad.push(`timer lists hold ${listed} of ${s.count} sessions`);
}

export function verifyTables(v: VerifyInput): string[] {
  const bad: string[] = [];
  checkBindings(v, bad);
  checkSessions(v, bad);
  return bad;
}
