// The simulation's CronJob controller on a virtual clock: Jobs named <cronjob>-<unix minutes> at the schedule's times (timeZone
// included), status.active/lastScheduleTime/lastSuccessfulTime, Forbid, Replace, suspend, startingDeadlineSeconds and the history
// limits; kubectl lists CronJobs and `kubectl create job --from=cronjob/NAME` works on the simulation; a week of a `submit --schedule`
// CronJob runs the real opsbook in each scheduled Job's pod.

import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulation } from '../../src/sim/index.js';
import { normalizeScenario } from '../../src/sim/scenario/normalize.js';
import { startCronJobController } from '../../src/sim/workloads/cronjobs.js';
import { CRONJOB_SCHEDULED_TIMESTAMP, startWorkloads, type Workloads } from '../../src/sim/workloads/index.js';
import { parseCronSchedule } from '../../src/sim/workloads/cron-schedule.js';
import type { KObject } from '../../src/sim/store/types.js';
import type { Json } from '../../src/sim/json.js';
import { runIdForJob } from '../../src/submit/index.js';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import { VirtualClock } from '../../src/time/clock.js';
import { cliEntry, repoRoot, runCli } from '../helpers/cli.js';

type Sim = Awaited<ReturnType<typeof startSimulation>>;
const START = Date.parse('2026-01-01T00:00:00Z'); // a Thursday
const HOUR = 3_600_000;
const minutes = (iso: string) => Date.parse(iso) / 60_000;

let sim: Sim;
let clock: VirtualClock;
let stopController: () => void;
let reported: string[];
let ns: string;
let nsCount = 0;

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** Moves the virtual clock forward a minute at a time, letting the controller's API calls finish after each step. */
async function advance(ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 60_000) {
    await clock.advance(Math.min(60_000, left));
    await settle();
  }
}

const jobs = () => [...sim.access.list('jobs', ns)].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
const cronJob = (name: string) => sim.access.get('cronjobs', ns, name)! as KObject & { status?: Json };

async function createCronJob(name: string, spec: Json): Promise<void> {
  await sim.access.create('cronjobs', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: { jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'none' }] } } } }, ...spec },
  });
  await settle();
}

/** Ends a Job as the Job controller would (none runs in these tests). */
async function finishJob(name: string, type: 'Complete' | 'Failed'): Promise<void> {
  const at = new Date(clock.now()).toISOString();
  await sim.access.updateStatus('jobs', ns, name, (job) => {
    job.status = { startTime: job.metadata.creationTimestamp, ...(type === 'Complete' ? { completionTime: at, succeeded: 1 } : { failed: 1 }), conditions: [{ type, status: 'True', lastTransitionTime: at }] };
  });
  await settle();
}

