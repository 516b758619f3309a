// The report model: what a run's journal says happened, folded once so every renderer is a pure function of it.

import type { ErrorClass } from '../errors.js';
import type { ReportTable, RunStatus, SkipKind, StepStatus } from '../engine/events.js';

/** How a step ended, or `running` when the journal stops while it ran (the run was interrupted), `not run` when it never started. */
export type ReportStepStatus = StepStatus | 'running' | 'not run';

export interface ReportAttempt {
  attempt: number;
  maxAttempts: number;
  /** Milliseconds from the run's start. */
  startMs: number;
  /** undefined when the journal ends inside the attempt; renderers draw it to the run's end. */
  endMs?: number;
  ok?: boolean;
  errorClass?: ErrorClass;
  error?: string;
  timeoutMs: number;
  /** Delay the engine chose before the next attempt. */
  retryInMs?: number;
}

/** Time a step spent not running an attempt: queued before its first one, waiting at a gate, or backing off. */
export interface ReportGap {
  kind: 'wait' | 'gate' | 'backoff';
  startMs: number;
  endMs: number;
  label: string;
}

export interface ReportApproval {
  stepId: string;
  approved: boolean;
  by: string;
  time: string;
}

export interface CsrDecision {
  csr: string;
  node: string;
  requestor?: string;
  reason?: string;
}

export interface CertRenewal {
  node: string;
  certificate: string;
  before: string;
  after: string;
  ca?: string;
}

export interface ReportStep {
  id: string;
  name: string;
  type: string;
  needs: string[];
  /** 0-based wave (topological level). */
  wave: number;
  status: ReportStepStatus;
  startMs?: number;
  endMs?: number;
  durationMs?: number;
  attempts: ReportAttempt[];
  gaps: ReportGap[];
  outputs?: Record<string, unknown>;
  outputsRedacted: boolean;
  reason?: string;
  errorClass?: ErrorClass;
  skip?: SkipKind;
  reused: boolean;
  reusedFrom?: string;
  /** The progress lines it reported, in order (consecutive repeats dropped). */
  details: string[];
  /** What its processes printed (already masked in the journal). */
  logs: { stream: 'stdout' | 'stderr'; line: string }[];
  tables: ReportTable[];
  approvals: ReportApproval[];
  /** CSR steps: what was approved and what refused, with each refusal's reason. */
  csr?: { approved: CsrDecision[]; refused: CsrDecision[] };
  /** renew-certs: each certificate's expiry before and after. */
  certs?: CertRenewal[];
  critical: boolean;
}

export type ReportRunStatus = RunStatus;

export interface RunReport {
  kind: 'run';
  runId: string;
  runbook: { path: string; name: string; sha256: string };
  /** Non-secret inputs as journaled, and secret ones by name with a masked value. */
  inputs: Record<string, unknown>;
  /** The machines that ran it, in order of its starts, each once (empty: a journal from before hosts were recorded). */
  hosts: string[];
  startedAt: string;
  endedAt: string;
  durationMs: number;
  status: ReportRunStatus;
  /** true when the journal has no run-end for its last start: the process was killed or is still running. */
  interrupted: boolean;
  error?: string;
  deadline?: { at: string; offsetMs: number; slackMs: number };
  resumes: number;
  /** true when the journal's last record was torn (cut mid-write) and left out. */
  tornTail: boolean;
  steps: ReportStep[];
  waves: string[][];
  criticalPath: string[];
  approvals: ReportApproval[];
}

export interface FleetClusterReport {
  name: string;
  wave: number;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'interrupted';
  runId?: string;
  failedStep?: string;
  error?: string;
  durationMs?: number;
  /** The cluster's own run, when it started and its journal could be read. */
  run?: RunReport;
}

export interface FleetReport {
  kind: 'fleet';
  fleetId: string;
  fleet: string;
  runbook: { path: string; name: string };
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  /** true when the record still says running but no live process holds it. */
  interrupted: boolean;
  reason?: string;
  startedAt: string;
  updatedAt: string;
  /** Step ids across the clusters' runs, in runbook order: the matrix's columns. */
  stepIds: string[];
  clusters: FleetClusterReport[];
}

export type Report = RunReport | FleetReport;
