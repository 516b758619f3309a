// Pure parts of the k8s steps: rollout rules, diffs, manifest loading, wait verdicts, parameter checks.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/types.js';
import { describeChange, diffObjects } from '../../../src/steps/k8s/diff.js';
import { k8sApply } from '../../../src/steps/k8s/apply.js';
import { k8sGet } from '../../../src/steps/k8s/get.js';
import { loadManifests } from '../../../src/steps/k8s/manifests.js';
import { k8sPatch } from '../../../src/steps/k8s/patch.js';
import { k8sRolloutRestart } from '../../../src/steps/k8s/rollout-restart.js';
import { judgeRollout } from '../../../src/steps/k8s/rollout-status.js';
import { judgeWait, k8sWait, type WaitParams } from '../../../src/steps/k8s/wait.js';
import { validateStepParams } from '../../../src/runbook/index.js';
import { checkStepParams } from '../../../src/runbook/params.js';

function workload(kind: string, generation: number, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind, metadata: { name: 'w', namespace: 'ns', generation }, spec, status };
}

describe('judgeRollout (kubectl rollout status rules)', () => {
  it('Deployment: observed generation, updated, old replicas, available, progress deadline', () => {
    expect(judgeRollout('Deployment', workload('Deployment', 2, { replicas: 3 }, { observedGeneration: 1 })).detail)
      .toMatch(/spec update to be observed/);
    expect(judgeRollout('Deployment', workload('Deployment', 2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 })).detail)
      .toBe('1 out of 3 new replicas have been updated');
    expect(judgeRollout('Deployment', workload('Deployment', 2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 })).detail)
      .toBe('1 old replicas are pending termination');
    expect(judgeRollout('Deployment', workload('Deployment', 2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).detail)
      .toBe('2 of 3 updated replicas are available');
    expect(judgeRollout('Deployment', workload('Deployment', 2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })).done)
      .toBe(true);
    const stuck = judgeRollout('Deployment', workload('Deployment', 2, { replicas: 3 }, {
      observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    }));
    expect(stuck.fail).toMatch(/exceeded its progress deadline/);
  });

  it('DaemonSet: updated and available against desired; OnDelete refused', () => {
    const base = { observedGeneration: 3, desiredNumberScheduled: 3 };
    expect(judgeRollout('DaemonSet', workload('DaemonSet', 3, {}, { ...base, updatedNumberScheduled: 2 })).detail).toBe('2 out of 3 new pods have been updated');
    expect(judgeRollout('DaemonSet', workload('DaemonSet', 3, {}, { ...base, updatedNumberScheduled: 3, numberAvailable: 1 })).detail).toBe('1 of 3 updated pods are available');
    expect(judgeRollout('DaemonSet', workload('DaemonSet', 3, {}, { ...base, updatedNumberScheduled: 3, numberAvailable: 3 })).done).toBe(true);
    expect(judgeRollout('DaemonSet', workload('DaemonSet', 3, { updateStrategy: { type: 'OnDelete' } }, base)).fail).toMatch(/RollingUpdate/);
  });

  it('StatefulSet: ready replicas, partitions, revisions', () => {
    const s = (status: Record<string, unknown>, spec: Record<string, unknown> = { replicas: 2 }) =>
      judgeRollout('StatefulSet', workload('StatefulSet', 1, spec, { observedGeneration: 1, ...status }));
    expect(s({ readyReplicas: 1 }).detail).toBe('waiting for 1 pods to be ready');
    expect(s({ readyReplicas: 2, updateRevision: 'r2', currentRevision: 'r1', updatedReplicas: 1 }).done).toBe(false);
    expect(s({ readyReplicas: 2, updateRevision: 'r2', currentRevision: 'r2', currentReplicas: 2 }).done).toBe(true);
    expect(s({ readyReplicas: 2, updatedReplicas: 1 }, { replicas: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }).done).toBe(true);
  });
});

describe('diff', () => {
  it('lists changed leaves and ignores server bookkeeping and status', () => {
    const live: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '1', managedFields: [] }, data: { x: '1' }, status: { s: 1 } };
    const after: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '2', managedFields: [{}] }, data: { x: '2', y: 'new' }, status: { s: 2 } };
    expect(describeChange(live, after)).toEqual(['data.x: "1" → "2"', 'data.y: (none) → "new"']);
    expect(describeChange(live, { ...live, metadata: { ...live.metadata, resourceVersion: '9' } })).toEqual([]);
    expect(diffObjects({ a: [1, 2] }, { a: [1, 3] })).toEqual(['a: [1,2] → [1,3]']);
  });
});

