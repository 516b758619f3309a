import { describe, expect, it } from 'vitest';
import { projectCsr, projectMachine, projectNode } from '../../../src/steps/csr/projections.js';
import { readCsrState } from '../../../src/csr/record.js';
import { readNodeReadiness, readIdentityData } from '../../../src/steps/csr/cluster-view.js';

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
