// `opsbook step run`: one step in isolation, its dependencies' outputs given, its status and outputs written as files, exit codes for an orchestrator.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from './fixtures.js';

const RUNBOOK = 'test/fixtures/argo/step-run.yaml';
const TOKEN = 'sekret-7c1d4e90';

let tmp: TempDir;
beforeEach(() => (tmp = makeTempDir()));
afterEach(() => tmp.cleanup());

const out = (name = 'out') => path.join(tmp.dir, name);
const read = (name: string, dir = out()) => readFileSync(path.join(dir, name), 'utf8');
const stepRun = (args: string[], env: Record<string, string> = {}) =>
  runCli(['step', 'run', RUNBOOK, ...args, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain'], { env: { STEP_RUN_TOKEN: TOKEN, ...env } });

describe('opsbook step run', { timeout: 120_000 }, () => {
  it('writes status, outputs.json and one JSON file per output', async () => {
    const r = await stepRun(['produce', '--out-dir', out()]);
    expect(r.exitCode).toBe(0);
    expect(read('status')).toBe('succeeded');
    expect(JSON.parse(read('outputs.json'))).toEqual({ value: '42' });
    expect(read('outputs/value')).toBe('"42"');
    expect(r.stdout).toContain('after: skipped: not selected (step run produce)');
  });

  it('takes dependency outputs from --step-output (JSON) or --outputs-from, evaluating when and ${{ }} itself', async () => {
    const a = await stepRun(['consume', '--out-dir', out('a'), '--step-output', 'produce.value="21"']);
    expect(a.exitCode).toBe(0);
    expect(JSON.parse(read('outputs.json', out('a')))).toEqual({ double: '42' });
    writeFileSync(path.join(tmp.dir, 'deps.json'), JSON.stringify({ produce: { value: '0' } }));
    const b = await stepRun(['consume', '--out-dir', out('b'), '--outputs-from', path.join(tmp.dir, 'deps.json')]);
    // when false: skipped, still exit 0 (the status file tells it from a success)
    expect(b.exitCode).toBe(0);
    expect(read('status', out('b'))).toBe('skipped');
    expect(read('reason', out('b'))).toContain("when: steps.produce.outputs.value != '0' is false");
    expect(readdirSync(path.join(out('b'), 'outputs'))).toEqual([]);
  });

  it('exits 2 naming a dependency output nobody gave (or gave as not produced), before anything runs', async () => {
    const r = await stepRun(['consume', '--out-dir', out()]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('step-run.yaml:12:7: spec.steps[1] (consume).when reads steps.produce.outputs.value, but no value was given (--step-output produce.value=VALUE');
    expect(existsSync(out())).toBe(false);
    const empty = await stepRun(['consume', '--step-output', 'produce.value=']);
    expect(empty.exitCode).toBe(2);
    const badStatus = await stepRun(['consume', '--step-status', 'produce=done']);
    expect(badStatus.exitCode).toBe(2);
    expect(badStatus.stderr).toContain('--step-status produce=done: expected ID=succeeded|failed|skipped');
    const unknown = await stepRun(['consum']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("did you mean 'consume'?");
    // --state was once accepted and ignored: the one-step journal stayed local while the flag said otherwise
    const state = await stepRun(['produce', '--state', 'kubernetes://ops', '--out-dir', out()]);
    expect(state.exitCode).toBe(2);
    expect(state.stderr).toContain('--state cannot be given with it');
    expect(existsSync(out())).toBe(false);
  });

  it('applies the step\'s retry policy as run does; --single-attempt exits 3 when the policy would retry', async () => {
    const whole = await stepRun(['flaky', '--out-dir', out('whole')]);
    expect(whole.exitCode).toBe(0);
    expect(JSON.parse(read('outputs.json', out('whole')))).toEqual({ tries: '2' });
    resetCounter();
    const first = await stepRun(['flaky', '--single-attempt', '--out-dir', out('first')]);
    expect(first.exitCode).toBe(3);
    expect(read('status', out('first'))).toBe('failed');
    expect(read('reason', out('first'))).toContain('exited with code 1');
    const second = await stepRun(['flaky', '--single-attempt', '--out-dir', out('second')]);
    expect(second.exitCode).toBe(0);
    // a failure the policy does not retry (on: [transient], exit code → permanent) is a plain failure
    const broken = await stepRun(['broken', '--single-attempt', '--out-dir', out('broken')]);
    expect(broken.exitCode).toBe(1);
    expect(read('status', out('broken'))).toBe('failed');
  });

  it('a dependency given as failed skips the step (it is not always), exit 0', async () => {
    const r = await stepRun(['after', '--step-status', 'broken=failed', '--out-dir', out()]);
    expect(r.exitCode).toBe(0);
    expect(read('status')).toBe('skipped');
    expect(read('reason')).toBe('needs broken, which failed');
  });

  it('never writes a secret: the output holding it is masked in outputs.json and gets no file', async () => {
    const r = await stepRun(['leak', '--out-dir', out()]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(read('outputs.json'))).toEqual({ token: '***', plain: 'fine' });
    expect(readdirSync(path.join(out(), 'outputs'))).toEqual(['plain']);
    for (const file of ['status', 'outputs.json', 'reason', 'outputs/plain']) expect(read(file)).not.toContain(TOKEN);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });
});

function resetCounter(): void {
  mkdirSync(tmp.dir, { recursive: true });
  writeFileSync(path.join(tmp.dir, 'n'), '0');
}

describe('opsbook step run --rehearsal (inside a served simulation, as rehearse runs a step)', { timeout: 120_000 }, () => {
  it('reaches the hosts the scenario impersonates; any other host or a real node is refused (not simulated), exit 2 for a bad connection file', async () => {
    const connection = path.join(tmp.dir, 'connection.json');
    const serve = startCli(['sim', 'serve', '--scenario', 'runbooks/scenarios/sno-add-worker.yaml', '--connection-out', connection], { timeout: 110_000 });
    try {
      await serve.waitForOutput('listening on');
      const run = (id: string) =>
        runCli(['step', 'run', 'test/fixtures/argo/step-rehearsal.yaml', id, '--rehearsal', connection, '--state-dir', tmp.stateDir, '--out-dir', out(id), '--output', 'plain']);
      const simulated = await run('simulated');
      expect(simulated.exitCode, simulated.stdout + simulated.stderr).toBe(0);
      expect(read('status', out('simulated'))).toBe('succeeded');
      const outside = await run('outside');
      expect(outside.exitCode).toBe(1);
      expect(read('reason', out('outside'))).toContain('not simulated: example.com');
      // a process the step starts goes through the rehearsal's proxy, which refuses it too
      const processOutside = await run('outside-process');
      expect(processOutside.exitCode).toBe(1);
      expect(processOutside.stdout + processOutside.stderr).toMatch(/403|not simulated/);
      const node = await run('real-node');
      expect(node.exitCode).toBe(1);
      expect(read('reason', out('real-node'))).toContain('node db-1 (ssh root@10.0.0.9:22) is not simulated');
      // the served cluster, and only it: another kubeconfig is refused before anything runs, as rehearse takes none
      const cluster = await run('cluster');
      expect(cluster.exitCode, cluster.stdout + cluster.stderr).toBe(0);
      const real = await runCli(['step', 'run', 'test/fixtures/argo/step-rehearsal.yaml', 'cluster', '--rehearsal', connection, '--kubeconfig', 'test/fixtures/argo/kubeconfig.yaml', '--state-dir', tmp.stateDir]);
      expect(real.exitCode).toBe(2);
      expect(real.stderr).toContain('--kubeconfig and --context cannot be given with it');
      // a connection file naming a cluster beyond the loopback is held to the policy too, before any request
      writeFileSync(path.join(tmp.dir, 'real-kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: [{ name: k, cluster: { server: "https://10.1.2.3:6443" } }]\nusers: [{ name: u, user: { token: t0k3n-abcdef } }]\ncontexts: [{ name: c, context: { cluster: k, user: u } }]\ncurrent-context: c\n');
      const tampered = path.join(tmp.dir, 'tampered.json');
      writeFileSync(tampered, JSON.stringify({ ...JSON.parse(readFileSync(connection, 'utf8')), kubeconfig: path.join(tmp.dir, 'real-kubeconfig') }));
      const beyond = await runCli(['step', 'run', 'test/fixtures/argo/step-rehearsal.yaml', 'cluster', '--rehearsal', tampered, '--state-dir', tmp.stateDir, '--out-dir', out('tampered'), '--output', 'plain']);
      expect(beyond.exitCode).toBe(1);
      expect(read('reason', out('tampered'))).toContain('not simulated: 10.1.2.3');
    } finally {
      serve.kill('SIGTERM');
      await serve.result;
    }
    writeFileSync(path.join(tmp.dir, 'bogus.json'), '{"kind":"Something"}');
    const bad = await runCli(['step', 'run', 'test/fixtures/argo/step-rehearsal.yaml', 'outside', '--rehearsal', path.join(tmp.dir, 'bogus.json'), '--state-dir', tmp.stateDir]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('not a connection file written by `opsbook sim serve --connection-out`');
  });
});
