// JSON Schema of `configure-image-registry`'s `with:` block (published as schemas/steps/configure-image-registry.schema.json).

import { DURATION_PATTERN } from '../../../time/duration.js';
import type { JsonSchema } from '../../types.js';

const QUANTITY = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$';

const pvcStorage = {
  description:
    'A PersistentVolumeClaim in openshift-image-registry. `claim` names an existing claim; `create` makes it first. ' +
    'With neither, the operator creates its own `image-registry-storage` claim. ReadWriteOnce (block) storage forces ' +
    'rolloutStrategy: Recreate and replicas: 1.',
  type: 'object',
  additionalProperties: false,
  properties: {
    claim: { description: 'Name of the claim the registry uses.', type: 'string' },
    create: {
      description: 'Create this claim (left as is when it already exists with the same access mode).',
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', default: 'image-registry-storage' },
        size: { type: 'string', pattern: QUANTITY, default: '100Gi' },
        storageClassName: { type: 'string', description: 'Storage class; empty or unset = the cluster default.' },
        accessMode: { enum: ['ReadWriteOnce', 'ReadWriteMany'], default: 'ReadWriteOnce' },
      },
    },
  },
} as const satisfies JsonSchema;

export const registrySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'configure-image-registry',
  description:
    'Configures configs.imageregistry.operator.openshift.io/cluster (managementState, storage, replicas, ' +
    'rolloutStrategy) with one merge patch — nothing is sent when it is already as desired — then waits for the ' +
    'image-registry ClusterOperator to be Available and neither Progressing nor Degraded. Degraded is tolerated for ' +
    '`degradedGrace` (operators pass through it while a rollout starts); longer, the step fails with its message.',
  type: 'object',
  additionalProperties: false,
  properties: {
    managementState: { enum: ['Managed', 'Removed', 'Unmanaged'], default: 'Managed' },
    storage: {
      description: 'Exactly one storage backend: emptyDir (non-production only), pvc, or any other (s3, gcs, …) passed through.',
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      properties: {
        emptyDir: {
          description: 'Ephemeral storage: images are lost when the pod restarts. Requires nonProduction: true and one replica.',
          type: 'object',
          maxProperties: 0,
        },
        pvc: pvcStorage,
      },
      additionalProperties: { type: 'object' },
    },
    replicas: { type: 'integer', minimum: 1, description: 'Registry pods (ReadWriteOnce/emptyDir storage: 1).' },
    rolloutStrategy: { enum: ['RollingUpdate', 'Recreate'], description: 'Deployment strategy (ReadWriteOnce storage: Recreate).' },
    wait: { type: 'boolean', default: true, description: 'Wait for the image-registry operator to settle (never with managementState Unmanaged, which it ignores).' },
    nonProduction: { type: 'boolean', default: false, description: 'Acknowledge a lab cluster (allows emptyDir).' },
    degradedGrace: {
      type: 'string',
      pattern: DURATION_PATTERN,
      default: '2m',
      description: 'How long the operator may stay Degraded while waiting before the step fails with its message.',
    },
  },
} as const satisfies JsonSchema;
