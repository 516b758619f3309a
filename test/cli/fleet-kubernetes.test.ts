// Fleet runs kept in a namespace of a management cluster (`--state kubernetes://NS`), through the real CLI: simulated
// workload clusters in this process, a separate simulated management cluster holding the fleet record and every
// cluster's run; runs/logs read them from there; Ctrl-C, kill -9 and concurrent resumes.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { createKubernetesFleetStore } from '../../src/store/kubernetes/fleets.js';
import { createKubernetesStore } from '../../src/store/kubernetes/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { fixture, makeTempDir, type TempDir } from './fixtures.js';
import { APPROVE_CSRS, fleetIdIn, startClusters, writeCombinedKubeconfig, writeFleet } from './fleet-helpers.js';

let management: TestCluster;
let namespaces = 0;
let tmp: TempDir;
let sims: Simulation[] = [];

beforeAll(async () => {
  management = await startTestCluster();
});
afterAll(async () => {
  await management?.stop();
});
beforeEach(() => (tmp = makeTempDir()));
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  tmp.cleanup();
});

const at = (name: string) => path.join(tmp.dir, name);
/** A namespace of its own per test: each counts what is kept in it. */
async function freshNamespace(): Promise<string> {
  const name = `fleet-state-${++namespaces}`;
  await management.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}
const kept = (namespace: string) => ({ fleets: createKubernetesFleetStore({ kube: management.kube, namespace }), runs: createKubernetesStore({ kube: management.kube, namespace }) });
const stateIn = (namespace: string) => ['--state', `kubernetes://${namespace}`, '--kubeconfig', management.sim.kubeconfigPath, '--state-dir', tmp.stateDir];
const runStarts = async (namespace: string, runId: string) => (await kept(namespace).runs.read(runId)).events.filter((e) => e.type === 'run-start');
/** Nothing of the fleet went to the state directory: record and journals are in the namespace. */
const stateDirHolds = () => ['fleets', 'runs'].flatMap((d) => (existsSync(path.join(tmp.stateDir, d)) ? readdirSync(path.join(tmp.stateDir, d)).filter((n) => !n.startsWith('.')) : []));

