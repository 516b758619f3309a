// The package installs as a CLI: `npm pack` holds only what runs, and a global install of the tarball into an empty
// prefix gives a working `opsbook` that validates and rehearses the bundled runbooks from any directory.

import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

let work: string;
let tarball: string;
let packed: string[];
let bin: string;
let installed: string;

beforeAll(async () => {
  // `npm test` builds first; a bare `vitest run` may not have.
  if (!existsSync(path.join(repoRoot, 'dist', 'bundle', 'opsbook.js'))) {
    await execa(process.execPath, [path.join(repoRoot, 'scripts', 'bundle.mjs')], { cwd: repoRoot });
  }
  work = mkdtempSync(path.join(tmpdir(), 'opsbook-pack-'));
  // --ignore-scripts: prepack would run the full build again, which `npm test` has just done.
  const pack = await execa('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot });
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  packed = info!.files.map((f) => f.path);
  const prefix = path.join(work, 'prefix');
  // --prefer-offline: the Kubernetes client and its dependencies are in npm's cache after `npm ci`.
  await execa('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: work,
    timeout: 300_000,
  });
  bin = path.join(prefix, 'bin', 'opsbook');
  installed = path.join(prefix, 'lib', 'node_modules', 'opsbook');
}, 360_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// Outside the repository, with a PATH holding only the install: nothing may resolve from the source tree.
const runInstalled = (args: string[]) =>
  execa(bin, args, {
    cwd: work,
    reject: false,
    env: { NO_COLOR: '1', PATH: `${path.dirname(bin)}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
    extendEnv: false,
    timeout: 120_000,
  });

describe('npm pack + npm install -g', () => {
  it('packs only the bundle, schemas, bundled runbooks and scenarios, README and licence', () => {
    expect(packed).toContain('dist/bundle/opsbook.js');
    expect(packed).toContain('schemas/runbook.schema.json');
    expect(packed).toContain('runbooks/approve-csrs.yaml');
    expect(packed).toContain('runbooks/scenarios/two-workers.yaml');
    expect(packed).toContain('README.md');
    expect(packed).toContain('LICENSE');
    expect(packed).toContain('package.json');
    const unexpected = packed.filter(
      (p) => !/^(dist\/bundle\/[^/]+\.js|schemas\/.+\.json|runbooks\/.+\.yaml|README\.md|LICENSE|package\.json)$/.test(p),
    );
    expect(unexpected).toEqual([]);
  });

  it('puts a working opsbook on the PATH: --version, validate', async () => {
    const version = await runInstalled(['--version']);
    expect(version.exitCode, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const ok = await runInstalled(['validate', path.join(installed, 'runbooks', 'approve-csrs.yaml')]);
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
  });

  it('rehearses the bundled CSR runbook with its bundled scenario', async () => {
    const result = await runInstalled([
      'rehearse',
      path.join(installed, 'runbooks', 'approve-csrs.yaml'),
      '--scenario',
      path.join(installed, 'runbooks', 'scenarios', 'two-workers.yaml'),
      '--output',
      'plain',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/approved/);
  }, 120_000);
});
