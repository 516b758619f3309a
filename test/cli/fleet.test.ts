// Fleet runs end to end: the real CLI against several simulated clusters started in this process.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { openDefaultFleetStore } from '../../src/store/default.js';
import { runCli, startCli } from '../helpers/cli.js';
import { fixture, journalEvents } from './fixtures.js';
import { APPROVE_CSRS, fleetIdIn, readFleetRecord, useFleetTest, writeCombinedKubeconfig, writeDeadKubeconfig, writeFleet } from './fleet-helpers.js';

const { tmp, at, run, startSims } = useFleetTest();
const runsIn = (stateDir: string) => (existsSync(path.join(stateDir, 'runs')) ? readdirSync(path.join(stateDir, 'runs')).filter((n) => !n.startsWith('.')) : []);

describe('opsbook run --fleet (end to end, simulated clusters)', { timeout: 180_000 }, () => {
  it('refuses an invalid fleet file with every problem at file:line:col, exit 2, nothing run', async () => {
    const file = at('fleet.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: opsbook.dev/v1',
        'kind: Fleet',
        'metadata: {name: broken}',
        'spec:',
        '  clusters:',
        '    - {name: a, context: x, labels: {env: prod}}',
        '    - {name: a, context: y, deadline: soon}',
        '  selector: "env in prod"',
        '  strategy: {waves: [1, 0%], maxFailures: lots}',
      ].join('\n'),
    );
    const r = await run(['--fleet', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}:7:14: spec.clusters[1].name: duplicate cluster name "a" (already spec.clusters[0])\n`);
    expect(r.stderr).toContain(`${file}:7:39: spec.clusters[1].deadline: must be a duration like 90s or 1h30m, got 'soon'\n`);
    expect(r.stderr).toContain(`${file}:8:13: spec.selector: invalid label selector: "env in prod": expected key, !key, key=value`);
    expect(r.stderr).toContain(`${file}:9:25: spec.strategy.waves[1]: must be a count ≥ 1 or a percentage in (0%, 100%] (got "0%")\n`);
    expect(r.stderr).toContain(`${file}:9:43: spec.strategy.maxFailures: must be a count like 2 or a percentage like 5%, got 'lots'\n`);
    expect(r.stderr).toContain('5 problems found; nothing was run');
    expect(r.stdout).toBe('');
    expect(runsIn(tmp.stateDir)).toEqual([]);
  });

  it('refuses an unknown context or an unreadable kubeconfig before any cluster is touched, naming the entry', async () => {
    const sims = await startSims(1);
    const typo = { name: 'typo', kubeconfig: sims[0]!.kubeconfigPath, context: 'prod-eu' };
    const gone = { name: 'gone', kubeconfig: at('missing.kubeconfig') };
    const file = writeFleet(at('fleet.yaml'), [{ name: 'ok', kubeconfig: sims[0]!.kubeconfigPath }, typo, gone]);
    // Entries are written `    - {json}` on lines 6, 7 and 8: the column is that of the value.
    const col = (entry: object, value: string) => 7 + JSON.stringify(entry).indexOf(JSON.stringify(value));
    const r = await run(['--fleet', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}:7:${col(typo, 'prod-eu')}: spec.clusters[1].context: kubeconfig ${sims[0]!.kubeconfigPath} has no context "prod-eu" (known: opsbook-sim)\n`);
    expect(r.stderr).toContain(`${file}:8:${col(gone, gone.kubeconfig)}: spec.clusters[2].kubeconfig: cannot read kubeconfig ${gone.kubeconfig}: no such file\n`);
    expect(r.stderr).toContain('2 problems found; nothing was run');
    expect(runsIn(tmp.stateDir)).toEqual([]);
    expect(sims[0]!.counters()).toEqual({});
  });

  it('rolls out in waves (canary, then percentages of the rest); an unreachable cluster fails alone, with a clear message', async () => {
    const sims = await startSims(4);
    const clusters = sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath }));
    const file = writeFleet(at('fleet.yaml'), [...clusters, { name: 'dead', kubeconfig: writeDeadKubeconfig(at('dead.kubeconfig'), sims[0]!) }], {
      strategy: '{waves: [1, 50%, 100%], maxParallel: 2, maxFailures: 1}',
    });
    const r = await run(['--fleet', file]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1);
    // 5 clusters: the canary, then 50% of the 4 others (2), then the rest (2).
    expect(r.stdout).toMatch(/ wave-1 started: c1\n/);
    expect(r.stdout).toMatch(/ wave-2 started: c2, c3\n/);
    expect(r.stdout).toMatch(/ wave-3 started: c4, dead\n/);
    expect(r.stdout).toMatch(/ \[c1\] nodes-ready: succeeded in /);
    expect(r.stdout).toMatch(/ \[dead\] failed in \S+ \(run \S+\): cannot reach cluster dead \(https:\/\/127\.0\.0\.1:1\): .*ECONNREFUSED/);
    expect(r.stdout).toMatch(/ fleet fleet-\S+ failed in [^:]+: 4 succeeded, 1 failed\n/);
    expect(r.stdout).toMatch(/ failed on 1 cluster: cannot reach cluster dead .*\n\S+ {3}dead\n/);
    const fleetId = fleetIdIn(r.stdout);
    const record = readFleetRecord(tmp.stateDir, fleetId);
    expect(record.clusters.map((c) => [c.name, c.wave, c.status])).toEqual([
      ['c1', 1, 'succeeded'],
      ['c2', 2, 'succeeded'],
      ['c3', 2, 'succeeded'],
      ['c4', 3, 'succeeded'],
      ['dead', 3, 'failed'],
    ]);
    // Every reachable cluster got a normal run of its own: own run id and journal, with its CSRs approved.
    for (const c of record.clusters.slice(0, 4)) expect(journalEvents(tmp.stateDir, c.runId!).at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
    for (const s of sims) expect(s.summary().nodes.filter((n) => n.name.startsWith('worker') && n.status === 'Ready')).toHaveLength(2);

    const runs = await runCli(['runs', '--state-dir', tmp.stateDir]);
    expect(runs.stdout).toMatch(new RegExp(`^${fleetId} +approve-csrs on fleet test-fleet \\(5 clusters\\) +failed `, 'm'));
    const listed = JSON.parse((await runCli(['runs', '--state-dir', tmp.stateDir, '--output', 'json'])).stdout) as { fleetId?: string; runId?: string; counts?: object }[];
    expect(listed.filter((e) => e.runId)).toHaveLength(4);
    expect(listed.find((e) => e.fleetId === fleetId)).toMatchObject({ status: 'failed', clusters: 5, counts: { succeeded: 4, failed: 1 } });
    const table = await runCli(['runs', fleetId, '--state-dir', tmp.stateDir]);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^CLUSTER +WAVE +STATUS +FAILED STEP +DURATION +RUN$/m);
    expect(table.stdout).toMatch(/^c2 +wave-2 +succeeded +- +\S+ +\d{8}-/m);
    expect(table.stdout).toMatch(/^dead +wave-3 +failed +cannot reach cluster dead/m);
  });

  it('--output json: the clusters\' engine events with a cluster field, and the fleet\'s own events', async () => {
    const sims = await startSims(2);
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })));
    const r = await runCli(['run', APPROVE_CSRS, '--fleet', file, '--state-dir', tmp.stateDir, '--output', 'json'], { timeout: 90_000 });
    expect(r.exitCode).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; cluster?: string; runId?: string });
    expect(events[0]).toMatchObject({ type: 'fleet-start', waves: [{ id: 'wave-1', clusters: ['c1', 'c2'] }] });
    expect(events.at(-1)).toMatchObject({ type: 'fleet-end', status: 'succeeded', counts: { succeeded: 2, failed: 0 } });
    const starts = events.filter((e) => e.type === 'run-start');
    expect(starts.map((e) => e.cluster).sort()).toEqual(['c1', 'c2']);
    expect(new Set(starts.map((e) => e.runId)).size).toBe(2);
  });

  it('the failure budget stops the rollout; resume runs only the clusters that did not succeed and the waves not started', async () => {
    const sims = await startSims(4);
    const dead = writeDeadKubeconfig(at('flaky.kubeconfig'), sims[1]!);
    const file = writeFleet(at('fleet.yaml'), [
      { name: 'canary', kubeconfig: sims[0]!.kubeconfigPath },
      { name: 'flaky', kubeconfig: dead },
      { name: 'c3', kubeconfig: sims[2]!.kubeconfigPath },
      { name: 'c4', kubeconfig: sims[3]!.kubeconfigPath },
    ], { strategy: '{waves: [1, 1, 100%], maxParallel: 1, maxFailures: 0}' });
    const first = await run(['--fleet', file]);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain('failure budget exceeded: 1 cluster failed, 0 tolerated; no new cluster starts');
    expect(first.stdout).not.toMatch(/wave-3 started/);
    const fleetId = fleetIdIn(first.stdout);
    const before = readFleetRecord(tmp.stateDir, fleetId);
    expect(before).toMatchObject({ status: 'failed', reason: 'failure budget exceeded: 1 failed cluster, 0 tolerated' });
    expect(before.clusters.map((c) => [c.name, c.status])).toEqual([['canary', 'succeeded'], ['flaky', 'failed'], ['c3', 'pending'], ['c4', 'pending']]);
    const table = await runCli(['runs', fleetId, '--state-dir', tmp.stateDir]);
    expect(table.stdout).toMatch(/^c3 +wave-3 +pending +- +- +-$/m);

    // While another process holds the fleet run, a resume is refused (exit 2) and touches nothing.
    const held = await openDefaultFleetStore(tmp.stateDir).claimFleet(fleetId);
    const refused = await runCli(['resume', fleetId, '--state-dir', tmp.stateDir]);
    await held.release();
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`opsbook: fleet run ${fleetId} is still running (pid ${process.pid} on host `);
    expect(readFleetRecord(tmp.stateDir, fleetId)).toEqual(before);

    // The cluster is reachable again: resume picks up flaky and the third wave, and leaves the canary alone.
    writeFileSync(dead, sims[1]!.kubeconfig);
    const resumed = await runCli(['resume', fleetId, '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 90_000 });
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).not.toContain('[canary]');
    expect(resumed.stdout).toMatch(/ wave-2 started: flaky\n/);
    expect(resumed.stdout).toMatch(/ wave-3 started: c3, c4\n/);
    const after = readFleetRecord(tmp.stateDir, fleetId);
    expect(after.status).toBe('succeeded');
    expect(after.clusters.every((c) => c.status === 'succeeded')).toBe(true);
    expect(after.clusters[0]!.runId).toBe(before.clusters[0]!.runId);
    expect(journalEvents(tmp.stateDir, after.clusters[0]!.runId!).filter((e) => e.type === 'run-start')).toHaveLength(1);
    expect(after.clusters[1]!.runId).toBe(before.clusters[1]!.runId);
    const again = await runCli(['resume', fleetId, '--state-dir', tmp.stateDir]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('every cluster already succeeded; nothing to resume');
  });

  it('Ctrl-C stops starting clusters, interrupts the running one (exit 130), and resume completes the fleet', async () => {
    // The workers join ten simulated minutes in (10 s at 60×): c1's first step is still waiting when Ctrl-C comes.
    const sims = await startSims(3, 60, fixture('late-workers.yaml'));
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{waves: [1, 100%], maxParallel: 1}' });
    const cli = startCli(['run', APPROVE_CSRS, '--fleet', file, '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 90_000 });
    await cli.waitForOutput('[c1] client-pending: started');
    cli.kill('SIGINT');
    const r = await cli.result;
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toMatch(/\[c1\] interrupted in /);
    expect(r.stdout).not.toContain('[c2] started');
    const fleetId = fleetIdIn(r.stdout);
    const before = readFleetRecord(tmp.stateDir, fleetId);
    expect(before.status).toBe('interrupted');
    expect(before.clusters.map((c) => c.status)).toEqual(['interrupted', 'pending', 'pending']);
    expect(journalEvents(tmp.stateDir, before.clusters[0]!.runId!).at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });

    const resumed = await runCli(['resume', fleetId, '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 120_000 });
    expect(resumed.exitCode).toBe(0);
    const after = readFleetRecord(tmp.stateDir, fleetId);
    expect(after.clusters.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // c1 continued its own journal (same run id, a second run-start resuming it).
    expect(after.clusters[0]!.runId).toBe(before.clusters[0]!.runId);
    const starts = journalEvents(tmp.stateDir, after.clusters[0]!.runId!).filter((e) => e.type === 'run-start');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ resumedFrom: expect.any(String) });
  });

  it('a fleet run killed outright (kill -9) is listed as crashed, and resume completes it', async () => {
    const sims = await startSims(2, 60, fixture('late-workers.yaml'));
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{maxParallel: 2}' });
    const cli = startCli(['run', APPROVE_CSRS, '--fleet', file, '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 90_000 });
    await cli.waitForOutput(/\[c1\] client-pending: started[\s\S]*\[c2\] client-pending: started|\[c2\] client-pending: started[\s\S]*\[c1\] client-pending: started/);
    cli.kill('SIGKILL');
    const killed = await cli.result;
    expect(killed.signal).toBe('SIGKILL');
    const fleetId = fleetIdIn(killed.stdout);
    const listed = await runCli(['runs', '--state-dir', tmp.stateDir]);
    expect(listed.stdout).toMatch(new RegExp(`^${fleetId} .* crashed `, 'm'));
    const resumed = await runCli(['resume', fleetId, '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 120_000 });
    expect(resumed.exitCode).toBe(0);
    const record = readFleetRecord(tmp.stateDir, fleetId);
    expect(record.clusters.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    for (const c of record.clusters) {
      const starts = journalEvents(tmp.stateDir, c.runId!).filter((e) => e.type === 'run-start');
      expect(starts).toHaveLength(2);
    }
  });

  it('--contexts runs every matching context of a kubeconfig; --selector filters a fleet by labels', async () => {
    const sims = await startSims(3);
    const kubeconfig = writeCombinedKubeconfig(at('kubeconfig'), { 'prod-eu': sims[0]!, 'prod-us': sims[1]!, 'staging-eu': sims[2]! });
    const r = await run(['--contexts', 'prod-*', '--kubeconfig', kubeconfig]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/ wave-1 started: prod-eu, prod-us\n/);
    expect(r.stdout).not.toContain('staging-eu');
    expect(sims[2]!.counters()['update certificatesigningrequests/approval'] ?? 0).toBe(0);
    expect(sims[0]!.counters()['update certificatesigningrequests/approval']).toBeGreaterThan(0);
    const nothing = await run(['--contexts', 'dev-*', '--kubeconfig', kubeconfig]);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toBe('opsbook: the fleet contexts dev-* has no cluster (no context matches dev-*)\n');

    const file = writeFleet(
      at('fleet.yaml'),
      [
        { name: 'a', kubeconfig, context: 'prod-eu', labels: { env: 'prod', region: 'eu' } },
        { name: 'b', kubeconfig, context: 'prod-us', labels: { env: 'prod', region: 'us' } },
        { name: 'c', kubeconfig, context: 'staging-eu', labels: { env: 'staging', region: 'eu' } },
      ],
    );
    const selected = await run(['--fleet', file, '--selector', 'env!=prod,region in (eu, ap)']);
    expect(selected.exitCode).toBe(0);
    expect(selected.stdout).toMatch(/ wave-1 started: c\n/);
    const none = await run(['--fleet', file, '--selector', 'region=ap']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('opsbook: the fleet test-fleet has no cluster matching the selector (of 3)');
    const bad = await run(['--fleet', file, '--selector', 'region in (eu']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('opsbook: --selector: invalid label selector:');
  });

  it('discovers the clusters of a Cluster API management cluster through their <name>-kubeconfig Secrets', async () => {
    const sims = await startSims(3);
    const [management, east, west] = sims as [Simulation, Simulation, Simulation];
    const addCluster = async (name: string, labels: Record<string, string>, kubeconfig?: string) => {
      await management.access.create('clusters', { metadata: { name, namespace: 'default', labels }, spec: {} });
      if (kubeconfig) {
        await management.access.create('secrets', { metadata: { name: `${name}-kubeconfig`, namespace: 'default' }, type: 'cluster.x-k8s.io/secret', data: { value: Buffer.from(kubeconfig).toString('base64') } });
      }
    };
    await addCluster('east', { env: 'prod' }, east.kubeconfig);
    await addCluster('west', { env: 'prod' }, west.kubeconfig);
    await addCluster('orphan', { env: 'prod' });
    await addCluster('lab', { env: 'lab' }, east.kubeconfig);
    const file = writeFleet(at('fleet.yaml'), [], {
      strategy: '{maxFailures: 1}',
      extra: ['  discover:', `    clusterAPI: {kubeconfig: ${management.kubeconfigPath}}`, '  selector: env=prod'],
    });
    const capiFiles = () => readdirSync(tmpdir()).filter((n) => n.startsWith('opsbook-capi-'));
    const before = capiFiles();
    const r = await run(['--fleet', file]);
    expect(r.exitCode).toBe(1);
    // The kubeconfigs taken from the Secrets lived in private temporary files, removed after each run.
    expect(capiFiles()).toEqual(before);
    expect(r.stdout).toMatch(/ wave-1 started: east, orphan, west\n/);
    expect(r.stdout).toMatch(/ \[east\] succeeded in /);
    expect(r.stdout).toMatch(/ \[west\] succeeded in /);
    expect(r.stdout).toContain('no Secret default/orphan-kubeconfig on the management cluster');
    expect(r.stdout).not.toContain('[lab]');
    for (const s of [east, west]) expect(s.summary().nodes.filter((n) => n.name.startsWith('worker') && n.status === 'Ready')).toHaveLength(2);
  });
});
