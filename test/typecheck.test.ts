// The build type-checks src/ only; this keeps the tests, scripts and benches honest too (strict, with
// noUncheckedIndexedAccess and noUnusedLocals), so a type error anywhere fails `npm test` with its message.

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const check = (project: string) => execa(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { cwd: repoRoot, reject: false });

describe('type-check', { timeout: 240_000 }, () => {
  it('src, test and scripts type-check (tsconfig.check.json)', async () => {
    const result = await check('tsconfig.check.json');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('the benches type-check as JavaScript against dist/ declarations (tsconfig.bench.json)', async () => {
    // The benches import dist/; `npm test` has just built it, a bare `vitest run` may not have.
    if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.d.ts'))) await execa(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: repoRoot });
    const result = await check('tsconfig.bench.json');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
