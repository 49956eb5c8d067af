/**
 * @sixgate/lab — `sixgate lab`: a DNS64 + NAT64 demo in three network
 * namespaces on this machine. The daemon's CLI command is a thin wrapper that
 * passes how to start this same `sixgate` binary (LabCli).
 */
export { LAB, LAB_RECORDS, namespaceEtc, runArgs, setupCommands, tryCommands } from './plan.js';
export { LabError, LAB_FILES, haView, labConfig, labDown, labEnv, labMode, labRestartNode, labUp, labUpHa, type HaNodeView, type LabCli } from './lab.js';
export { HA_LAB, HA_NAMESPACES, keepalivedArgs, keepalivedConf, type KeepalivedNode, haKeepalivedConf, haNodeConfig, haNodeDir, haRunArgs, haSetupCommands, haTryCommands, type HaLabNode } from './ha-plan.js';
export { labStatus, formatStatus, type LabStatus, type LabNamespaceStatus, type LabHaNodeStatus } from './status.js';
export { startLabServer, labPage, type LabServer } from './server.js';
export { answerQuery, type LabZone } from './dns-zone.js';
export { CLAT, CLAT_SYSCTLS, chosenPref64, clatSetupCommands, taygaConf } from './clat.js';
