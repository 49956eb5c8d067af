/**
 * One configuration change, applied to DNS64, the translator and the kernel
 * routes as one step (SPEC §7, issue: "one prefix, changed atomically").
 *
 * 1. Build everything new first — state, policy, translator, DNS64 options.
 *    A bad value fails here with 400 and nothing has changed.
 * 2. Apply the fallible parts in order, each with its undo: routes, static
 *    BIB entries, DNS64, the config file. If one fails, the ones before are
 *    undone and the answer names the step that failed.
 * 3. Commit the infallible part: swap the translator (and state) the packet
 *    loop uses; a new prefix flushes the old prefix's sessions. New state
 *    tables take the old sessions over from here (not before the awaited
 *    steps, which would lose flows made meanwhile), in chunks (`carryOver`).
 */
import { formatIpv4, formatIpv6, parseNat64Prefix } from '@sixgate/addressing';
import { ApplyError, type ApplyResult, type ApplyStep } from '@sixgate/admin-api';
import { saveConfig, summarizeChanges, type Config } from '@sixgate/config';
import { validateDns64Options } from '@sixgate/dns64';
import { Nat64State } from '@sixgate/nat64';
import { parseEntries } from '@sixgate/probe';
import { buildDataPlane, parseBibEndpoints, PROTO, type Appliance, type DataPlane } from './appliance.js';
import { changedKeys, dns64Options, routedPrefixes, stateOptions } from './options.js';
import { RA_KEYS } from './router-adverts.js';
import { HaError } from '@sixgate/ha';
import { sharedConfig } from './ha.js';

/** Keys that only take effect at start; changing them at runtime is refused. */
const RESTART_ONLY = ['nat64.tun', 'nat64.mtu', 'nat64.txQueueLength', 'nat64.offload', 'nat64.coalesce', 'nat64.manageRoutes', 'api.listen', 'api.token', 'stateDir', 'ha'];

/** Keys whose change needs new state tables (sessions are carried over where they fit). */
const STATE_KEYS = ['nat64.pool4', 'nat64.ports', 'nat64.timeouts', 'nat64.maxSessions', 'nat64.maxSessionsPerClient', 'nat64.addressDependentFiltering', 'nat64.dropExternallyInitiatedTcp', 'nat64.maxHeldSyns'];

const under = (key: string, roots: readonly string[]): boolean => roots.some((r) => key === r || key.startsWith(`${r}.`));

/** Canonical "proto [v6]:p v4:p" of a static BIB entry, for diffs. */
export function bibKey(e: { protocol: string; ipv6: string; ipv4: string }): string {
  const p = parseBibEndpoints(e);
  return `${e.protocol} [${formatIpv6(p.addr6)}]:${p.port6} ${formatIpv4(p.addr4)}:${p.port4}`;
}

/** Makes `state`'s static entries exactly `wanted`; returns an undo function. */
function syncStaticBib(state: Nat64State, wanted: Config['nat64']['staticBib']): () => void {
  const want = new Map(wanted.map((e) => [bibKey(e), e]));
  const have = new Map(state.listBib().filter((b) => b.static).map((b) => [bibKey(b), b]));
  const removed: typeof wanted = [];
  const addedIds: string[] = [];
  const undo = (): void => {
    for (const id of addedIds) state.removeStatic(id);
    for (const e of removed) {
      const p = parseBibEndpoints(e);
      state.addStatic(PROTO[e.protocol], p.addr6, p.port6, p.addr4, p.port4);
    }
  };
  try {
    for (const [k, b] of have) {
      if (want.has(k)) continue;
      state.removeStatic(b.id);
      removed.push({ protocol: b.protocol, ipv6: b.ipv6, ipv4: b.ipv4 });
    }
    for (const [k, e] of want) {
      if (have.has(k)) continue;
      const p = parseBibEndpoints(e);
      addedIds.push(state.addStatic(PROTO[e.protocol], p.addr6, p.port6, p.addr4, p.port4).id);
    }
  } catch (err) {
    undo();
    throw err;
  }
  return undo;
}

