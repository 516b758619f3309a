// The generic step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';
import { failStep } from './fail.js';
import { pauseStep } from './pause.js';
import { shellStep } from './shell.js';
import { sleepStep } from './sleep.js';

export const steps: AnyStepType[] = [shellStep, pauseStep, failStep, sleepStep];
