#!/usr/bin/env node
// bench/fleet — issue 10's fleet targets, in one run:
//   (a) `opsbook run runbooks/approve-csrs.yaml --fleet F` on 10, 25, 50 and 100 simulated clusters (2 joining workers
//       each, maxParallel 25): wall time, its ratio to one cluster's `opsbook run` measured in the same bench run,
//       and peak RSS of the opsbook process. Targets at 100 clusters: ≤ 5× one cluster, ≤ 600 MB.
//   (b) `opsbook plan runbooks/approve-csrs.yaml --fleet F --offline` of a 1,000-cluster fleet file: ≤ 5 s.
// The clusters are simulated in a SEPARATE process (`opsbook sim serve --clusters N`, one kubeconfig context each),
// a fresh one per size, so the measured process is opsbook's alone. Peak RSS is getrusage(RUSAGE_CHILDREN).ru_maxrss
// taken by a tiny python wrapper around the measured command (its largest process: opsbook's node process).
//
// Environment:
//   FLEET_BENCH_SIZES=10,25,50,100   fleet sizes of the table (the last is the one checked against the targets)
//   FLEET_BENCH_PLAN_CLUSTERS=1000   clusters of the plan --offline fleet file

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from '../table.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = process.env.OPSBOOK_CLI ?? path.join(root, 'dist', 'cli', 'main.js');
const runbook = path.join(root, 'runbooks', 'approve-csrs.yaml');
const sizes = (process.env.FLEET_BENCH_SIZES ?? '10,25,50,100').split(',').map(Number);
const planClusters = Number(process.env.FLEET_BENCH_PLAN_CLUSTERS ?? 1000);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`FLEET_BENCH_SIZES: positive integers (got ${process.env.FLEET_BENCH_SIZES})`);
const MAX_PARALLEL = 25;
const TARGET_RATIO = 5;
const TARGET_RSS_MB = 600;
const TARGET_PLAN_S = 5;
const work = mkdtempSync(path.join(tmpdir(), 'opsbook-bench-fleet-'));

/** Two workers join at once with no artificial delays, in real time: a cluster's run is opsbook's own work. */
function writeScenario() {
  const file = path.join(work, 'scenario.json');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'opsbook.dev/v1alpha1',
      kind: 'Scenario',
      name: 'bench-fleet',
      description: 'two workers join at once; no artificial delays',
      flavour: 'openshift',
      timeScale: 1,
      kubelet: { readyDelay: '0s' },
      nodes: [{ name: 'master-0' }, { name: 'master-1' }, { name: 'master-2' }],
      machines: ['worker-0', 'worker-1'].map((name, i) => ({ name, joinAt: '0s', readyDelay: '0s', addresses: [{ type: 'InternalIP', address: `10.0.50.${10 + i}` }, { type: 'Hostname', address: name }] })),
    }),
  );
  return file;
}

