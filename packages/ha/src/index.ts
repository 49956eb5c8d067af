/**
 * @sixgate/ha — the high-availability pair (ADR 8): session and config sync
 * over TLS-PSK between two appliances, the role from keepalived.
 */
export { HaError, type HaErrorCode } from './errors.js';
export { FrameDecoder, KIND, MAX_FRAME, RECORDS_PER_FRAME, encodeBulkEnd, encodeJson, encodeRecords, encodeSeq, type Frame } from './codec.js';
export { SyncQueue, type SessionExporter } from './queue.js';
export { parseKey, readKeyFile, PSK_IDENTITY, MIN_KEY_BYTES } from './link.js';
export { HaNode, PROTOCOL_VERSION, type ConfigChange, type HaHost, type HaLogger, type HaNodeOptions, type HaStatus, type PeerState, type Role, type SyncState } from './node.js';
