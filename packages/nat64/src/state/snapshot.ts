/**
 * Snapshot and restore of the state tables (format in nat64-state.ts).
 * Restoring validates every row and skips the ones that do not fit the
 * current configuration (pool4 changed, static entry gone, limits), so a
 * restart with a new config never fails on an old snapshot.
 */
import { tryParseIpv4 } from '@sixgate/addressing';
import { StateError } from './errors.js';
import type { Bindings, Sessions } from './store.js';

export const SNAPSHOT_FORMAT = 'sixgate-nat64-state';
export const SNAPSHOT_VERSION = 1;

type BindingRow = [number, string, number, string, number, number];
type SessionRow = [number, string, number, number, number, number];

/** Builds the JSON-safe snapshot; `parts` renders one binding row. */
export function snapshotOf(b: Bindings, s: Sessions, now: number, parts: (r: number) => BindingRow): unknown {
  const index = new Int32Array(b.top).fill(-1);
  const bindings: BindingRow[] = [];
  for (let r = 0; r < b.top; r++) {
    if (!b.live(r)) continue;
    index[r] = bindings.length;
    bindings.push(parts(r));
  }
  const sessions: SessionRow[] = [];
  for (let x = 0; x < s.top; x++) {
    const r = s.bind(x);
    if (r < 0) continue;
    const ip = s.remote4(x);
    const remote = `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
    sessions.push([index[r]!, remote, s.rport(x), s.state(x), s.timer(x), Math.max(0, s.expires(x) - now)]);
  }
  return { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, bindings, sessions };
}

/** What restore needs from the state. */
export interface RestoreSink {
  /** The live binding for this row (existing or newly made), or -1 to skip it. */
  bindingFor(proto: number, addr6: string, port6: number, addr4: string, port4: number, isStatic: boolean): number;
  /** Adds one session; false if skipped. */
  session(b: number, remote4: number, rport: number, state: number, timer: number, remaining: number): boolean;
  /** Called for each restored binding at the end (drops dynamic ones left without sessions). */
  dropIfEmpty(b: number): void;
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;

function bindingRow(row: unknown): BindingRow | undefined {
  if (!Array.isArray(row) || row.length !== 6) return undefined;
  const [proto, a6, p6, a4, p4, st] = row as unknown[];
  if (typeof proto !== 'number' || typeof a6 !== 'string' || typeof a4 !== 'string' || !isPort(p6) || !isPort(p4) || (st !== 0 && st !== 1)) return undefined;
  return [proto, a6, p6, a4, p4, st];
}

function sessionRow(row: unknown, nb: number): SessionRow | undefined {
  if (!Array.isArray(row) || row.length !== 6) return undefined;
  const [bi, r4, rp, st, t, rem] = row as unknown[];
  if (!Number.isInteger(bi) || (bi as number) < 0 || (bi as number) >= nb || typeof r4 !== 'string' || !isPort(rp)) return undefined;
  if (!Number.isInteger(st) || !Number.isInteger(t) || typeof rem !== 'number' || !(rem > 0)) return undefined;
  return [bi as number, r4, rp, st as number, t as number, rem];
}

/** Restores `snap` through `sink`; returns how many sessions were restored. */
export function restoreInto(snap: unknown, sink: RestoreSink): number {
  const o = snap as { format?: unknown; version?: unknown; bindings?: unknown; sessions?: unknown } | null;
  if (o === null || typeof o !== 'object' || o.format !== SNAPSHOT_FORMAT) throw new StateError('ERR_STATE_SNAPSHOT', 'not a sixgate NAT64 state snapshot');
  if (o.version !== SNAPSHOT_VERSION) throw new StateError('ERR_STATE_SNAPSHOT', `snapshot version ${String(o.version)} is not supported (expected ${SNAPSHOT_VERSION})`);
  if (!Array.isArray(o.bindings) || !Array.isArray(o.sessions)) throw new StateError('ERR_STATE_SNAPSHOT', 'snapshot bindings/sessions must be arrays');
  const map: number[] = [];
  for (const raw of o.bindings as unknown[]) {
    const row = bindingRow(raw);
    let b = -1;
    if (row !== undefined) {
      try {
        b = sink.bindingFor(row[0], row[1], row[2], row[3], row[4], row[5] === 1);
      } catch {
        b = -1; // unparsable address text: skip the row
      }
    }
    map.push(b);
  }
  // Restore in expiry order so each timer list is appended in order.
  const rows = (o.sessions as unknown[]).map((r) => sessionRow(r, map.length)).filter((r): r is SessionRow => r !== undefined);
  rows.sort((x, y) => x[5] - y[5]);
  let n = 0;
  for (const [bi, r4, rp, st, t, rem] of rows) {
    const b = map[bi]!;
    const remote = tryParseIpv4(r4);
    if (b < 0 || remote < 0) continue;
    if (sink.session(b, remote, rp, st, t, rem)) n++;
  }
  for (const b of map) if (b >= 0) sink.dropIfEmpty(b);
  return n;
}
