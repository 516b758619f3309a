// Parameter pieces shared by the certs steps: nodes, the kubeadm directories, durations.

import { DURATION_PATTERN, parseDuration } from '../../time/duration.js';
import { nodesSchema } from '../../node/index.js';
import type { JsonSchema } from '../types.js';

export const DEFAULT_KUBERNETES_DIR = '/etc/kubernetes';
export const DEFAULT_KUBELET_PKI_DIR = '/var/lib/kubelet/pki';

type DurationSchema = {
  readonly type: 'string';
  readonly pattern: string;
  readonly description: string;
};

/** A duration string; with `dflt`, its schema `default` (so the derived parameter type has it filled). */
export function durationSchema(description: string): DurationSchema;
export function durationSchema<D extends string>(description: string, dflt: D): DurationSchema & { readonly default: D };
export function durationSchema(description: string, dflt?: string): JsonSchema {
  return {
    type: 'string',
    pattern: DURATION_PATTERN,
    description,
    ...(dflt === undefined ? {} : { default: dflt }),
  };
}

export const commonProperties = {
  nodes: { ...nodesSchema, description: 'Control-plane nodes, handled one at a time in order (default: this machine).' },
  kubernetesDir: { type: 'string', minLength: 1, default: DEFAULT_KUBERNETES_DIR, description: 'kubeadm configuration directory (pki/ and the *.conf kubeconfigs).' },
} as const satisfies Record<string, JsonSchema>;

/** A duration string to ms (the schema already checked the format). */
export function toMs(value: unknown, fallback: number | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return fallback;
  return parseDuration(value) ?? fallback;
}
