// The shipped CLI is the esbuild bundle (package.json `bin`): it must find its schemas, load its lazy chunks and the
// Kubernetes client from node_modules, exactly as the per-file build does.

import { execa } from 'execa';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

// Inside the repository, so the bundle resolves node_modules and package.json as an installed one does.
const cacheDir = path.join(repoRoot, 'node_modules', '.cache');
let outdir: string;
let entry: string;

const runBundle = (args: string[]) =>
  execa(process.execPath, [entry, ...args], { cwd: repoRoot, reject: false, env: { NO_COLOR: '1' }, timeout: 120_000 });

beforeAll(async () => {
  await execa('mkdir', ['-p', cacheDir]);
  outdir = mkdtempSync(path.join(cacheDir, 'opsbook-bundle-'));
  await execa(process.execPath, [path.join(repoRoot, 'scripts', 'bundle.mjs'), outdir]);
  entry = path.join(outdir, 'opsbook.js');
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bundled CLI', () => {
  it('is split at dynamic imports, so validate does not load the step implementations it never runs', () => {
    const files = readdirSync(outdir).filter((f) => f.endsWith('.js'));
    expect(files).toContain('opsbook.js');
    expect(files.length).toBeGreaterThan(5);
  });

  it('validates every bundled runbook and reports a broken one with file:line:col and exit 2', async () => {
    const ok = await runBundle(['validate', ...readdirSync(path.join(repoRoot, 'runbooks')).filter((f) => f.endsWith('.yaml')).map((f) => `runbooks/${f}`)]);
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    const bad = await runBundle(['validate', 'test/cli/fixtures/invalid.yaml']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/invalid\.yaml:\d+:\d+: /);
  });

  it('prints its version from package.json and the runbook schema', async () => {
    const version = await runBundle(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const schema = await runBundle(['schema']);
    expect(JSON.parse(schema.stdout).$schema).toContain('2020-12');
  });

  it('rehearses the CSR runbook on the simulated cluster (scenario schema, pki and Kubernetes client all load)', async () => {
    const result = await runBundle(['rehearse', 'runbooks/approve-csrs.yaml', '--scenario', 'runbooks/scenarios/two-workers.yaml', '--output', 'plain']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/approved/);
  }, 120_000);
});
