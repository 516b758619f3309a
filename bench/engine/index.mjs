// bench/engine — issue 2's engine targets, measured in one run against the built CLI/engine (dist/):
//   (a) engine overhead per step on a 1,000-step DAG of no-op steps (target ≤ 0.5 ms)
//   (b) validate + plan of a generated 10,000-step runbook (target ≤ 2 s)
//   (c) cold start of `opsbook validate` on a small runbook, median of several (target ≤ 250 ms)
//   (d) per-task overhead of ansible-playbook vs opsbook on 200 no-op tasks (target: opsbook ≥ 50× smaller)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => path.join(root, 'dist', p);
// The shipped CLI: the bundle `bin` points at (scripts/bundle.mjs), as users start it.
const cli = dist('bundle/opsbook.js');
const work = mkdtempSync(path.join(tmpdir(), 'opsbook-bench-engine-'));

const { createStepRegistry } = await import(dist('steps/registry.js'));
const { loadRunbook, loadRunbookText } = await import(dist('runbook/index.js'));
const { executeRunbook, planRunbook } = await import(dist('engine/index.js'));

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 1 ? 3 : 1)} ms`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** "ratio" = target / measured for "lower is better" figures: ≥ 1 meets the target. */
function verdict(name, measured, target, unit = fmtMs) {
  const ratio = target / measured;
  console.log(`${name}: ${unit(measured)} (target ≤ ${unit(target)}; ratio target/measured ${ratio.toFixed(2)}× — ${ratio >= 1 ? 'MET' : 'NOT MET'})`);
  return ratio >= 1;
}

/** A runbook header; steps appended as YAML text. */
function runbookText(name, steps, concurrency = 8) {
  return [
    'apiVersion: opsbook.dev/v1',
    'kind: Runbook',
    `metadata: { name: ${name} }`,
    'spec:',
    `  concurrency: ${concurrency}`,
    '  steps:',
    ...steps,
    '',
  ].join('\n');
}

/** A layered DAG: `width` steps per layer, each needing two steps of the layer before. */
function dagSteps(count, width, body) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    const layer = Math.floor(i / width);
    const needs = layer === 0 ? [] : [...new Set([(layer - 1) * width + (i % width), (layer - 1) * width + ((i + 1) % width)])];
    lines.push(`    - id: s${i}`, ...body(i).map((l) => `      ${l}`));
    if (needs.length) lines.push(`      needs: [${needs.map((n) => `s${n}`).join(', ')}]`);
  }
  return lines;
}

/** Chain of steps (each needs the previous), as ansible runs tasks one after another. */
function chainSteps(count, body) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    lines.push(`    - id: s${i}`, ...body(i).map((l) => `      ${l}`));
    if (i > 0) lines.push(`      needs: [s${i - 1}]`);
  }
  return lines;
}

const noop = {
  type: 'noop',
  description: 'does nothing (benchmark)',
  schema: { type: 'object', additionalProperties: false },
  outputs: {},
  mutating: false,
  run: async () => ({}),
};

const results = [];

// (a) engine overhead per step: wall time of a 1,000-step no-op DAG with the real journal, divided by steps.
{
  const registry = createStepRegistry([noop]);
  const text = runbookText('dag-1000', dagSteps(1000, 10, () => ['uses: noop']), 8);
  const runbook = await loadRunbookText(text, path.join(work, 'dag-1000.yaml'), { registry });
  const once = async () => {
    const stateDir = mkdtempSync(path.join(work, 'state-'));
    const t0 = performance.now();
    const result = await executeRunbook({ runbook, inputs: {}, registry, stateDir, env: {}, cwd: work });
    const ms = performance.now() - t0;
    if (result.status !== 'succeeded') throw new Error(`1,000-step run ${result.status}: ${result.error}`);
    return ms;
  };
  await once(); // warm-up: JIT and file system caches
  const runs = [await once(), await once(), await once()];
  const total = median(runs);
  console.log(`(a) 1,000-step DAG (10 per layer, 2 needs each, concurrency 8, journal fsync'd): ${fmtMs(total)} total, median of 3`);
  results.push(verdict('(a) engine overhead per step', total / 1000, 0.5));
}

// (b) validate + plan of a 10,000-step runbook (shell steps, so plan previews nothing and runs nothing).
{
  const registry = createStepRegistry();
  const file = path.join(work, 'big-10000.yaml');
  writeFileSync(file, runbookText('big-10000', dagSteps(10_000, 50, (i) => [`run: echo step ${i}`]), 16));
  const t0 = performance.now();
  const runbook = await loadRunbook(file, { registry });
  const t1 = performance.now();
  const plan = await planRunbook({ runbook, inputs: {}, registry, env: {}, cwd: work });
  const t2 = performance.now();
  console.log(`(b) 10,000 steps: validate ${fmtMs(t1 - t0)} + plan ${fmtMs(t2 - t1)} (${plan.waves.length} waves)`);
  results.push(verdict('(b) validate + plan 10,000 steps', t2 - t0, 2000));
}

