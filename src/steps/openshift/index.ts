// The openshift step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';
import { configureImageRegistryStep } from './image-registry/step.js';
import { waitClusterOperatorsStep } from './wait-cluster-operators.js';

export const steps: AnyStepType[] = [configureImageRegistryStep, waitClusterOperatorsStep];
