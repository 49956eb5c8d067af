/** GET /api/v1/ha and POST /api/v1/ha/notify: the high-availability pair (ADR 8). */
import { Type, type Static } from '@sinclair/typebox';

const Count = Type.Integer({ minimum: 0 });
const Role = Type.Union([Type.Literal('active'), Type.Literal('standby'), Type.Literal('fault')]);
const When = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const HaStatusSchema = Type.Object(
  {
    nodeId: Type.String(),
    role: Role,
    peer: Type.Object({
      id: Type.Union([Type.String(), Type.Null()], { description: 'The peer\'s ha.nodeId (null before its first hello)' }),
      state: Type.Union([Type.Literal('connected'), Type.Literal('connecting'), Type.Literal('disconnected')]),
      role: Type.Union([Role, Type.Null()]),
      address: Type.String(),
      connectedSince: When,
      configVersion: Type.Union([Count, Type.Null()]),
      softwareVersion: Type.Union([Type.String(), Type.Null()]),
    }),
    splitBrain: Type.Boolean({ description: 'Both nodes are active (keepalived\'s VRRP between them is broken)' }),
    catchingUp: Type.Boolean({ description: 'The peer has a newer configuration that this node has not applied yet' }),
    configVersion: Count,
    promoting: Type.Boolean({ description: 'keepalived made this node MASTER while its configuration is behind the peer\'s: it catches up first (bounded), then becomes active' }),
    staleConfig: Type.Boolean({ description: 'Active with an older configuration than the peer\'s: the peer could not be reached (or did not answer in time) at promotion. Cleared when it caught up' }),
    configDiverged: Type.Boolean({ description: 'Both nodes hold a different configuration under the same version (changed while apart); resolved by the rule in ADR 8' }),
    configConflicts: Type.Integer({ minimum: 0, description: 'Configuration changes refused (409) because the peer took their version, plus changes lost to the peer\'s after both were changed while apart' }),
    lastConfigConflict: Type.Union([Type.String(), Type.Null()]),
    standbyDrops: Type.Integer({ minimum: 0, description: 'New flows refused while this node was not active (only the active creates bindings and sessions); also sixgate_nat64_drops_total{reason="ha-standby"}' }),
    sync: Type.Object({
      sentSeq: Count,
      lastAckedSeq: Count,
      lagEntries: Type.Integer({ minimum: 0, description: 'Session records queued or sent and not yet acknowledged by the peer' }),
      lagMs: Type.Number({ minimum: 0, description: 'Age of the oldest unacknowledged frame' }),
      queued: Count,
      queueCapacity: Count,
      queueDrops: Type.Integer({ minimum: 0, description: 'Records dropped because the sync queue was full (each overflow is repaired by a bulk transfer)' }),
      recordsSent: Count,
      recordsReceived: Count,
      recordsRejected: Type.Integer({ minimum: 0, description: 'Received records that did not fit this node (pool4 or limits differ)' }),
      bulkTransfersSent: Count,
      bulkTransfersReceived: Count,
      lastBulkAt: When,
    }),
    link: Type.Object({
      connects: Count,
      disconnects: Count,
      authFailures: Type.Integer({ minimum: 0, description: 'TLS-PSK handshakes that failed (a wrong key on one side)' }),
      protocolErrors: Count,
      lastError: Type.Union([Type.String(), Type.Null()]),
      lastErrorAt: When,
    }),
  },
  { description: 'This node of the high-availability pair and its sync link' },
);
export type HaStatusView = Static<typeof HaStatusSchema>;

export const HaNotifyBodySchema = Type.Object(
  { state: Type.Union([Type.Literal('MASTER'), Type.Literal('BACKUP'), Type.Literal('FAULT'), Type.Literal('STOP')], { description: 'keepalived\'s new VRRP state' }) },
  { additionalProperties: false },
);
export const HaNotifyResultSchema = Type.Object({
  role: Role,
  catchingUp: Type.Boolean(),
  staleConfig: Type.Boolean({ description: 'Became active with an older configuration than the peer\'s (the peer was unreachable or did not answer in time)' }),
});
export type HaNotifyResult = Static<typeof HaNotifyResultSchema>;
