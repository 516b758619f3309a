import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulation, type Simulation } from '../../src/sim/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { fixture, runIds, useTempDir } from './fixtures.js';

let sim: Simulation;
const tmp = useTempDir();
beforeAll(async () => {
  sim = await startSimulation({ scenario: fixture('scenario-tiny.yaml'), timeScale: 1 });
});
afterAll(async () => sim?.stop());

const args = (gate: string, stateDir: string, ...extra: string[]) =>
  ['run', fixture('locked.yaml'), '--kubeconfig', sim.kubeconfigPath, '--state-dir', stateDir, '--set', `gate=${gate}`, '--output', 'plain', ...extra];

describe('cluster lock around a run (spec.lock, end to end against the simulated API)', { timeout: 120_000 }, () => {
  it('a second run is refused with exit 1 naming the holder; Ctrl-C on the first releases the lock; --break-lock takes it over', async () => {
    const gate = path.join(tmp.dir, 'gate');
    const first = startCli(args(gate, path.join(tmp.dir, 'a')));
    await first.waitForOutput('holding the lock');
    const [firstRun] = runIds(path.join(tmp.dir, 'a'));

    const refused = await runCli(args(gate, path.join(tmp.dir, 'b')));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('cli-locked');
    expect(refused.stderr).toContain(firstRun!);
    expect(refused.stderr).toContain('--break-lock');
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    first.kill('SIGINT');
    expect((await first.result).exitCode).toBe(130);

    // Released after Ctrl-C: the next run gets it at once (the gate is open so it finishes).
    writeFileSync(gate, '');
    const next = await runCli(args(gate, path.join(tmp.dir, 'c')));
    expect(next.stderr).toBe('');
    expect(next.exitCode).toBe(0);
  }, 90_000);

  it('--break-lock takes over a lock held by a live run, which then stops with exit 1 when its renewal finds out', async () => {
    const gateA = path.join(tmp.dir, 'gate-a');
    const gateB = path.join(tmp.dir, 'gate-b');
    const holder = startCli(args(gateA, path.join(tmp.dir, 'a')));
    let breaker: ReturnType<typeof startCli> | undefined;
    try {
      await holder.waitForOutput('holding the lock');
      breaker = startCli(args(gateB, path.join(tmp.dir, 'b'), '--break-lock'));
      await breaker.waitForOutput('holding the lock');
      // The holder renews every ttl/3 (10 s here) and then learns it lost the lease.
      const lost = await holder.result;
      expect(lost.exitCode).toBe(1);
      expect(lost.stderr).toMatch(/run stopped: .*lock/i);
      writeFileSync(gateB, '');
      const broke = await breaker.result;
      expect(broke.exitCode).toBe(0);
      expect(broke.stderr).toMatch(/took over the cluster lock from run \d{8}-/);
    } finally {
      writeFileSync(gateA, '');
      writeFileSync(gateB, '');
      holder.kill('SIGINT');
      breaker?.kill('SIGINT');
      await Promise.all([holder.result, breaker?.result]);
    }
  }, 90_000);
});
