// The http step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';
import { httpStep } from './http.js';

export const steps: AnyStepType[] = [httpStep];
