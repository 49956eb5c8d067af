/**
 * `sixgate ha status|notify`: the high-availability pair (ADR 8). `notify` is
 * what keepalived's notify script runs: keepalived calls it with
 * `<type> <name> <state> [<priority>]`, and a hand-typed `sixgate ha notify
 * MASTER` works too, so the last VRRP state word among the arguments counts.
 */
import type { Command } from 'commander';
import type { HaStatusView } from '@sixgate/admin-api/schemas';
import { apiTarget, fail, keyValues, print, printJson, request } from '../client.js';

const STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;
type VrrpState = (typeof STATES)[number];

/** The VRRP state in a notify script's arguments, or undefined. */
export function vrrpState(args: readonly string[]): VrrpState | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i]!.toUpperCase();
    if ((STATES as readonly string[]).includes(a)) return a as VrrpState;
  }
  return undefined;
}

/** The lines of `ha status`. */
export function haLines(h: HaStatusView): [string, string][] {
  const s = h.sync;
  return [
    ['node', `${h.nodeId} ${h.role}${h.promoting ? ' (becoming active: catching up with the peer\'s configuration first)' : h.catchingUp ? ' (catching up with the peer\'s configuration)' : ''}`],
    ...(h.staleConfig ? [['', `ACTIVE WITH AN OLDER CONFIGURATION than the peer's (version ${h.configVersion}, peer ${h.peer.configVersion ?? '?'})`] as [string, string]] : []),
    ['peer', `${h.peer.id ?? '?'} at ${h.peer.address} ${h.peer.state}${h.peer.role ? `, ${h.peer.role}` : ''}${h.peer.connectedSince ? ` since ${h.peer.connectedSince}` : ''}`],
    ...(h.splitBrain ? [['', 'SPLIT BRAIN: both nodes are active'] as [string, string]] : []),
    ['config', `version ${h.configVersion} (peer ${h.peer.configVersion ?? '?'})${h.configDiverged ? ', DIVERGED from the peer' : ''}, ${h.configConflicts} conflicts${h.lastConfigConflict ? `; last: ${h.lastConfigConflict}` : ''}`],
    ['standby', `${h.standbyDrops} new flows refused while not active`],
    ['sync', `sent ${s.recordsSent} records (seq ${s.sentSeq}, acked ${s.lastAckedSeq}), lag ${s.lagEntries} records / ${Math.round(s.lagMs)} ms, received ${s.recordsReceived} (${s.recordsRejected} rejected)`],
    ['queue', `${s.queued}/${s.queueCapacity}, ${s.queueDrops} dropped`],
    ['bulk', `${s.bulkTransfersSent} sent, ${s.bulkTransfersReceived} received${s.lastBulkAt ? `, last ${s.lastBulkAt}` : ''}`],
    ['link', `${h.link.connects} connects, ${h.link.disconnects} lost, ${h.link.authFailures} auth failures, ${h.link.protocolErrors} protocol errors${h.link.lastError ? `; last error: ${h.link.lastError}` : ''}`],
  ];
}

export function register(program: Command): void {
  const ha = program.command('ha').description('the high-availability pair (admin API)');

  ha.command('status')
    .description('role, peer, sync lag, queue drops and bulk transfers')
    .action(async (_opts: unknown, cmd: Command) => {
      const h = await request<HaStatusView>(cmd, 'GET', '/api/v1/ha');
      if (apiTarget(cmd).json) printJson(cmd, h);
      else print(cmd, keyValues(haLines(h)));
    });

  ha.command('notify')
    .description('tell sixgate keepalived\'s new state (the notify script: notify "/usr/bin/sixgate ha notify")')
    .argument('<args...>', 'MASTER, BACKUP, FAULT or STOP, or keepalived\'s notify arguments (<type> <name> <state> [<priority>])')
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      const state = vrrpState(args);
      if (state === undefined) return fail(cmd, `no VRRP state (MASTER, BACKUP, FAULT, STOP) in "${args.join(' ')}"`);
      const r = await request<{ role: string; catchingUp: boolean; staleConfig?: boolean }>(cmd, 'POST', '/api/v1/ha/notify', { body: { state } });
      if (apiTarget(cmd).json) printJson(cmd, r);
      else print(cmd, `role ${r.role}${r.staleConfig ? ' (WITH AN OLDER CONFIGURATION than the peer\'s: it could not be brought up to date)' : r.catchingUp ? ' (configuration still catching up with the peer)' : ''}`);
    });
}
