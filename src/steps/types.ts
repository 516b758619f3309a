// The contract every built-in step type implements. The engine decides what a failure means; steps just throw.

import type { Clock } from '../time/clock.js';
import type { ReportTable } from '../engine/events.js';
import type { Exec } from '../proc/types.js';
import type { KubeClient } from '../k8s/types.js';
import type { NodeOpener } from '../node/index.js';
import type { NetworkPolicy } from '../net/index.js';

export type JsonSchema = Record<string, unknown>;

/** A problem a step type finds in its (static) parameters beyond what its JSON Schema can say. */
export interface ParamIssue {
  /** Path inside `with`, dot/bracket form, e.g. `storage.pvc.create.accessMode` ('' = `with` itself). */
  path: string;
  message: string;
}

/** Who may pass a manual gate and what happens when nobody answers (a `pause` step's policy, normalised). */
export interface GatePolicy {
  /** Distinct approvers needed. */
  approvals: number;
  /** Empty lists: anyone allowed to answer (RBAC on the answer object decides). */
  approvers: { users: string[]; groups: string[] };
  /** Clock ms to wait before taking `onTimeout`; undefined waits until the step timeout. */
  timeoutMs?: number;
  onTimeout: 'reject' | 'approve';
}

/** Everything a step may touch while it runs. Side effects come in here, never from globals. */
export interface StepContext {
  runId: string;
  stepId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Aborted on attempt timeout, run deadline, cancellation. Pass it to every wait and request. */
  signal: AbortSignal;
  clock: Clock;
  /** Absolute clock time (ms) by which this attempt must end; no step waits or backs off past it. */
  deadline: number;
  /** Replace the live detail line (e.g. "3/5 nodes Ready"). */
  progress(detail: string): void;
  /** A line of step output for the UI/journal (redacted by the engine). */
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  /** A table for the UI and journal (e.g. refused CSRs). */
  report(table: ReportTable): void;
  /** Environment for child processes (includes KUBECONFIG when a cluster is configured). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Lazily connect to the cluster (the Kubernetes client is loaded only when a step needs it). */
  kube(): Promise<KubeClient>;
  /** A client for the cluster of another kubeconfig file (absolute path), e.g. one an earlier step wrote. */
  openKube(kubeconfigPath: string): Promise<KubeClient>;
  /** How requests reach other hosts (the http step): directly, or during a rehearsal the simulation only. @default direct */
  network?: NetworkPolicy;
  /** How a step reaches a machine it acts on directly (nodes steps); `rehearse` refuses any the simulation lacks. @default its own transport */
  openNode?: NodeOpener;
  exec: Exec;
  /** Mask every secret value in `text` as `***`. */
  redact(text: string): string;
  /** Secret values in effect (to pass to processes as data, never to print). */
  secrets: readonly string[];
  /**
   * Ask the operator (manual gates). Without `gate`: the terminal only, a permanent StepError when there is none and the
   * step is not pre-approved. With `gate`: also answers given by `opsbook approve|reject` under the gate's policy;
   * `onWaiting` runs once the gate shows it waits (answers given from then on count).
   */
  confirm(message: string, gate?: GatePolicy, onWaiting?: () => Promise<void>): Promise<{ approved: boolean; by: string; comment?: string }>;
  /** Run state directory (journal lives under it). */
  stateDir: string;
}

/** What `plan` may use: reading only. `kube()` rejects when no cluster is reachable. */
export interface PlanContext {
  runId: string;
  stepId: string;
  signal: AbortSignal;
  clock: Clock;
  env: Record<string, string | undefined>;
  cwd: string;
  kube(): Promise<KubeClient>;
  /** A client for the cluster of another kubeconfig file (absolute path); reading only, as everything in a plan. */
  openKube(kubeconfigPath: string): Promise<KubeClient>;
  /** As StepContext.openNode (reading only). @default the node's own transport */
  openNode?: NodeOpener;
  exec: Exec;
  redact(text: string): string;
}

/** A step's read-only preview for `opsbook plan`. */
export interface PlanPreview {
  /** One-line summary, e.g. "would approve 2 CSRs, refuse 1". */
  summary: string;
  tables?: ReportTable[];
  /** Free-form lines (e.g. a diff). */
  lines?: string[];
}

export interface OutputSpec {
  type: string;
  description: string;
}

/**
 * `P` is what `run` gets (the normalised parameters); `I` what `normalize` gets: each step passes
 * `ParamsInput<typeof schema>` of its `as const` schema, so normalize is checked against the schema-derived type.
 * `I` defaults to `any` so the engine and registry can hold steps of every schema.
 */
export interface StepType<
  P = Record<string, unknown>,
  O extends Record<string, unknown> = Record<string, unknown>,
  I = any,
> {
  /** `uses:` name, e.g. `approve-client-csrs`. */
  type: string;
  /** One line for `opsbook steps`. */
  description: string;
  /** JSON Schema (2020-12) for `with`; published as schemas/steps/<type>.schema.json. */
  schema: JsonSchema;
  outputs: Record<string, OutputSpec>;
  /** true when run() changes something outside opsbook (cluster, files, processes). */
  mutating: boolean;
  /** Checks beyond the schema; values that are still `${{ }}` templates are left out of `params`. */
  check?(params: Record<string, unknown>): ParamIssue[];
  /** Fill defaults once (after templates are resolved and the schema passed). */
  normalize?(params: I): P;
  run(params: P, ctx: StepContext): Promise<O>;
  /** Read-only preview; never mutates (server-side dry runs only). */
  plan?(params: P, ctx: PlanContext): Promise<PlanPreview>;
}

// The registry holds steps of every parameter type; each step checks its own params through its schema.
export type AnyStepType = StepType<any, any>;
