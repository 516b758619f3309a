// The light part of the process area: telling a process from a later one with the same pid, and stopping a process
// group, and the parent-death supervisor that stops listed groups when opsbook dies. The runner (exec.ts) loads
// execa, so the engine imports it itself, lazily (test/architecture.test.ts).

export { identify, checkIdentity, type ProcessIdentity, type IdentityCheck } from './identity.js';
export { isProcessAlive, isGroupAlive, terminateGroup } from './kill.js';
export { superviseDir, superviseGroup } from './supervisor.js';
