// A reduced bench/chaos in CI: random SIGKILL/SIGHUP of the real CLI and resumes against the simulated cluster; no step
// may run again after its success, overlap itself, or outlive its run. Counts only, no timing thresholds.

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

describe.skipIf(!existsSync('/usr/bin/kubectl'))('chaos (6 random kills + resumes, end to end)', () => {
  it('completes runs with no re-run, overlapping or orphaned step', async () => {
    const r = await execa(process.execPath, [path.join(repoRoot, 'bench/chaos/index.mjs'), '--kills', '6', '--source', '--seed', '16'], {
      cwd: repoRoot,
      reject: false,
      timeout: 600_000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('CHAOS '));
    expect(line, `${r.stdout}\n${r.stderr}`).toBeDefined();
    const figures = JSON.parse(line!.slice('CHAOS '.length)) as Record<string, unknown>;
    expect(figures, r.stdout).toMatchObject({ rerun: 0, overlapping: 0, orphaned: 0, unexpected: [] });
    expect(figures.completed as number).toBeGreaterThan(0);
    expect(r.exitCode).toBe(0);
  }, 600_000);
});
