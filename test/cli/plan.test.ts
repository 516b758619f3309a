import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, useTempDir } from './fixtures.js';

const tmp = useTempDir();

describe('opsbook plan (end to end)', { timeout: 120_000 }, () => {
  it('prints waves, policies, worst case vs deadline and undetermined conditions, and touches nothing', async () => {
    const mark = path.join(tmp.dir, 'touched');
    const r = await runCli(['plan', fixture('touch.yaml'), '--set', `mark=${mark}`], { cwd: tmp.dir });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Plan for cli-touch');
    expect(r.stdout).toContain('Wave 1\n  touch (shell, mutating)');
    expect(r.stdout).toContain('timeout 20s per attempt; 3 attempts, backoff 1s ×2 up to 4s with jitter, on transient/timeout; worst case');
    expect(r.stdout).toMatch(/when steps\.touch\.outputs\.size\(\) > 0: undetermined/);
    expect(r.stdout).toMatch(/Critical path: touch → later, worst case .* against a deadline of 30s/);
    expect(r.stdout).toMatch(/WARNING: .*deadline/);
    expect(existsSync(mark)).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual([]); // no state dir, no journal
  });

  it('--output json gives the plan structure', async () => {
    const mark = path.join(tmp.dir, 'touched');
    const r = await runCli(['plan', fixture('touch.yaml'), '--set', `mark=${mark}`, '--output', 'json'], { cwd: tmp.dir });
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.waves).toEqual([['touch'], ['later']]);
    expect(plan.deadline.ms).toBe(30_000);
    expect(plan.criticalPath.steps).toEqual(['touch', 'later']);
    expect(plan.criticalPath.worstCaseMs).toBeGreaterThan(30_000);
    expect(plan.steps.find((s: { id: string }) => s.id === 'later').when.result).toBe('undetermined');
    expect(existsSync(mark)).toBe(false);
  });

  it('an invalid runbook exits 2 from plan too', async () => {
    const r = await runCli(['plan', fixture('invalid.yaml')], { cwd: tmp.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${fixture('invalid.yaml')}:9:7:`);
  });
});
