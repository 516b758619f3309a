// Layering rules the code relies on, checked on the source text: the engine and steps never reach listr2 (renderers
// consume events), steps never import ui/, no value-import cycles, cross-area imports go through an area's index.ts
// (or an allow-list below), and only the CLI reads argv or ends the process.

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

/** The area of a source file: its top-level folder under src/ (files at the root, errors.ts and paths.ts, are shared). */
function areaOf(file: string): string | undefined {
  const parts = path.relative(src, file).split(path.sep);
  return parts.length > 1 ? parts[0] : undefined;
}

/** Relative runtime imports of every src file, resolved to files (`static` only: what loads with the module). */
function runtimeImports({ staticOnly }: { staticOnly: boolean }): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of listTs(src)) {
    const found = findSpecifiers(readFileSync(file, 'utf8'));
    const specifiers = (staticOnly ? found.static : found.runtime).filter((s) => s.startsWith('.'));
    graph.set(file, specifiers.map((s) => resolveRelative(file, s)).filter((t): t is string => t !== undefined));
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan): each is an import cycle. */
function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(path.relative(root, w));
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/**
 * Modules other areas may import directly instead of through their area's index.ts, each with its reason.
 * Type-only imports are exempt (erased at build time). Add to this list deliberately, never to silence the test.
 */
const DEEP_IMPORTS_ALLOWED: Record<string, string> = {
  // Heavy or side-effecting modules loaded with import() on first use; an index would load them with the area.
  'k8s/client.ts': 'the Kubernetes client (@kubernetes/client-node), imported lazily by cli and by the engine for a step\'s other kubeconfig (steps reach it only through their context)',
  'k8s/lock.ts': 'the cluster lock, imported lazily by cli',
  'k8s/kubeconfig.ts': 'kubeconfig resolution, imported lazily by cli',
  'proc/exec.ts': 'the process runner (execa), imported lazily by the engine',
  'runbook/schema.ts': 'the runbook JSON Schema, imported lazily by `opsbook schema` and the schema generator',
  'runbook/step-schemas.ts': 'published step schemas, imported lazily by `opsbook schema`',
  'steps/registry.ts': 'the step registry (steps/ has an index per step area, the registry combines them)',
  'steps/gate-table.ts': 'how a pause gate shows in the journal (its progress line, its policy table), read back by the engine for runs and approve',
  'ui/renderer.ts': 'the renderer factory, loads listr2 lazily',
  'ui/fleet-renderer.ts': 'the fleet renderer factory (a fleet run\'s live table, lines or NDJSON), loading the chosen one lazily',
  'ui/plan.ts': 'report renderers, imported lazily by their commands',
  'ui/fleet-plan.ts': 'plan --fleet as text, imported lazily by its command like ui/plan.ts',
  'ui/rehearsal.ts': 'report renderers, imported lazily by their commands',
  'ui/table.ts': 'report renderers, imported lazily by their commands',
  'ui/escape.ts': 'control-character escaping, needed by every cli command without loading a renderer',
  'engine/events.ts': 'the engine event union, which renderers consume (engine/index.ts would load the engine)',
  'engine/plan/graph.ts': 'pure DAG helpers (waves, critical path) the run report reuses on a journal\'s step list: engine/index.ts would load the engine runtime',
  // Small leaf areas without an index yet, one concern per file; importing the file keeps cold start minimal.
  'time/clock.ts': 'leaf area time/',
  'time/abort.ts': 'leaf area time/',
  'time/backoff.ts': 'leaf area time/',
  'time/duration.ts': 'leaf area time/',
  'expr/cel.ts': 'leaf area expr/ (cel-js loaded lazily inside)',
  'expr/template.ts': 'leaf area expr/',
  'files/read-user-file.ts': 'leaf area files/',
  'files/read-secret-file.ts': 'leaf area files/',
  'files/write-private-file.ts': 'leaf area files/',
  'pki/ca.ts': 'pki/ files load @peculiar/x509 on use; an index would load all of them',
  'pki/csr.ts': 'pki/ files load @peculiar/x509 on use; an index would load all of them',
  'pki/keys.ts': 'pki/ files load @peculiar/x509 on use; an index would load all of them',
  'pki/certificate.ts': 'pki/ files load @peculiar/x509 on use; an index would load all of them',
  'pki/reissue.ts': 'pki/ files load @peculiar/x509 on use; an index would load all of them',
  'engine/journal/read.ts': 'the journal parser the local store reads with: engine/index.ts would be a value-import cycle (engine → store/default.ts → store/local)',
  'runbook/params.ts': 'step parameter checks, which the engine needs without the runbook loader: runbook/index.ts would load js-yaml and every check into `opsbook runs`',
  // The store: src/store/index.ts holds only the interface (types); a backend is reached through one factory.
  'store/default.ts': 'the default (local) store, the one module outside src/store/local that names a backend',
  'store/local/modes.ts': 'the state directory modes, which cli/state-dir.ts applies before the local store writes there',
  'store/local/paths.ts': 'the state directory layout (runs/), which cli/state-dir.ts creates and checks before the local store writes there',
};

