#!/usr/bin/env node
// bench/csr — 1,000 machines join at once (2,000 CSRs, no artificial delays). In one run it measures
//   (a) the approve-csrs runbook (`opsbook run`, one process) until every node is Ready, and
//   (b) the documented procedure as an operator scripts it: once a second,
//       kubectl get csr -o go-template='…{{if not .status}}…' | xargs --no-run-if-empty kubectl certificate approve
//       until every node is Ready (real kubectl).
// Each side gets its own fresh simulated cluster (`opsbook sim serve`, a separate process), so request counters
// and memory are separable. Peak RSS is getrusage(RUSAGE_CHILDREN).ru_maxrss taken by a tiny python wrapper:
// the largest single process among everything the measured command ran (opsbook's node process for (a);
// the biggest of bash/kubectl/xargs for (b)).
// Targets (issue 4): opsbook ≥ 10× faster than (b), ≤ 1.2 API requests per CSR, ≤ 200 MB peak RSS.
// Targets (issue 14) at 5,000 machines: every CSR approved and node Ready, ≤ 1.01 requests per CSR, ≤ 250 MB.
//
// Environment:
//   CSR_BENCH_MACHINES=1000      machines of a single run
//   CSR_BENCH_SIDES=both         opsbook | kubectl | both (the loop at thousands of machines takes many minutes)
//   CSR_BENCH_SWEEP=1000,2500,5000  opsbook side at each size in one run, then a growth table; unless
//                                CSR_BENCH_SIDES=opsbook, the kubectl loop's rate (CSRs approved per second) is
//                                measured once at CSR_BENCH_LOOP_MACHINES (200)
//   CSR_BENCH_RUNS=3             sweep: runs per size (each on a fresh cluster); the table shows the median time and
//                                peak RSS with their range, since one run's peak RSS depends on when V8 collected

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYamlDocuments } from '../../dist/yaml/parse.js';
import { printTable } from '../table.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// OPSBOOK_CLI: run another build of the CLI (e.g. an installed one) against the same scenario.
const cli = process.env.OPSBOOK_CLI ?? path.join(root, 'dist', 'cli', 'main.js');
const singleMachines = Number(process.env.CSR_BENCH_MACHINES ?? 1000);
const sides = process.env.CSR_BENCH_SIDES ?? 'both';
const sweep = process.env.CSR_BENCH_SWEEP ? process.env.CSR_BENCH_SWEEP.split(',').map(Number) : undefined;
const loopMachines = Number(process.env.CSR_BENCH_LOOP_MACHINES ?? 200);
const runsPerSize = Number(process.env.CSR_BENCH_RUNS ?? 1);
if (!Number.isInteger(runsPerSize) || runsPerSize < 1) throw new Error(`CSR_BENCH_RUNS: must be a positive integer (got ${process.env.CSR_BENCH_RUNS})`);
if (!['opsbook', 'kubectl', 'both'].includes(sides)) throw new Error(`CSR_BENCH_SIDES: must be opsbook, kubectl or both (got ${sides})`);
if (sweep?.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`CSR_BENCH_SWEEP: must be positive integers (got ${process.env.CSR_BENCH_SWEEP})`);
const work = mkdtempSync(path.join(tmpdir(), 'opsbook-bench-csr-'));

// A side that has not finished by then is stopped and reported as unfinished (its time is then a lower bound).
const limitSeconds = Number(process.env.CSR_BENCH_LIMIT_SECONDS ?? 1800);

function machineNames(machines) {
  return Array.from({ length: machines }, (_, i) => `worker-${String(i).padStart(4, '0')}`);
}

