// Crash safety end to end (issue 16): kill -9 and SIGHUP of the real CLI, leftover step processes, racing resumes.
// Marker files with timestamps prove that no step ever overlaps itself and that succeeded steps never run again.

import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identify } from '../../src/proc/identity.js';
import { isGroupAlive } from '../../src/proc/kill.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { fixture, journalEvents, runIds, useTempDir } from './fixtures.js';
import { findOverlaps, findSurvivors, readMarkers } from './markers.js';

// Removed after the afterEach below has stopped what the test left running in it.
const tmp = useTempDir();
const spawned: number[] = [];
afterEach(() => {
  for (const pid of spawned.splice(0)) killQuietly(-pid);
  for (const pid of findSurvivors(readMarkers(markersPath()), tmp.dir)) killQuietly(pid);
});

const markersPath = () => path.join(tmp.dir, 'markers');
const gate = () => writeFileSync(path.join(tmp.dir, 'gate'), '');
const runArgs = () => ['run', fixture('crash.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain'];
const resumeArgs = (runId: string, ...extra: string[]) => ['resume', runId, '--state-dir', tmp.stateDir, '--output', 'plain', ...extra];

function killQuietly(target: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}

/** Polls `condition` (a guard against hanging, not a timing assertion: the limit is far above what it needs). */
async function waitUntil(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function childrenOf(pid: number, name: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(name);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Starts the fixture and waits until its gated step runs; returns the CLI and the step's pid (its process group). */
async function startGatedRun(): Promise<{ cli: RunningCli; stepPid: number; runId: string }> {
  const cli = startCli(runArgs());
  const seen = await cli.waitForOutput(/gated pid=\d+/);
  const stepPid = Number(/gated pid=(\d+)/.exec(seen)![1]);
  const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
  return { cli, stepPid, runId };
}

/** kill -9 of opsbook while its gated step runs; with `alsoSupervisor`, its parent-death supervisor dies first. */
async function crashGatedRun(alsoSupervisor = false): Promise<{ stepPid: number; runId: string }> {
  const { cli, stepPid, runId } = await startGatedRun();
  if (alsoSupervisor) {
    const supervisors = childrenOf(cli.pid!, 'opsbook-supervisor');
    expect(supervisors).toHaveLength(1);
    killQuietly(supervisors[0]!);
  }
  cli.kill('SIGKILL');
  expect((await cli.result).signal).toBe('SIGKILL');
  return { stepPid, runId };
}

function expectSucceededNeverRerun(runId: string): void {
  const events = journalEvents(tmp.stateDir, runId);
  const done = new Set<string>();
  for (const e of events) {
    if (e.type === 'attempt-start') expect(done.has(e.stepId as string), `${e.stepId as string} ran again after it succeeded`).toBe(false);
    if (e.type === 'step-end' && e.status === 'succeeded' && !e.reused) done.add(e.stepId as string);
  }
}

describe('kill -9 of opsbook (end to end)', { timeout: 180_000 }, () => {
  it('the running step process group stops on its own (supervisor); resume re-runs it without overlap and reuses what succeeded', async () => {
    const { stepPid, runId } = await crashGatedRun();
    const journaled = journalEvents(tmp.stateDir, runId).find((e) => e.type === 'step-process' && e.stepId === 'gated');
    expect(journaled).toMatchObject({ pid: stepPid, pgid: stepPid, attempt: 1, host: hostname(), startTime: expect.any(String) });
    await waitUntil(() => !isGroupAlive(stepPid), `step group ${stepPid} to stop after opsbook died`);

    const resumed = startCli(resumeArgs(runId));
    await resumed.waitForOutput(/gated pid=\d+/);
    gate();
    const r = await resumed.result;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('leftover');
    const markers = readMarkers(markersPath());
    expect(findOverlaps(markers)).toEqual([]);
    expect(markers.filter((m) => m.kind === 'start' && m.step === 'first')).toHaveLength(1);
    expectSucceededNeverRerun(runId);
    expect(findSurvivors(markers, tmp.dir)).toEqual([]);
  });

  it('a step process that survived (its supervisor killed too) is reported and stopped by resume before the step runs again', async () => {
    const { stepPid, runId } = await crashGatedRun(true);
    const beats = () => readMarkers(markersPath()).filter((m) => m.kind === 'beat' && m.pid === stepPid).length;
    const before = beats();
    await waitUntil(() => beats() > before + 2, 'the orphaned step to keep running');

    const resumed = startCli(resumeArgs(runId));
    await resumed.waitForOutput(`stopping leftover process pid ${stepPid} (process group ${stepPid}) of step gated, attempt 1`);
    await resumed.waitForOutput(/gated pid=\d+/);
    expect(isGroupAlive(stepPid)).toBe(false);
    gate();
    const r = await resumed.result;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(findOverlaps(readMarkers(markersPath()))).toEqual([]);
    expectSucceededNeverRerun(runId);
  });

  it('a journaled pid now held by another process (start time differs) is left alone', async () => {
    const { runId } = await crashGatedRun();
    const stranger = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    spawned.push(stranger.pid!);
    const id = identify(stranger.pid!);
    appendFileSync(
      path.join(tmp.stateDir, 'runs', runId, 'journal.ndjson'),
      `${JSON.stringify({ time: new Date().toISOString(), runId, type: 'step-process', stepId: 'gated', attempt: 9, pid: id.pid, pgid: id.pid, startTime: String(Number(id.startTime) - 1), bootId: id.bootId, host: id.host })}\n`,
    );
    gate();
    const r = await runCli(resumeArgs(runId));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('leftover');
    expect(isGroupAlive(stranger.pid!)).toBe(true);
  });

  it('a step process on another host cannot be checked: resume refuses with exit 2 saying why, unless --force', async () => {
    const { runId } = await crashGatedRun();
    appendFileSync(
      path.join(tmp.stateDir, 'runs', runId, 'journal.ndjson'),
      `${JSON.stringify({ time: new Date().toISOString(), runId, type: 'step-process', stepId: 'gated', attempt: 9, pid: 4242, pgid: 4242, startTime: '77', bootId: 'b', host: 'elsewhere.example' })}\n`,
    );
    const refused = await runCli(resumeArgs(runId));
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('pid 4242 (process group 4242) of step gated, attempt 9, on host elsewhere.example');
    expect(refused.stderr).toContain('cannot check from here');
    expect(refused.stderr).toContain('--force');
    gate();
    const forced = await runCli(resumeArgs(runId, '--force'));
    expect(forced.exitCode, forced.stderr).toBe(0);
  });
});

describe('SIGHUP of opsbook (end to end)', { timeout: 120_000 }, () => {
  it('is an interrupt: exit 129, children stopped, journal "interrupted", and the run resumes', async () => {
    const { cli, stepPid, runId } = await startGatedRun();
    cli.kill('SIGHUP');
    const r = await cli.result;
    expect(r.exitCode).toBe(129);
    expect(r.stderr).toContain('SIGHUP');
    expect(isGroupAlive(stepPid)).toBe(false);
    expect(journalEvents(tmp.stateDir, runId).at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });
    gate();
    const resumed = await runCli(resumeArgs(runId));
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(findOverlaps(readMarkers(markersPath()))).toEqual([]);
    expectSucceededNeverRerun(runId);
  });

  it('a real hang-up of its terminal (EIO on every write) still ends with the journal closed as "interrupted"', async () => {
    const cli = startCli(runArgs(), { tty: true });
    const seen = await cli.waitForOutput(/gated pid=\d+/);
    const stepPid = Number(/gated pid=(\d+)/.exec(seen)![1]);
    const [runId] = runIds(tmp.stateDir);
    cli.kill('SIGKILL'); // `script` dies: the pty closes and the kernel sends SIGHUP to opsbook
    await cli.result;
    await waitUntil(() => journalEvents(tmp.stateDir, runId!).at(-1)?.type === 'run-end', 'the journal to end');
    expect(journalEvents(tmp.stateDir, runId!).at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });
    await waitUntil(() => !isGroupAlive(stepPid), 'the step to stop');
  });
});

describe('two resumes of one run at once (end to end)', { timeout: 300_000 }, () => {
  it('exactly one proceeds; the other exits 2 naming the owner (5 trials)', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const { runId } = await crashGatedRun();
      const [a, b] = [startCli(resumeArgs(runId)), startCli(resumeArgs(runId))];
      // The winner waits in the gated step until the loser has answered, so a late starter cannot come after it.
      const first = await Promise.race([a.result.then(() => 'a' as const), b.result.then(() => 'b' as const)]);
      const [loser, winner] = first === 'a' ? [a, b] : [b, a];
      const lost = await loser.result;
      expect(lost.exitCode, lost.stderr + lost.stdout).toBe(2);
      expect(lost.stderr).toMatch(new RegExp(`run ${runId} is still running \\(pid ${winner.pid} on host .+ since .+\\)`));
      await winner.waitForOutput(/gated pid=\d+/);
      gate();
      const won = await winner.result;
      expect(won.exitCode, won.stderr).toBe(0);
      expect(findOverlaps(readMarkers(markersPath()))).toEqual([]);
      expectSucceededNeverRerun(runId);
      writeFileSync(markersPath(), '');
      rmSync(path.join(tmp.dir, 'gate'));
    }
  });
});

