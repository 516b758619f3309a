import { afterAll, describe, expect, it } from 'vitest';
import { projectCsr, projectMachine, projectNode } from '../../../src/steps/csr/projections.js';
import { claimedClientNode, readCsrRecord, readCsrState } from '../../../src/csr/index.js';
import { readNodeReadiness, readIdentityData } from '../../../src/steps/csr/cluster-view.js';
import { readPass } from '../../../src/steps/csr/state.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import { clientCsr } from '../../csr/fixtures.js';
import { startCluster, worker, type Cluster } from './harness.js';
import { BOOTSTRAPPER, injectCsr } from './inject.js';

const managedFields = [{ manager: 'kubelet', fieldsV1: { 'f:status': {} } }];

describe('informer projections', () => {
  it('keeps what a CSR decision and its /approval PUT read, drops managed fields and the issued certificate', () => {
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr-1', uid: 'u1', resourceVersion: '7', creationTimestamp: '2024-01-01T00:00:00Z', labels: { a: 'b' }, managedFields },
      spec: { request: 'LS0t', signerName: 'kubernetes.io/kubelet-serving', username: 'system:node:w', groups: ['system:nodes'], usages: ['server auth'] },
      status: { conditions: [{ type: 'Approved', status: 'True', reason: 'R', message: 'by x' }], certificate: 'LS0tQ0VSVA==' },
    };
    const projected = projectCsr(structuredClone(csr));
    expect(projected.metadata).toEqual({ name: 'csr-1', uid: 'u1', resourceVersion: '7', creationTimestamp: '2024-01-01T00:00:00Z', labels: { a: 'b' } });
    expect(projected.spec).toEqual(csr.spec);
    expect(projected.status).toEqual({ conditions: csr.status.conditions });
    expect(readCsrState(projected)).toEqual(readCsrState(csr));
  });

  it('keeps a Node\'s name, creation, addresses and Ready condition only', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'w', uid: 'n1', resourceVersion: '3', creationTimestamp: '2024-01-01T00:00:00Z', labels: { x: 'y' }, managedFields },
      status: {
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True', message: 'kubelet is posting ready status' }],
        capacity: { cpu: '8' },
        nodeInfo: { kubeletVersion: 'v1.32.4' },
      },
    };
    const projected = projectNode(node);
    expect(projected).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'w', uid: 'n1', resourceVersion: '3', creationTimestamp: '2024-01-01T00:00:00Z' },
      status: { addresses: node.status.addresses, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(readNodeReadiness(projected)).toBe('Ready');
    expect(readNodeReadiness(projectNode({ metadata: { name: 'v' } }))).toBe('Unknown');
  });

  it('keeps a Machine\'s addresses and node reference', () => {
    const machine = {
      metadata: { name: 'm', namespace: 'openshift-machine-api', resourceVersion: '4', managedFields },
      spec: { providerSpec: { value: { big: true } } },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }], nodeRef: { kind: 'Node', name: 'w' }, phase: 'Running' },
    };
    const projected = projectMachine(machine);
    expect(projected.metadata.namespace).toBe('openshift-machine-api');
    expect(readIdentityData([], [projected])).toEqual(readIdentityData([], [machine]));
  });
});

/** The next version of a CSR as a watch delivers it: same uid and spec, a new resourceVersion and an Approved condition. */
function approvedVersion(csr: KubeObject, resourceVersion: string): KubeObject {
  return {
    ...structuredClone(csr),
    metadata: { ...structuredClone(csr.metadata), resourceVersion },
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'R', message: 'by x' }] },
  };
}

describe('CSR projection without spec.request', () => {
  it('keeps spec.request until the request is parsed, then drops it and carries the parse, so readers see the same record', async () => {
    const first = await clientCsr('worker-7');
    const v1 = projectCsr(structuredClone(first));
    expect((v1.spec as { request?: string }).request).toBe((first.spec as { request: string }).request); // never parsed yet
    const record1 = await readCsrRecord(v1);
    expect(claimedClientNode(record1)).toBe('worker-7');

    const v2 = projectCsr(approvedVersion(first, '8'));
    expect(v2.spec).not.toHaveProperty('request');
    expect(JSON.stringify(v2)).not.toContain((first.spec as { request: string }).request.slice(0, 40));
    const record2 = await readCsrRecord(v2);
    // Without the carried parse the dropped PEM would read as "spec.request is empty" and the CN would be lost.
    expect(record2.request).toEqual(record1.request);
    expect(claimedClientNode(record2)).toBe('worker-7');
    expect(record2.state).toBe('approved');
  });

  it('carries the parse through the /approval PUT body, which the server answers from its own spec', async () => {
    const first = await clientCsr('worker-8');
    await readCsrRecord(projectCsr(structuredClone(first)));
    const later = projectCsr(approvedVersion(first, '9'));
    const body = JSON.parse(JSON.stringify({ ...later })) as KubeObject;
    expect(body.spec).not.toHaveProperty('request');
    expect(Object.getOwnPropertySymbols({ ...later })).toEqual([]); // the parse is never copied into a body
  });
});

describe('the approval PUT of a projection without spec.request, on the simulated cluster', () => {
  let cluster: Cluster;
  afterAll(() => cluster?.stop());

  it('approves the CSR, the stored spec.request unchanged, and the approved version still reads as the same node', async () => {
    cluster = await startCluster({ name: 'projection', machines: [worker('worker-0', '10.0.1.10')] });
    const name = await injectCsr(cluster.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-9' });
    const stored = (await cluster.kube.get({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', name }))!;
    await readCsrRecord(projectCsr(structuredClone(stored))); // the step parses the listed version first
    const projected = projectCsr(structuredClone(stored));
    expect(projected.spec).not.toHaveProperty('request');
    await cluster.kube.setCsrCondition(projected, { type: 'Approved', reason: 'Test', message: 'approved without the PEM' });
    const after = (await cluster.kube.get({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', name }))!;
    expect(readCsrState(after).state).toBe('approved');
    expect((after.spec as { request?: string }).request).toBe((stored.spec as { request: string }).request);
    expect(claimedClientNode(await readCsrRecord(projectCsr(after)))).toBe('worker-9');
  });
});

describe('readPass', () => {
  it('keeps the objects of pending CSRs only: a decided CSR is never written, and its replaced version must not stay alive', async () => {
    const pending = await clientCsr('worker-1');
    const decided = approvedVersion(await clientCsr('worker-2'), '5');
    const pass = await readPass([pending, decided], { signer: (pending.spec as { signerName: string }).signerName }, new Map());
    expect(pass.records.map((r) => r.state)).toEqual(['pending', 'approved']);
    expect([...pass.objects.values()]).toEqual([pending]);
  });
});
