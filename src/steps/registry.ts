// Every built-in step type, by `uses:` name. Areas contribute through their own index files.

import type { AnyStepType } from './types.js';
import { steps as genericSteps } from './generic/index.js';
import { steps as csrSteps } from './csr/index.js';
import { steps as k8sSteps } from './k8s/index.js';
import { steps as openshiftSteps } from './openshift/index.js';
import { steps as httpSteps } from './http/index.js';
import { steps as certSteps } from './certs/index.js';

export interface StepRegistry {
  get(type: string): AnyStepType | undefined;
  list(): AnyStepType[];
}

/** Builds the registry of built-in steps (plus any extra ones, for tests). */
export function createStepRegistry(extra: AnyStepType[] = []): StepRegistry {
  const all = [...genericSteps, ...csrSteps, ...k8sSteps, ...openshiftSteps, ...httpSteps, ...certSteps, ...extra];
  const byType = new Map<string, AnyStepType>();
  for (const step of all) {
    if (byType.has(step.type)) throw new Error(`step type ${step.type} registered twice`);
    byType.set(step.type, step);
  }
  return {
    get: (type) => byType.get(type),
    list: () => [...byType.values()].sort((a, b) => a.type.localeCompare(b.type)),
  };
}
