// Expression checks: CEL compiles, references exist, and a step reads only steps it depends on (directly or not).

import { compileExpression, ExpressionError, type ExprReference } from '../../expr/cel.js';
import { getWhenExpression, isTemplate, parseTemplate } from '../../expr/template.js';
import type { PathSegment } from '../../schema/index.js';
import { isRecord, type CheckContext, type RawStep } from './context.js';
import type { DependencyOrder } from './graph.js';

/** Where an expression sits: its field, where to point (`index`), where its CEL source starts in the string (`offset`). */
interface Site {
  path: PathSegment[];
  index?: number;
  offset?: number;
}

interface StepReference {
  /** Position in ctx.steps of the reading step. */
  reader: number;
  target: RawStep;
  targetPosition: number;
  reference: ExprReference;
  site: Site;
}

const report = (ctx: CheckContext, site: Site, message: string): void => ctx.report(site.path, message, { index: site.index });

/** Compiles every expression of the runbook and checks what it reads. */
export function checkExpressions(ctx: CheckContext, graph: DependencyOrder): void {
  const positionOf = new Map<RawStep, number>();
  ctx.steps.forEach((step, position) => positionOf.set(step, position));
  const stepReferences: StepReference[] = [];
  const spec = isRecord(ctx.root.spec) ? ctx.root.spec : {};
  if (typeof spec.deadline === 'string' && isTemplate(spec.deadline)) {
    forEachExpression(ctx, spec.deadline, ['spec', 'deadline'], (reference, site) => {
      if (reference.root === 'steps') report(ctx, site, 'the deadline is set when the run starts: it can use inputs and run, not steps');
      else checkContextReference(ctx, reference, site);
    });
    checkDeadlineInput(ctx, spec.deadline);
  }
  ctx.steps.forEach((step, position) => {
    const base: PathSegment[] = ['spec', 'steps', step.index];
    const onReference = (reference: ExprReference, site: Site): void => {
      if (reference.root !== 'steps') return checkContextReference(ctx, reference, site);
      const target = checkStepReference(ctx, step, reference, site);
      if (target) stepReferences.push({ reader: position, target, targetPosition: positionOf.get(target)!, reference, site });
    };
    if (typeof step.raw.when === 'string') checkWhen(ctx, step.raw.when, [...base, 'when'], onReference);
    walkStrings(step.raw.with, [...base, 'with'], (text, path) => forEachExpression(ctx, text, path, onReference));
    walkStrings(step.raw.env, [...base, 'env'], (text, path) => forEachExpression(ctx, text, path, onReference));
  });
  if (stepReferences.length > 0) checkDependencies(ctx, graph, stepReferences);
}

// `deadline: ${{ inputs.window }}` must name a duration input (a typo'd type would only fail when the run starts).
function checkDeadlineInput(ctx: CheckContext, deadline: string): void {
  const name = /^\s*\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/.exec(deadline)?.[1];
  const type = name !== undefined ? ctx.inputs.get(name)?.type : undefined;
  if (typeof type === 'string' && type !== 'duration' && type !== 'string') {
    ctx.report(['spec', 'deadline'], `must be a duration, but input '${name}' is of type ${type} (declare it type: duration)`);
  }
}

function walkStrings(value: unknown, path: PathSegment[], visit: (text: string, path: PathSegment[]) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, [...path, i], visit));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) walkStrings(item, [...path, key], visit);
}

type OnReference = (reference: ExprReference, site: Site) => void;

function forEachExpression(ctx: CheckContext, text: string, path: PathSegment[], onReference: OnReference): void {
  if (!isTemplate(text)) return;
  let parts;
  try {
    parts = parseTemplate(text);
  } catch (error) {
    report(ctx, { path, index: (error as ExpressionError).offset }, (error as Error).message);
    return;
  }
  for (const part of parts) {
    if (part.kind === 'expr') checkSource(ctx, part.source, { path, index: part.start, offset: part.offset }, onReference);
  }
}

function checkWhen(ctx: CheckContext, when: string, path: PathSegment[], onReference: OnReference): void {
  let source: string;
  try {
    source = getWhenExpression(when);
  } catch (error) {
    report(ctx, { path, index: (error as ExpressionError).offset }, (error as Error).message);
    return;
  }
  const site: Site = source === when ? { path, index: 0, offset: 0 } : { path };
  const type = checkSource(ctx, source, site, onReference);
  if (type !== undefined && type !== 'bool' && type !== 'dyn') report(ctx, site, `must be a condition (bool), but '${source}' is of type ${type}`);
}

