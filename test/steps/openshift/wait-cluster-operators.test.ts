import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import { steps } from '../../../src/steps/openshift/index.js';
import { waitClusterOperatorsStep as step } from '../../../src/steps/openshift/wait-cluster-operators.js';
import { createPlanContext, createTestContext, planStep, prepareParams, runStep } from './context.js';
import { fixture, startCluster, type SimCluster } from './sim.js';

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

interface OperatorOutput {
  name: string;
  available: string;
  progressing: string;
  degraded: string;
}

describe('wait-cluster-operators', () => {
  it('is registered', () => {
    expect(steps.map((s) => s.type)).toContain('wait-cluster-operators');
  });

  it('waits for operators that settle late, naming the unsettled ones and why while it waits', async () => {
    cluster = await startCluster(fixture('operators-late.yaml'));
    const { sim, kube } = cluster;
    const { ctx, recorded } = createTestContext({ clock: sim.clock, kube, timeoutMs: 60 * 60_000 });
    const out = await runStep(step, {}, ctx);
    // console settles 40 simulated minutes after the start
    expect(sim.clock.now() - sim.startedAt).toBeGreaterThanOrEqual(40 * 60_000);
    const operators = out.operators as OperatorOutput[];
    // image-registry comes with every OpenShift simulation (Removed, hence Available)
    expect(operators.map((o) => o.name)).toEqual(['authentication', 'console', 'etcd', 'image-registry']);
    expect(operators.every((o) => o.available === 'True' && o.progressing === 'False' && o.degraded === 'False')).toBe(true);
    // the first look (how far the scenario got depends on the machine's speed): both late operators named, with why
    expect(recorded.progress[0]).toMatch(/^2\/4 not settled: authentication Available=False \(.+\); console (Available|Degraded)=\w+ \(.+\)$/);
    // console passes through Degraded: shown, waited out, not fatal
    expect(recorded.progress.some((p) => p.includes('console Degraded=True (RouteHealthDegraded: route not reachable yet)'))).toBe(true);
    expect(recorded.reports).toEqual([]);
  });

  it('only waits for the named operators', async () => {
    cluster = await startCluster(fixture('operators-late.yaml'));
    const { sim, kube } = cluster;
    const { ctx } = createTestContext({ clock: sim.clock, kube, timeoutMs: 60 * 60_000 });
    const out = await runStep(step, { names: ['etcd', 'authentication'] }, ctx);
    expect(out.settled).toEqual(['authentication', 'etcd']);
    // authentication settles at 30m; console (not named) only at 40m
    expect(sim.clock.now() - sim.startedAt).toBeGreaterThanOrEqual(30 * 60_000);
    expect(sim.clock.now() - sim.startedAt).toBeLessThan(40 * 60_000);
  });

  it('accepts Progressing=True when allowed', async () => {
    cluster = await startCluster(fixture('operators-late.yaml'));
    const { sim, kube } = cluster;
    const { ctx } = createTestContext({ clock: sim.clock, kube, timeoutMs: 60 * 60_000 });
    const out = await runStep(step, { names: ['console'], allowProgressing: ['console'] }, ctx);
    // done in the 25m–40m phase: Available, not Degraded, still Progressing
    expect((out.operators as OperatorOutput[])[0]).toMatchObject({ name: 'console', available: 'True', progressing: 'True', degraded: 'False' });
    expect(sim.clock.now() - sim.startedAt).toBeLessThan(40 * 60_000);
  });

  it('times out on an operator that stays Degraded, with the `oc get clusteroperators` table', async () => {
    cluster = await startCluster(fixture('operators-degraded.yaml'));
    const { sim, kube } = cluster;
    const { ctx, recorded } = createTestContext({ clock: sim.clock, kube, timeoutMs: 10 * 60_000 });
    const error = (await runStep(step, {}, ctx).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.errorClass).toBe('timeout');
    expect(error.message).toMatch(/^cluster operators did not settle within \d+m(\d+s)?: 1\/3 not settled: ingress Degraded=True/);
    expect(recorded.reports).toHaveLength(1);
    const table = recorded.reports[0]!;
    expect(table.columns).toEqual(['name', 'available', 'progressing', 'degraded', 'since', 'message']);
    expect(table.rows).toHaveLength(1);
    const [name, available, progressing, degraded, since, message] = table.rows[0]!;
    expect([name, available, progressing, degraded]).toEqual(['ingress', 'True', 'False', 'True']);
    // like oc's SINCE column: how long ago the condition changed (Degraded since the start: minutes)
    expect(since).toMatch(/^\d+m(\d+s)?$/);
    expect(message).toBe('IngressControllerDegraded: The "default" ingress controller reports Degraded=True: PodsScheduled=False');
  });

  it('settles when the degraded operator is ignored', async () => {
    cluster = await startCluster(fixture('operators-degraded.yaml'));
    const { sim, kube } = cluster;
    const { ctx } = createTestContext({ clock: sim.clock, kube, timeoutMs: 10 * 60_000 });
    const out = await runStep(step, { ignore: ['ingress'] }, ctx);
    expect(out.settled).toEqual(['etcd', 'image-registry']);
  });

  it('fails on a named operator that does not exist, saying so', async () => {
    cluster = await startCluster(fixture('operators-degraded.yaml'));
    const { sim, kube } = cluster;
    const { ctx, recorded } = createTestContext({ clock: sim.clock, kube, timeoutMs: 5 * 60_000 });
    const error = (await runStep(step, { names: ['nope'] }, ctx).catch((e: unknown) => e)) as StepError;
    expect(error.errorClass).toBe('timeout');
    expect(recorded.reports[0]!.rows[0]).toEqual(['nope', 'Unknown', 'Unknown', 'Unknown', '', 'ClusterOperator not found']);
  });

  it('plans by listing what is not settled now, changing nothing', async () => {
    cluster = await startCluster(fixture('operators-degraded.yaml'));
    const preview = await planStep(step, {}, createPlanContext(cluster.kube, cluster.sim.clock));
    // etcd settles 2 simulated minutes in, ingress never; image-registry is settled from the start
    expect(preview.summary).toBe('would wait for 2/3 cluster operators to settle');
    expect(preview.tables![0]!.rows.map((r) => r[0])).toEqual(['etcd', 'ingress']);
  });

  it('rejects an operator both named and ignored', () => {
    expect(() => prepareParams(step, { names: ['a'], ignore: ['a'] })).toThrow('names[0]: a is both waited for and ignored');
  });
});
