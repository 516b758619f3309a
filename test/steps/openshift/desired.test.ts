import { describe, expect, it } from 'vitest';
import { buildRegistryPatch, diffRegistrySpec } from '../../../src/steps/openshift/image-registry/desired.js';
import { normalizeRegistryParams } from '../../../src/steps/openshift/image-registry/params.js';
import type { KubeObject } from '../../../src/k8s/types.js';

const config = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'cluster', generation: 3 }, spec });

describe('registry merge patch', () => {
  it('sends only the fields that differ', () => {
    const p = normalizeRegistryParams({ storage: { emptyDir: {} }, nonProduction: true });
    expect(buildRegistryPatch(config({ managementState: 'Removed', replicas: 1, logLevel: 'Normal' }), p)).toEqual({
      spec: { managementState: 'Managed', storage: { emptyDir: {} } },
    });
  });

  it('clears the previous storage backend when switching (only one may be set)', () => {
    const p = normalizeRegistryParams({ storage: { pvc: { create: {} } } });
    expect(buildRegistryPatch(config({ managementState: 'Managed', storage: { emptyDir: {}, managementState: 'Managed' }, replicas: 1 }), p)).toEqual({
      spec: { storage: { emptyDir: null, pvc: { claim: 'image-registry-storage' } }, rolloutStrategy: 'Recreate' },
    });
  });

  it('is undefined when the config already matches, including a claim the operator filled in', () => {
    const p = normalizeRegistryParams({ storage: { pvc: {} } });
    expect(buildRegistryPatch(config({ managementState: 'Managed', storage: { pvc: { claim: 'image-registry-storage' } } }), p)).toBeUndefined();
  });

  it('passes other backends through and leaves storage alone when not given', () => {
    const s3 = { bucket: 'b', region: 'r' };
    expect(buildRegistryPatch(config({ managementState: 'Removed' }), normalizeRegistryParams({ storage: { s3 } }))).toEqual({
      spec: { managementState: 'Managed', storage: { s3 } },
    });
    expect(buildRegistryPatch(config({ managementState: 'Removed', storage: { s3 } }), normalizeRegistryParams({}))).toEqual({
      spec: { managementState: 'Managed' },
    });
  });

  it('diffs only the four owned fields', () => {
    const before = config({ managementState: 'Removed', logLevel: 'Normal' });
    const after = config({ managementState: 'Managed', logLevel: 'Debug', storage: { emptyDir: {} }, replicas: 1 });
    expect(diffRegistrySpec(before, after).map((c) => c.path)).toEqual(['spec.managementState', 'spec.replicas', 'spec.storage.emptyDir']);
  });
});
