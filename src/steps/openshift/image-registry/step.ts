// `configure-image-registry`: §3 of the procedures — Managed state, storage, replicas and rollout in one merge patch, then wait.

import { StepError } from '../../../errors.js';
import type { KubeClient, KubeObject } from '../../../k8s/types.js';
import type { PlanPreview, StepType } from '../../types.js';
import { formatChange } from '../diff.js';
import { toOutputState } from '../operator-state.js';
import { REGISTRY_CONFIG, REGISTRY_CONFIG_NAME, REGISTRY_NAMESPACE } from '../resources.js';
import { buildRegistryPatch, diffRegistrySpec } from './desired.js';
import {
  applySingleReplicaDefaults,
  checkRegistryParams,
  checkSingleReplicaRules,
  normalizeRegistryParams,
  type RegistryInput,
  type RegistryParams,
} from './params.js';
import { assertCompatibleClaim, buildPvc, ensurePvc, isSingleNodeClaim, pvcRef } from './pvc.js';
import { registrySchema } from './schema.js';
import { waitForRegistryOperator } from './wait.js';

async function readConfig(kube: KubeClient, signal: AbortSignal): Promise<KubeObject> {
  const live = await kube.get(REGISTRY_CONFIG, signal);
  if (!live) {
    throw new StepError(`${REGISTRY_CONFIG_NAME} not found: is this an OpenShift 4 cluster with the Image Registry Operator?`, {
      errorClass: 'permanent',
    });
  }
  return live;
}

/**
 * An existing claim named by `pvc.claim` can only be inspected at run time: when it is ReadWriteOnce the same rules
 * apply as at validation — unset fields are filled, fields the user set otherwise fail the step.
 */
async function applyExistingClaimRules(kube: KubeClient, p: RegistryParams, signal: AbortSignal): Promise<RegistryParams> {
  if (!p.existingClaim) return p;
  const pvc = await kube.get(pvcRef(p.existingClaim), signal);
  if (!pvc) {
    throw new StepError(
      `PersistentVolumeClaim ${REGISTRY_NAMESPACE}/${p.existingClaim} (storage.pvc.claim) not found; create it first or use storage.pvc.create`,
      { errorClass: 'permanent' },
    );
  }
  if (!isSingleNodeClaim(pvc)) return p;
  const why = `ReadWriteOnce claim ${p.existingClaim}`;
  const issues = checkSingleReplicaRules(
    { replicas: p.userSet.replicas ? p.replicas : undefined, rolloutStrategy: p.userSet.rolloutStrategy ? p.rolloutStrategy : undefined },
    why,
    true,
  );
  if (issues.length > 0) throw new StepError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), { errorClass: 'permanent' });
  const copy: RegistryParams = { ...p, defaultsApplied: [...p.defaultsApplied] };
  applySingleReplicaDefaults(copy, why, true);
  return copy;
}

async function previewPvc(kube: KubeClient, p: RegistryParams, signal: AbortSignal): Promise<string[]> {
  if (!p.pvcCreate) return [];
  const existing = await kube.get(pvcRef(p.pvcCreate.name), signal);
  if (existing) {
    assertCompatibleClaim(existing, p.pvcCreate.accessMode);
    return [`PersistentVolumeClaim ${REGISTRY_NAMESPACE}/${p.pvcCreate.name} exists; left as is`];
  }
  await kube.create(buildPvc(p.pvcCreate), { dryRun: true, signal });
  const { name, size, accessMode, storageClassName } = p.pvcCreate;
  const cls = storageClassName ? `, storageClassName ${storageClassName}` : ', default storage class';
  return [`+ PersistentVolumeClaim ${REGISTRY_NAMESPACE}/${name} (${size}, ${accessMode}${cls})`];
}

export const configureImageRegistryStep: StepType<RegistryParams, Record<string, unknown>, RegistryInput> = {
  type: 'configure-image-registry',
  description: 'Set the image registry Managed with storage (emptyDir for labs, PVC for production) and wait for its operator',
  schema: registrySchema,
  outputs: {
    patched: { type: 'boolean', description: 'Whether a patch was sent (false when the config was already as desired)' },
    changed: { type: 'array', description: 'Changed fields, "spec.path: before → after"' },
    defaultsApplied: { type: 'array', description: 'Values the step chose because the storage rules require them' },
    pvc: { type: 'object', description: '{name, created} of the claim from storage.pvc.create, or null' },
    operator: { type: 'object', description: 'Final image-registry ClusterOperator conditions, or null with wait: false' },
  },
  mutating: true,
  check: checkRegistryParams,
  normalize: normalizeRegistryParams,
  async run(params, ctx) {
    const kube = await ctx.kube();
    const live = await readConfig(kube, ctx.signal);
    const p = await applyExistingClaimRules(kube, params, ctx.signal);
    for (const note of p.defaultsApplied) ctx.log(`set ${note}`);
    const pvcCreated = p.pvcCreate ? await ensurePvc(kube, p.pvcCreate, ctx.signal) : false;
    if (p.pvcCreate) ctx.log(`PersistentVolumeClaim ${REGISTRY_NAMESPACE}/${p.pvcCreate.name} ${pvcCreated ? 'created' : 'already exists'}`);
    const patch = buildRegistryPatch(live, p);
    let generation = live.metadata.generation;
    let changed: string[] = [];
    if (patch) {
      const updated = await kube.patch(REGISTRY_CONFIG, patch, 'merge', { signal: ctx.signal });
      changed = diffRegistrySpec(live, updated).map(formatChange);
      generation = updated.metadata.generation;
      ctx.log(`patched ${REGISTRY_CONFIG_NAME}: ${changed.join('; ') || 'no visible change'}`);
    } else {
      ctx.log(`${REGISTRY_CONFIG_NAME} already as desired; nothing sent`);
    }
    // An Unmanaged operator ignores the config, so nothing it reports would tell us about our change.
    const wait = p.wait && p.managementState !== 'Unmanaged';
    if (p.wait && !wait) ctx.log('managementState Unmanaged: the operator does not act on the config; not waiting for it');
    const operator = wait ? await waitForRegistryOperator(kube, ctx, generation, p.degradedGraceMs) : undefined;
    return {
      patched: patch !== undefined,
      changed,
      defaultsApplied: p.defaultsApplied,
      pvc: p.pvcCreate ? { name: p.pvcCreate.name, created: pvcCreated } : null,
      operator: operator ? toOutputState(operator) : null,
    };
  },
  async plan(params, ctx): Promise<PlanPreview> {
    const kube = await ctx.kube();
    const live = await readConfig(kube, ctx.signal);
    const p = await applyExistingClaimRules(kube, params, ctx.signal);
    const pvcLines = await previewPvc(kube, p, ctx.signal);
    const patch = buildRegistryPatch(live, p);
    const lines = [...p.defaultsApplied.map((d) => `default: ${d}`), ...pvcLines];
    if (!patch) return { summary: `${REGISTRY_CONFIG_NAME} already as desired; nothing to patch`, lines };
    const dryRun = await kube.patch(REGISTRY_CONFIG, patch, 'merge', { dryRun: true, signal: ctx.signal });
    const changes = diffRegistrySpec(live, dryRun);
    lines.push(...changes.map((c) => `~ ${formatChange(c)}`));
    const creates = pvcLines.some((l) => l.startsWith('+')) ? ' and create its PersistentVolumeClaim' : '';
    return { summary: `would change ${changes.length} field(s) of ${REGISTRY_CONFIG_NAME}${creates}`, lines };
  },
};
