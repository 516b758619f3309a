// The typed events the engine emits. Renderers (tty/plain/json) and the journal consume these; the engine knows no UI.

import type { ErrorClass } from '../errors.js';

export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type RunStatus = 'succeeded' | 'failed' | 'interrupted';

/** A table a step wants shown and journaled (e.g. refused CSRs: CSR, node, requestor, reason). */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: string[][];
}

interface Base {
  /** ISO-8601 timestamp from the run's clock. */
  time: string;
  runId: string;
}

export type EngineEvent =
  | (Base & {
      type: 'run-start';
      /** The journal format (JOURNAL_VERSION in journal/format.ts); absent in journals written before it existed, read as 1. */
      journalVersion?: number;
      /** The machine that ran this start (os.hostname(), masked like any free text); absent in journals from before it was recorded. */
      host?: string;
      runbook: { path: string; name: string; sha256: string };
      /** Non-secret inputs only; secrets are never recorded. */
      inputs: Record<string, unknown>;
      /** Absolute deadline (ISO) when spec.deadline is set. */
      deadline?: string;
      steps: { id: string; name: string; type: string; needs: string[] }[];
      resumedFrom?: string;
      /** On resume: steps that ended well before but run again, and why (e.g. their recorded outputs were redacted, `--from`). */
      rerun?: { stepId: string; reason: string }[];
      /** A partial run: `run --only/--skip [--from-run]` or `resume --from`, as asked (absent: every step). */
      selection?: RunSelection;
    })
  | (Base & { type: 'step-start'; stepId: string })
  | (Base & { type: 'attempt-start'; stepId: string; attempt: number; maxAttempts: number; timeoutMs: number })
  | (Base & {
      type: 'attempt-end';
      stepId: string;
      attempt: number;
      ok: boolean;
      errorClass?: ErrorClass;
      error?: string;
      /** Delay before the next attempt when one will follow. */
      retryInMs?: number;
    })
  | (Base & { type: 'step-progress'; stepId: string; detail: string })
  | (Base & { type: 'step-log'; stepId: string; stream: 'stdout' | 'stderr'; line: string })
  | (Base & { type: 'step-report'; stepId: string; table: ReportTable })
  | (Base & { type: 'step-approval'; stepId: string; approved: boolean; by: string })
  | (Base & {
      type: 'step-process';
      stepId: string;
      attempt: number;
      /** The process a step started; it leads its own process group (pgid = pid). */
      pid: number;
      pgid: number;
      /** With bootId and host, tells this process from a later one given the same pid (resume stops leftovers). */
      startTime?: string;
      bootId?: string;
      host: string;
    })
  | (Base & {
      type: 'step-end';
      stepId: string;
      status: StepStatus;
      outputs?: Record<string, unknown>;
      /** Why it was skipped/failed, e.g. "needs pending, which failed". */
      reason?: string;
      errorClass?: ErrorClass;
      /** Reused from an earlier run on resume (or from `--from-run`). */
      reused?: boolean;
      /** With `reused`: the run whose journaled outcome was reused, when it is another run (`run --from-run`). */
      reusedFrom?: string;
      /**
       * Why a skipped step was skipped: its own `when`, a failed dependency, the run halting (fail-fast, deadline,
       * interrupt), or not being selected (`--only`/`--skip`, with nothing to reuse; `reason` says which).
       */
      skip?: SkipKind;
      durationMs?: number;
      /**
       * true when a secret was masked in `outputs`: the journal holds `***`, not the value, so resume runs the step
       * again rather than hand `***` to later steps. Absent (journals before it existed) means nothing was masked.
       */
      outputsRedacted?: boolean;
    })
  | (Base & { type: 'run-end'; status: RunStatus; error?: string; durationMs: number });

export type EngineEventType = EngineEvent['type'];

/** Why a step was skipped (see step-end `skip`). Readers must tolerate kinds they do not know (older opsbook). */
export type SkipKind = 'when' | 'needs' | 'halted' | 'selection';

/** The steps a partial run was asked for, as journaled in run-start. */
export interface RunSelection {
  /** `run --only`. */
  only?: string[];
  /** `run --skip`. */
  skip?: string[];
  /** `run --from-run`: unselected steps reuse this run's journaled outcomes. */
  fromRun?: string;
  /** `resume --from` or `run --from`: these steps and everything downstream run (again). */
  from?: string[];
}

/** Anything that wants the engine's events: a renderer, the journal, a test recorder. */
export type EventSink = (event: EngineEvent) => void;

const lines = new WeakMap<EngineEvent, string>();

/** The event as one NDJSON line, serialised once however many sinks (journal, `--output json`) write it. */
export function formatEventLine(event: EngineEvent): string {
  let line = lines.get(event);
  if (line === undefined) {
    line = `${JSON.stringify(event)}\n`;
    lines.set(event, line);
  }
  return line;
}
