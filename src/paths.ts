// Files shipped beside the code (package.json, schemas/), found the same way from src/, dist/ and the bundle.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The opsbook package directory: the nearest ancestor whose package.json is named "opsbook". */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'opsbook') return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`opsbook's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A path inside the package, e.g. packagePath('schemas', 'scenario.schema.json'). */
export function packagePath(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}