describe('CronJob controller (virtual clock)', () => {
  // A simulation per test: each starts on Thursday 2026-01-01 00:00 UTC.
  beforeEach(async () => {
    clock = new VirtualClock({ start: START, autoAdvance: false });
    sim = await startSimulation({ scenario: normalizeScenario({ name: 'cronjobs', flavour: 'kubernetes' }), clock });
    reported = [];
    stopController = startCronJobController(sim.access, { clock, startedAt: START, signal: new AbortController().signal, report: (e, where) => reported.push(`${where}: ${(e as Error).message}`) });
    ns = `cj-${++nsCount}`;
    await sim.access.create('namespaces', { metadata: { name: ns } });
  });
  afterEach(async () => {
    stopController?.();
    await sim?.stop();
  });

  it('creates the weekly Job at its time, named <cronjob>-<unix minutes>, owned by the CronJob, and tracks it in status', async () => {
    await createCronJob('weekly', { schedule: '0 6 * * 1' });
    await advance(4 * 24 * HOUR + 6 * HOUR - 60_000); // Monday 05:59
    expect(jobs()).toEqual([]);
    await advance(60_000);
    const [job] = jobs();
    const scheduled = Date.UTC(2026, 0, 5, 6, 0) / 60_000;
    expect(job?.metadata.name).toBe(`weekly-${scheduled}`);
    expect(job?.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'weekly', uid: cronJob('weekly').metadata.uid, controller: true })]);
    expect(job?.metadata.labels).toEqual({ app: 'weekly' });
    expect(job?.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP]).toBe('2026-01-05T06:00:00Z');
    expect((job?.spec as Json).template.spec.containers[0].image).toBe('none');
    expect(cronJob('weekly').status).toEqual({ lastScheduleTime: '2026-01-05T06:00:00Z', active: [expect.objectContaining({ kind: 'Job', name: job!.metadata.name, uid: job!.metadata.uid })] });
    await advance(30 * 60_000);
    await finishJob(job!.metadata.name, 'Complete');
    expect(cronJob('weekly').status).toEqual({ lastScheduleTime: '2026-01-05T06:00:00Z', lastSuccessfulTime: '2026-01-05T06:30:00Z' });
    await advance(7 * 24 * HOUR);
    expect(jobs().map((j) => j.metadata.name)).toEqual([`weekly-${scheduled}`, `weekly-${scheduled + 7 * 24 * 60}`]);
  });

  it('reads the schedule in spec.timeZone', async () => {
    await createCronJob('berlin', { schedule: '0 6 * * *', timeZone: 'Europe/Berlin' });
    await advance(6 * HOUR);
    // 06:00 in Berlin is 05:00 UTC in winter.
    expect(jobs().map((j) => j.metadata.name)).toEqual([`berlin-${minutes('2026-01-01T05:00:00Z')}`]);
    expect(jobs()[0]!.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP]).toBe('2026-01-01T06:00:00+01:00');
  });

  it('concurrencyPolicy Forbid starts nothing while a Job is active; the missed time starts when it ends, unless past startingDeadlineSeconds', async () => {
    await createCronJob('strict', { schedule: '0 * * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 300 });
    await createCronJob('late', { schedule: '0 * * * *', concurrencyPolicy: 'Forbid' });
    await createCronJob('allow', { schedule: '0 * * * *' });
    await advance(3 * HOUR + 10 * 60_000); // 03:10
    const names = (prefix: string) => jobs().map((j) => j.metadata.name).filter((n) => n.startsWith(`${prefix}-`));
    expect(names('strict')).toEqual([`strict-${minutes('2026-01-01T01:00:00Z')}`]);
    expect(names('late')).toEqual([`late-${minutes('2026-01-01T01:00:00Z')}`]);
    expect(names('allow')).toHaveLength(3);
    expect(cronJob('allow').status?.active as unknown[]).toHaveLength(3);
    await finishJob(names('strict')[0]!, 'Complete');
    await finishJob(names('late')[0]!, 'Complete');
    // 03:00 was due 10 minutes ago: past strict's 300 s, so it waits for 04:00; late has no deadline and starts 03:00 now.
    expect(names('strict')).toHaveLength(1);
    expect(names('late')).toEqual([`late-${minutes('2026-01-01T01:00:00Z')}`, `late-${minutes('2026-01-01T03:00:00Z')}`]);
    await advance(50 * 60_000);
    expect(names('strict')).toEqual([`strict-${minutes('2026-01-01T01:00:00Z')}`, `strict-${minutes('2026-01-01T04:00:00Z')}`]);
  });

  it('concurrencyPolicy Replace deletes the active Job for the next one', async () => {
    await createCronJob('replace', { schedule: '0 * * * *', concurrencyPolicy: 'Replace' });
    await advance(2 * HOUR);
    expect(jobs().map((j) => j.metadata.name)).toEqual([`replace-${minutes('2026-01-01T02:00:00Z')}`]);
  });

  it('suspend starts nothing; once resumed, a time missed by more than startingDeadlineSeconds is skipped', async () => {
    await createCronJob('paused', { schedule: '0 * * * *', suspend: true, startingDeadlineSeconds: 60 });
    await advance(3 * HOUR + 30 * 60_000);
    expect(jobs()).toEqual([]);
    await sim.access.mergePatch('cronjobs', ns, 'paused', { spec: { suspend: false } });
    await settle();
    expect(jobs()).toEqual([]);
    await advance(30 * 60_000);
    expect(jobs().map((j) => j.metadata.name)).toEqual([`paused-${minutes('2026-01-01T04:00:00Z')}`]);
  });

  it('keeps successfulJobsHistoryLimit succeeded and failedJobsHistoryLimit failed Jobs, the newest', async () => {
    await createCronJob('history', { schedule: '0 * * * *', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    for (const end of ['Complete', 'Complete', 'Failed', 'Complete', 'Failed'] as const) {
      await advance(HOUR);
      const active = jobs().filter((j) => !((j.status as Json | undefined)?.conditions ?? []).length);
      expect(active).toHaveLength(1);
      await finishJob(active[0]!.metadata.name, end);
    }
    expect(jobs().map((j) => j.metadata.name)).toEqual([`history-${minutes('2026-01-01T02:00:00Z')}`, `history-${minutes('2026-01-01T04:00:00Z')}`, `history-${minutes('2026-01-01T05:00:00Z')}`]);
    expect(cronJob('history').status?.lastSuccessfulTime).toBe('2026-01-01T04:00:00Z');
  });

  it('the API refuses a schedule it cannot parse, an unknown timeZone or concurrencyPolicy (422), and defaults the rest', async () => {
    const refusal = (spec: Json) => createCronJob('broken', spec).then(() => 'created', (error: { code?: number; message?: string }) => `${error.code} ${error.message}`);
    expect(await refusal({ schedule: '0 6 * *' })).toMatch(/^422 .*spec\.schedule: Invalid value: "0 6 \* \*": CronPattern: invalid configuration format/);
    expect(await refusal({ schedule: 'CRON_TZ=UTC 0 6 * * *' })).toMatch(/^422 .*spec\.schedule: Invalid value: .*use timeZone field instead/);
    expect(await refusal({ schedule: '0 6 * * *', timeZone: 'Mars/Olympus' })).toMatch(/^422 .*spec\.timeZone: Invalid value: "Mars\/Olympus": unknown time zone/);
    expect(await refusal({ schedule: '0 6 * * *', concurrencyPolicy: 'Sometimes' })).toMatch(/^422 .*spec\.concurrencyPolicy: Unsupported value: "Sometimes"/);
    expect(await refusal({ schedule: '0 6 * * *' })).toBe('created');
    expect(cronJob('broken').spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(reported).toEqual([]);
  });

  it('kubectl lists the CronJob and creates a Job from it (kubectl create job --from=cronjob/NAME)', async () => {
    await createCronJob('nightly', { schedule: '0 2 * * *', timeZone: 'UTC' });
    await advance(3 * HOUR);
    const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'cronjobs-')), 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig, { mode: 0o600 });
    try {
      const kubectl = (...args: string[]) => execa('kubectl', ['--kubeconfig', kubeconfig, '-n', ns, ...args], { reject: false });
      const listed = await kubectl('get', 'cronjobs');
      expect(listed.exitCode, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\nnightly\s+0 2 \* \* \*\s+UTC\s+False\s+1\s+60m\s+3h$/);
      const created = await kubectl('create', 'job', 'by-hand', '--from=cronjob/nightly');
      expect(created.exitCode, created.stderr).toBe(0);
      expect(created.stdout).toBe('job.batch/by-hand created');
      const job = sim.access.get('jobs', ns, 'by-hand')!;
      expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
      expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'nightly', uid: cronJob('nightly').metadata.uid })]);
      expect((job.spec as Json).template.spec.containers[0].image).toBe('none');
      await settle();
      expect((cronJob('nightly').status?.active as Json[]).map((r) => r.name).sort()).toEqual(['by-hand', `nightly-${minutes('2026-01-01T02:00:00Z')}`]);
    } finally {
      rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
    }
  });
});

