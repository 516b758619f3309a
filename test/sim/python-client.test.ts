// A second real client: the official Python client (Debian python3-kubernetes, see .ci/run) runs exercise.py against
// the sim — list/watch/CSR approval/patch/dry-run/errors; whatever it sees differently from kube-apiserver is a sim bug.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeCsrForApi, generateCsr } from '../../src/pki/csr.js';
import type { Simulation } from '../../src/sim/index.js';
import { startSim } from './helpers.js';

/** Debian's interpreter, where python3-kubernetes is installed (a pyenv or venv python3 on PATH may lack it). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python-client/exercise.py', import.meta.url));

let sim: Simulation;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(() => sim.stop());

it('passes every check of the Python client exercise', async () => {
  const request = encodeCsrForApi((await generateCsr({ commonName: 'python-client' })).pem);
  const env = { ...process.env, KUBECONFIG: sim.kubeconfigPath, CSR_REQUEST: request };
  const outcome = await promisify(execFile)(PYTHON, [SCRIPT], { env, timeout: 60_000 }).catch((error: { stdout?: string; stderr?: string }) => error);
  const lines = (outcome.stdout ?? '').split('\n').filter((line) => line.startsWith('{'));
  const results = lines.map((line) => JSON.parse(line) as { check: string; ok: boolean; error?: string });
  expect(results.map((r) => r.check), outcome.stderr).toEqual([
    'check_list_selectors_and_paging',
    'check_watch_with_timeout',
    'check_csr_approval',
    'check_patches',
    'check_dry_run',
    'check_errors',
  ]);
  expect(results.filter((r) => !r.ok)).toEqual([]);
}, 90_000);