// (c) cold start: a fresh `opsbook validate small.yaml` process (the bundled bin), median of 9, beside a bare
// `node -e ''` so the share that is Node's own start-up is visible.
{
  const small = path.join(root, 'runbooks', 'demo.yaml');
  // NODE_EXTRA_CA_CERTS makes Node parse a CA bundle before any script runs (~90 ms on these machines): that is the
  // environment's cost, not opsbook's, so both commands run without it (and the bench says so).
  const { NODE_EXTRA_CA_CERTS: extraCerts, ...cleanEnv } = process.env;
  const sample = (args) => {
    const times = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: cleanEnv });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
      if (i > 0) times.push(ms); // the first run warms the OS file cache
    }
    return times;
  };
  const bare = median(sample(['-e', '']));
  const times = sample([cli, 'validate', small]);
  if (extraCerts) console.log('(c) NODE_EXTRA_CA_CERTS is set here; both commands below run without it');
  console.log(`(c) cold start samples: ${times.map((t) => t.toFixed(0)).join(', ')} ms; bare \`node -e ''\`: ${fmtMs(bare)}`);
  results.push(verdict('(c) cold start of `opsbook validate` (median of 9)', median(times), 250));
}

// (d) 200 no-op tasks, ansible-playbook vs opsbook. Per-task overhead = (T(201 tasks) − T(1 task)) / 200, so
// each tool's start-up cost cancels out. Both run the tasks one after another.
{
  const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' });
  const ansible = which.status === 0 ? which.stdout.trim() : undefined;
  if (!ansible) {
    console.log('(d) SKIPPED: ansible-playbook is not installed (the bench installs nothing; `apt-get install ansible-core`)');
  } else {
    const timeOf = (cmd, args, env = {}) => {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: work, env: { ...process.env, ...env } });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
      return ms;
    };
    const ansibleEnv = { ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False' };
    const playbook = (n, task) => {
      const file = path.join(work, `pb-${task.name}-${n}.yml`);
      const tasks = Array.from({ length: n }, (_, i) => `    - name: t${i}\n      ${task.yaml}\n`).join('');
      writeFileSync(file, `- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${tasks}`);
      return file;
    };
    const runbookFile = (n, kind, body) => {
      const file = path.join(work, `rb-${kind}-${n}.yaml`);
      writeFileSync(file, runbookText(`noop-${kind}`, chainSteps(n, body), 1));
      return file;
    };
    // Median of `samples` differences, each from a fresh pair of runs (the machine may be shared and noisy).
    const perTask = (measure, samples) => {
      const diffs = [];
      for (let i = 0; i < samples; i++) diffs.push((measure(201) - measure(1)) / 200);
      return Math.max(0.001, median(diffs));
    };
    const ansiblePerTask = (task, samples) => {
      const files = { 1: playbook(1, task), 201: playbook(201, task) };
      return perTask((n) => timeOf(ansible, ['-i', 'localhost,', files[n]], ansibleEnv), samples);
    };
    const opsbookPerTask = (kind, body, samples) => {
      const stateDir = mkdtempSync(path.join(work, 'state-'));
      const files = { 1: runbookFile(1, kind, body), 201: runbookFile(201, kind, body) };
      const run = (n) => timeOf(process.execPath, [cli, 'run', files[n], '--output', 'json', '--state-dir', stateDir]);
      run(1); // warm-up
      return perTask(run, samples);
    };

    // Fairest pair: a task that does no work but still goes through each tool's normal task machinery and is
    // reported as done. ansible: `debug: { msg: noop }` (runs in a worker, reports ok; `meta: noop` is handled by
    // the strategy without a worker, so it is not a normal task path). opsbook: the built-in `sleep` step with
    // `duration: 0s` (the full step path: templates, events, fsynced journal).
    const aDebug = ansiblePerTask({ name: 'debug', yaml: 'ansible.builtin.debug: { msg: noop }' }, 5);
    const oNoop = opsbookPerTask('sleep0', () => ['uses: sleep', 'with: { duration: 0s }'], 5);
    console.log(`(d) no-op task, median of 5: ansible-playbook (debug msg) ${fmtMs(aDebug)}/task, opsbook (built-in sleep 0s) ${fmtMs(oNoop)}/task`);
    const ratio = aDebug / oNoop;
    console.log(`(d) per-task overhead ratio ansible/opsbook: ${ratio.toFixed(1)}× (target ≥ 50×; ${ratio >= 50 ? 'MET' : 'NOT MET'})`);
    results.push(ratio >= 50);

    // For reference, the same comparison when every task spawns a process: ansible `command: /bin/true`
    // (module shipped and run by Python) vs an opsbook shell step `run: "true"` (bash via execa).
    const aCmd = ansiblePerTask({ name: 'command', yaml: 'ansible.builtin.command: /bin/true\n      changed_when: false' }, 1);
    const oShell = opsbookPerTask('shell', () => ['run: "true"'], 1);
    console.log(`(d, reference) process per task: ansible command:/bin/true ${fmtMs(aCmd)}/task, opsbook shell "true" ${fmtMs(oShell)}/task, ratio ${(aCmd / oShell).toFixed(1)}×`);
  }
}

rmSync(work, { recursive: true, force: true });
const met = results.filter(Boolean).length;
console.log(`\nbench/engine: ${met}/${results.length} targets met`);