describe('loadManifests', () => {
  it('reads inline objects, YAML text and multi-document files; Namespaces first; List items expanded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opsbook-manifests-'));
    try {
      await writeFile(join(dir, 'app.yaml'), [
        'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: from-file}', '---',
        'apiVersion: v1', 'kind: List', 'items:', '- {apiVersion: v1, kind: Secret, metadata: {name: in-list}}', '---', '',
      ].join('\n'));
      const ms = await loadManifests({
        manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inline}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\n',
        files: ['app.yaml'],
        cwd: dir,
      });
      expect(ms.map((m) => `${m.object.kind}/${m.object.metadata.name}`)).toEqual([
        'Namespace/ns1', 'ConfigMap/inline', 'ConfigMap/from-file', 'Secret/in-list',
      ]);
      expect(ms[2]!.origin).toBe('files[0] (app.yaml) document 1');
      await expect(loadManifests({ files: ['missing.yaml'], cwd: dir })).rejects.toThrow(/files\[0\]: cannot read missing\.yaml/);
      await expect(loadManifests({ manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }], cwd: dir }))
        .rejects.toThrow(/manifests\[0\]: ConfigMap: metadata.name is missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('judgeWait', () => {
  const cond = "object.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')";
  const node = (name: string, ready: string | undefined): KubeObject => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name },
    ...(ready ? { status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady' }] } } : {}),
  });
  // WaitParams requires a target (resource, or apiVersion+kind), as its schema does; judgeWait never reads it.
  const p = (extra: Partial<WaitParams> = {}): WaitParams => ({ resource: 'nodes', condition: cond, for: 'all', deleted: false, minCount: 1, ...extra });

  it('single object: missing, not yet (missing status counts as false), met', () => {
    expect(judgeWait(p(), true, []).detail).toBe('does not exist yet');
    expect(judgeWait(p(), true, [node('a', undefined)]).done).toBe(false);
    expect(judgeWait(p(), true, [node('a', 'False')]).detail).toBe('condition false: Ready=False (KubeletReady)');
    expect(judgeWait(p(), true, [node('a', 'True')]).done).toBe(true);
  });

  it('selectors: all needs every object (and at least one), any needs one', () => {
    const items = [node('a', 'True'), node('b', 'False')];
    expect(judgeWait(p(), false, items)).toMatchObject({ done: false, detail: '1/2 match (waiting for b)' });
    expect(judgeWait(p({ for: 'any' }), false, items).done).toBe(true);
    expect(judgeWait(p({ for: 'any', minCount: 2 }), false, items).done).toBe(false);
    expect(judgeWait(p({ minCount: 3 }), false, [node('a', 'True'), node('b', 'True')])).toMatchObject({ done: false, detail: '2/2 match, want 3' });
    expect(judgeWait(p({ minCount: 2 }), false, [node('a', 'True'), node('b', 'True')]).done).toBe(true);
    expect(judgeWait(p(), false, []).done).toBe(false);
    expect(judgeWait(p({ deleted: true, condition: undefined }), false, items).detail).toBe('still present: a, b');
    expect(judgeWait(p({ deleted: true, condition: undefined }), false, []).done).toBe(true);
  });

  it('a non-boolean condition is the runbook\'s mistake', () => {
    expect(() => judgeWait(p({ condition: 'object.metadata.name' }), true, [node('a', 'True')])).toThrow(/must be a boolean/);
  });
});

