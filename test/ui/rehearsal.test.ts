import { describe, expect, it } from 'vitest';
import { formatRehearsal, type RehearsalReport } from '../../src/ui/rehearsal.js';

const report: RehearsalReport = {
  runbook: { name: 'approve-csrs', file: 'runbooks/approve-csrs.yaml' },
  scenario: 'rogue-csrs',
  timeScale: 360,
  outcome: { runId: 'r1', status: 'failed', error: 'step approve-client failed:\n1 CSR refused', exitCode: 1 },
  cluster: {
    scenario: 'rogue-csrs', flavour: 'openshift', time: '2026-01-01T01:00:00Z', elapsedMs: 3_600_000,
    nodes: [{ name: 'master-0', status: 'Ready', roles: ['master'] }, { name: 'worker-0', status: 'NotReady', roles: [] }],
    csrs: {
      approved: 1, denied: 1, pending: 1, issued: 1,
      items: [
        { name: 'csr-a', signerName: 'kubernetes.io/kube-apiserver-client-kubelet', requestor: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper', state: 'approved', issued: true, node: 'worker-0', created: 'x' },
        { name: 'csr-b', signerName: 'kubernetes.io/kubelet-serving', requestor: 'system:node:worker-9', state: 'denied', issued: false, rogue: 'unknown-machine' as never, created: 'x' },
        { name: 'csr-c', signerName: 'kubernetes.io/kubelet-serving', requestor: 'mallory', state: 'approved', issued: false, rogue: 'wrong-requestor' as never, created: 'x' },
      ],
    },
    kubelets: [],
    operators: [
      { name: 'dns', available: 'True', progressing: 'False', degraded: 'False', reason: 'AsExpected', message: 'All is well' },
      { name: 'image-registry', available: 'False', progressing: 'True', degraded: 'True', reason: 'StorageNotConfigured', message: 'storage is not configured' },
    ],
    requests: { total: 42, byVerbResource: { 'list certificatesigningrequests': 30, 'update certificatesigningrequests/approval': 12 }, faults: { '503': 2 } },
    errors: ['kubelet worker-0: boom'],
  },
};

describe('rehearsal report', () => {
  it('shows the outcome, nodes, CSRs with requestors, notable operators, request counts, faults and simulation errors', () => {
    const text = formatRehearsal(report).join('\n');
    expect(text).toContain('Rehearsal of approve-csrs (runbooks/approve-csrs.yaml) on scenario rogue-csrs (openshift), time scale 360×, 1h of simulated time');
    expect(text).toContain('Outcome: run r1 failed: step approve-client failed: 1 CSR refused');
    expect(text).toMatch(/worker-0\s+NotReady\s+<none>/);
    expect(text).toContain('CSRs: 1 approved, 1 denied, 1 pending (1 certificates issued)');
    expect(text).toMatch(/csr-b\s+denied\s+kubernetes\.io\/kubelet-serving\s+system:node:worker-9\s+-\s+rogue: unknown-machine/);
    expect(text).toContain('WARNING: 1 rogue CSR(s) were approved: csr-c');
    expect(text).toContain('Cluster operators (2; 1 Available and settled not listed)');
    expect(text).toMatch(/image-registry\s+False\s+True\s+True\s+StorageNotConfigured\s+storage is not configured/);
    expect(text).not.toMatch(/^\s+dns\s/m);
    expect(text).toMatch(/API requests: 42\n\s+VERB\s+RESOURCE\s+COUNT\n\s+list\s+certificatesigningrequests\s+30/);
    expect(text).toContain('Faults injected: 503 2');
    expect(text).toContain('Simulation errors:\n  kubelet worker-0: boom');
  });
});
