/**
 * The daemon's side of the HA pair (ADR 8): builds the `HaNode` from the
 * `ha` config section, implements the `HaHost` it needs (config version,
 * the shared part of the configuration, applying a peer's change through the
 * apply transaction with the peer's version), and maps its status for the
 * admin API.
 */
import { hostname } from 'node:os';
import { HaNode, parseKey, readKeyFile, type ConfigChange, type HaHost, type HaStatus } from '@sixgate/ha';
import { parseListenAddress, validateConfig, type Config } from '@sixgate/config';
import type { Stats } from '@sixgate/admin-api';
import type { Appliance } from './appliance.js';

/** Keys that belong to one node and never cross the link (ADR 8). */
export const PER_NODE_KEYS = ['ha', 'api', 'stateDir', 'log', 'nat64.tun', 'nat64.manageRoutes', 'dns64.listen'] as const;

/** The configuration without per-node keys. */
export function sharedConfig(c: Config): Record<string, unknown> {
  const copy = structuredClone(c) as unknown as Record<string, Record<string, unknown>>;
  for (const k of PER_NODE_KEYS) {
    const [a, b] = k.split('.') as [string, string | undefined];
    if (b === undefined) delete copy[a];
    else if (copy[a] !== undefined) delete copy[a][b];
  }
  return copy;
}

/** The peer's shared configuration with this node's per-node keys put back; validated. */
export function mergeShared(local: Config, shared: Record<string, unknown>): Config {
  const next = structuredClone(shared) as Record<string, Record<string, unknown>>;
  const mine = local as unknown as Record<string, Record<string, unknown>>;
  for (const k of PER_NODE_KEYS) {
    const [a, b] = k.split('.') as [string, string | undefined];
    if (b === undefined) next[a] = structuredClone(mine[a]!);
    else {
      next[a] = { ...(next[a] ?? {}) };
      next[a][b] = structuredClone(mine[a]![b]);
    }
  }
  return validateConfig(next);
}

const version = (): string => process.env['npm_package_version'] ?? '0.1.0';

/**
 * Builds (not starts) the HA node for `app`; `apply` runs a peer's change
 * through the apply transaction (and, with the configuration unchanged,
 * records it again under a new version: the winner of a divergence).
 */
export async function buildHa(app: Appliance, apply: (next: Config, change: ConfigChange) => Promise<void>): Promise<HaNode> {
  const h = app.config.ha;
  const key = h.key !== undefined ? parseKey(h.key) : await readKeyFile(h.keyFile);
  const host: HaHost = {
    configVersion: () => app.historyCache[0]?.version ?? 0,
    currentConfig: () => ({ version: app.historyCache[0]?.version ?? 0, config: sharedConfig(app.config), summary: 'configuration of the peer' }),
    applyPeerConfig: (change) => apply(mergeShared(app.config, change.config), change),
    recordVersion: (v, summary) => apply(app.config, { version: v, config: sharedConfig(app.config), summary }),
  };
  return new HaNode({
    nodeId: h.nodeId === '' ? hostname() : h.nodeId,
    listen: parseListenAddress(h.listen),
    peer: parseListenAddress(h.peer),
    key,
    host,
    log: {
      info: (o, m) => app.log.info(o, m),
      warn: (o, m) => app.log.warn(o, m),
      error: (o, m) => app.log.error(o, m),
    },
    initialRole: h.role === 'active' ? 'active' : 'standby',
    softwareVersion: version(),
    queueRecords: h.queueRecords,
    refreshSeconds: h.refreshSeconds,
  });
}

/** The `ha` part of /api/v1/stats. */
export function haStats(s: HaStatus): NonNullable<Stats['ha']> {
  return {
    active: s.role === 'active',
    peerConnected: s.peer.state === 'connected',
    splitBrain: s.splitBrain,
    lagEntries: s.sync.lagEntries,
    lagMs: s.sync.lagMs,
    queueDrops: s.sync.queueDrops,
    recordsSent: s.sync.recordsSent,
    recordsReceived: s.sync.recordsReceived,
    recordsRejected: s.sync.recordsRejected,
    bulkTransfersSent: s.sync.bulkTransfersSent,
    bulkTransfersReceived: s.sync.bulkTransfersReceived,
    authFailures: s.link.authFailures,
    disconnects: s.link.disconnects,
    standbyDrops: s.standbyDrops,
    configConflicts: s.configConflicts,
    staleConfig: s.staleConfig,
  };
}

/** Health warnings of the pair: a lost peer or split brain is a warning, not "degraded". */
export function haWarnings(s: HaStatus): string[] {
  const out: string[] = [];
  if (s.peer.state !== 'connected') out.push(`HA peer ${s.peer.address} is not connected${s.link.lastError ? ` (${s.link.lastError})` : ''}`);
  if (s.splitBrain) out.push('HA split brain: both nodes are active');
  if (s.sync.queueDrops > 0 && s.sync.queued === s.sync.queueCapacity) out.push('HA sync queue is full');
  if (s.staleConfig) out.push(`HA: active with configuration version ${s.configVersion} while the peer had ${s.peer.configVersion ?? '?'} (it could not be brought up to date at promotion); it catches up when the peer is back`);
  if (s.configDiverged) out.push('HA: the two nodes hold different configurations under the same version (changed while apart); see the log');
  return out;
}