/** Builds the new data plane for `next`, reusing the live state when its shape did not change. */
function prebuild(app: Appliance, next: Config, changed: string[]): { plane: DataPlane; newState: boolean } {
  try {
    const newState = changed.some((k) => under(k, STATE_KEYS));
    let state = app.plane.state;
    // Sessions are carried over at the commit point (below), not here: flows
    // created or advanced during the awaited steps would be lost.
    if (newState) {
      state = new Nat64State(stateOptions(next), app.clock);
      state.reserveTables(); // before the commit: no packet waits for the record arrays' allocation
    }
    const plane = buildDataPlane(next, app.clock, state);
    validateDns64Options(dns64Options(next, () => true));
    parseEntries(next.probes.targets, 'probes.targets');
    return { plane, newState };
  } catch (e) {
    throw new ApplyError(400, (e as Error).message);
  }
}

/** Sessions moved per turn of the event loop while carrying over (a few ms of work; docs/benchmarks.md, "Hardening"). */
export const CARRY_CHUNK = 1024;

/** Starts carrying `from`'s sessions into `to` and moves them CARRY_CHUNK at a time, yielding to packets between chunks. */
export function carryOver(app: Pick<Appliance, 'log'>, to: Nat64State, from: Nat64State): void {
  to.carryFrom(from);
  const t0 = performance.now();
  const step = (): void => {
    if (!to.carryStep(CARRY_CHUNK)) {
      setImmediate(step);
      return;
    }
    app.log.info({ ms: Math.round(performance.now() - t0) }, 'sessions carried over to the new state tables');
  };
  setImmediate(step);
}

type Undo = () => unknown;

/**
 * How a change came: `version` records it under the HA peer's version
 * (ADR 8: one numbering in both histories); `fromPeer` keeps it from being
 * sent back to the peer.
 */
export interface ApplyOptions {
  readonly version?: number;
  readonly fromPeer?: boolean;
}