describe('parameter checks', () => {
  it('names the field at fault', () => {
    expect(k8sGet.check!({ resource: 'clusterversion/version', value: 'object.spec.' })[0]).toMatchObject({ path: 'value' });
    expect(k8sGet.check!({ resource: 'nodes', labelSelector: 'a=b', value: 'size(items) > 0' })).toEqual([]);
    expect(k8sGet.check!({ resource: 'nodes', labelSelector: 'a=b', value: 'object.metadata.name' })[0]).toMatchObject({ path: 'value' });
    expect(k8sGet.check!({ resource: 'ds/x', kind: 'DaemonSet' })[0]).toMatchObject({ path: 'resource', message: 'give either resource or apiVersion+kind, not both' });
    expect(k8sWait.check!({ resource: 'ds/x', labelSelector: 'a=b', condition: 'true' })[0]).toMatchObject({ path: 'labelSelector' });
    expect(k8sWait.check!({ resource: 'ds/x', name: 'y', condition: 'true' })[0]).toMatchObject({ path: 'name' });
    expect(k8sPatch.check!({ resource: 'ds/x', type: 'json', patch: { a: 1 } })[0]).toMatchObject({ path: 'patch' });
    expect(k8sPatch.check!({ resource: 'ds/x', patch: [{ op: 'add' }] })[0]).toMatchObject({ path: 'patch' });
    // Presence is the schema's (a templated value is present); check() sees only values (issue 16).
    expect(validateStepParams(k8sApply, { manifests: [{ kind: 'ConfigMap', metadata: { name: 'a' } }] })).toEqual([{ path: 'manifests[0]', message: "missing required key 'apiVersion'" }]);
  });

  it('leaves a templated name to run time (check never sees template values)', () => {
    // `name: ${{ inputs.cluster }}-kubeconfig` is left out of params at load time: not a list, so `object` is allowed
    expect(k8sGet.check!({ apiVersion: 'v1', kind: 'Secret', namespace: 'x', value: 'has(object.data.value)' })).toEqual([]);
    expect(k8sPatch.check!({ apiVersion: 'v1', kind: 'ConfigMap', patch: {} })).toEqual([]);
    expect(k8sRolloutRestart.check!({ apiVersion: 'apps/v1', kind: 'DaemonSet' })).toEqual([]);
  });

  it('requires a way to name the target in the schema', () => {
    expect(validateStepParams(k8sPatch, { apiVersion: 'v1', kind: 'ConfigMap', patch: {} })).toEqual([
      { path: '', message: "needs one of 'resource', 'apiVersion+kind+name'" },
    ]);
    expect(validateStepParams(k8sGet, { apiVersion: 'v1' })).toEqual([{ path: '', message: "needs one of 'resource', 'apiVersion+kind'" }]);
    expect(validateStepParams(k8sRolloutRestart, { resource: 'daemonset/etcd-defrag', namespace: 'kube-system' })).toEqual([]);
    expect(validateStepParams(k8sWait, { resource: 'nodes' })[0]).toEqual({ path: '', message: "missing required key 'condition'" });
    expect(validateStepParams(k8sWait, { resource: 'nodes', deleted: true })).toEqual([]);
  });
});

describe('k8s-apply names given as ${{ }} templates (issue 16)', () => {
  const cm = (metadata: Record<string, unknown>) => ({ manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { a: 'b' } }] });
  const atValidation = (params: Record<string, unknown>) =>
    checkStepParams(k8sApply, params, { skipTemplates: true }).map((i) => `${i.path}: ${i.message}`);
  const atRun = (params: Record<string, unknown>) => validateStepParams(k8sApply, params).map((i) => `${i.path}: ${i.message}`);

  it('validation accepts a templated name or namespace, and still requires the keys', () => {
    expect(atValidation(cm({ name: 'crash-${{ inputs.tag }}', namespace: '${{ inputs.ns }}' }))).toEqual([]);
    expect(atValidation(cm({ namespace: 'default' }))).toEqual(["manifests[0].metadata: missing required key 'name'"]);
    expect(atValidation({ manifests: [{ kind: 'ConfigMap', metadata: { name: 'a' } }] })).toEqual(["manifests[0]: missing required key 'apiVersion'"]);
    expect(atValidation({ manifests: [{ apiVersion: 'v1', kind: 'List', items: [] }] })).toEqual([]);
    expect(atValidation(cm({ name: 'Crash_1' }))).toEqual([
      `manifests[0].metadata.name: ConfigMap name must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253), got "Crash_1"`,
    ]);
  });

  it('once evaluated, an empty or invalid name or namespace is refused naming the field and the value', () => {
    expect(atRun(cm({ name: '' }))).toEqual(['manifests[0].metadata.name: ConfigMap name must not be empty, got ""']);
    expect(atRun(cm({ name: 'crash-a/b' }))).toEqual([`manifests[0].metadata.name: ConfigMap name must not be '.' or '..' nor contain '/' or '%', got "crash-a/b"`]);
    expect(atRun(cm({ name: 'crash-1', namespace: 'Prod' }))).toEqual([
      `manifests[0].metadata.namespace: ConfigMap namespace must be a namespace name (lowercase letters, digits and '-', at most 63), got "Prod"`,
    ]);
    expect(atRun({ ...cm({ name: 'crash-1' }), namespace: 'a.b' })).toEqual([
      `namespace: must be a namespace name (lowercase letters, digits and '-', at most 63), got "a.b"`,
    ]);
    // RBAC names are path segments (system:…), not DNS names.
    expect(atRun({ manifests: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:opsbook' } }] })).toEqual([]);
  });

  it('files read at run time get the same checks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opsbook-manifests-'));
    try {
      await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n');
      await expect(loadManifests({ files: ['bad.yaml'], cwd: dir }))
        .rejects.toThrow(`files[0] (bad.yaml) document 1: metadata.name: ConfigMap name must be a DNS-1123 subdomain`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
