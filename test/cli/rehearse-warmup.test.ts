// rehearse loads and connects the Kubernetes client before the runbook starts, so module loading (seconds of real
// time, minutes of simulated time at high scales) is not charged to the run's first cluster step.

import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { rehearseCommand } from '../../src/cli/commands/rehearse.js';
import { fixture } from './fixtures.js';

const seen = vi.hoisted(() => ({
  order: [] as string[],
  sim: undefined as Simulation | undefined,
  countersAtRunStart: undefined as Record<string, number> | undefined,
}));

// The factory runs when the module is first imported: that is when @kubernetes/client-node loads.
vi.mock('../../src/k8s/client.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/k8s/client.js')>();
  seen.order.push('k8s client loaded');
  return mod;
});

vi.mock('../../src/sim/index.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/sim/index.js')>();
  return {
    ...mod,
    startSimulation: async (options: Parameters<typeof mod.startSimulation>[0]) => {
      seen.order.push('scaled clock started'); // startSimulation creates the clock first thing
      return (seen.sim = await mod.startSimulation(options));
    },
  };
});

vi.mock('../../src/engine/index.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/engine/index.js')>();
  return {
    ...mod,
    executeRunbook: (options: Parameters<typeof mod.executeRunbook>[0]) => {
      seen.countersAtRunStart = seen.sim!.counters();
      return mod.executeRunbook(options);
    },
  };
});

describe('opsbook rehearse: Kubernetes client warm-up', { timeout: 120_000 }, () => {
  it('loads the client before the scaled clock starts and has reached the simulated API server when the runbook starts', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const io = { stdout, stderr: new PassThrough(), stdin: Readable.from([]), env: { ...process.env, NO_COLOR: '1' }, cwd: process.cwd() };
    const exitCode = await rehearseCommand(
      fixture('kubectl.yaml'),
      { scenario: fixture('scenario-tiny.yaml'), output: 'json', set: [], approve: [] } as unknown as Parameters<typeof rehearseCommand>[1],
      io,
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(out).outcome.status).toBe('succeeded');
    expect(seen.order).toEqual(['k8s client loaded', 'scaled clock started']);
    // Without the warm-up the first request would only leave once a step asked for the cluster.
    expect(seen.countersAtRunStart?.['get /version']).toBe(1);
  });
});