describe('fleet runs with --state kubernetes://NS (end to end, simulated clusters and management cluster)', { timeout: 240_000 }, () => {
  it('keeps the fleet record and every cluster\'s run in the namespace; runs, runs FLEET_ID and logs read them from there', async () => {
    const namespace = await freshNamespace();
    sims = await startClusters(3);
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath, labels: { env: i < 2 ? 'prod' : 'staging' } })), {
      strategy: '{waves: [1, 100%], maxParallel: 2}',
    });
    const r = await runCli(['run', APPROVE_CSRS, '--fleet', file, '--selector', 'env=prod', ...stateIn(namespace), '--output', 'plain'], { timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/ wave-1 started: c1\n/);
    expect(r.stdout).toMatch(/ wave-2 started: c2\n/);
    const fleetId = fleetIdIn(r.stdout);
    expect(stateDirHolds()).toEqual([]);
    const { fleets, runs } = kept(namespace);
    expect(await fleets.listFleets()).toEqual([fleetId]);
    const record = (await fleets.readFleet(fleetId))!;
    expect(record).toMatchObject({ status: 'succeeded', fleet: { name: 'test-fleet' } });
    expect(record.clusters.map((c) => [c.name, c.status])).toEqual([['c1', 'succeeded'], ['c2', 'succeeded']]);
    // Each cluster got a normal run of its own, in the same namespace, and its CSRs were approved on its cluster.
    expect((await runs.list()).sort()).toEqual(record.clusters.map((c) => c.runId!).sort());
    for (const c of record.clusters) expect((await runs.read(c.runId!)).events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
    for (const s of sims.slice(0, 2)) expect(s.summary().nodes.filter((n) => n.name.startsWith('worker') && n.status === 'Ready')).toHaveLength(2);
    expect(sims[2]!.counters()['update certificatesigningrequests/approval'] ?? 0).toBe(0);
    // No claim is left held once the fleet run ended.
    expect(await fleets.isFleetActive(fleetId)).toBe(false);

    const listed = await runCli(['runs', ...stateIn(namespace)]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${fleetId} +approve-csrs on fleet test-fleet \\(2 clusters\\) +succeeded `, 'm'));
    const json = JSON.parse((await runCli(['runs', ...stateIn(namespace), '--output', 'json'])).stdout) as { fleetId?: string; runId?: string }[];
    expect(json.filter((e) => e.runId)).toHaveLength(2);
    expect(json.find((e) => e.fleetId === fleetId)).toMatchObject({ status: 'succeeded', clusters: 2, counts: { succeeded: 2 } });
    const table = await runCli(['runs', fleetId, ...stateIn(namespace)]);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^c2 +wave-2 +succeeded +- +\\S+ +${record.clusters[1]!.runId}$`, 'm'));
    // From anywhere that reaches the management cluster: the state directory is not read.
    const logs = await runCli(['logs', record.clusters[0]!.runId!, '--state', `kubernetes://${namespace}`, '--kubeconfig', management.sim.kubeconfigPath, '--output', 'plain'], { cwd: tmp.dir });
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toMatch(/nodes-ready: succeeded in /);
    // What the README says finds and reads the record, with the real kubectl.
    const { execa } = await import('execa');
    const kubectl = ['kubectl', '--kubeconfig', management.sim.kubeconfigPath, '-n', namespace];
    const found = await execa(kubectl[0]!, [...kubectl.slice(1), 'get', 'configmaps', '-l', 'opsbook.dev/part=fleet', '-o', 'name'], { reject: false });
    expect(found.stdout, found.stderr).toBe(`configmap/opsbook-${fleetId}`);
    const decoded = await execa(`${kubectl.join(' ')} get cm opsbook-${fleetId} -o jsonpath='{.binaryData.fleet\\.json\\.gz}' | base64 -d | gunzip`, { shell: true, reject: false });
    expect(JSON.parse(decoded.stdout)).toEqual(record);
    // The fleet's report is read from the namespace too.
    const report = await runCli(['report', fleetId, '--format', 'junit', '--state', `kubernetes://${namespace}`, '--kubeconfig', management.sim.kubeconfigPath], { cwd: tmp.dir });
    expect(report.stderr).toBe('');
    expect(report.exitCode).toBe(0);
    expect(report.stdout).toMatch(/<testsuite [^>]*name="[^"]*c1/);
    expect(report.stdout).toMatch(/<testsuite [^>]*name="[^"]*c2/);
    const missing = await runCli(['runs', 'fleet-20990101-000000-000-abcdef', ...stateIn(namespace)]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`no fleet run fleet-20990101-000000-000-abcdef in kubernetes://${namespace}`);
  });

  it('--contexts over a kubeconfig whose --context names the management cluster that keeps the fleet run', async () => {
    const namespace = await freshNamespace();
    sims = await startClusters(2);
    const kubeconfig = writeCombinedKubeconfig(at('kubeconfig'), { 'prod-eu': sims[0]!, 'prod-us': sims[1]!, mgmt: management.sim });
    const r = await runCli(['run', APPROVE_CSRS, '--contexts', 'prod-*', '--kubeconfig', kubeconfig, '--context', 'mgmt', '--state', `kubernetes://${namespace}`, '--state-dir', tmp.stateDir, '--output', 'plain'], { timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/ wave-1 started: prod-eu, prod-us\n/);
    const record = (await kept(namespace).fleets.readFleet(fleetIdIn(r.stdout)))!;
    expect(record.clusters.map((c) => [c.name, c.status])).toEqual([['prod-eu', 'succeeded'], ['prod-us', 'succeeded']]);
    expect(stateDirHolds()).toEqual([]);
    // A namespace that does not exist: exit 2 before any cluster is touched, as for a single run.
    const approvals = () => sims.map((s) => s.counters()['update certificatesigningrequests/approval'] ?? 0);
    const counted = approvals();
    const missing = await runCli(['run', APPROVE_CSRS, '--contexts', 'prod-*', '--kubeconfig', kubeconfig, '--context', 'mgmt', '--state', 'kubernetes://nope', '--state-dir', tmp.stateDir]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/namespace nope does not exist on https:\/\/.*kubectl create namespace nope/);
    expect(approvals()).toEqual(counted);
    // Without --state kubernetes://, --context still cannot be given with a fleet.
    const local = await runCli(['run', APPROVE_CSRS, '--contexts', 'prod-*', '--kubeconfig', kubeconfig, '--context', 'mgmt', '--state-dir', tmp.stateDir]);
    expect(local.exitCode).toBe(2);
    expect(local.stderr).toContain('--context names one cluster; a fleet names its clusters itself');
  });

  it('Ctrl-C mid-rollout, then of two concurrent resumes one goes on and the other is refused naming the holder; only unfinished clusters run', async () => {
    const namespace = await freshNamespace();
    // Workers join ten simulated minutes in (10 s at 60×): c1's first step is still waiting when Ctrl-C comes.
    sims = await startClusters(3, 60, fixture('late-workers.yaml'));
    const file = writeFleet(at('fleet.yaml'), sims.map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath })), { strategy: '{waves: [1, 100%], maxParallel: 1}' });
    const cli = startCli(['run', APPROVE_CSRS, '--fleet', file, ...stateIn(namespace), '--output', 'plain'], { timeout: 120_000 });
    await cli.waitForOutput('[c1] client-pending: started');
    cli.kill('SIGINT');
    const r = await cli.result;
    expect(r.exitCode).toBe(130);
    const fleetId = fleetIdIn(r.stdout);
    const { fleets } = kept(namespace);
    const before = (await fleets.readFleet(fleetId))!;
    expect(before.status).toBe('interrupted');
    expect(before.clusters.map((c) => c.status)).toEqual(['interrupted', 'pending', 'pending']);
    expect(await fleets.isFleetActive(fleetId)).toBe(false);

    const results = await Promise.all([1, 2].map(() => runCli(['resume', fleetId, ...stateIn(namespace), '--output', 'plain'], { timeout: 150_000 })));
    expect(results.map((x) => x.exitCode).sort()).toEqual([0, 2]);
    const refused = results.find((x) => x.exitCode === 2)!;
    expect(refused.stderr).toMatch(new RegExp(`^opsbook: fleet run ${fleetId} is claimed by pid \\d+ on host .* \\(lease ${namespace}/opsbook-${fleetId},.*--break-lock`, 'm'));
    expect(refused.stdout).toBe('');
    const after = (await fleets.readFleet(fleetId))!;
    expect(after.status).toBe('succeeded');
    expect(after.clusters.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // c1 continued its own journal (same run id, a second run-start resuming it); c2 and c3 ran once.
    expect(after.clusters[0]!.runId).toBe(before.clusters[0]!.runId);
    const starts = await runStarts(namespace, after.clusters[0]!.runId!);
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ resumedFrom: expect.any(String) });
    for (const c of after.clusters.slice(1)) expect(await runStarts(namespace, c.runId!)).toHaveLength(1);
    expect(stateDirHolds()).toEqual([]);
  });

  it('a fleet run whose lease another process took over stops (exit 1), says so, and no longer writes the record', async () => {
    const namespace = await freshNamespace();
    // Workers join ten simulated minutes in (30 s at 20×): the run is still waiting when its next renewal (10 s) comes.
    sims = await startClusters(1, 20, fixture('late-workers.yaml'));
    const file = writeFleet(at('fleet.yaml'), [{ name: 'c1', kubeconfig: sims[0]!.kubeconfigPath }]);
    const cli = startCli(['run', APPROVE_CSRS, '--fleet', file, ...stateIn(namespace), '--output', 'plain'], { timeout: 120_000 });
    const fleetId = fleetIdIn(await cli.waitForOutput('[c1] client-pending: started'));
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: `opsbook-${fleetId}`, namespace };
    const lease = (await management.kube.get(ref))!;
    await management.kube.replace({ ...lease, spec: { ...(lease.spec as object), holderIdentity: 'elsewhere/1/-' }, metadata: { ...lease.metadata, annotations: { 'opsbook.dev/owner': JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now' }) } } });
    // What the new owner writes stays: the process that notices its loss at its next renewal does not overwrite it.
    const { fleets } = kept(namespace);
    const theirs = { ...(await fleets.readFleet(fleetId))!, reason: 'continued elsewhere' };
    await fleets.writeFleet(theirs);
    const r = await cli.result;
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`fleet run ${fleetId} stopped: lost the claim on run ${fleetId} \\(lease ${namespace}/opsbook-${fleetId}\\): taken over by pid 1 on host elsewhere since now; another process continues it`));
    expect(r.stdout).toMatch(/\[c1\] run \S+ interrupted in /);
    expect(await fleets.readFleet(fleetId)).toEqual(theirs);
  });

  it('kill -9 mid-rollout: the fleet\'s lease is still live, so a plain resume is refused; resume --break-lock continues only the unfinished clusters', async () => {
    const namespace = await freshNamespace();
    sims = await startClusters(3, 60, fixture('late-workers.yaml'));
    const [fast] = await startClusters(1);
    sims.push(fast!);
    const file = writeFleet(at('fleet.yaml'), [{ name: 'done', kubeconfig: fast!.kubeconfigPath }, ...sims.slice(0, 3).map((s, i) => ({ name: `c${i + 1}`, kubeconfig: s.kubeconfigPath }))], {
      strategy: '{waves: [1, 100%], maxParallel: 2}',
    });
    const cli = startCli(['run', APPROVE_CSRS, '--fleet', file, ...stateIn(namespace), '--output', 'plain'], { timeout: 120_000 });
    const seen = await cli.waitForOutput(/\[c1\] client-pending: started[\s\S]*\[c2\] client-pending: started|\[c2\] client-pending: started[\s\S]*\[c1\] client-pending: started/);
    const fleetId = fleetIdIn(seen);
    const { fleets, runs } = kept(namespace);
    // Killed once both runs' first step is stored in the namespace (the output runs ahead of the journal's requests).
    const stepStored = async (runId?: string) => runId !== undefined && (await runs.has(runId)) && (await runs.read(runId)).events.some((e) => e.type === 'step-start');
    for (;;) {
      const clusters = (await fleets.readFleet(fleetId))!.clusters;
      if ((await stepStored(clusters[1]!.runId)) && (await stepStored(clusters[2]!.runId))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    cli.kill('SIGKILL');
    const killed = await cli.result;
    expect(killed.signal).toBe('SIGKILL');
    const recorded = (await fleets.readFleet(fleetId))!;
    expect(recorded.clusters.map((c) => [c.name, c.status])).toEqual([['done', 'succeeded'], ['c1', 'running'], ['c2', 'running'], ['c3', 'pending']]);
    // As if c3 had been killed between opening its journal and storing its first event: nothing to resume there.
    const empty = '20261203-000000-000-e3e3e3';
    await (await runs.openJournal(empty)).close();
    recorded.clusters[3]!.runId = empty;
    await fleets.writeFleet(recorded);
    const before = (await fleets.readFleet(fleetId))!;
    // A lease cannot tell a killed holder from a live one until it expires: listed as running, not crashed.
    expect(await fleets.isFleetActive(fleetId)).toBe(true);
    const listed = await runCli(['runs', ...stateIn(namespace)]);
    expect(listed.stdout).toMatch(new RegExp(`^${fleetId} .* running `, 'm'));

    const refused = await runCli(['resume', fleetId, ...stateIn(namespace)]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`fleet run ${fleetId} is claimed by pid \\d+ on host .*--break-lock`));
    expect(await fleets.readFleet(fleetId)).toEqual(before);

    const resumed = await runCli(['resume', fleetId, ...stateIn(namespace), '--break-lock', '--output', 'plain'], { timeout: 150_000 });
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode, resumed.stdout).toBe(0);
    expect(resumed.stdout).not.toContain('[done]');
    const after = (await fleets.readFleet(fleetId))!;
    expect(after.clusters.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // The killed clusters' runs were taken over and continued (their leases were live too); done ran once.
    for (const c of after.clusters.slice(1, 3)) {
      expect(c.runId).toBe(before.clusters.find((b) => b.name === c.name)!.runId);
      expect(await runStarts(namespace, c.runId!)).toHaveLength(2);
    }
    expect(await runStarts(namespace, after.clusters[0]!.runId!)).toHaveLength(1);
    // c3 started a new run of its own instead of failing on the empty journal.
    expect(after.clusters[3]!.runId).not.toBe(empty);
    expect(await runStarts(namespace, after.clusters[3]!.runId!)).toHaveLength(1);
    expect(fast!.counters()['update certificatesigningrequests/approval']).toBeGreaterThan(0);
  });
});
