// The engine's public API: run, resume, plan and list runbook runs. The CLI wires real defaults into these.

export { executeRunbook, type RunResult, type StepResult } from './run.js';
export { resumeRunbook, type ResumeOptions } from './resume.js';
export { selectSteps, type SelectionRequest, type StepSelection } from './selection/select.js';
export { checkStepIds, splitStepIds } from './selection/step-ids.js';
export { findDownstream } from './selection/downstream.js';
export { listStepReads, describeRead, type StepRead } from './selection/reads.js';
export { readEarlierRun, type EarlierRun } from './selection/from-run.js';
export { planRunbook, type PlanOptions, type RunbookPlan, type PlanStep } from './plan/index.js';
export { listRuns, summarizeRun, type RunSummary } from './journal/list.js';
export { findWaitingGates, type WaitingGate } from './journal/gates.js';
export { describeApprovers, refuseAnswer } from './gate.js';
export { readJournal, parseJournal } from './journal/read.js';
export { replayJournal, type RunHistory } from './journal/replay.js';
export { createRunId, isRunId } from './journal/run-id.js';
export { createRedactor, MASK, type Redactor } from './redact.js';
export { checkLeftovers, describeLeftover, stopLeftovers, type Leftover } from './leftovers.js';
export type { ExecuteOptions, ConfirmFn, ConfirmRequest } from './options.js';
export type { RunStore, RunMetadata } from '../store/index.js';
export type { EngineEvent, EventSink, RunStatus, StepStatus } from './events.js';