/** Compiles one expression, reports problems, hands on its references; returns the inferred type when it compiles. */
function checkSource(ctx: CheckContext, source: string, site: Site, onReference: OnReference): string | undefined {
  let compiled;
  try {
    compiled = compileExpression(source);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    const where = error.column !== undefined ? ` at column ${error.column}` : '';
    const index = error.column !== undefined && site.offset !== undefined ? site.offset + error.column - 1 : site.index;
    report(ctx, { path: site.path, index }, `invalid expression '${source}': ${error.message}${where}`);
    return undefined;
  }
  for (const reference of compiled.references) onReference(reference, site);
  return compiled.type;
}

function checkContextReference(ctx: CheckContext, reference: ExprReference, site: Site): void {
  if (reference.name === undefined) return;
  if (reference.root === 'inputs' && !ctx.inputs.has(reference.name)) {
    const known = [...ctx.inputs.keys()];
    const hint = ctx.hint(reference.name, known) || (known.length ? ` (inputs: ${known.join(', ')})` : ' (spec.inputs declares none)');
    report(ctx, site, `unknown input '${reference.name}'${hint}`);
  }
  if (reference.root === 'run' && reference.name !== 'id' && reference.name !== 'startedAt') {
    report(ctx, site, `unknown field run.${reference.name} (run has id and startedAt)`);
  }
}

function checkStepReference(ctx: CheckContext, reader: RawStep, reference: ExprReference, site: Site): RawStep | undefined {
  if (reference.name === undefined) {
    report(ctx, site, "read a step through steps.<id>.outputs.<name> or steps.<id>.status, not the whole 'steps'");
    return undefined;
  }
  const target = ctx.byId.get(reference.name);
  if (!target) {
    report(ctx, site, `unknown step '${reference.name}'${ctx.hint(reference.name, ctx.byId.keys())}`);
    return undefined;
  }
  if (target === reader) {
    report(ctx, site, `step '${reference.name}' cannot read its own outputs or status`);
    return undefined;
  }
  if (reference.field !== undefined && reference.field !== 'outputs' && reference.field !== 'status') {
    report(ctx, site, `steps.${reference.name}.${reference.field} does not exist (a step has outputs and status)`);
  }
  const declared = target.stepType?.outputs;
  if (reference.field === 'outputs' && reference.key !== undefined && declared && !('*' in declared) && !(reference.key in declared)) {
    const names = Object.keys(declared);
    const list = names.length ? `outputs: ${names.join(', ')}` : 'it has no outputs';
    report(ctx, site, `step '${reference.name}' (${target.type}) has no output '${reference.key}'${ctx.hint(reference.key, names) || ` (${list})`}`);
  }
  return target;
}

// Ancestor sets as bitsets over the referenced steps only, filled in topological order: O(steps × referenced / 32).
function checkDependencies(ctx: CheckContext, graph: DependencyOrder, all: StepReference[]): void {
  const references = all.filter((ref) => !graph.deps[ref.reader]!.includes(ref.targetPosition)); // direct needs: nothing to compute
  if (references.length === 0) return;
  const bitOf = new Map<number, number>();
  for (const ref of references) if (!bitOf.has(ref.targetPosition)) bitOf.set(ref.targetPosition, bitOf.size);
  const words = Math.ceil(bitOf.size / 32);
  const ancestors: (Uint32Array | undefined)[] = new Array(ctx.steps.length);
  const empty = new Uint32Array(words);
  for (const node of graph.order) {
    const deps = graph.deps[node]!;
    if (deps.length === 1 && !bitOf.has(deps[0]!)) {
      ancestors[node] = ancestors[deps[0]!] ?? empty; // share: nothing new to add
      continue;
    }
    const set = new Uint32Array(words);
    for (const dep of deps) {
      const inherited = ancestors[dep];
      if (inherited) for (let w = 0; w < words; w++) set[w]! |= inherited[w]!;
      const bit = bitOf.get(dep);
      if (bit !== undefined) set[bit >>> 5]! |= 1 << (bit & 31);
    }
    ancestors[node] = set;
  }
  for (const ref of references) {
    const set = ancestors[ref.reader];
    if (!set) continue; // on or behind a cycle, already reported
    const bit = bitOf.get(ref.targetPosition)!;
    if (set[bit >>> 5]! & (1 << (bit & 31))) continue;
    const what = ref.reference.field === 'status' ? 'status' : 'outputs';
    report(ctx, ref.site, `reads steps.${ref.target.id}.${what} but does not depend on '${ref.target.id}': add it to needs (directly or through a step that needs it)`);
  }
}
