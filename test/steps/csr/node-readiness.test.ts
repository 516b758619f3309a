// wait-node-ready's live detail line with registered but NotReady nodes: "3/5 Ready (worker-3, worker-4 NotReady)".

import { afterEach, describe, expect, it } from 'vitest';
import { createNodeSelector } from '../../../src/csr/index.js';
import { steps } from '../../../src/steps/csr/index.js';
import { describeReadiness } from '../../../src/steps/csr/wait-node-ready.js';
import type { NodeReadiness } from '../../../src/steps/csr/cluster-view.js';
import { startCluster, runStep, type Cluster } from './harness.js';

const names = ['worker-0', 'worker-1', 'worker-2', 'worker-3', 'worker-4'];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('wait-node-ready with NotReady nodes', () => {
  it('describeReadiness names the NotReady nodes', () => {
    const states = new Map<string, NodeReadiness>(names.map((n, i) => [n, i < 3 ? 'Ready' : 'NotReady']));
    const readiness = { states, ready: names.slice(0, 3), done: false };
    expect(describeReadiness(readiness, createNodeSelector({ nodes: names }))).toBe('3/5 Ready (worker-3, worker-4 NotReady)');
  });

  it('shows the same line live and in the timeout error, with the node states as outputs details', async () => {
    cluster = await startCluster({ name: 'not-ready', timeScale: 60, nodes: names.map((name, i) => ({ name, roles: ['worker'], ready: i < 3 })) });
    const result = await runStep(steps.find((s) => s.type === 'wait-node-ready')!, { nodes: names }, cluster, { timeoutMs: 60_000 });
    expect(result.progress.at(-1)).toBe('3/5 Ready (worker-3, worker-4 NotReady)');
    expect(result.error).toMatchObject({ errorClass: 'timeout', message: 'nodes not Ready: 3/5 Ready (worker-3, worker-4 NotReady)' });
    expect((result.error?.details as { nodes: Record<string, string> }).nodes).toEqual({
      'worker-0': 'Ready',
      'worker-1': 'Ready',
      'worker-2': 'Ready',
      'worker-3': 'NotReady',
      'worker-4': 'NotReady',
    });
  });
});
