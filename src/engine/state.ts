// What every part of one run shares: options, the emitter, the root signal, the deadline and finished steps' state.

import type { Runbook } from '../runbook/types.js';
import type { SkipKind } from './events.js';
import type { Emit } from './emitter.js';
import type { StepState } from './expr.js';
import type { EngineOptions } from './options.js';
import type { Redactor } from './redact.js';

export interface RunDeadline {
  /** As written in spec.deadline (may be a template). */
  source: string;
  ms: number;
  /** Absolute clock time. */
  at: number;
}

export interface RunState {
  runId: string;
  runbook: Runbook;
  options: EngineOptions;
  emit: Emit;
  redactor: Redactor;
  /** Aborted on interrupt (reason CancelledError 'interrupted') or deadline (reason 'deadline'). */
  signal: AbortSignal;
  startedAt: number;
  deadline: RunDeadline | undefined;
  inputs: Record<string, unknown>;
  runInfo: { id: string; startedAt: string };
  /** Finished steps, for expressions (`steps.<id>.outputs`, `.status`). */
  states: Map<string, StepState>;
  /** Settles when the manual gate asking now has its answer (gates ask one at a time). */
  gateQueue: Promise<void>;
}

/** Outcome of one step: one shape for success, failure, skip and cancel. */
export interface StepOutcome {
  status: 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  outputs: Record<string, unknown>;
  error?: string;
  errorClass?: 'transient' | 'timeout' | 'permanent';
  reason?: string;
  skip?: SkipKind;
  reused?: boolean;
  /** The other run a reused outcome comes from (`run --from-run`). */
  reusedFrom?: string;
}
