// The store a run uses when its caller names none: the local state directory. The one place outside a backend's own
// folder that knows a backend (test/architecture.test.ts keeps src/engine away from src/store/local).

import type { FleetStore, RunStore } from './index.js';
import { createLocalFleetStore } from './local/fleets.js';
import { createLocalStore } from './local/index.js';

/** `<stateDir>/runs/<runId>/` with journal.ndjson, run.json and owner.json. */
export function openDefaultStore(stateDir: string): RunStore {
  return createLocalStore(stateDir);
}

/** `<stateDir>/fleets/<fleetId>.json`: fleet runs beside the runs of their clusters. */
export function openDefaultFleetStore(stateDir: string): FleetStore {
  return createLocalFleetStore(stateDir);
}
