/**
 * @sixgate/admin-api/schemas — the request and response schemas of the admin
 * API (TypeBox), shared with the `sixgate` CLI so both sides agree on shapes.
 */
export * from './common.js';
export * from './nat64.js';
export * from './stats.js';
export * from './trace.js';
export * from './config.js';
export * from './ra.js';
export * from './ha.js';
export * from './probes.js';
