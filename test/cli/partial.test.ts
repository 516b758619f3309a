import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, journalEvents, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

const count = (step: string) => {
  const file = path.join(tmp.dir, `${step}.count`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
};
const counts = () => ({ inventory: count('inventory'), audit: count('audit'), approve: count('approve'), finish: count('finish') });

async function firstRun(): Promise<string> {
  const r = await runCli(['run', fixture('partial.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return runIds(tmp.stateDir)[0]!;
}

describe('partial re-runs (end to end)', { timeout: 120_000 }, () => {
  it('resume --from STEP re-runs the step and its dependants in a succeeded run, reusing the rest', async () => {
    const runId = await firstRun();
    writeFileSync(path.join(tmp.dir, 'hosts'), 'b');
    const r = await runCli(['resume', runId, '--from', 'approve', '--state-dir', tmp.stateDir, '--output', 'plain']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(counts()).toEqual({ inventory: 1, audit: 1, approve: 2, finish: 2 });
    // inventory was reused: approve got its journaled output, not the changed file
    expect(readFileSync(path.join(tmp.dir, 'approved.hosts'), 'utf8')).toBe('a\n');
    expect(r.stdout).toContain('selection: --from approve');
    expect(r.stdout).toContain('approve: runs again: --from approve');
    expect(r.stdout).toContain('finish: runs again: downstream of --from approve (needs approve)');
    expect(r.stdout).toContain('inventory: succeeded earlier (outputs reused)');
    const events = journalEvents(tmp.stateDir, runId);
    const starts = events.filter((e) => e.type === 'run-start');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({
      resumedFrom: runId,
      selection: { from: ['approve'] },
      rerun: [
        { stepId: 'approve', reason: '--from approve' },
        { stepId: 'finish', reason: 'downstream of --from approve (needs approve)' },
      ],
    });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
  });

  it('resume --from an unknown step exits 2 with a did-you-mean, and a succeeded run without --from is still refused', async () => {
    const runId = await firstRun();
    const typo = await runCli(['resume', runId, '--from', 'aprove', '--state-dir', tmp.stateDir]);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain("--from aprove: no step 'aprove'");
    expect(typo.stderr).toContain("did you mean 'approve'?");
    const plain = await runCli(['resume', runId, '--state-dir', tmp.stateDir]);
    expect(plain.exitCode).toBe(2);
    expect(plain.stderr).toContain('--from STEP');
    expect(counts()).toEqual({ inventory: 1, audit: 1, approve: 1, finish: 1 });
    expect(journalEvents(tmp.stateDir, runId).filter((e) => e.type === 'run-start')).toHaveLength(1);
  });

  it('run --only STEP --from-run reuses the other steps with their outputs in a new run', async () => {
    const earlier = await firstRun();
    writeFileSync(path.join(tmp.dir, 'hosts'), 'b');
    const r = await runCli(['run', fixture('partial.yaml'), '--only', 'approve', '--from-run', earlier, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(counts()).toEqual({ inventory: 1, audit: 1, approve: 2, finish: 1 });
    expect(readFileSync(path.join(tmp.dir, 'approved.hosts'), 'utf8')).toBe('a\n');
    expect(r.stdout).toContain(`inventory: reused from run ${earlier} (succeeded, outputs reused): not selected (--only approve)`);
    const later = runIds(tmp.stateDir).find((id) => id !== earlier)!;
    const events = journalEvents(tmp.stateDir, later);
    expect(events[0]).toMatchObject({ type: 'run-start', selection: { only: ['approve'], fromRun: earlier } });
    expect(events.find((e) => e.type === 'step-end' && e.stepId === 'inventory')).toMatchObject({
      status: 'succeeded', reused: true, reusedFrom: earlier, outputs: { hosts: 'a' }, reason: 'not selected (--only approve)',
    });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
  });

  it('run --from STEP --from-run runs the step and its dependants in a new run, reusing the rest', async () => {
    const earlier = await firstRun();
    const r = await runCli(['run', fixture('partial.yaml'), '--from', 'approve', '--from-run', earlier, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(counts()).toEqual({ inventory: 1, audit: 1, approve: 2, finish: 2 });
    expect(runIds(tmp.stateDir)).toHaveLength(2);
    // Each left-out step names --from, the flag used (not --only, which --from is turned into).
    expect(r.stdout).toContain(`inventory: reused from run ${earlier} (succeeded, outputs reused): not selected (not downstream of --from approve)`);
    expect(r.stdout).toContain(`audit: reused from run ${earlier} (succeeded, outputs reused): not selected (not downstream of --from approve)`);
    expect(r.stdout).not.toContain('--only');
    const later = runIds(tmp.stateDir).find((id) => id !== earlier)!;
    expect(journalEvents(tmp.stateDir, later)[0]).toMatchObject({ type: 'run-start', selection: { from: ['approve'], fromRun: earlier } });
  });

  it('run --only exits 2 before anything runs when a selected step reads an output nothing provides, naming it', async () => {
    const r = await runCli(['run', fixture('partial.yaml'), '--only', 'approve', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/partial\.yaml:\d+:\d+: spec\.steps\[2\] \(approve\)\.needs needs inventory, but step 'inventory' is not selected/);
    expect(r.stderr).toContain('(approve).env.HOSTS reads steps.inventory.outputs.hosts');
    expect(r.stderr).toContain('--from-run RUN_ID');
    expect(counts()).toEqual({ inventory: 0, audit: 0, approve: 0, finish: 0 });
    expect(existsSync(path.join(tmp.stateDir, 'runs')) ? runIds(tmp.stateDir) : []).toEqual([]);
  });

  it('run --skip leaves steps out with reason "not selected (--skip STEP)"; an unknown id gets a did-you-mean', async () => {
    const r = await runCli(['run', fixture('partial.yaml'), '--skip', 'audit,finish', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(counts()).toEqual({ inventory: 1, audit: 0, approve: 1, finish: 0 });
    expect(r.stdout).toContain('audit: skipped: not selected (--skip audit); no --from-run to reuse it from');
    expect(r.stdout).toContain('finish: skipped: not selected (--skip finish); no --from-run to reuse it from');
    const [runId] = runIds(tmp.stateDir);
    expect(journalEvents(tmp.stateDir, runId!).find((e) => e.type === 'step-end' && e.stepId === 'finish')).toMatchObject({
      status: 'skipped', skip: 'selection',
    });
    const needed = await runCli(['run', fixture('partial.yaml'), '--skip', 'audit', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(needed.exitCode).toBe(2);
    expect(needed.stderr).toContain("(finish).needs needs audit, but step 'audit' is not selected");
    const typo = await runCli(['run', fixture('partial.yaml'), '--skip', 'audti', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain("did you mean 'audit'?");
    expect(counts().audit).toBe(0);
  });
});

describe('plan with a selection (end to end)', { timeout: 120_000 }, () => {
  it('shows which steps would run and which would be reused from --from-run, and runs nothing', async () => {
    const earlier = await firstRun();
    const r = await runCli(['plan', fixture('partial.yaml'), '--only', 'approve,finish', '--from-run', earlier, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Selection --only approve,finish --from-run ${earlier}: would run approve, finish; would reuse inventory, audit; would skip (none)`);
    expect(r.stdout).toMatch(new RegExp(`  inventory \\(shell.*\\n    would reuse run ${earlier}'s outcome \\(not selected \\(--only approve,finish\\)\\)`));
    expect(r.stdout).toMatch(/ {2}approve \(shell.*needs inventory\n {4}would run\n/);
    const json = await runCli(['plan', fixture('partial.yaml'), '--skip', 'audit,finish', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'json']);
    expect(json.exitCode).toBe(0);
    const plan = JSON.parse(json.stdout);
    expect(plan.selection).toEqual({ skip: ['audit', 'finish'] });
    expect(plan.steps.map((s: { id: string; selection: { action: string } }) => [s.id, s.selection.action])).toEqual([
      ['inventory', 'run'], ['audit', 'skip'], ['approve', 'run'], ['finish', 'skip'],
    ]);
    const refused = await runCli(['plan', fixture('partial.yaml'), '--only', 'finish', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("(finish).needs needs approve, but step 'approve' is not selected");
    expect(counts()).toEqual({ inventory: 1, audit: 1, approve: 1, finish: 1 });
  });

  it('plan --from STEP --from-run previews what `resume --from` would do: the step and its dependants run, the rest is reused', async () => {
    const earlier = await firstRun();
    const r = await runCli(['plan', fixture('partial.yaml'), '--from', 'approve', '--from-run', earlier, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.steps.map((s: { id: string; selection: { action: string } }) => [s.id, s.selection.action])).toEqual([
      ['inventory', 'reuse'], ['audit', 'reuse'], ['approve', 'run'], ['finish', 'run'],
    ]);
    expect(plan.selection).toEqual({ from: ['approve'], fromRun: earlier });
    expect(plan.steps[0].selection.reason).toBe('not selected (not downstream of --from approve)');
    // Reused steps take no time: the worst cases count approve and finish only.
    const ms = (id: string) => plan.steps.find((s: { id: string }) => s.id === id).worstCaseMs as number;
    expect(plan.criticalPath).toEqual({ steps: ['approve', 'finish'], worstCaseMs: ms('approve') + ms('finish') });
    expect(plan.worstCaseMs).toBe(ms('approve') + ms('finish'));
    const text = await runCli(['plan', fixture('partial.yaml'), '--from', 'approve', '--from-run', earlier, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(text.stdout).toContain(`Selection --from approve --from-run ${earlier}: would run approve, finish; would reuse inventory, audit; would skip (none)`);
    expect(text.stdout).toContain('Critical path: approve → finish,');
    const noRun = await runCli(['plan', fixture('partial.yaml'), '--from', 'approve', '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(noRun.exitCode).toBe(2);
    expect(noRun.stderr).toContain('pass --from-run RUN_ID');
    const typo = await runCli(['plan', fixture('partial.yaml'), '--from', 'aprove', '--from-run', earlier, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain("did you mean 'approve'?");
    expect(counts()).toEqual({ inventory: 1, audit: 1, approve: 1, finish: 1 });
  });
});
