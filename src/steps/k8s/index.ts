// The k8s step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';

export const steps: AnyStepType[] = [];
