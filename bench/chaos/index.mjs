#!/usr/bin/env node
// bench/chaos: kills opsbook at random moments (SIGKILL and SIGHUP, random delays) while it runs a mixed runbook
// against the simulated cluster, resumes it each time, and counts what crash safety must prevent (issue 16):
//   completed    runs that reached `succeeded` (the only figure that should be above 0)
//   re-run       steps that ran again after their success was journaled
//   overlapping  a step's process running while another process of the same step ran (from timestamped markers)
//   orphaned     step processes still alive once their run completed (or at the end)
// Usage: node bench/chaos/index.mjs [--kills 30] [--seed N] [--source]   (--source: run src/ through tsx, no build)

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..', '..');
const RUNBOOK = path.join(here, 'mixed.yaml');
const SCENARIO = path.join(repo, 'runbooks', 'scenarios', 'two-workers.yaml');

const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const KILLS = Number(flag('kills', '30'));
const SEED = Number(flag('seed', String(Date.now() % 100000)));
const SOURCE = process.argv.includes('--source');
const cliArgs = SOURCE
  ? ['--import', pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href, path.join(repo, 'src/cli/main.ts')]
  : [path.join(repo, 'dist/bundle/opsbook.js')];

// A seeded generator, so a failing sequence of kills can be replayed with --seed.
let state = SEED >>> 0 || 1;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);

function startCli(args) {
  const child = spawn(process.execPath, [...cliArgs, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
  return { child, done, output: () => out };
}

async function startSim(dir) {
  const kubeconfig = path.join(dir, 'kubeconfig');
  const sim = startCli(['sim', 'serve', '--scenario', SCENARIO, '--kubeconfig-out', kubeconfig]);
  const limit = Date.now() + 60_000;
  while (!/listening on \S+\n/.test(sim.output())) {
    if (Date.now() > limit || sim.child.exitCode !== null) throw new Error(`sim serve did not start:\n${sim.output()}`);
    await sleep(50);
  }
  return { kubeconfig, stop: async () => (sim.child.kill('SIGTERM'), await sim.done) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function readLines(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function runIdOf(dir) {
  const runs = path.join(dir, 'state', 'runs');
  return existsSync(runs) ? readdirSync(runs)[0] : undefined;
}

/** A kill can land after run-end was journaled and before the exit: the run is done all the same. */
function hasSucceeded(dir) {
  const runId = runIdOf(dir);
  if (!runId) return false;
  const ends = readLines(path.join(dir, 'state', 'runs', runId, 'journal.ndjson')).filter((l) => l.includes('"type":"run-end"'));
  return ends.length > 0 && JSON.parse(ends.at(-1)).status === 'succeeded';
}

/** Attempts started after the same step's success was journaled (reused step-ends do not count as runs). */
function countReruns(dir, runId) {
  const done = new Set();
  let reruns = 0;
  for (const line of readLines(path.join(dir, 'state', 'runs', runId, 'journal.ndjson'))) {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a torn last line
    }
    if (e.type === 'attempt-start' && done.has(e.stepId)) reruns++;
    if (e.type === 'step-end' && e.status === 'succeeded' && !e.reused) done.add(e.stepId);
  }
  return reruns;
}

/** Pairs of processes of one step whose lifetimes (first to last marker) overlap. */
function countOverlaps(dir) {
  const spans = new Map();
  for (const line of readLines(path.join(dir, 'markers'))) {
    const [kind, step, pid, ns] = line.split(' ');
    if (!['start', 'beat', 'end'].includes(kind) || !/^\d+$/.test(ns ?? '')) continue;
    const key = `${step}#${pid}`;
    const t = BigInt(ns);
    const span = spans.get(key) ?? { step, from: t, to: t };
    if (t < span.from) span.from = t;
    if (t > span.to) span.to = t;
    spans.set(key, span);
  }
  const all = [...spans.values()].sort((a, b) => (a.from < b.from ? -1 : 1));
  let overlaps = 0;
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) if (all[i].step === all[j].step && all[j].from <= all[i].to) overlaps++;
  }
  return overlaps;
}

/** Live processes started for a step of this bench (their environment names a run directory under `root`). */
function findOrphans(root) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').some((v) => v.startsWith(`DIR=${root}/`))) found.push(Number(entry));
    } catch {
      // ended, or not ours
    }
  }
  return found;
}

