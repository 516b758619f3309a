// The k8s step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';
import { k8sApply } from './apply.js';
import { k8sGet } from './get.js';
import { k8sPatch } from './patch.js';
import { k8sRolloutRestart } from './rollout-restart.js';
import { k8sWait } from './wait.js';

export const steps: AnyStepType[] = [k8sApply, k8sPatch, k8sGet, k8sWait, k8sRolloutRestart];
