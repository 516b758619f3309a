// The real kubectl restarts a StatefulSet on the simulation and `kubectl rollout status` follows it to the new revision.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { KUBECTL, runKubectl, startSim } from './helpers.js';

let sim: Simulation;
let dir: string;

const kubectl = (...args: string[]) => runKubectl(sim, args, 60_000);

// No updateStrategy: the server defaults it to RollingUpdate (partition 0), without which `rollout status` refuses
const STATEFULSET = `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: default }
spec:
  replicas: 3
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: registry.example/db:1 }] }
`;

async function revisionsOf(): Promise<{ current: string; update: string; updated: string; currentReplicas: string }> {
  const out = await kubectl('get', 'sts', 'db', '-n', 'default', '-o', 'jsonpath={.status.currentRevision} {.status.updateRevision} {.status.updatedReplicas} {.status.currentReplicas}');
  const [current = '', update = '', updated = '', currentReplicas = ''] = out.stdout.split(' ');
  return { current, update, updated, currentReplicas };
}

describe.skipIf(!existsSync(KUBECTL))('kubectl and StatefulSets', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-sts-'));
    // 20 simulated seconds = 1 real second: the 30s default rollout takes 1.5s
    sim = await startSim({}, { timeScale: 20 });
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rollout restart statefulset/NAME, then rollout status waits for every pod at the new revision', async () => {
    const file = join(dir, 'sts.yaml');
    await writeFile(file, STATEFULSET);
    expect((await kubectl('apply', '-f', file)).stdout).toContain('statefulset.apps/db created');
    const first = await kubectl('rollout', 'status', 'statefulset/db', '-n', 'default', '--timeout=60s');
    expect(first.code, first.stderr).toBe(0);
    // The defaulted rollingUpdate (partition 0) makes kubectl report a partitioned roll out, as on a real cluster.
    expect(first.stdout).toContain('partitioned roll out complete: 3 new pods have been updated');
    const before = await revisionsOf();
    expect(before.current).toMatch(/^db-/);

    const restart = await kubectl('rollout', 'restart', 'statefulset/db', '-n', 'default');
    expect(restart.stdout).toContain('statefulset.apps/db restarted');
    const status = await kubectl('rollout', 'status', 'statefulset/db', '-n', 'default', '--timeout=60s');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('partitioned roll out complete: 3 new pods have been updated');
    const after = await revisionsOf();
    expect(after.update).toMatch(/^db-/);
    expect(after.update).not.toBe(before.update);
    expect(after).toEqual({ current: after.update, update: after.update, updated: '3', currentReplicas: '3' });
  });
});