/** Applies `next` (already schema-validated) to the running appliance. */
export async function applyConfig(app: Appliance, next: Config, summary?: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const prev = app.config;
  const changed = changedKeys(prev, next);
  const latest = app.historyCache[0]?.version ?? 0;
  if (changed.length === 0 && opts.version !== undefined && opts.version > latest) {
    // Nothing to change here, but the version moves with the peer's.
    const entry = await app.history.record(next, summary ?? 'no change (version of the HA peer)', { version: opts.version });
    await app.refreshHistory();
    return { version: entry.version, changed: [], summary: entry.summary };
  }
  if (changed.length === 0) return { version: latest, changed: [], summary: 'no change' };
  const frozen = changed.filter((k) => under(k, RESTART_ONLY));
  if (frozen.length > 0) {
    throw new ApplyError(400, `${frozen.join(', ')} cannot change while sixgate runs; edit ${app.file} and restart`);
  }
  const { plane, newState } = prebuild(app, next, changed);
  // HA (ADR 8, "Simultaneous changes"): a change made here first takes its
  // version from the peer, so two changes made at the same moment on the two
  // nodes cannot both become the same version; the loser changes nothing (409).
  const reserved = !opts.fromPeer && app.ha !== undefined ? latest + 1 : undefined;
  if (reserved !== undefined) {
    try {
      await app.ha!.reserveConfig(reserved);
    } catch (e) {
      if (e instanceof HaError && e.code === 'ERR_HA_CONFIG_CONFLICT') throw new ApplyError(409, e.message);
      throw e;
    }
  }
  const prefixChanged = changed.includes('prefix');
  const undos: Undo[] = [];
  // What each step did, for the API's answer (the dashboard's result page).
  const steps: ApplyStep[] = [];
  const did = (outcome: ApplyStep['outcome'], detail?: string): void => void steps.push({ step, outcome, ...(detail === undefined ? {} : { detail }) });
  let step = '';
  try {
    step = 'kernel routes';
    if (prev.nat64.manageRoutes) {
      const want = routedPrefixes(next);
      if (JSON.stringify(want) !== JSON.stringify(routedPrefixes(prev))) {
        const before = await app.routes.sync(want);
        undos.push(() => app.routes.sync(before));
        did('done', `routes into ${next.nat64.tun}: ${want.join(', ')}`);
      } else did('unchanged');
    } else did('skipped', 'nat64.manageRoutes is off');
    step = 'static BIB entries';
    if (newState || changed.some((k) => under(k, ['nat64.staticBib']))) {
      const undo = syncStaticBib(plane.state, next.nat64.staticBib);
      if (!newState) undos.push(undo);
      did('done', `${next.nat64.staticBib.length} static entries`);
    } else did('unchanged');
    step = 'DNS64';
    if (changed.some((k) => under(k, ['dns64', 'prefix', 'nat64.wkpStrict']))) {
      await app.dns.updateOptions(dns64Options(next, (c6, v4) => app.wouldTranslate(c6, v4)));
      if (prefixChanged) app.dns.setPrefix(parseNat64Prefix(next.prefix));
      undos.push(async () => {
        await app.dns.updateOptions(dns64Options(prev, (c6, v4) => app.wouldTranslate(c6, v4)));
        if (prefixChanged) app.dns.setPrefix(parseNat64Prefix(prev.prefix));
      });
      did('done', prefixChanged ? `synthesizing under ${next.prefix}; synthesized cache entries flushed` : 'options updated');
    } else did('unchanged');
    step = 'router advertisements';
    // Reported only where RAs are (or were) on: ra.interfaces empty on both sides is no step at all.
    if (app.ra && (prev.ra.interfaces.length > 0 || next.ra.interfaces.length > 0)) {
      if (changed.some((k) => under(k, RA_KEYS))) {
        // The new PREF64 goes out now, the old one with lifetime 0; undone by announcing prev again.
        app.ra.apply(next);
        undos.push(() => app.ra!.apply(prev));
        did('done', next.ra.interfaces.length === 0 ? 'off (final advertisements sent)' : `PREF64 ${next.prefix} on ${next.ra.interfaces.join(', ')}${prefixChanged ? `; ${prev.prefix} withdrawn` : ''}`);
      } else did('unchanged');
    }
    step = 'config file';
    await saveConfig(app.file, next, app.pinned);
    undos.push(() => saveConfig(app.file, prev, app.pinned));
    did('done', app.file);
  } catch (e) {
    for (const u of undos.reverse()) await Promise.resolve().then(u).catch(() => undefined);
    if (reserved !== undefined) app.ha?.releaseConfig(reserved);
    app.log.error({ step, err: (e as Error).message }, 'config change rolled back');
    throw new ApplyError(500, `the change was not applied: ${step} failed (${(e as Error).message}); the previous configuration is still in effect`);
  }

  // Commit: nothing below can fail.
  const oldState = app.plane.state;
  const flushed = prefixChanged ? plane.state.flush('prefix-change') : 0;
  step = 'translator';
  did('done', prefixChanged ? `translating ${next.prefix}; ${flushed} sessions of ${prev.prefix} flushed` : newState ? 'new state tables, sessions carried over' : 'new policy and options');
  if (newState) oldState.onEvent = undefined;
  // The new tables take over now; the old sessions follow in chunks between
  // packet batches (entries that no longer fit are dropped, as on restore).
  if (newState && !prefixChanged) carryOver(app, plane.state, oldState);
  app.plane = plane;
  app.loop.translator = plane.translator;
  app.config = next;
  plane.state.onEvent = next.nat64.sessionLog ? (ev) => app.sessionLog.push(ev) : undefined;
  if (newState) app.ha?.attach(plane.state);
  if (changed.includes('log.level')) app.log.level = next.log.level;
  if (changed.some((k) => under(k, ['probes']))) {
    app.restartProbes().catch((e: unknown) => app.log.error({ err: (e as Error).message }, 'probes not restarted'));
  }

  const text = summary ?? summarizeChanges(prev, next);
  let version = latest;
  step = 'history';
  try {
    version = (await app.history.record(next, text, opts.version === undefined ? {} : { version: opts.version })).version;
    await app.refreshHistory();
    did('done', `version ${version}`);
  } catch (e) {
    if (reserved !== undefined) app.ha?.releaseConfig(reserved);
    app.log.warn({ err: (e as Error).message }, 'config history not recorded');
    did('failed', `not recorded: ${(e as Error).message}`);
  }
  if (!opts.fromPeer) app.ha?.publishConfig({ version, config: sharedConfig(next), summary: text });
  app.log.info({ changed, version, summary: text }, 'configuration applied');
  return { version, changed, summary: text, steps };
}