describe('kubectl create job --from a submit --schedule CronJob', () => {
  it("gives the CronJob's whole jobTemplate to the Job (kubectl sends it as protobuf)", async () => {
    clock = new VirtualClock({ start: START, autoAdvance: false });
    sim = await startSimulation({ scenario: normalizeScenario({ name: 'cronjobs-kubectl', flavour: 'kubernetes' }), clock });
    const dir = mkdtempSync(path.join(tmpdir(), 'cronjobs-kubectl-'));
    try {
      const kubeconfig = path.join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, sim.kubeconfig, { mode: 0o600 });
      await sim.access.create('namespaces', { metadata: { name: 'ops' } });
      const printed = await runCli(['submit', path.join(repoRoot, 'runbooks/cert-expiry.yaml'), '--namespace', 'ops', '--target-kubeconfig-secret', 'target', '--schedule', '0 6 * * 1', '--print']);
      expect(printed.exitCode, printed.stderr).toBe(0);
      const cron = (parseYamlDocuments(printed.stdout, 'stdout') as KObject[]).find((o) => o.kind === 'CronJob')!;
      await sim.access.create('cronjobs', cron);
      const created = await execa('kubectl', ['--kubeconfig', kubeconfig, '-n', 'ops', 'create', 'job', 'by-hand', `--from=cronjob/${cron.metadata.name}`], { reject: false });
      expect(created.exitCode, created.stderr).toBe(0);
      const job = sim.access.get('jobs', 'ops', 'by-hand')!;
      const template = (cron.spec as Json).jobTemplate;
      // Everything of the template, plus what the API server adds to every Job (SetDefaults_Job, the generated selector and its labels).
      expect(job.spec).toMatchObject(template.spec);
      expect(job.metadata.labels).toEqual(template.metadata.labels);
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseCronSchedule', () => {
  it('gives the next time strictly after a moment, with day-of-month and day-of-week ORed as in cron', () => {
    const at = (schedule: string, after: string, timeZone?: string) => new Date(parseCronSchedule(schedule, timeZone).next(Date.parse(after))!).toISOString();
    expect(at('0 6 * * 1', '2026-01-05T06:00:00Z')).toBe('2026-01-12T06:00:00.000Z');
    expect(at('0 6 * * 1', '2026-01-05T05:59:59Z')).toBe('2026-01-05T06:00:00.000Z');
    expect(at('0 0 13 * 5', '2026-01-09T00:00:00Z')).toBe('2026-01-13T00:00:00.000Z');
    expect(at('@weekly', '2026-01-01T00:00:00Z')).toBe('2026-01-04T00:00:00.000Z');
    expect(at('30 1 * * *', '2026-03-28T12:00:00Z', 'America/New_York')).toBe('2026-03-29T05:30:00.000Z');
    for (const bad of ['0 6 * *', '0 0 6 * * 1', '61 * * * *']) expect(() => parseCronSchedule(bad)).toThrow(/unparseable schedule/);
    expect(() => parseCronSchedule('0 * * * *', 'Mars/Olympus')).toThrow(/in time zone Mars\/Olympus/);
  });
});

describe('a week of a submit --schedule CronJob on the simulation', () => {
  const IMAGE = 'ghcr.io/opsbook/opsbook:cron-e2e';
  let workloads: Workloads;
  let dir: string;
  const stop = new AbortController();
  beforeAll(async () => {
    clock = new VirtualClock({ start: START, autoAdvance: false });
    sim = await startSimulation({ scenario: normalizeScenario({ name: 'cronjobs-e2e', flavour: 'kubernetes' }), clock });
    const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
    workloads = startWorkloads(sim.access, { clock, startedAt: START, signal: stop.signal, report: (e) => console.error(e) }, {
      images: { [IMAGE]: { command: [process.execPath, '--import', tsx, cliEntry], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' } } },
      replacementDelayMs: () => 0,
      gracePeriodMs: 5_000,
    });
    ns = 'ops';
    await sim.access.create('namespaces', { metadata: { name: ns } });
    await sim.access.create('secrets', { metadata: { name: 'target', namespace: ns }, stringData: { value: sim.kubeconfig } });
  });
  afterAll(async () => {
    workloads?.stop();
    stop.abort();
    await sim?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cronjobs-e2e-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the real opsbook in each scheduled Job: Thursday and Monday at 06:00, one run each', async () => {
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig, { mode: 0o600 });
    const runbook = path.join(dir, 'mark.yaml');
    writeFileSync(runbook, ['apiVersion: opsbook.dev/v1', 'kind: Runbook', 'metadata: { name: mark }', 'spec:', '  inputs:', '    dir: { type: string }', '  steps:', '    - id: mark', '      env: { DIR: "${{ inputs.dir }}" }', '      run: echo "ran $OPSBOOK_JOB_NAME" >> "$DIR/marks"', ''].join('\n'));
    const submitted = await runCli(['submit', runbook, '--namespace', ns, '--kubeconfig', kubeconfig, '--image', IMAGE, '--target-kubeconfig-secret', 'target', '--set', `dir=${dir}`, '--schedule', '0 6 * * 1,4']);
    expect(submitted.exitCode, submitted.stderr).toBe(0);
    const [cron] = sim.access.list('cronjobs', ns);
    expect((cron!.spec as Json).concurrencyPolicy).toBe('Forbid');
    const marks = () => (existsSync(path.join(dir, 'marks')) ? readFileSync(path.join(dir, 'marks'), 'utf8').trim().split('\n') : []);
    const complete = (job: KObject) => ((job.status as Json | undefined)?.conditions ?? []).some((c: Json) => c.type === 'Complete' && c.status === 'True');
    const expected: string[] = [];
    // Hour by hour through the week; whenever a Job is running, real time passes until it completes.
    for (let hour = 0; hour < 7 * 24; hour++) {
      await advance(HOUR);
      const running = sim.access.list('jobs', ns).filter((j) => !complete(j));
      for (const job of running) {
        expected.push(job.metadata.name);
        const end = Date.now() + 60_000;
        while (!complete(sim.access.get('jobs', ns, job.metadata.name) ?? job)) {
          if (Date.now() > end) throw new Error(`${job.metadata.name} did not complete: ${JSON.stringify(sim.access.get('jobs', ns, job.metadata.name)?.status)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    const name = cron!.metadata.name;
    expect(expected).toEqual([`${name}-${minutes('2026-01-01T06:00:00Z')}`, `${name}-${minutes('2026-01-05T06:00:00Z')}`]);
    expect(marks()).toEqual(expected.map((n) => `ran ${n}`));
    // Each scheduled run is kept in the namespace under the run id its Job's name gives.
    const runs = await runCli(['runs', '--state', `kubernetes://${ns}`, '--kubeconfig', kubeconfig, '--output', 'json']);
    expect(runs.exitCode, runs.stderr).toBe(0);
    expect((JSON.parse(runs.stdout) as { runId: string; status: string }[]).map((r) => [r.runId, r.status]).sort()).toEqual(expected.map((n) => [runIdForJob(n), 'succeeded']).sort());
    expect(sim.access.get('cronjobs', ns, name)!.status).toMatchObject({ lastScheduleTime: '2026-01-05T06:00:00Z', lastSuccessfulTime: expect.any(String) });
  }, 120_000);
});
