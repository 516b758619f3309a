// The official Python client on the sim's newer endpoints (workloads.py): Jobs the simulated kubelet runs, pod logs (follow), eviction,
// delete propagation, CronJobs, Leases, ConfigMaps/Secrets, access reviews, impersonation, watch expiry, chunked lists — as kube-apiserver answers.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorkloads, type Workloads } from '../../src/sim/workloads/index.js';
import type { Simulation } from '../../src/sim/index.js';
import { runKubectl, startSim } from './helpers.js';

/** Debian's interpreter, where python3-kubernetes is installed (a pyenv or venv python3 on PATH may lack it). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python-client/workloads.py', import.meta.url));
const NS = 'py-work';
const IMAGE = 'sim/bash:1';
/** Writes that push the watch's and the continue token's resourceVersion out of the store's history of HISTORY events (it compacts in batches, as etcd does). */
const HISTORY = 150;
const CHURN = 2 * HISTORY;

let sim: Simulation;
let workloads: Workloads;
const stop = new AbortController();
beforeAll(async () => {
  sim = await startSim({ api: { historySize: HISTORY } });
  workloads = startWorkloads(sim.access, { clock: sim.clock, startedAt: sim.startedAt, signal: stop.signal, report: (e) => console.error(e) }, {
    images: { [IMAGE]: { command: ['bash', '-c'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } } },
    replacementDelayMs: () => 0,
    gracePeriodMs: 5_000,
    restartDelayMs: () => 200,
  });
  await sim.access.create('namespaces', { metadata: { name: NS } });
  // An object kubectl writes (as protobuf), for the Python client to read as kube-apiserver would serve it.
  const made = await runKubectl(sim, ['-n', NS, 'create', 'configmap', 'kubectl-made', '--from-literal=k=v']);
  expect(made.code, made.stderr).toBe(0);
  const secret = await runKubectl(sim, ['-n', NS, 'create', 'secret', 'generic', 'kubectl-secret', '--from-literal=k=v']);
  expect(secret.code, secret.stderr).toBe(0);
});
afterAll(async () => {
  workloads?.stop();
  stop.abort();
  await sim?.stop();
});

it('passes every check of the Python client on Jobs, logs, eviction, CronJobs, Leases, reviews, impersonation and paging', async () => {
  const env = { ...process.env, KUBECONFIG: sim.kubeconfigPath, NS, IMAGE, CHURN: String(CHURN) };
  const outcome = await promisify(execFile)(PYTHON, [SCRIPT], { env, timeout: 120_000 }).catch((error: { stdout?: string; stderr?: string }) => error);
  const lines = (outcome.stdout ?? '').split('\n').filter((line) => line.startsWith('{'));
  const results = lines.map((line) => JSON.parse(line) as { check: string; ok: boolean; error?: string });
  expect(results.map((r) => r.check), outcome.stderr).toEqual([
    'check_job_runs_to_completion',
    'check_log_follow',
    'check_eviction',
    'check_delete_propagation',
    'check_cronjob',
    'check_lease_conflict',
    'check_configmap_binary_data',
    'check_secret_type_default',
    'check_access_reviews',
    'check_impersonation',
    'check_watch_expired',
    'check_chunked_list',
  ]);
  expect(results.filter((r) => !r.ok)).toEqual([]);
}, 150_000);
