/**
 * @sixgate/daemon — the composition root: the running appliance (TUN, routes,
 * translator, DNS64, admin API), its configuration transaction and the
 * `sixgate` CLI (bin/sixgate.js).
 */
export { Appliance, buildDataPlane, buildState, parseBibEndpoints, BatchClock, type DataPlane, type ApplianceInit } from './appliance.js';
export { applyConfig, bibKey } from './apply.js';
export { appliancePorts, buildStats } from './ports.js';
export { SessionLog, type SessionLogStats, type LoggedEvent } from './session-log.js';
export { KernelRoutes, enableForwarding, forwardingEnabled, hasNetAdmin, listRoutes, ip, SystemError } from './system.js';
export { checkEnvironment, type Finding } from './check.js';
export { ensureToken, tokenPath } from './token.js';
export { saveSnapshot, takeSnapshot } from './snapshot-store.js';
export { changedKeys, dns64Options, pool4Ranges, routedPrefixes, stateOptions, translatorOptions } from './options.js';
export { main, buildProgram } from './cli/main.js';
