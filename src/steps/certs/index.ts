// The certs step types, registered with the engine through src/steps/registry.ts.

import type { AnyStepType } from '../types.js';
import { certExpiryStep } from './cert-expiry.js';
import { renewCertsStep } from './renew-certs.js';
import { nodeExecStep } from './node-exec.js';
import { writeKubeconfigStep } from './write-kubeconfig.js';

export const steps: AnyStepType[] = [certExpiryStep, renewCertsStep, nodeExecStep, writeKubeconfigStep];
