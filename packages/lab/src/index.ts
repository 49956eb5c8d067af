/**
 * @sixgate/lab — `sixgate lab`: a DNS64 + NAT64 demo in three network
 * namespaces on this machine. The daemon's CLI command is a thin wrapper that
 * passes how to start this same `sixgate` binary (LabCli).
 */
export { LAB, LAB_RECORDS, namespaceEtc, runArgs, setupCommands, tryCommands } from './plan.js';
export { LabError, LAB_FILES, labConfig, labDown, labEnv, labUp, type LabCli } from './lab.js';
export { labStatus, formatStatus, type LabStatus, type LabNamespaceStatus } from './status.js';
export { startLabServer, labPage, type LabServer } from './server.js';
export { answerQuery, type LabZone } from './dns-zone.js';
export { CLAT, CLAT_SYSCTLS, chosenPref64, clatSetupCommands, taygaConf } from './clat.js';
