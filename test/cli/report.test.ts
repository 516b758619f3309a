// `opsbook report` and `--report` end to end: a secret never reaches a report, an interrupted or killed run still
// renders; reports of runs kept in the cluster store, of a resumed run, and of fleet runs (run, resume, rehearse).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { junitViolations } from '../report/junit-schemas.js';
import { APPROVE_CSRS, TWO_WORKERS, fleetIdIn, startClusters, writeDeadKubeconfig, writeFleet } from './fleet-helpers.js';
import { fixture, journalText, runIds, useTempDir } from './fixtures.js';

const reportFixture = (name: string) => path.join(path.dirname(new URL(import.meta.url).pathname), '../report/fixtures', name);
const SECRET = 'pa55-report-s3cret';

const tmp = useTempDir();

const report = (id: string, format: string) => runCli(['report', id, '--format', format, '--state-dir', tmp.stateDir]);

describe('opsbook report', () => {
  it('never shows a secret value: the run echoes it to stdout, stderr, an output and an error, and none of the three formats has it', async () => {
    const file = path.join(tmp.dir, 'run.html');
    const r = await runCli(['run', reportFixture('report.yaml'), '--set', `dir=${tmp.dir}`, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', file], { env: { REPORT_TEST_TOKEN: SECRET } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report: wrote ${file} (html)`);
    const [runId] = runIds(tmp.stateDir);
    // The run did use the secret (masked in the journal), so a report leaking it would have had it to leak.
    expect(journalText(tmp.stateDir, runId!)).toContain('token is ***');
    const texts = [readFileSync(file, 'utf8'), ...(await Promise.all(['html', 'markdown', 'junit'].map(async (f) => (await report(runId!, f)).stdout)))];
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(500);
      expect(text).not.toContain(SECRET);
      // Markdown escapes the mask's asterisks so they are not read as emphasis.
      expect(text.includes('***') || text.includes('\\*\\*\\*')).toBe(true);
    }
    // The machine that ran it, journaled in run-start: in the inputs section and as the JUnit suite's hostname.
    expect(texts[0]).toContain(`<p class="hosts">Ran on <code>${hostname()}</code></p>`);
    expect(texts[3]).toContain(` hostname="${hostname()}" `);
  });

  it('writes --report at the end of a run stopped by SIGTERM, marked interrupted', async () => {
    const file = path.join(tmp.dir, 'stopped.md');
    const cli = startCli(['run', reportFixture('slow.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain', '--report', file]);
    await cli.waitForOutput('waiting');
    cli.kill('SIGTERM');
    const r = await cli.result;
    expect(r.exitCode).toBe(143);
    const md = readFileSync(file, 'utf8');
    expect(md).toMatch(/^# ⚠ report-slow/);
    expect(md).toMatch(/\*\*Status:\*\* interrupted/);
    expect(md).toMatch(/\| ✔ \| quick \(`quick`\) \| shell \| succeeded \| 1 \|/);
  });

  it('reports a run whose CLI was killed with SIGKILL (no run-end in its journal) as interrupted, the running step cut short', async () => {
    const cli = startCli(['run', reportFixture('slow.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain']);
    await cli.waitForOutput('waiting');
    cli.kill('SIGKILL');
    await cli.result;
    const [runId] = runIds(tmp.stateDir);
    expect(journalText(tmp.stateDir, runId!)).not.toContain('"run-end"');
    const md = await report(runId!, 'markdown');
    expect(md.exitCode, md.stderr).toBe(0);
    expect(md.stdout).toContain('**Status:** interrupted (the journal has no run-end');
    expect(md.stdout).toMatch(/\| … \| wait \(`wait`\) \| shell \| running \| 1 \|/);
    const xml = await report(runId!, 'junit');
    expect(xml.stdout).toContain('<error message="interrupted: the journal ends while this step ran" type="interrupted">');
    const html = await report(runId!, 'html');
    expect(html.stdout).toContain('attempt-open');
  });

  it('exits 2 for an unknown id, and run --report refuses an extension it cannot tell before anything runs', async () => {
    const missing = await report('20260101-000000-000-abcdef', 'markdown');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('no run or fleet run 20260101-000000-000-abcdef');
    const r = await runCli(['run', reportFixture('slow.yaml'), '--state-dir', tmp.stateDir, '--report', path.join(tmp.dir, 'r.txt')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--report-format');
    expect(() => runIds(tmp.stateDir)).toThrow();
    const fleet = await runCli(['run', reportFixture('slow.yaml'), '--contexts', 'sim-*', '--state-dir', tmp.stateDir, '--report', path.join(tmp.dir, 'r.txt')]);
    expect(fleet.exitCode).toBe(2);
    expect(fleet.stderr).toContain('--report-format');
    const rehearsal = await runCli(['rehearse', reportFixture('slow.yaml'), '--scenario', TWO_WORKERS, '--clusters', '2', '--report', path.join(tmp.dir, 'r.txt')]);
    expect(rehearsal.exitCode).toBe(2);
    expect(rehearsal.stderr).toContain('--report-format');
    const resume = await runCli(['resume', '20260101-000000-000-abcdef', '--state-dir', tmp.stateDir, '--report', path.join(tmp.dir, 'r.txt')]);
    expect(resume.exitCode).toBe(2);
    expect(resume.stderr).toContain('--report-format');
    const bad = await runCli(['report', '../etc', '--state-dir', tmp.stateDir]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('../etc is not a run id or fleet run id');
  });
});

describe('resume --report', () => {
  it('writes the report of the whole run: its first start, the attempt that failed before the resume, every step as it ended', async () => {
    const first = await runCli(['run', fixture('resume.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain', '--set', `dir=${tmp.dir}`, '--report', path.join(tmp.dir, 'first.md')]);
    expect(first.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    expect(readFileSync(path.join(tmp.dir, 'first.md'), 'utf8')).toMatch(/\*\*Status:\*\* failed/);
    writeFileSync(path.join(tmp.dir, 'ready'), '');
    const file = path.join(tmp.dir, 'resumed.md');
    const resumed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', file]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`report: wrote ${file} (markdown)`);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain(`# ✔ cli-resume · run ${runId}`);
    const started = /"time":"([^"]+)"/.exec(journalText(tmp.stateDir, runId!))![1]!;
    expect(md).toContain(`**Resumed:** 1 time (started ${started})`);
    expect(md).toMatch(/\| ✔ \| once \(`once`\) \| shell \| succeeded \(reused[^|]*\) \|/);
    // The gate's failed attempt before the resume is in the report too, with its error.
    expect(md).toMatch(/\| ✔ \| gate \(`gate`\) \| shell \| succeeded \| 2 \|/);
    expect(md).toMatch(/## Failures\n\n- gate attempt 1\/\d+ \(permanent\): /);
  });
});

describe('reports of runs kept in the cluster (--state kubernetes://NS)', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let kubeconfig: string;
  beforeAll(async () => {
    cluster = await startTestCluster();
    await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'reports' } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  beforeEach(() => {
    kubeconfig = path.join(tmp.dir, 'kubeconfig');
    writeFileSync(kubeconfig, cluster.sim.kubeconfig, { mode: 0o600 });
  });

  it('run --report reads the journal back from the cluster; report RUN_ID reads it with --state or $OPSBOOK_STATE, as from the state directory', async () => {
    const file = path.join(tmp.dir, 'run.xml');
    const r = await runCli(['run', reportFixture('report.yaml'), '--set', `dir=${tmp.dir}`, '--state', 'kubernetes://reports', '--kubeconfig', kubeconfig, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', file], { env: { REPORT_TEST_TOKEN: SECRET } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report: wrote ${file} (junit)`);
    const runId = /run (\d{8}-\S+) started/.exec(r.stdout)![1]!;
    // Nothing of the run is in the state directory: the report came from the cluster's journal.
    expect(existsSync(path.join(tmp.stateDir, 'runs', runId))).toBe(false);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toContain(`<property name="run.id" value="${runId}"/>`);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(junitViolations(xml, 'jenkins', tmp.dir, 'run-jenkins.xml')).toEqual([]);

    const byFlag = await runCli(['report', runId, '--state', 'kubernetes://reports', '--kubeconfig', kubeconfig, '--format', 'markdown']);
    expect(byFlag.exitCode, byFlag.stderr).toBe(0);
    expect(byFlag.stdout).toMatch(/^# ✔ report-tour · run /);
    expect(byFlag.stdout).toMatch(/\| ✔ \| Fails once \\\| then passes \(`flaky`\) \| shell \| succeeded \| 2 \|/);
    const byEnv = await runCli(['report', runId, '--kubeconfig', kubeconfig, '--format', 'markdown'], { env: { OPSBOOK_STATE: 'kubernetes://reports' } });
    expect(byEnv.exitCode, byEnv.stderr).toBe(0);
    expect(byEnv.stdout).toBe(byFlag.stdout);
    for (const text of [xml, byFlag.stdout]) expect(text).not.toContain(SECRET);

    const noFleet = await runCli(['report', 'fleet-20260101-000000-000-abcdef', '--state', 'kubernetes://reports', '--kubeconfig', kubeconfig]);
    expect(noFleet.exitCode).toBe(2);
    expect(noFleet.stderr).toContain('no fleet run fleet-20260101-000000-000-abcdef in kubernetes://reports');
    const missing = await runCli(['report', '20260101-000000-000-abcdef', '--state', 'kubernetes://reports', '--kubeconfig', kubeconfig]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('no run or fleet run 20260101-000000-000-abcdef (looked for kubernetes://reports/');
  });

  it('a fleet run kept in the namespace: run --fleet --report writes its matrix, report FLEET_ID reads the record and the clusters\' runs from there', async () => {
    const sims = await startClusters(2);
    try {
      const fleet = writeFleet(path.join(tmp.dir, 'fleet.yaml'), [{ name: 'east', kubeconfig: sims[0]!.kubeconfigPath }, { name: 'west', kubeconfig: sims[1]!.kubeconfigPath }]);
      const md = path.join(tmp.dir, 'fleet.md');
      const r = await runCli(['run', APPROVE_CSRS, '--fleet', fleet, '--state', 'kubernetes://reports', '--kubeconfig', kubeconfig, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', md], { timeout: 90_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain(`report: wrote ${md} (markdown)`);
      const fleetId = fleetIdIn(r.stdout);
      expect(existsSync(path.join(tmp.stateDir, 'fleets'))).toBe(false);
      const rows = (text: string) => text.split('\n').filter((l) => /^\| \d+ \| /.test(l)).map((l) => l.split(' | ').slice(1, 3).join(' | '));
      expect(rows(readFileSync(md, 'utf8'))).toEqual(['east | ✔ succeeded', 'west | ✔ succeeded']);
      const xml = await runCli(['report', fleetId, '--state', 'kubernetes://reports', '--kubeconfig', kubeconfig, '--format', 'junit']);
      expect(xml.exitCode, xml.stderr).toBe(0);
      expect([...xml.stdout.matchAll(/<testsuite name="approve-csrs on (\S+) /g)].map((m) => m[1])).toEqual(['east', 'west']);
      expect(junitViolations(xml.stdout, 'jenkins', tmp.dir, 'cluster-fleet.xml')).toEqual([]);
    } finally {
      await Promise.all(sims.map((s) => s.stop()));
    }
  });
});

describe('--report with a fleet run', { timeout: 240_000 }, () => {
  it('run --fleet --report writes the cluster × step matrix when the rollout stops; resume FLEET_ID --report when it completes', async () => {
    const sims = await startClusters(2);
    try {
      const dead = writeDeadKubeconfig(path.join(tmp.dir, 'flaky.kubeconfig'), sims[1]!);
      const fleet = writeFleet(path.join(tmp.dir, 'fleet.yaml'), [{ name: 'canary', kubeconfig: sims[0]!.kubeconfigPath }, { name: 'flaky', kubeconfig: dead }], { strategy: '{waves: [1, 1], maxParallel: 1, maxFailures: 0}' });
      const md = path.join(tmp.dir, 'fleet.md');
      const first = await runCli(['run', APPROVE_CSRS, '--fleet', fleet, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', md], { timeout: 90_000 });
      expect(first.exitCode, first.stderr).toBe(1);
      expect(first.stderr).toContain(`report: wrote ${md} (markdown)`);
      const fleetId = fleetIdIn(first.stdout);
      const matrix = readFileSync(md, 'utf8').split('\n').filter((l) => l.startsWith('| '));
      expect(matrix[0]).toMatch(/^\| Wave \| Cluster \| Status \| /);
      expect(matrix.slice(1).map((l) => l.split(' | ').slice(0, 3).join(' | '))).toEqual(['| 1 | canary | ✔ succeeded', '| 2 | flaky | ✖ failed']);

      writeFileSync(dead, sims[1]!.kubeconfig);
      const xml = path.join(tmp.dir, 'fleet.xml');
      const resumed = await runCli(['resume', fleetId, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', xml], { timeout: 90_000 });
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`report: wrote ${xml} (junit)`);
      const text = readFileSync(xml, 'utf8');
      expect([...text.matchAll(/<testsuite name="approve-csrs on (\S+) /g)].map((m) => m[1])).toEqual(['canary', 'flaky']);
      expect(text).not.toMatch(/<failure|<error/);
      expect(junitViolations(text, 'jenkins', tmp.dir, 'fleet-jenkins.xml')).toEqual([]);
      // Ant's schema has no skipped tests: it is met whenever no step was skipped (see test/report/junit-schemas.test.ts).
      if (!text.includes('<skipped>')) expect(junitViolations(text, 'ant', tmp.dir, 'fleet-ant.xml')).toEqual([]);
    } finally {
      await Promise.all(sims.map((s) => s.stop()));
    }
  });

  it('rehearse --clusters N --report writes the fleet report before the rehearsal\'s state goes', async () => {
    const file = path.join(tmp.dir, 'rehearsal.html');
    const r = await runCli(['rehearse', APPROVE_CSRS, '--scenario', TWO_WORKERS, '--clusters', '2', '--time-scale', '600', '--output', 'plain', '--report', file], { timeout: 170_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report: wrote ${file} (html)`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<a href="#cluster-sim-1">sim-1</a>');
    expect(html).toContain('<a href="#cluster-sim-2">sim-2</a>');
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(2);
  });
});
