#!/usr/bin/env node
// bench/runs — `opsbook runs` over many ended runs, on each store: listed from the summaries kept with the runs'
// metadata ("after") against the same runs as an opsbook from before summaries left them, every journal replayed
// ("before"). The runs are written through the built engine's own run record (dist/), so the metadata and its summary
// are the real ones; "before" only has the summaries removed (local: a copy of the state directory without run.json's
// summary field; kubernetes: the summary.json keys deleted afterwards). Each figure is the median wall time of the
// shipped CLI (`opsbook runs --output json`, a fresh process); both listings must print the same JSON.
// The cluster store runs against `opsbook sim serve` in a separate process, so its CPU is not the CLI's.
//
// Environment:
//   RUNS_BENCH_RUNS=500            runs in the store
//   RUNS_BENCH_EVENTS=200          events per run's journal (run-start, steps' start/log/end, run-end)
//   RUNS_BENCH_REPEAT=5            listings per figure (the median is shown)
//   RUNS_BENCH_STORES=local,kubernetes
//   RUNS_BENCH_OLD_CLI=PATH        also time an opsbook built before summaries (e.g. from `git archive <commit>` and
//                                  scripts/bundle.mjs) on the same runs: the listing as it was, store code included

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { printTable } from '../table.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => path.join(root, 'dist', p);
const cli = process.env.OPSBOOK_CLI ?? dist('bundle/opsbook.js');
const oldCli = process.env.RUNS_BENCH_OLD_CLI;
const runCount = Number(process.env.RUNS_BENCH_RUNS ?? 500);
const eventCount = Number(process.env.RUNS_BENCH_EVENTS ?? 200);
const repeat = Number(process.env.RUNS_BENCH_REPEAT ?? 5);
const stores = (process.env.RUNS_BENCH_STORES ?? 'local,kubernetes').split(',');
if (stores.some((s) => s !== 'local' && s !== 'kubernetes')) throw new Error(`RUNS_BENCH_STORES: local and/or kubernetes (got ${process.env.RUNS_BENCH_STORES})`);
for (const [name, value, least] of [['RUNS_BENCH_RUNS', runCount, 1], ['RUNS_BENCH_EVENTS', eventCount, 3], ['RUNS_BENCH_REPEAT', repeat, 1]]) {
  if (!Number.isInteger(value) || value < least) throw new Error(`${name}: an integer ≥ ${least} (got ${process.env[name]})`);
}

const { openRunRecord } = await import(dist('engine/journal/record.js'));
const { JOURNAL_VERSION } = await import(dist('engine/journal/format.js'));
const { createLocalStore } = await import(dist('store/local/index.js'));
const { createKubernetesStore } = await import(dist('store/kubernetes/index.js'));
const { createKubeClient } = await import(dist('k8s/client.js'));

const work = mkdtempSync(path.join(tmpdir(), 'opsbook-bench-runs-'));
const runbook = { path: path.join(work, 'bench.yaml'), name: 'bench-runs', sha256: 'b'.repeat(64) };

/** One run's journal: run-start, then steps of start, log lines and end, then run-end; `eventCount` events in all. */
function eventsOf(runId, index) {
  const base = Date.UTC(2026, 0, 1) + index * 60_000;
  const time = (i) => new Date(base + i * 10).toISOString();
  const steps = Math.max(1, Math.floor((eventCount - 2) / 4));
  /** @type {object[]} */
  const events = [{ type: 'run-start', time: time(0), runId, journalVersion: JOURNAL_VERSION, runbook, inputs: { region: 'eu' }, steps: Array.from({ length: steps }, (_, s) => ({ id: `s${s}`, name: `s${s}`, type: 'shell', needs: [] })) }];
  for (let i = 1; events.length < eventCount - 1; i++) {
    const stepId = `s${Math.floor((i - 1) / 4) % steps}`;
    const phase = (i - 1) % 4;
    if (phase === 0) events.push({ type: 'step-start', time: time(i), runId, stepId });
    else if (phase < 3) events.push({ type: 'step-log', time: time(i), runId, stepId, stream: 'stdout', line: `line ${i} of a step's output, as a shell step would print it` });
    else events.push({ type: 'step-end', time: time(i), runId, stepId, status: 'succeeded', durationMs: 10 });
  }
  const failed = index % 7 === 0;
  events.push({ type: 'run-end', time: time(eventCount), runId, status: failed ? 'failed' : 'succeeded', ...(failed ? { error: 'step s1 failed: exit 1' } : {}), durationMs: eventCount * 10 });
  return events;
}

/** Writes the runs into `store` as runs do (claim, journal, metadata, summary on close); returns their ids. */
async function writeRuns(store) {
  const ids = [];
  for (let index = 0; index < runCount; index++) {
    const stamp = new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString();
    const runId = `${stamp.slice(0, 10).replaceAll('-', '')}-${stamp.slice(11, 19).replaceAll(':', '')}-000-${index.toString(16).padStart(6, '0')}`;
    const record = await openRunRecord(store, { runId, runbook, inputs: { region: 'eu' }, secretInputs: [], startedAt: stamp }, false);
    for (const event of eventsOf(runId, index)) record.journal.append(event);
    await record.close();
    ids.push(runId);
  }
  return ids;
}

