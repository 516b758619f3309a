// The fleet file format as JSON Schema 2020-12: the source of truth, published to schemas/fleet.schema.json.

import { DURATION_PATTERN } from '../time/duration.js';

export const FLEET_SCHEMA_ID = 'https://opsbook.dev/schemas/fleet.schema.json';

const duration = { type: 'string', pattern: DURATION_PATTERN, 'x-expected': 'a duration like 90s or 1h30m' };
const name = { type: 'string', pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$', maxLength: 253, 'x-expected': 'a cluster name (letters, digits, - _ .)' };
const labels = {
  type: 'object',
  description: 'Labels a --selector or spec.selector filters on, and spec.strategy.order can sort by.',
  propertyNames: { pattern: '^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$', 'x-expected': 'a label key' },
  additionalProperties: { type: 'string', pattern: '^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$', maxLength: 63, 'x-expected': 'a label value' },
};
const size = {
  type: ['integer', 'string'],
  minimum: 1,
  pattern: '^[0-9]+(\\.[0-9]+)?%$',
  'x-expected': 'a count like 1 or a percentage like 10%',
};
const kubeconfigRef = {
  kubeconfig: { type: 'string', minLength: 1, description: 'Kubeconfig file, relative to the fleet file (else --kubeconfig, $KUBECONFIG, ~/.kube/config).' },
  context: { type: 'string', minLength: 1, description: 'Context of that kubeconfig (else its current-context).' },
};

const cluster = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  description: 'One cluster: how to reach it, its labels and its own input values.',
  properties: {
    name,
    ...kubeconfigRef,
    labels,
    inputs: { type: 'object', description: "Input values for this cluster's run, applied over --values and --set." },
    deadline: { ...duration, description: "How long this cluster's run may take; past it the run is stopped and the cluster counts as failed." },
  },
};

/** JSON Schema (2020-12) of a fleet file. */
export const fleetSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: FLEET_SCHEMA_ID,
  title: 'opsbook fleet',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'opsbook.dev/v1' },
    kind: { const: 'Fleet' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 'x-expected': 'a DNS-1123 label (lowercase letters, digits and -, at most 63)' },
        description: { type: 'string' },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        clusters: { type: 'array', items: cluster, description: 'Clusters listed one by one.' },
        discover: {
          type: 'object',
          additionalProperties: false,
          description: 'Clusters found at run time, added after the listed ones.',
          properties: {
            contexts: {
              type: 'object',
              additionalProperties: false,
              description: 'Every context of a kubeconfig, or those matching a glob; each becomes a cluster named after it.',
              properties: {
                kubeconfig: kubeconfigRef.kubeconfig,
                match: { type: 'string', minLength: 1, default: '*', description: 'Glob on context names (* and ?).' },
                labels: { ...labels, description: 'Labels given to every discovered context.' },
              },
            },
            clusterAPI: {
              type: 'object',
              additionalProperties: false,
              description: 'The Cluster objects (cluster.x-k8s.io) of a management cluster, reached through their <name>-kubeconfig Secrets (key value).',
              properties: {
                ...kubeconfigRef,
                namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, 'x-expected': 'a namespace name', description: 'Only this namespace (default: all).' },
              },
            },
          },
        },
        selector: { type: 'string', description: 'Kubernetes label selector: only matching clusters take part (ANDed with --selector).' },
        strategy: {
          type: 'object',
          additionalProperties: false,
          properties: {
            waves: {
              type: 'array',
              minItems: 1,
              items: size,
              default: ['100%'],
              description: 'Wave sizes in order: counts, or percentages of the clusters after the leading counts (rounded up). Clusters left over form a last wave.',
            },
            maxParallel: { type: 'integer', minimum: 1, default: 10, description: 'Clusters running at once.' },
            maxFailures: {
              type: ['integer', 'string'],
              minimum: 0,
              pattern: '^[0-9]+(\\.[0-9]+)?%$',
              'x-expected': 'a count like 2 or a percentage like 5%',
              default: 0,
              description: 'Failed clusters tolerated (a percentage of the fleet rounds down); one more and no new cluster starts.',
            },
            pause: {
              anyOf: [duration, { const: 'manual' }],
              'x-expected': 'a duration like 5m, or manual',
              description: 'Between waves: wait this long, or ask (--approve wave-N, or y/N on a terminal).',
            },
            order: {
              anyOf: [
                { const: 'listed' },
                { type: 'object', additionalProperties: false, required: ['label'], properties: { label: { type: 'string', minLength: 1 } } },
              ],
              'x-expected': 'listed, or {label: KEY}',
              description: 'Rollout order: as listed (default), or by the value of a label (clusters without it last).',
            },
          },
        },
      },
    },
  },
} as const;

/** The fleet JSON Schema object (for `npm run schemas` and editors). */
export function getFleetSchema(): Record<string, unknown> {
  return structuredClone(fleetSchema) as unknown as Record<string, unknown>;
}
