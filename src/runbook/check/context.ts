// What every semantic check reads: the raw document (possibly malformed), its steps and inputs, and a reporter.

import type { StepRegistry } from '../../steps/registry.js';
import type { AnyStepType } from '../../steps/types.js';
import { type PathSegment, formatSuggestion } from '../../schema/index.js';

export interface RawStep {
  index: number;
  /** The step's id when it is a string. */
  id?: string;
  raw: Record<string, unknown>;
  /** `uses:` type, or 'shell' for `run:` steps. */
  type?: string;
  /** Registered type, when known. */
  stepType?: AnyStepType;
  /** Dependencies as written (strings only). */
  needs: { id: string; path: PathSegment[] }[];
}

export interface ReportOptions {
  /** Point at the key rather than at the value. */
  target?: 'key' | 'value';
  /** Where to point, when not `path` itself. */
  at?: PathSegment[];
  /** Point at this character of the string value (e.g. the `${{` at fault). */
  index?: number;
}

export interface CheckContext {
  root: Record<string, unknown>;
  steps: RawStep[];
  /** Steps by id (first occurrence wins). */
  byId: Map<string, RawStep>;
  inputs: Map<string, Record<string, unknown>>;
  registry: StepRegistry;
  report(path: PathSegment[], message: string, options?: ReportOptions): void;
  /** Something risky but allowed (shown with its position; the runbook stays valid). */
  warn(path: PathSegment[], message: string, options?: ReportOptions): void;
  /** " (did you mean 'x'?)" — on a budget, so thousands of typos cannot turn validation quadratic. */
  hint(word: string, candidates: Iterable<string>): string;
}

const HINT_BUDGET = 100;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads the parts of a (possibly invalid) document that semantic checks need, without trusting its shape. */
export function readCheckContext(
  root: unknown,
  registry: StepRegistry,
  report: CheckContext['report'],
  warn: CheckContext['warn'] = () => {},
): CheckContext | undefined {
  if (!isRecord(root)) return undefined;
  const spec = isRecord(root.spec) ? root.spec : {};
  const steps: RawStep[] = [];
  const byId = new Map<string, RawStep>();
  const rawSteps = Array.isArray(spec.steps) ? spec.steps : [];
  rawSteps.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    const id = typeof raw.id === 'string' ? raw.id : undefined;
    const type = typeof raw.uses === 'string' ? raw.uses : typeof raw.run === 'string' ? 'shell' : undefined;
    const step: RawStep = { index, id, raw, type, stepType: type ? registry.get(type) : undefined, needs: readNeeds(raw.needs, index) };
    steps.push(step);
    if (id !== undefined && !byId.has(id)) byId.set(id, step);
  });
  const inputs = new Map<string, Record<string, unknown>>();
  if (isRecord(spec.inputs)) {
    for (const [name, value] of Object.entries(spec.inputs)) inputs.set(name, isRecord(value) ? value : {});
  }
  let hints = 0;
  const hint = (word: string, candidates: Iterable<string>): string => (hints++ < HINT_BUDGET ? formatSuggestion(word, candidates) : '');
  return { root, steps, byId, inputs, registry, report, warn, hint };
}

function readNeeds(needs: unknown, index: number): RawStep['needs'] {
  const base: PathSegment[] = ['spec', 'steps', index, 'needs'];
  if (typeof needs === 'string') return [{ id: needs, path: base }];
  if (!Array.isArray(needs)) return [];
  return needs.flatMap((id, i) => (typeof id === 'string' ? [{ id, path: [...base, i] }] : []));
}