/** The benchmark scenario: three Ready masters, `machines` workers joining at t=0 with zero delays. */
function writeScenario(machines) {
  const names = machineNames(machines);
  const scenario = {
    apiVersion: 'opsbook.dev/v1alpha1',
    kind: 'Scenario',
    name: `bench-${machines}-workers`,
    description: `${machines} machines join at once; no artificial delays`,
    flavour: 'openshift',
    timeScale: 1,
    kubelet: { readyDelay: '0s', csrRetryInterval: '15m' },
    nodes: ['master-0', 'master-1', 'master-2'].map((name, i) => ({
      name,
      roles: ['master'],
      ready: true,
      addresses: [{ type: 'InternalIP', address: `10.0.0.${i + 2}` }, { type: 'Hostname', address: name }],
    })),
    machines: names.map((name, i) => ({
      name,
      joinAt: '0s',
      readyDelay: '0s',
      addresses: [
        { type: 'InternalIP', address: `10.${1 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}` },
        { type: 'Hostname', address: name },
      ],
    })),
  };
  const file = path.join(work, `scenario-${machines}.json`);
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

/** `opsbook sim serve` in its own process; resolves once it prints its URL. */
async function startSim(scenarioFile, label) {
  const kubeconfig = path.join(work, `kubeconfig-${label}`);
  const child = spawn(process.execPath, [cli, 'sim', 'serve', '--scenario', scenarioFile, '--kubeconfig-out', kubeconfig, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (https:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`sim serve exited (${code}): ${err || out}`)));
  });
  const config = /** @type {any} */ (parseYamlDocuments(readFileSync(kubeconfig, 'utf8'))[0]);
  const cluster = config.clusters[0].cluster;
  const user = config.users[0].user;
  const ca = cluster['certificate-authority-data'] ? Buffer.from(cluster['certificate-authority-data'], 'base64') : readFileSync(cluster['certificate-authority']);
  const get = (p) =>
    new Promise((resolve, reject) => {
      const req = request(new URL(p, url), { ca, headers: { Authorization: `Bearer ${user.token}` } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${p}: ${res.statusCode} ${body}`))));
      });
      req.on('error', reject);
      req.end();
    });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url, kubeconfig, get, stop, pid: child.pid };
}

/** Waits (untimed, uncounted) until the kubelets have posted every client CSR: the docs' "once all are Pending". */
async function waitForClientCsrs(sim, machines) {
  for (;;) {
    const list = await sim.get('/apis/certificates.k8s.io/v1/certificatesigningrequests');
    if (list.items.length >= machines) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Runs argv in its own session; on the time limit the whole group is killed and the run reported as unfinished.
const WRAPPER = `
import json, os, resource, signal, subprocess, sys, time
limit = float(sys.argv[2])
start = time.monotonic()
child = subprocess.Popen(sys.argv[3:], stdout=open(sys.argv[1], 'w'), stderr=subprocess.STDOUT, start_new_session=True)
try:
    code = child.wait(timeout=limit)
    finished = True
except subprocess.TimeoutExpired:
    os.killpg(child.pid, signal.SIGKILL)
    code = child.wait()
    finished = False
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "finished": finished, "wallSeconds": wall, "maxRssKiB": usage.ru_maxrss, "cpuSeconds": usage.ru_utime + usage.ru_stime}))
`;

/** Runs a command under the rusage wrapper: wall time, exit code, largest process RSS; killed after limitSeconds. */
function measure(label, argv, env, limitSeconds) {
  const log = path.join(work, `${label}.log`);
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', WRAPPER, log, String(limitSeconds), ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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

function requestsDelta(before, after) {
  const delta = {};
  for (const [key, value] of Object.entries(after.requests)) {
    const d = value - (before.requests[key] ?? 0);
    if (d > 0) delta[key] = d;
  }
  return { total: after.total - before.total, byKey: delta };
}

async function runSide(label, machines, run) {
  const sim = await startSim(writeScenario(machines), `${label}-${machines}`);
  try {
    await waitForClientCsrs(sim, machines);
    const before = await sim.get('/debug/counters');
    const result = await run(sim, machines);
    const after = await sim.get('/debug/counters');
    const nodes = await sim.get('/api/v1/nodes');
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    const csrs = await sim.get('/apis/certificates.k8s.io/v1/certificatesigningrequests');
    const approved = csrs.items.filter((c) => c.status?.conditions?.some((x) => x.type === 'Approved')).length;
    // The three GETs above come after `after`, so they are not counted.
    return { ...result, requests: requestsDelta(before, after), ready, approved, totalCsrs: csrs.items.length };
  } finally {
    await sim.stop();
  }
}

function opsbookSide(sim, machines) {
  const values = path.join(work, `values-${machines}.json`);
  writeFileSync(values, JSON.stringify({ nodes: machineNames(machines) }));
  return measure(
    `opsbook-${machines}`,
    [process.execPath, cli, 'run', path.join(root, 'runbooks', 'approve-csrs.yaml'), '--kubeconfig', sim.kubeconfig, '--values', values, '--output', 'plain', '--state-dir', path.join(work, `state-${machines}`)],
    { NO_COLOR: '1' },
    limitSeconds,
  );
}

function kubectlSide(sim, machines) {
  const home = path.join(work, 'home');
  mkdirSync(home, { recursive: true });
  const expectedReady = machines + 3;
  const script = `
set -u
while :; do
  kubectl get csr -o go-template='{{range .items}}{{if not .status}}{{.metadata.name}}{{"\\n"}}{{end}}{{end}}' | xargs --no-run-if-empty kubectl certificate approve >/dev/null
  ready=$(kubectl get nodes -o go-template='{{range .items}}{{range .status.conditions}}{{if eq .type "Ready"}}{{.status}}{{"\\n"}}{{end}}{{end}}{{end}}' | grep -c True)
  [ "$ready" -ge ${expectedReady} ] && break
  sleep 1
done`;
  return measure(`kubectl-${machines}`, ['bash', '-c', script], { KUBECONFIG: sim.kubeconfig, HOME: home, KUBECACHEDIR: path.join(home, 'cache') }, limitSeconds);
}

function fmt(n, digits = 2) {
  return Number(n).toFixed(digits);
}

function printOpsbookTargets(a, machines) {
  const csrCount = machines * 2;
  const perCsr = a.requests.total / csrCount;
  const rssMb = a.maxRssKiB / 1024;
  const complete = a.finished && a.code === 0 && a.ready === machines + 3 && a.approved === csrCount;
  console.log(`  all ${csrCount} CSRs approved and ${machines + 3} nodes Ready: ${a.approved}/${a.totalCsrs} approved, ${a.ready} Ready ${complete ? 'OK' : 'MISSED'}`);
  const perCsrTarget = machines >= 5000 ? 1.01 : 1.2;
  const rssTarget = machines >= 5000 ? 250 : 200;
  console.log(`  requests per CSR: ${fmt(perCsr, 3)} (target ≤ ${perCsrTarget}) ${perCsr <= perCsrTarget ? 'OK' : 'MISSED'}`);
  console.log(`  opsbook peak RSS: ${fmt(rssMb, 1)} MB (target ≤ ${rssTarget} MB) ${rssMb <= rssTarget ? 'OK' : 'MISSED'}`);
  if (a.code !== 0 || a.ready < machines + 3) {
    console.log(`  opsbook run failed; log: ${a.log}`);
    process.exitCode = 1;
  }
}

/** One size, one or both sides: the issue-4 comparison table. */
async function runSingle(machines) {
  const csrCount = machines * 2;
  console.log(`bench/csr: ${machines} joining machines (${csrCount} CSRs), sides: ${sides}, sim in a separate process (opsbook sim serve)`);
  const none = { finished: false, code: '-', ready: 0, approved: 0, totalCsrs: 0, wallSeconds: NaN, cpuSeconds: NaN, requests: { total: NaN, byKey: {} }, maxRssKiB: NaN };
  const a = sides === 'kubectl' ? none : await runSide('opsbook', machines, opsbookSide);
  const b = sides === 'opsbook' ? none : await runSide('kubectl', machines, kubectlSide);
  const unfinished = (s) => (s === none ? 'not run' : s.finished ? 'yes' : `no (stopped at ${limitSeconds}s)`);
  const rows = [
    ['', 'opsbook approve-csrs', 'kubectl loop (docs)'],
    ['finished', unfinished(a), unfinished(b)],
    ['exit code', String(a.code), String(b.code)],
    ['nodes Ready', `${a.ready}/${machines + 3}`, `${b.ready}/${machines + 3}`],
    ['CSRs approved', `${a.approved}/${a.totalCsrs}`, `${b.approved}/${b.totalCsrs}`],
    ['wall time (s)', fmt(a.wallSeconds), fmt(b.wallSeconds)],
    ['CPU time (s)', fmt(a.cpuSeconds), fmt(b.cpuSeconds)],
    ['API requests', String(a.requests.total), String(b.requests.total)],
    ['API requests per CSR', fmt(a.requests.total / csrCount, 3), fmt(b.requests.total / csrCount, 3)],
    ['peak RSS (MB)', fmt(a.maxRssKiB / 1024, 1), fmt(b.maxRssKiB / 1024, 1)],
  ];
  printTable(rows, { widths: 22, indent: '  ', labels: true });
  if (a !== none) console.log(`  opsbook requests: ${JSON.stringify(a.requests.byKey)}`);
  if (b !== none) console.log(`  kubectl requests: ${JSON.stringify(b.requests.byKey)}`);
  if (a !== none && b !== none) {
    const speedup = b.wallSeconds / a.wallSeconds;
    const bound = b.finished ? '' : ' (lower bound: the loop did not finish)';
    console.log(`  speed-up vs kubectl loop: ${fmt(speedup, 1)}×${bound} (target ≥ 10×) ${speedup >= 10 ? 'OK' : 'MISSED'}`);
    console.log(`  requests per CSR vs loop: ratio ${fmt(b.requests.total / a.requests.total, 1)}×`);
    console.log(`  opsbook peak RSS vs loop: ${fmt(a.maxRssKiB / 1024, 1)} MB vs ${fmt(b.maxRssKiB / 1024, 1)} MB`);
    console.log('  the loop is bound by kubectl itself: a GET and a PUT per CSR, one CSR at a time, under kubectl\'s client-side rate limit');
  }
  console.log('  RSS: getrusage(RUSAGE_CHILDREN).ru_maxrss of a wrapper = the largest single process it ran (opsbook: the node process; loop: max over bash/kubectl/xargs)');
  if (a !== none) printOpsbookTargets(a, machines);
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One size's runs reduced to what the table and the verdicts read: medians, ranges, the worst request ratio. */
function summarizeRuns(machines, runs) {
  const csrCount = machines * 2;
  const rss = runs.map((a) => a.maxRssKiB / 1024);
  const perCsr = runs.map((a) => a.requests.total / csrCount);
  return {
    machines,
    runs,
    complete: runs.every((a) => a.finished && a.code === 0 && a.ready === machines + 3 && a.approved === csrCount),
    approved: Math.min(...runs.map((a) => a.approved)),
    ready: Math.min(...runs.map((a) => a.ready)),
    seconds: median(runs.map((a) => a.wallSeconds)),
    perCsrWorst: Math.max(...perCsr),
    rssMedian: median(rss),
    rssMin: Math.min(...rss),
    rssMax: Math.max(...rss),
  };
}

/** Issue 14's verdicts at the largest size: completeness and requests in every run, peak RSS as median and worst run. */
function printSweepTargets(size) {
  const { machines } = size;
  const csrCount = machines * 2;
  const perCsrTarget = machines >= 5000 ? 1.01 : 1.2;
  const rssTarget = machines >= 5000 ? 250 : 200;
  const verdict = (ok) => (ok ? 'OK' : 'MISSED');
  const n = size.runs.length;
  console.log(`  all ${csrCount} CSRs approved and ${machines + 3} nodes Ready in every run (${n}): fewest ${size.approved} approved, ${size.ready} Ready ${verdict(size.complete)}`);
  console.log(`  requests per CSR, worst run: ${fmt(size.perCsrWorst, 3)} (target ≤ ${perCsrTarget}) ${verdict(size.perCsrWorst <= perCsrTarget)}`);
  console.log(`  opsbook peak RSS, median of ${n}: ${fmt(size.rssMedian, 1)} MB (target ≤ ${rssTarget} MB) ${verdict(size.rssMedian <= rssTarget)}`);
  console.log(`  opsbook peak RSS, worst run: ${fmt(size.rssMax, 1)} MB (range ${fmt(size.rssMin, 1)}–${fmt(size.rssMax, 1)}) ${verdict(size.rssMax <= rssTarget)}`);
  if (!size.complete) {
    for (const a of size.runs.filter((r) => r.code !== 0 || r.ready < machines + 3)) console.log(`  opsbook run failed; log: ${a.log}`);
    process.exitCode = 1;
  }
}

/** The opsbook side at each size (CSR_BENCH_RUNS times), then how time and RSS grow; the loop's rate from one small run. */
async function runSweep(sizes) {
  console.log(`bench/csr sweep: opsbook side at ${sizes.join(' / ')} machines (2 CSRs each), ${runsPerSize} run(s) per size, sim in a separate process`);
  const results = [];
  for (const machines of sizes) {
    const runs = [];
    for (let i = 0; i < runsPerSize; i++) {
      const a = await runSide('opsbook', machines, opsbookSide);
      runs.push(a);
      console.log(`  ${machines} machines, run ${i + 1}/${runsPerSize}: ${a.finished ? 'finished' : 'NOT finished'} in ${fmt(a.wallSeconds)} s (${fmt(a.cpuSeconds, 1)} s CPU), ${fmt(a.maxRssKiB / 1024, 1)} MB, ${fmt(a.requests.total / (machines * 2), 3)} req/CSR`);
    }
    results.push(summarizeRuns(machines, runs));
  }
  const header = ['machines', 'CSRs', 'approved', 'Ready', 'time (s)', 'CSRs/s', 'req/CSR', 'peak RSS (MB)', 'RSS range', 'KB/machine (Δ)'];
  const lines = results.map((size, i) => {
    const prev = results[i - 1];
    const perMachine = prev ? ((size.rssMedian - prev.rssMedian) * 1024) / (size.machines - prev.machines) : NaN;
    return [size.machines, size.machines * 2, size.approved, size.ready, fmt(size.seconds), fmt((size.machines * 2) / size.seconds, 0),
      fmt(size.perCsrWorst, 3), fmt(size.rssMedian, 1), `${fmt(size.rssMin, 0)}–${fmt(size.rssMax, 0)}`, prev ? fmt(perMachine, 1) : '-'];
  });
  printTable([header, ...lines], { widths: 15, gap: '', indent: '  ' });
  if (runsPerSize > 1) console.log('  time and peak RSS: medians over the runs; req/CSR: the worst run; approved/Ready: the fewest in any run');
  for (const size of results) console.log(`  ${size.machines} requests (first run): ${JSON.stringify(size.runs[0].requests.byKey)}`);
  const largest = results[results.length - 1];
  if (sides !== 'opsbook') {
    // The loop approves one CSR per kubectl call; its rate at a small size bounds it at any size.
    const b = await runSide('kubectl', loopMachines, kubectlSide);
    const rate = b.approved / b.wallSeconds;
    const ours = (largest.machines * 2) / largest.seconds;
    console.log(`  kubectl loop at ${loopMachines} machines: ${b.approved}/${b.totalCsrs} approved in ${fmt(b.wallSeconds)} s = ${fmt(rate, 1)} CSRs/s (${b.finished ? 'finished' : 'NOT finished'}), ${fmt(b.maxRssKiB / 1024, 1)} MB`);
    console.log(`  rate ratio at ${largest.machines} machines: opsbook ${fmt(ours, 0)} CSRs/s vs loop ${fmt(rate, 1)} CSRs/s = ${fmt(ours / rate, 1)}× (target ≥ 10×) ${ours / rate >= 10 ? 'OK' : 'MISSED'}`);
    console.log(`  the loop at ${largest.machines} machines would take ≥ ${fmt((largest.machines * 2) / rate / 60, 0)} min at that rate`);
  }
  console.log(`  targets at ${largest.machines} machines:`);
  printSweepTargets(largest);
}

try {
  if (sweep) await runSweep(sweep);
  else await runSingle(singleMachines);
} finally {
  if (process.exitCode !== 1) rmSync(work, { recursive: true, force: true });
}