/** The OpenTelemetry SDK: loaded only when a run exports a trace. */
const OTEL_PACKAGES = ['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources'];

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
    const heavy = ['@kubernetes/client-node', '@peculiar/x509', 'reflect-metadata', 'yaml', 'ajv', 'ajv-formats', 'execa', 'listr2', ...OTEL_PACKAGES];
    const loaded = Object.fromEntries(heavy.filter((name) => packages.has(name)).map((name) => [name, packages.get(name)!.join(' → ')]));
    expect(loaded, 'static import chains from what validate loads').toEqual({});
    expect(packages.has('commander')).toBe(true);
  });

  // Traces (issue 15): the OpenTelemetry SDK is loaded only when an OTLP endpoint is set, through one module of ours.
  it('imports the OpenTelemetry packages only in src/telemetry/sdk.ts, which only import() reaches', () => {
    const importers = listTs(src).flatMap((file) =>
      findSpecifiers(readFileSync(file, 'utf8')).runtime.filter((s) => s.startsWith('@opentelemetry/')).map(() => path.relative(root, file).split(path.sep).join('/')),
    );
    expect([...new Set(importers)]).toEqual(['src/telemetry/sdk.ts']);
    const { packages } = reachablePackages([path.join(src, 'cli/cluster-run.ts'), path.join(src, 'telemetry/index.ts')], { staticOnly: true });
    expect(OTEL_PACKAGES.filter((name) => packages.has(name))).toEqual([]);
    expect(reachablePackages([path.join(src, 'telemetry/index.ts')]).packages.has('@opentelemetry/sdk-trace-base')).toBe(true);
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

  it('has no value-import cycles: modules that load each other at start-up see half-initialised bindings', () => {
    // Static value imports only: type imports are erased, and import() runs after both modules have loaded.
    expect(findCycles(runtimeImports({ staticOnly: true }))).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => path.join(src, `${n}.ts`)) as [string, string, string];
    expect(findCycles(new Map([[a, [b]], [b, [a]], [c, [a]]]))).toEqual([['src/a.ts', 'src/b.ts']]);
  });

  it('never imports src/ui from src/steps (type-only imports included): steps report through their context', () => {
    const offenders = listTs(path.join(src, 'steps')).flatMap((file) => {
      const code = stripComments(readFileSync(file, 'utf8'));
      const specifiers = [...code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      return specifiers
        .filter((s) => s.startsWith('.') && areaOf(path.resolve(path.dirname(file), s)) === 'ui')
        .map((s) => `${path.relative(root, file)}: ${s}`);
    });
    expect(offenders).toEqual([]);
  });

  it("imports another area through its index.ts, or a module on the commented allow-list", () => {
    const deep: string[] = [];
    const used = new Set<string>();
    for (const [file, targets] of runtimeImports({ staticOnly: false })) {
      for (const target of targets) {
        const [from, to] = [areaOf(file), areaOf(target)];
        if (to === undefined || from === to) continue;
        const rel = path.relative(src, target).split(path.sep).join('/');
        if (rel === `${to}/index.ts`) continue;
        if (rel in DEEP_IMPORTS_ALLOWED) used.add(rel);
        else deep.push(`${path.relative(root, file)} → src/${rel}`);
      }
    }
    expect(deep, 'import the area\'s index.ts (export what is needed there) or add a reasoned allow-list entry').toEqual([]);
    expect(Object.keys(DEEP_IMPORTS_ALLOWED).filter((m) => !used.has(m)), 'stale allow-list entries').toEqual([]);
  });

  // A cluster-backed store must slot in without touching the engine: it sees the interface, never a backend.
  it('keeps src/engine off src/store/local (type imports included) and src/store/index.ts type-only', () => {
    const local = path.join(src, 'store', 'local');
    const offenders = listTs(path.join(src, 'engine')).flatMap((file) => {
      const code = stripComments(readFileSync(file, 'utf8'));
      const specifiers = [...code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      return specifiers
        .filter((s) => s.startsWith('.') && path.resolve(path.dirname(file), s).startsWith(`${local}${path.sep}`))
        .map((s) => `${path.relative(root, file)}: ${s}`);
    });
    expect(offenders, 'the engine gets the default store from src/store/default.ts').toEqual([]);
    expect(findSpecifiers(readFileSync(path.join(src, 'store/index.ts'), 'utf8')).runtime, 'src/store/index.ts loads nothing').toEqual([]);
  });

  // Fleets (issue 10): the scheduler is policy over an injected per-cluster runner and clock, so plan, run and rehearse
  // share it; the fleet area knows neither the CLI nor the renderers (they consume its events).
  it('keeps src/fleet off src/cli and src/ui, and the fleet scheduler free of packages and I/O', () => {
    const offenders = listTs(path.join(src, 'fleet')).flatMap((file) =>
      findSpecifiers(readFileSync(file, 'utf8'))
        .runtime.filter((s) => s.startsWith('.') && ['cli', 'ui'].includes(areaOf(path.resolve(path.dirname(file), s)) ?? ''))
        .map((s) => `${path.relative(root, file)}: ${s}`),
    );
    expect(offenders).toEqual([]);
    expect([...reachablePackages([path.join(src, 'fleet/scheduler.ts')]).packages.keys()]).toEqual([]);
  });

  // Exporters (issue 12) translate the runbook model; the engine's runtime runs inside each exported task, never in the exporter.
  it('keeps src/export on the runbook model: it reaches only runbook types, expr, yaml and errors (type imports included)', () => {
    const allowed = new Set(['export', 'runbook', 'expr', 'yaml', undefined]);
    const offenders = listTs(path.join(src, 'export')).flatMap((file) => {
      const code = stripComments(readFileSync(file, 'utf8'));
      const specifiers = [...code.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]!);
      return specifiers
        .filter((s) => s.startsWith('.') && !allowed.has(areaOf(path.resolve(path.dirname(file), s))))
        .map((s) => `${path.relative(root, file)}: ${s}`);
    });
    expect(offenders).toEqual([]);
    const types = listTs(path.join(src, 'export')).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/from\s*'(\.[^']*runbook[^']*)'/g)].map((m) => m[1]));
    expect(types.length).toBeGreaterThan(0);
  });

  // Reports (issue 15) are built from what a run journaled, never by running anything: no engine runtime, CLI, UI or steps.
  it('keeps src/report on journal events and records: within the engine it reaches only events.ts and the pure plan/graph.ts', () => {
    const engineAllowed = new Set(['engine/events.ts', 'engine/plan/graph.ts']);
    const offenders = listTs(path.join(src, 'report')).flatMap((file) => {
      const code = stripComments(readFileSync(file, 'utf8'));
      const specifiers = [...code.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]!);
      return specifiers.filter((s) => {
        if (!s.startsWith('.')) return false;
        const target = path.relative(src, path.resolve(path.dirname(file), s)).split(path.sep).join('/').replace(/\.js$/, '.ts');
        const area = target.split('/')[0];
        if (area === 'engine') return !engineAllowed.has(target);
        return ['cli', 'ui', 'steps', 'sim', 'k8s', 'proc', 'node', 'fleet'].includes(area!) || (area === 'store' && target !== 'store/index.ts');
      }).map((s) => `${path.relative(root, file)}: ${s}`);
    });
    expect(listTs(path.join(src, 'report')).length).toBeGreaterThan(3);
    expect(offenders).toEqual([]);
  });

  // `opsbook runs` reads every journal (each event checked by a hand-written checker, not a schema library).
  it('loads no heavy package for `opsbook runs`: what it imports reaches no Kubernetes client, X.509, YAML parser, ajv, execa or listr2', () => {
    const entries = ['cli/commands/runs.ts', 'engine/index.ts', 'store/default.ts', 'time/duration.ts', 'ui/table.ts'].map((f) => path.join(src, f));
    const { packages } = reachablePackages(entries, { staticOnly: true });
    // js-yaml too: validate needs it, a journal listing does not.
    const heavy = ['@kubernetes/client-node', '@peculiar/x509', 'reflect-metadata', 'yaml', 'js-yaml', 'ajv', 'ajv-formats', 'execa', 'listr2'];
    const loaded = Object.fromEntries(heavy.filter((name) => packages.has(name)).map((name) => [name, packages.get(name)!.join(' → ')]));
    expect(loaded, 'static import chains from what runs loads').toEqual({});
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
