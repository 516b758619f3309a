// Masks secrets in the engine's events: only their free-text fields, never the journal's own structure.
// Keys, types, times, ids and statuses stay as they are, so a journal stays readable (`runs`, `resume`) whatever the
// secret; masking itself (which forms of a secret, longest first) lives in src/secrets.

import { createMasker, type Masker } from '../secrets/index.js';
import type { EngineEvent, EngineEventType, ReportTable } from './events.js';

export { MASK } from '../secrets/index.js';

export type Redactor = Masker;

/** Builds a redactor for `secrets` (values shorter than MIN_SECRET_LENGTH are not masked). */
export function createRedactor(secrets: Iterable<string>): Redactor {
  return createMasker(secrets);
}

type EventOf<K extends EngineEventType> = Extract<EngineEvent, { type: K }>;
type FieldMasker = { [K in EngineEventType]: (event: EventOf<K>, masker: Masker) => EventOf<K> };

const same = <T>(event: T): T => event;

/**
 * The free-text fields of each event type: what a step or an error wrote, which may carry a secret.
 * A new event type must say which of its fields are free text (the type checker asks).
 */
const FREE_TEXT: FieldMasker = {
  'run-start': (event, m) => {
    const e = withText(event, 'host', m);
    const inputs = maskValues(e.inputs, m);
    const rerun = e.rerun?.map((r) => withText(r, 'reason', m));
    const rerunChanged = rerun !== undefined && rerun.some((r, i) => r !== e.rerun![i]);
    return inputs === e.inputs && !rerunChanged ? e : { ...e, inputs, ...(rerunChanged ? { rerun } : {}) };
  },
  'step-start': same,
  'attempt-start': same,
  'attempt-end': (e, m) => withText(e, 'error', m),
  'step-progress': (e, m) => withText(e, 'detail', m),
  'step-log': (e, m) => withText(e, 'line', m),
  'step-report': (e, m) => {
    const table = maskTable(e.table, m);
    return table === e.table ? e : { ...e, table };
  },
  'step-approval': (e, m) => withText(e, 'by', m),
  'step-process': same, // pids, start time, boot id and host: no free text
  'step-end': (e, m) => {
    const outputs = e.outputs && maskValues(e.outputs, m);
    const masked = withText(e, 'reason', m);
    if (outputs === e.outputs) return masked;
    // Masked outputs cannot be reused on resume (a later step would get `***`): say so in the record itself.
    return { ...masked, outputs, outputsRedacted: true };
  },
  'run-end': (e, m) => withText(e, 'error', m),
};

/** The event with its free-text fields masked; the event itself when nothing was (always so without secrets). */
export function redactEvent(event: EngineEvent, masker: Masker): EngineEvent {
  if (masker.secrets.length === 0) return event;
  const mask = FREE_TEXT[event.type] as ((e: EngineEvent, m: Masker) => EngineEvent) | undefined;
  // An event type from a newer journal than this code: mask every string leaf, still never a key.
  return mask ? mask(event, masker) : maskUnknown(event, masker);
}

/** A map whose keys are names (input names, output names) and whose values are user data. */
export function maskValues(record: Record<string, unknown>, masker: Masker): Record<string, unknown> {
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = masker.data(value);
    changed ||= out[key] !== value;
  }
  return changed ? out : record;
}

function withText<E extends object, K extends keyof E & string>(event: E, field: K, masker: Masker): E {
  const value = event[field];
  if (typeof value !== 'string') return event;
  const masked = masker.text(value);
  return masked === value ? event : { ...event, [field]: masked };
}

function maskTable(table: ReportTable, masker: Masker): ReportTable {
  const title = masker.text(table.title);
  const columns = masker.strings(table.columns);
  const rows = masker.strings(table.rows);
  return title === table.title && columns === table.columns && rows === table.rows ? table : { title, columns, rows };
}

function maskUnknown(event: EngineEvent, masker: Masker): EngineEvent {
  const { type, time, runId, ...rest } = event as EngineEvent & Record<string, unknown>;
  const masked = masker.strings(rest);
  return masked === rest ? event : ({ time, runId, type, ...masked } as EngineEvent);
}