describe('cluster lock taken over from a crashed run (end to end against the simulated API)', { timeout: 180_000 }, () => {
  it('stops the crashed holder\'s surviving step process (same host, same state dir) before its own steps run', async () => {
    const { startSimulation } = await import('../../src/sim/index.js');
    const sim = await startSimulation({ scenario: fixture('scenario-tiny.yaml'), timeScale: 1 });
    try {
      const args = (gateFile: string, ...extra: string[]) =>
        ['run', fixture('locked.yaml'), '--kubeconfig', sim.kubeconfigPath, '--state-dir', tmp.stateDir, '--set', `gate=${gateFile}`, '--output', 'plain', ...extra];
      const holder = startCli(args(path.join(tmp.dir, 'never')));
      await holder.waitForOutput('holding the lock');
      const [crashedRun] = runIds(tmp.stateDir);
      const stepPid = journalEvents(tmp.stateDir, crashedRun!).find((e) => e.type === 'step-process')!.pid as number;
      spawned.push(stepPid);
      for (const supervisor of childrenOf(holder.pid!, 'opsbook-supervisor')) killQuietly(supervisor);
      holder.kill('SIGKILL');
      await holder.result;
      expect(isGroupAlive(stepPid)).toBe(true); // nothing stopped it: a survivor that still acts on the cluster

      gate();
      const taker = await runCli(args(path.join(tmp.dir, 'gate'), '--break-lock'));
      expect(taker.exitCode, taker.stderr).toBe(0);
      expect(taker.stderr).toContain(`took over the cluster lock from run ${crashedRun}`);
      expect(taker.stderr).toContain(`stopping leftover process pid ${stepPid} (process group ${stepPid}) of step hold, attempt 1`);
      expect(isGroupAlive(stepPid)).toBe(false);
    } finally {
      await sim.stop();
    }
  });
});
