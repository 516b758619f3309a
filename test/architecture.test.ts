// Layering rules the code relies on, checked on the source text: the engine and steps never reach listr2 (renderers
// consume events), and only the CLI reads argv or ends the process.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = path.join(root, 'src');

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Source without comments (a `//` inside a string such as a URL is kept). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

interface Specifiers {
  /** Specifiers loaded at run time: value imports, re-exports, side-effect imports, import('…'). */
  runtime: string[];
  /** The subset loaded with the module itself (everything but import('…')). */
  static: string[];
  /** import() calls whose argument is not a string literal (cannot be followed). */
  unresolvable: string[];
}

/** The module specifiers a file loads; `import type` / `export type` are erased by TypeScript and skipped. */
export function findSpecifiers(text: string): Specifiers {
  const code = stripComments(text);
  const runtime: string[] = [];
  const fromClause = /\b(import|export)\s+(type\s+)?([\w$*{}\s,]+?)\s+from\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(fromClause)) if (!m[2]) runtime.push(m[4]!);
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) runtime.push(m[1]!);
  const loadedWithModule = [...runtime];
  for (const m of code.matchAll(/\bimport\s*\(\s*['"`]([^'"`$]+)['"`]\s*[,)]/g)) runtime.push(m[1]!);
  const unresolvable = [...code.matchAll(/\bimport\s*\(\s*(?!['"`][^'"`$]+['"`]\s*[,)])([^)]*)\)/g)].map((m) => m[0]);
  return { runtime, static: loadedWithModule, unresolvable };
}

/** Resolves a relative specifier the way the TypeScript sources write them (`./x.js` is `./x.ts`). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c));
}

/** Every package reached from `entries` through relative imports, with one import chain to each. */
function reachablePackages(entries: string[], { staticOnly = false } = {}): { packages: Map<string, string[]>; unresolvable: string[] } {
  const packages = new Map<string, string[]>();
  const unresolvable: string[] = [];
  const seen = new Set<string>();
  const queue: { file: string; chain: string[] }[] = entries.map((file) => ({ file, chain: [path.relative(root, file)] }));
  while (queue.length > 0) {
    const { file, chain } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const found = findSpecifiers(readFileSync(file, 'utf8'));
    unresolvable.push(...found.unresolvable.map((u) => `${path.relative(root, file)}: ${u}`));
    for (const specifier of staticOnly ? found.static : found.runtime) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (!target) throw new Error(`${path.relative(root, file)}: cannot resolve ${specifier}`);
        queue.push({ file: target, chain: [...chain, path.relative(root, target)] });
      } else {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, [...chain, specifier]);
      }
    }
  }
  return { packages, unresolvable };
}

describe('architecture', () => {
  it('finds static, re-exported and dynamic imports, and skips type-only ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from 'types-only';",
      "export { c } from './c.js';",
      "export type { D } from 'types-only-too';",
      "import 'side-effect';",
      'import {\n  e,\n  f,\n} from "multi-line";',
      "const g = await import('./g.js');",
      '// import { h } from "commented-out";',
      'const i = await import(name);',
    ].join('\n');
    expect(findSpecifiers(text)).toEqual({
      runtime: ['./a.js', './c.js', 'multi-line', 'side-effect', './g.js'],
      static: ['./a.js', './c.js', 'multi-line', 'side-effect'],
      unresolvable: ['import(name)'],
    });
  });

  it('reaches listr2 from the renderer factory, which loads the tty renderer through import() (so the check below can see it)', () => {
    expect(reachablePackages([path.join(src, 'ui/renderer.ts')]).packages.get('listr2')).toEqual(['src/ui/renderer.ts', 'src/ui/tty.ts', 'listr2']);
  });

  it('never reaches listr2 from src/engine or src/steps, statically or through import()', () => {
    const entries = [...listTs(path.join(src, 'engine')), ...listTs(path.join(src, 'steps'))];
    expect(entries.length).toBeGreaterThan(10);
    const { packages, unresolvable } = reachablePackages(entries);
    expect(packages.get('listr2'), 'import chain to listr2').toBeUndefined();
    expect(unresolvable, 'import() of a computed specifier cannot be checked').toEqual([]);
  });

  // Cold start (`opsbook validate` ≤ 250 ms, bench/engine (c)): heavy packages load on first use, never with the CLI.
  it('loads no heavy package with the CLI itself: the Kubernetes client, X.509, yaml, ajv, execa and listr2 wait for import()', () => {
    // What `validate` loads: the CLI, the runbook loader and the step registry (with every step type's module).
    const entries = ['cli/main.ts', 'cli/commands/validate.ts', 'runbook/index.ts', 'steps/registry.ts'].map((f) => path.join(src, f));
    const { packages } = reachablePackages(entries, { staticOnly: true });
    const heavy = ['@kubernetes/client-node', '@peculiar/x509', 'reflect-metadata', 'yaml', 'ajv', 'ajv-formats', 'execa', 'listr2'];
    const loaded = Object.fromEntries(heavy.filter((name) => packages.has(name)).map((name) => [name, packages.get(name)!.join(' → ')]));
    expect(loaded, 'static import chains from what validate loads').toEqual({});
    expect(packages.has('commander')).toBe(true);
  });

  it('keeps src/secrets a leaf: it imports no other area and no package, so anything may mask through it', () => {
    const files = listTs(path.join(src, 'secrets'));
    expect(files.length).toBeGreaterThan(0);
    const outside = files.flatMap((file) =>
      findSpecifiers(readFileSync(file, 'utf8')).runtime
        .filter((s) => !s.startsWith('./') && !s.startsWith('node:'))
        .map((s) => `${path.relative(root, file)}: ${s}`),
    );
    expect(outside).toEqual([]);
  });

  it('reads process.argv only in src/cli/main.ts and calls process.exit() only in src/cli', () => {
    const argv: string[] = [];
    const exits: string[] = [];
    for (const file of listTs(src)) {
      const code = stripComments(readFileSync(file, 'utf8'));
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (/\bprocess\.argv\b/.test(code)) argv.push(rel);
      if (/\bprocess\.exit\s*\(/.test(code)) exits.push(rel);
    }
    expect(argv).toEqual(['src/cli/main.ts']);
    expect(exits.filter((f) => !f.startsWith('src/cli/'))).toEqual([]);
  });
});
