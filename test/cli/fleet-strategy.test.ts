// Fleet strategy end to end: per-cluster inputs and deadlines, manual gates between waves, and the live table.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { fixture } from './fixtures.js';
import { APPROVE_CSRS, fleetIdIn, readFleetRecord, useFleetTest, writeFleet } from './fleet-helpers.js';

const { tmp, at, run, startSims } = useFleetTest();

describe('fleet strategy (end to end, simulated clusters)', { timeout: 180_000 }, () => {
  it("a cluster's inputs win over --set; a hanging cluster is stopped at its deadline without holding the others up", async () => {
    const sims = await startSims(2);
    const file = writeFleet(at('fleet.yaml'), [
      // Waits for a machine that never joins: its first step would wait 30 minutes. The deadline leaves the other
      // cluster's run (about a second) ample time even on a loaded machine.
      { name: 'hangs', kubeconfig: sims[0]!.kubeconfigPath, deadline: '15s' },
      { name: 'own-inputs', kubeconfig: sims[1]!.kubeconfigPath, inputs: { nodes: ['worker-0', 'worker-1'] } },
    ], { strategy: '{maxParallel: 2, maxFailures: 1}' });
    const r = await run(['--fleet', file, '--set', 'nodes=["ghost"]']);
    expect(r.exitCode).toBe(1);
    const ownDone = r.stdout.search(/ \[own-inputs\] succeeded in /);
    const hangsDone = r.stdout.search(/ \[hangs\] failed in \S+ \(run \S+\): cluster deadline 15s exceeded/);
    expect(ownDone).toBeGreaterThan(0);
    expect(hangsDone).toBeGreaterThan(ownDone);
    const record = readFleetRecord(tmp.stateDir, fleetIdIn(r.stdout));
    expect(record.clusters.map((c) => [c.name, c.status])).toEqual([['hangs', 'failed'], ['own-inputs', 'succeeded']]);
  });

  it('a secret is resolved once for the fleet, masked in every cluster, kept out of the fleet record; identical failures are grouped', async () => {
    const sims = await startSims(2);
    const secret = 'fleet-S3cret-Value-42';
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{maxFailures: 5}' });
    const r = await runCli(['run', fixture('secret.yaml'), '--fleet', file, '--state-dir', tmp.stateDir, '--output', 'plain'], { env: { CLI_TEST_TOKEN: secret }, timeout: 90_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('[c1] use | token is ***');
    expect(r.stdout).toContain('[c2] use | token is ***');
    expect(r.stdout).toMatch(/ step fail failed on 2 clusters: .*\n\S+ {3}c1, c2\n/);
    const fleetId = fleetIdIn(r.stdout);
    const everything = [r.stdout, r.stderr, readFileSync(path.join(tmp.stateDir, 'fleets', `${fleetId}.json`), 'utf8')];
    for (const runId of readdirSync(path.join(tmp.stateDir, 'runs')).filter((n) => !n.startsWith('.'))) {
      for (const name of readdirSync(path.join(tmp.stateDir, 'runs', runId))) everything.push(readFileSync(path.join(tmp.stateDir, 'runs', runId, name), 'utf8'));
    }
    for (const text of everything) expect(text).not.toContain(secret);
  });

  it("a bad value in a cluster's inputs is exit 2 naming the cluster, before any cluster runs", async () => {
    const sims = await startSims(1);
    const file = writeFleet(at('fleet.yaml'), [{ name: 'c1', kubeconfig: sims[0]!.kubeconfigPath, inputs: { window: 'soon' } }]);
    const r = await run(['--fleet', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`approve-csrs\\.yaml:\\d+:\\d+: spec\\.inputs\\.window: cluster c1 \\(${file}:6:7\\): `));
    expect(r.stdout).toBe('');
    expect(sims[0]!.counters()).toEqual({});
  });

  it('a manual gate without a terminal stops before the wave (exit 1); resume --approve wave-2 runs only that wave', async () => {
    const sims = await startSims(2);
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{waves: [1, 100%], pause: manual}' });
    const first = await run(['--fleet', file]);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toMatch(/ wave-2: waiting for approval \(--approve wave-2\)\n/);
    expect(first.stdout).toMatch(/ fleet \S+ failed in [^:]+: 1 succeeded, 0 failed, 1 not started \(manual gate wave-2 needs an operator, but there is no terminal to ask on; re-run with --approve wave-2/);
    const fleetId = fleetIdIn(first.stdout);
    const resumed = await runCli(['resume', fleetId, '--approve', 'wave-2', '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 90_000 });
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toMatch(/ wave-2: approved by --approve\n/);
    expect(resumed.stdout).not.toContain('[c1]');
    expect(readFleetRecord(tmp.stateDir, fleetId)).toMatchObject({ status: 'succeeded', passedGates: ['wave-1', 'wave-2'] });
  });

  it.each([
    ['y', 0, 'approved'],
    ['n', 1, 'declined'],
  ])('on a terminal a manual gate asks y/N before the wave; answering %s → exit %d', async (key, exitCode, state) => {
    const sims = await startSims(2);
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{waves: [1, 100%], pause: manual}' });
    const cli = startCli(['run', APPROVE_CSRS, '--fleet', file, '--state-dir', tmp.stateDir], { tty: true, timeout: 90_000 });
    await cli.waitForOutput('wave-2: start wave-2 (1 cluster)? [y/N]');
    cli.write(`${key}\r`);
    const r = await cli.result;
    expect(r.exitCode).toBe(exitCode);
    const record = readFleetRecord(tmp.stateDir, fleetIdIn(r.stdout));
    expect(record.clusters.map((c) => c.status)).toEqual(['succeeded', state === 'approved' ? 'succeeded' : 'pending']);
    if (state === 'declined') expect(record.reason).toMatch(/^wave-2 was not approved \(by .+\)$/);
  });

  it('on a terminal: a live table with the wave and budget headers, then the summary', async () => {
    const sims = await startSims(2);
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{maxFailures: 1}' });
    const r = await runCli(['run', APPROVE_CSRS, '--fleet', file, '--state-dir', tmp.stateDir], { tty: true, timeout: 90_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/fleet fleet-\S+ {2}wave 1\/1 {2}failures 0\/1 tolerated/);
    expect(r.stdout).toMatch(/CLUSTER +WAVE +STATUS +STEP +ELAPSED/);
    expect(r.stdout).toMatch(/c1 +wave-1 +succeeded +nodes-ready +\S+/);
    expect(r.stdout).toMatch(/fleet fleet-\S+ succeeded in [^:]+: 2 succeeded, 0 failed\r?\n/);
  });
});