/** The same runs as an opsbook from before summaries wrote them: run.json without its summary field. */
function withoutSummaries(from, to) {
  cpSync(from, to, { recursive: true });
  let dropped = 0;
  for (const runId of readdirSync(path.join(to, 'runs'))) {
    const file = path.join(to, 'runs', runId, 'run.json');
    const { summary, ...older } = JSON.parse(readFileSync(file, 'utf8'));
    if (summary) dropped++;
    writeFileSync(file, `${JSON.stringify(older, null, 2)}\n`, { mode: 0o600 });
  }
  return dropped;
}

function list(storeArgs, build = cli) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [build, 'runs', ...storeArgs, '--output', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`opsbook runs ${storeArgs.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function measure(storeArgs, build = cli) {
  const runs = Array.from({ length: repeat }, () => list(storeArgs, build));
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1), stdout: runs[0].stdout };
}

function report(storeName, before, after, old) {
  const listed = JSON.parse(after.stdout);
  if (after.stdout !== before.stdout) throw new Error(`${storeName}: the listing from summaries differs from the one by replay`);
  if (old && old.stdout !== after.stdout) throw new Error(`${storeName}: the listing of the build before summaries differs`);
  if (listed.length !== runCount) throw new Error(`${storeName}: listed ${listed.length} runs of ${runCount}`);
  console.log(`${storeName} store: opsbook runs --output json over ${runCount} ended runs of ${eventCount} events, median of ${repeat} (a fresh CLI process each):`);
  printTable(
    [
      ['', 'median ms', 'min ms', 'max ms'],
      ...(old ? [['before: build without summaries', old.median.toFixed(0), old.min.toFixed(0), old.max.toFixed(0)]] : []),
      ['before: replay every journal', before.median.toFixed(0), before.min.toFixed(0), before.max.toFixed(0)],
      ['after: kept summaries', after.median.toFixed(0), after.min.toFixed(0), after.max.toFixed(0)],
    ],
    { widths: [32, 10, 8, 8], indent: '  ', labels: true },
  );
  if (old) console.log(`  ratio build without summaries/after: ${(old.median / after.median).toFixed(1)}×`);
  console.log(`  ratio replay/after (this build): ${(before.median / after.median).toFixed(1)}× (the listings print the same ${listed.length} runs)`);
}

async function benchLocal() {
  const after = path.join(work, 'state-after');
  const before = path.join(work, 'state-before');
  const writeStart = performance.now();
  await writeRuns(createLocalStore(after));
  const dropped = withoutSummaries(after, before);
  console.log(`local: ${runCount} runs written in ${((performance.now() - writeStart) / 1000).toFixed(1)} s; ${dropped} summaries removed for "before"`);
  if (dropped !== runCount) throw new Error(`expected a summary in every run.json, found ${dropped} of ${runCount}`);
  list(['--state-dir', after]); // warms the file cache for the CLI bundle
  const b = measure(['--state-dir', before]);
  const a = measure(['--state-dir', after]);
  report('local', b, a, oldCli && measure(['--state-dir', before], oldCli));
  // What no listing can go below: the CLI's start and an empty state directory.
  console.log(`  floor: opsbook runs on an empty state directory, median ${measure(['--state-dir', path.join(work, 'empty')]).median.toFixed(0)} ms`);
}

/** `opsbook sim serve` in its own process; resolves once it prints its URL. */
async function startSim() {
  const kubeconfig = path.join(work, 'kubeconfig');
  const child = spawn(process.execPath, [cli, 'sim', 'serve', '--scenario', path.join(root, 'runbooks', 'scenarios', 'two-workers.yaml'), '--kubeconfig-out', kubeconfig, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/listening on https:\/\//.test(out)) resolve(undefined);
    });
    child.on('exit', (code) => reject(new Error(`sim serve exited (${code}): ${out}`)));
  });
  const stop = () => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : (child.on('exit', resolve), child.kill('SIGTERM'))));
  return { kubeconfig, stop };
}

async function benchKubernetes() {
  const sim = await startSim();
  try {
    const kube = await createKubeClient({ kubeconfigPath: sim.kubeconfig });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'runs' } });
    const store = createKubernetesStore({ kube, namespace: 'runs' });
    const writeStart = performance.now();
    const ids = await writeRuns(store);
    console.log(`kubernetes: ${runCount} runs written in ${((performance.now() - writeStart) / 1000).toFixed(1)} s`);
    const args = ['--state', 'kubernetes://runs', '--kubeconfig', sim.kubeconfig];
    list(args);
    const a = measure(args);
    // The older build never reads summaries: timed on the same namespace before they are removed.
    const old = oldCli && measure(args, oldCli);
    for (const runId of ids) await store.writeSummary(runId, undefined);
    if ((await store.readRunIndex()).summaries.size !== 0) throw new Error('summaries left after removing them');
    const b = measure(args);
    report('kubernetes', b, a, old);
  } finally {
    await sim.stop();
  }
}

try {
  console.log(`bench/runs: ${runCount} ended runs of ${eventCount} events each, stores: ${stores.join(', ')}`);
  if (stores.includes('local')) await benchLocal();
  if (stores.includes('kubernetes')) await benchKubernetes();
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores shared)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