/** `opsbook sim serve --clusters N` in its own process; resolves once every cluster listens. */
async function startClusters(scenario, count) {
  const kubeconfig = path.join(work, `kubeconfig-${count}`);
  const child = spawn(process.execPath, [cli, 'sim', 'serve', '--scenario', scenario, '--clusters', String(count), '--kubeconfig-out', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if ((out.match(/listening on /g) ?? []).length >= count) resolve(undefined);
    });
    child.on('exit', (code) => reject(new Error(`sim serve exited (${code}): ${err || out}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(undefined);
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
  // utime + stime of the sim serve process (Linux clock ticks, 100 a second): the clusters' side of the work.
  const cpuSeconds = () => {
    try {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return NaN;
    }
  };
  return { kubeconfig, stop, cpuSeconds };
}

function writeFleet(name, count, kubeconfig) {
  const clusters = Array.from({ length: count }, (_, i) => `    - { name: sim-${i + 1}, kubeconfig: ${JSON.stringify(kubeconfig)}, context: sim-${i + 1} }`);
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, ['apiVersion: opsbook.dev/v1', 'kind: Fleet', `metadata: { name: ${name} }`, 'spec:', '  clusters:', ...clusters, '  strategy:', `    maxParallel: ${MAX_PARALLEL}`, ''].join('\n'));
  return file;
}

const WRAPPER = `
import json, resource, subprocess, sys, time
start = time.monotonic()
code = subprocess.call(sys.argv[2:], stdout=open(sys.argv[1], 'w'), stderr=subprocess.STDOUT)
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wallSeconds": wall, "maxRssKiB": usage.ru_maxrss, "cpuSeconds": usage.ru_utime + usage.ru_stime}))
`;

function measure(label, argv) {
  const log = path.join(work, `${label}.log`);
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', WRAPPER, log, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => {
      try {
        resolve({ ...JSON.parse(out), log });
      } catch (error) {
        reject(new Error(`${label}: wrapper output ${out}: ${error}`));
      }
    });
  });
}

const mb = (kib) => kib / 1024;

async function main() {
  const scenario = writeScenario();
  // One cluster's run: the single-cluster path (`run --kubeconfig`), on a cluster of its own.
  const one = await startClusters(scenario, 1);
  let single;
  try {
    single = await measure('one-cluster', [process.execPath, cli, 'run', runbook, '--kubeconfig', one.kubeconfig, '--context', 'sim-1', '--output', 'plain', '--state-dir', path.join(work, 'state-1')]);
  } finally {
    await one.stop();
  }
  if (single.code !== 0) throw new Error(`one cluster's run failed (exit ${single.code}); see ${single.log}`);
  console.log(`one cluster (opsbook run): ${single.wallSeconds.toFixed(2)} s wall, ${single.cpuSeconds.toFixed(2)} s CPU, peak RSS ${mb(single.maxRssKiB).toFixed(0)} MB`);

  const rows = [];
  for (const size of sizes) {
    const clusters = await startClusters(scenario, size);
    try {
      const fleet = writeFleet(`bench-${size}`, size, clusters.kubeconfig);
      const simBefore = clusters.cpuSeconds();
      const r = await measure(`fleet-${size}`, [process.execPath, cli, 'run', runbook, '--fleet', fleet, '--output', 'plain', '--state-dir', path.join(work, `state-${size}`)]);
      rows.push({ size, ...r, simCpuSeconds: clusters.cpuSeconds() - simBefore });
      if (r.code !== 0) console.log(`  fleet of ${size}: exit ${r.code}, see ${r.log}`);
    } finally {
      await clusters.stop();
    }
  }
  console.log(`\nfleet run of approve-csrs (2 joining workers per cluster, maxParallel ${MAX_PARALLEL}); one cluster = ${single.wallSeconds.toFixed(2)} s`);
  // CPU s: the opsbook process; sim CPU s: the sim serve process during the run. Wall far above both = a loaded machine.
  printTable(
    [
      ['clusters', 'wall s', '× one', 'CPU s', 'sim CPU s', 'peak MB', 'exit'],
      ...rows.map((r) => [r.size, r.wallSeconds.toFixed(2), (r.wallSeconds / single.wallSeconds).toFixed(2), r.cpuSeconds.toFixed(2), r.simCpuSeconds.toFixed(2), mb(r.maxRssKiB).toFixed(0), r.code]),
    ],
    { widths: [9, 8, 7, 7, 10, 8, 5] },
  );
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores shared)`);

  const planFleet = writeFleet(`plan-${planClusters}`, planClusters, path.join(work, 'no-such-kubeconfig'));
  const plan = await measure('plan', [process.execPath, cli, 'plan', runbook, '--fleet', planFleet, '--offline', '--output', 'json']);

  const largest = rows.at(-1);
  const verdicts = [];
  if (largest) {
    const ratio = largest.wallSeconds / single.wallSeconds;
    verdicts.push([`fleet of ${largest.size} ≤ ${TARGET_RATIO}× one cluster`, largest.code === 0 && ratio <= TARGET_RATIO, `${ratio.toFixed(2)}× (${largest.wallSeconds.toFixed(2)} s vs ${single.wallSeconds.toFixed(2)} s)${largest.code !== 0 ? `, exit ${largest.code}` : ''}`]);
    verdicts.push([`fleet of ${largest.size} peak RSS ≤ ${TARGET_RSS_MB} MB`, mb(largest.maxRssKiB) <= TARGET_RSS_MB, `${mb(largest.maxRssKiB).toFixed(0)} MB`]);
  }
  verdicts.push([`plan --offline of ${planClusters} clusters ≤ ${TARGET_PLAN_S} s`, plan.code === 0 && plan.wallSeconds <= TARGET_PLAN_S, `${plan.wallSeconds.toFixed(2)} s (${plan.cpuSeconds.toFixed(2)} s CPU, ${mb(plan.maxRssKiB).toFixed(0)} MB)${plan.code !== 0 ? `, exit ${plan.code}: see ${plan.log}` : ''}`]);
  console.log('\nverdicts');
  for (const [what, ok, figure] of verdicts) console.log(`  ${ok ? 'PASS' : 'MISS'} ${what}: ${figure}`);
  if (verdicts.some(([, ok]) => !ok)) process.exitCode = 1;
}

try {
  await main();
} finally {
  if (!process.exitCode) rmSync(work, { recursive: true, force: true });
  else console.log(`logs kept in ${work}`);
}
