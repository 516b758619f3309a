// The csr step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';
import { waitForPending } from './wait-for-pending.js';
import { approveClientCsrs } from './approve-client-csrs.js';
import { approveServerCsrs } from './approve-server-csrs.js';
import { waitNodeReady } from './wait-node-ready.js';

export const steps: AnyStepType[] = [waitForPending, approveClientCsrs, approveServerCsrs, waitNodeReady];
