// Step-level semantic checks: ids, needs, uses, parameters, retry policy, templates in shell scripts.

import { parseDuration } from '../../time/duration.js';
import { isTemplate } from '../../expr/template.js';
import { checkStepParams } from '../params.js';
import { buildStepParams } from '../step-params.js';
import { suggestEnvForScript } from './script-hint.js';
import { isRecord, type CheckContext, type RawStep } from './context.js';

/** Runs every step-level check and reports through the context. */
export function checkSteps(ctx: CheckContext): void {
  const spec = ctx.root.spec;
  const defaultsRetry = isRecord(spec) && isRecord(spec.defaults) ? spec.defaults.retry : undefined;
  const defaultBackoff = isRecord(defaultsRetry) && isRecord(defaultsRetry.backoff) ? defaultsRetry.backoff : undefined;
  checkDuplicateIds(ctx);
  for (const step of ctx.steps) {
    checkNeeds(ctx, step);
    checkUses(ctx, step);
    checkParams(ctx, step);
    checkShellScript(ctx, step);
    checkBackoff(ctx, ['spec', 'steps', step.index, 'retry'], step.raw.retry, defaultBackoff);
  }
  checkBackoff(ctx, ['spec', 'defaults', 'retry'], defaultsRetry, undefined);
}

function checkDuplicateIds(ctx: CheckContext): void {
  for (const step of ctx.steps) {
    if (step.id === undefined) continue;
    const first = ctx.byId.get(step.id)!;
    if (first !== step) {
      ctx.report(['spec', 'steps', step.index, 'id'], `duplicate step id '${step.id}' (first used by spec.steps[${first.index}])`);
    }
  }
}

function checkNeeds(ctx: CheckContext, step: RawStep): void {
  for (const need of step.needs) {
    if (ctx.byId.has(need.id)) continue;
    const hint = ctx.hint(need.id, ctx.byId.keys());
    ctx.report(need.path, `needs unknown step '${need.id}'${hint}`);
  }
}

function checkUses(ctx: CheckContext, step: RawStep): void {
  const uses = step.raw.uses;
  if (typeof uses !== 'string' || !uses || step.stepType) return;
  const names = ctx.registry.list().map((type) => type.type);
  const hint = ctx.hint(uses, names) || ' (run `opsbook steps` to list step types)';
  ctx.report(['spec', 'steps', step.index, 'uses'], `unknown step type '${uses}'${hint}`);
}

function checkParams(ctx: CheckContext, step: RawStep): void {
  const base = ['spec', 'steps', step.index];
  if (step.raw.with !== undefined && !isRecord(step.raw.with)) return; // the schema already said so
  if (!step.stepType) return;
  const params = buildStepParams(step.raw);
  if (step.raw.workingDirectory !== undefined && step.type !== 'shell') {
    ctx.report([...base, 'workingDirectory'], `only shell steps have a working directory (this step uses '${step.type}')`, { target: 'key' });
  }
  for (const issue of checkStepParams(step.stepType, params, { skipTemplates: true })) {
    // `run:` and `workingDirectory` live at the step level; point there rather than at a `with` that is not written.
    const top = issue.at[0];
    const atStep = top === 'workingDirectory' || (typeof step.raw.run === 'string' && top === 'run');
    const prefix = atStep ? base : [...base, 'with'];
    ctx.report([...prefix, ...issue.segments], issue.message, { target: issue.target, at: [...prefix, ...issue.at] });
  }
}

function checkShellScript(ctx: CheckContext, step: RawStep): void {
  const inRun = typeof step.raw.run === 'string' ? step.raw.run : undefined;
  const withRun = step.type === 'shell' && isRecord(step.raw.with) && typeof step.raw.with.run === 'string' ? step.raw.with.run : undefined;
  const script = inRun ?? withRun;
  if (script === undefined || !isTemplate(script)) return;
  const path = inRun !== undefined ? ['spec', 'steps', step.index, 'run'] : ['spec', 'steps', step.index, 'with', 'run'];
  ctx.report(path, `\${{ }} is not allowed in a shell script (it would be pasted into the code: script injection); ${suggestEnvForScript(script)}`,
    { index: script.indexOf('${{') });
}

// max < initial within one retry block, or between a step's initial and the max it inherits from spec.defaults.
function checkBackoff(ctx: CheckContext, path: (string | number)[], retry: unknown, inherited: Record<string, unknown> | undefined): void {
  if (!isRecord(retry) || !isRecord(retry.backoff)) return;
  const own = retry.backoff;
  const ms = (value: unknown): number | undefined => (typeof value === 'string' ? parseDuration(value) : undefined);
  const initial = own.initial ?? inherited?.initial;
  const max = own.max ?? inherited?.max;
  const initialMs = ms(initial);
  const maxMs = ms(max);
  if (initialMs === undefined || maxMs === undefined || maxMs >= initialMs) return;
  if (own.max !== undefined) ctx.report([...path, 'backoff', 'max'], `must be ≥ initial (got ${String(max)} < ${String(initial)})`);
  else ctx.report([...path, 'backoff', 'initial'], `must be ≤ the backoff max it inherits from spec.defaults.retry (got ${String(initial)} > ${String(max)})`);
}
