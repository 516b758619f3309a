#!/usr/bin/env node
// Runs every bench/<name>/index.mjs in turn (or only those named: `npm run bench -- engine sim`).
// Each bench prints its own figures and ratios against the targets; this runner only sequences them.

import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(benchDir, d.name, 'index.mjs')))
  .map((d) => d.name)
  .sort();

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (available: ${available.join(', ') || 'none'})`);
  process.exit(2);
}
if (!existsSync(path.join(benchDir, '..', 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(2);
}

const failed = [];
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n=== bench/${name} ===`);
  // A separate process per bench: one bench's heap and timers never skew another's figures.
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(benchDir, name, 'index.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(`${name} (exit ${result.status ?? result.signal})`);
}
if (failed.length > 0) {
  console.error(`\nbenches that failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