async function main() {
  const root = mkdtempSync(path.join(tmpdir(), 'opsbook-chaos-'));
  const sim = await startSim(root);
  const totals = { completed: 0, rerun: 0, overlapping: 0, orphaned: 0 };
  const info = { kills: { SIGKILL: 0, SIGHUP: 0 }, starts: 0, resumes: 0, leftoversStopped: 0, failedAttempts: 0, unexpected: [] };
  const orphans = new Set();
  const finishRun = async (dir) => {
    const runId = runIdOf(dir);
    totals.rerun += runId ? countReruns(dir, runId) : 0;
    totals.overlapping += countOverlaps(dir);
    for (const pid of findOrphans(root)) orphans.add(pid);
  };
  let runNo = 0;
  let dir;
  const step = async (killAfterMs, signal) => {
    const runId = dir && runIdOf(dir);
    if (!dir) {
      dir = path.join(root, `run-${++runNo}`);
      mkdirSync(dir);
    }
    const common = ['--state-dir', path.join(dir, 'state'), '--kubeconfig', sim.kubeconfig, '--output', 'plain'];
    const args = runId ? ['resume', runId, ...common] : ['run', RUNBOOK, '--set', `dir=${dir}`, ...common];
    if (runId) info.resumes++;
    else info.starts++;
    const cli = startCli(args);
    let killed = false;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => ((killed = cli.child.kill(signal)), undefined), killAfterMs);
    const guard = setTimeout(() => cli.child.kill('SIGKILL'), 180_000);
    const { code, out } = await cli.done;
    clearTimeout(timer);
    clearTimeout(guard);
    info.leftoversStopped += (out.match(/stopping leftover process/g) ?? []).length;
    if (code === 0 || hasSucceeded(dir)) {
      totals.completed++;
      await finishRun(dir);
      dir = undefined;
    } else if (!killed) {
      if (code === 1) info.failedAttempts++;
      else info.unexpected.push(`exit ${code}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return killed;
  };

  while (info.kills.SIGKILL + info.kills.SIGHUP < KILLS) {
    const signal = random() < 0.5 ? 'SIGKILL' : 'SIGHUP';
    const delay = Math.round(300 + random() * 3500);
    if (await step(delay, signal)) info.kills[signal]++;
  }
  // Let the last run finish undisturbed.
  for (let tries = 0; dir && tries < 5; tries++) await step(undefined);
  if (dir) info.unexpected.push(`run in ${dir} did not complete after 5 undisturbed resumes`);
  await sleep(200);
  for (const pid of findOrphans(root)) orphans.add(pid);
  totals.orphaned = orphans.size;
  await sim.stop();

  console.log(`chaos: ${KILLS} kills (SIGKILL ${info.kills.SIGKILL}, SIGHUP ${info.kills.SIGHUP}), seed ${SEED}, ${SOURCE ? 'src via tsx' : 'dist bundle'}`);
  console.log(`  runs started ${info.starts}, resumes ${info.resumes}, leftover processes stopped by resume ${info.leftoversStopped}, exit 1 (step failed) ${info.failedAttempts}`);
  console.log(`  completed    ${totals.completed}`);
  console.log(`  re-run       ${totals.rerun}   (target 0)`);
  console.log(`  overlapping  ${totals.overlapping}   (target 0)`);
  console.log(`  orphaned     ${totals.orphaned}   (target 0)${orphans.size ? ` pids ${[...orphans].join(' ')}` : ''}`);
  for (const u of info.unexpected) console.log(`  unexpected: ${u}`);
  console.log(`CHAOS ${JSON.stringify({ ...totals, ...info, seed: SEED })}`);
  const ok = totals.completed > 0 && totals.rerun === 0 && totals.overlapping === 0 && totals.orphaned === 0 && info.unexpected.length === 0;
  if (ok) rmSync(root, { recursive: true, force: true });
  else console.log(`  kept ${root} for inspection`);
  process.exitCode = ok ? 0 : 1;
}

await main();
