// Shared set-up for simulator tests: a running simulation per test file and clients bound to its kubeconfig.

import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import https from 'node:https';
import { promisify } from 'node:util';
import { startSimulation, type ScenarioInput, type Simulation } from '../../src/sim/index.js';

export { k8s };

export const BASE: ScenarioInput = {
  name: 'test',
  nodes: [{ name: 'master-0' }, { name: 'master-1' }, { name: 'master-2' }],
};

export async function startSim(scenario: Partial<ScenarioInput> = {}, options: { timeScale?: number } = {}): Promise<Simulation> {
  return startSimulation({ scenario: { ...BASE, ...scenario }, timeScale: options.timeScale });
}

export function kubeConfig(sim: Simulation): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return kc;
}

/** Polls `check` on the event loop (no real sleeping through simulated time) until it returns a value. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The HTTP status of a rejected client call. */
export function statusOf(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

/** A GET over HTTPS without any client library (for 401s and debug endpoints). */
export function rawGet(sim: Simulation, path: string, token: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${sim.url}${path}`, { ca: sim.caPem, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** The real kubectl our machines have (a Debian package where it is missing; see .ci/run). */
export const KUBECTL = '/usr/bin/kubectl';
const execFileAsync = promisify(execFile);

/** Runs kubectl against `sim`; a non-zero exit is returned as `code`, not thrown. */
export async function runKubectl(sim: Simulation, args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileAsync(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, ...args], { timeout: timeoutMs });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}
