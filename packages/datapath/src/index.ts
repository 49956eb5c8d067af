/**
 * @sixgate/datapath — the packet loop: batch in from the TUN device,
 * translate (nat64), offload and coalesce, batch out. Nothing but the daemon
 * imports it; the daemon passes the device, the translator and a trace.
 */
export { PacketLoop, batchErrorReason, type PacketLoopOptions } from './packet-loop.js';
export type { Offload, OffloadCounters } from './offload.js';
export type { Coalescer, CoalesceCounters } from './coalesce.js';
export { Histogram, BATCH_BUCKETS } from './histogram.js';
export { NO_TRACE, type PacketTrace } from './trace.js';
