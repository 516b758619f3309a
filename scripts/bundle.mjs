#!/usr/bin/env node
// Bundles the CLI into dist/bundle/ (ESM, split at every dynamic import) so a cold start reads a few files instead
// of ~150 modules: module resolution, not our code, dominated `opsbook validate` on Node 20 (no compile cache there).
// Usage: node scripts/bundle.mjs [outdir]

import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'bundle'));

rmSync(outdir, { recursive: true, force: true }); // chunk names are content hashes: stale ones would pile up
await build({
  entryPoints: { opsbook: path.join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  sourcemap: 'linked',
  // Loaded only by steps that talk to a cluster, and large: kept as an ordinary package import.
  external: ['@kubernetes/client-node'],
  // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins.
  banner: { js: "import { createRequire as __opsbookRequire } from 'node:module'; const require = __opsbookRequire(import.meta.url);" },
  logLevel: 'warning',
  // Less to parse at every start; identifiers stay readable in stack traces (OPSBOOK_DEBUG maps them to src/).
  minifyWhitespace: true,
  minifySyntax: true,
});
