// A hand-written shape check for journal lines (no schema library: `opsbook runs` must stay fast to start).

import type { EngineEvent, EngineEventType } from '../events.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';
type Fields = Readonly<Record<string, Kind>>;

const STEP: Fields = { stepId: 'string' };

/** Fields every event of a type must carry (beyond type, time and runId). */
const REQUIRED: Readonly<Record<EngineEventType, Fields>> = {
  'run-start': { runbook: 'object', inputs: 'object', steps: 'array' },
  'step-start': STEP,
  'attempt-start': { ...STEP, attempt: 'number', maxAttempts: 'number', timeoutMs: 'number' },
  'attempt-end': { ...STEP, attempt: 'number', ok: 'boolean' },
  'step-progress': { ...STEP, detail: 'string' },
  'step-log': { ...STEP, stream: 'string', line: 'string' },
  'step-report': { ...STEP, table: 'object' },
  'step-approval': { ...STEP, approved: 'boolean', by: 'string' },
  'step-process': { ...STEP, attempt: 'number', pid: 'number', pgid: 'number', host: 'string' },
  'step-end': { ...STEP, status: 'string' },
  'run-end': { status: 'string', durationMs: 'number' },
};

/** Fields that may be absent but, when present, have this kind. */
const OPTIONAL: Readonly<Partial<Record<EngineEventType, Fields>>> = {
  'run-start': { journalVersion: 'number', host: 'string', deadline: 'string', resumedFrom: 'string', rerun: 'array', selection: 'object' },
  'attempt-end': { errorClass: 'string', error: 'string', retryInMs: 'number' },
  'step-process': { startTime: 'string', bootId: 'string' },
  'step-end': {
    outputs: 'object', reason: 'string', errorClass: 'string', reused: 'boolean', reusedFrom: 'string', skip: 'string', durationMs: 'number', outputsRedacted: 'boolean',
  },
  'run-end': { error: 'string' },
};

const RUNBOOK: Fields = { path: 'string', name: 'string', sha256: 'string' };

/** Why `value` is not an EngineEvent (e.g. `step-end: stepId must be a string`), or undefined when it is one. */
export function checkEvent(value: unknown): string | undefined {
  if (kindOf(value) !== 'object') return `${withArticle(kindOf(value))}, not an object`;
  const event = value as Record<string, unknown>;
  if (typeof event.type !== 'string') return 'type must be a string';
  const type = event.type as EngineEventType;
  if (!Object.hasOwn(REQUIRED, type)) return `unknown type ${JSON.stringify(type)}`;
  const problem =
    checkFields(event, { time: 'string', runId: 'string', ...REQUIRED[type] }, true) ?? checkFields(event, OPTIONAL[type] ?? {}, false);
  if (problem) return `${type}: ${problem}`;
  if (type === 'run-start') {
    const inner = checkFields(event.runbook as Record<string, unknown>, RUNBOOK, true);
    if (inner) return `run-start: runbook.${inner}`;
  }
  return undefined;
}

/** Narrows after checkEvent said yes. */
export function isEngineEvent(value: unknown): value is EngineEvent {
  return checkEvent(value) === undefined;
}

function checkFields(event: Record<string, unknown>, fields: Fields, required: boolean): string | undefined {
  for (const [name, kind] of Object.entries(fields)) {
    const value = event[name];
    if (value === undefined && !required) continue;
    if (kindOf(value) !== kind) return `${name} must be ${withArticle(kind)}${value === undefined ? ' (missing)' : ''}`;
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function withArticle(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}
