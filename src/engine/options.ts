// The executor's options: everything with a side effect comes in here; real defaults are filled once.

import { hostname } from 'node:os';
import { CancelledError, StepError, UsageError } from '../errors.js';
import type { KubeClient } from '../k8s/types.js';
import { directNetwork, type NetworkPolicy } from '../net/index.js';
import { openNode, type NodeOpener } from '../node/index.js';
import type { Exec } from '../proc/types.js';
import type { Runbook } from '../runbook/types.js';
import { openDefaultStore } from '../store/default.js';
import type { RunStore } from '../store/index.js';
import type { StepRegistry } from '../steps/registry.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { EventSink } from './events.js';

/** What a manual gate asks the operator. */
export interface ConfirmRequest {
  stepId: string;
  message: string;
  signal: AbortSignal;
}

export type ConfirmFn = (request: ConfirmRequest) => Promise<{ approved: boolean; by: string }>;

export interface ExecuteOptions {
  /** The normalised runbook (loadRunbook). */
  runbook: Runbook;
  /** Resolved input values, secrets included (they are passed to steps, never recorded). */
  inputs: Record<string, unknown>;
  /** Extra values to mask; values of `secret` inputs are added automatically. */
  secretValues?: readonly string[];
  registry: StepRegistry;
  /** Steps' working state; with the default store also the journal's home, `<stateDir>/runs/<runId>/journal.ndjson`. */
  stateDir: string;
  /** Where the run's journal, metadata and claim are kept. @default the local store on `stateDir` */
  store?: RunStore;
  /** @default a new sortable id */
  runId?: string;
  /** @default systemClock */
  clock?: Clock;
  onEvent?: EventSink;
  /** Root cancellation: abort with `new CancelledError(msg, 'interrupted')` on Ctrl-C. */
  signal?: AbortSignal;
  /** @default rejects: no cluster configured */
  kube?: () => Promise<KubeClient>;
  /** A client for another kubeconfig file (a step's `kubeconfig` parameter). @default the Kubernetes client, loaded on use */
  openKube?: (kubeconfigPath: string) => Promise<KubeClient>;
  /** How steps reach other hosts: `rehearse` sends impersonated hosts to the simulation and refuses the rest. @default direct */
  network?: NetworkPolicy;
  /** How steps open the machines they act on. @default each node's own transport (local or ssh) */
  openNode?: NodeOpener;
  /** @default execProcess (src/proc/exec.ts) */
  exec?: Exec;
  /** Environment for child processes. @default {} */
  env?: Record<string, string | undefined>;
  /** Variables forced onto every process a step starts, over its own and the step's `env:` (rehearse: the loopback proxy). @default {} */
  spawnEnv?: Record<string, string>;
  /** @default process.cwd() */
  cwd?: string;
  /** The machine running the run, journaled in run-start for reports. @default os.hostname() */
  host?: string;
  /** Prompt for manual gates. @default fails: no terminal to ask */
  confirm?: ConfirmFn;
  /** Step ids approved up front (`--approve`). */
  approvals?: readonly string[];
  /** Overrides spec.concurrency. */
  concurrency?: number;
  /** Source of jitter. @default Math.random */
  random?: () => number;
  /** Grace between SIGTERM and SIGKILL for cancelled processes (real ms). @default 5000 */
  killGraceMs?: number;
}

export interface EngineOptions extends Required<Omit<ExecuteOptions, 'runId' | 'signal' | 'onEvent' | 'exec'>> {
  runId?: string;
  signal?: AbortSignal;
  onEvent: EventSink;
  exec: Exec;
}

/** Fills defaults and checks the few things the runbook's validation cannot (they come from the caller). */
export function normalizeOptions(options: ExecuteOptions): EngineOptions {
  const concurrency = options.concurrency ?? options.runbook.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`concurrency must be a whole number ≥ 1 (got ${String(concurrency)})`);
  }
  const secretInputs = Object.values(options.runbook.inputs)
    .filter((input) => input.type === 'secret')
    .map((input) => options.inputs[input.name])
    .filter((value): value is string => typeof value === 'string');
  return {
    ...options,
    store: resolveStore(options),
    secretValues: [...(options.secretValues ?? []), ...secretInputs],
    clock: options.clock ?? systemClock,
    onEvent: options.onEvent ?? (() => {}),
    kube: options.kube ?? rejectKube,
    openKube: options.openKube ?? openKubeconfigLazily(options.clock ?? systemClock),
    network: options.network ?? directNetwork,
    openNode: options.openNode ?? openNode,
    exec: options.exec ?? execLazily,
    env: options.env ?? {},
    spawnEnv: options.spawnEnv ?? {},
    cwd: options.cwd ?? process.cwd(),
    host: options.host ?? hostname(),
    confirm: options.confirm ?? refuseConfirm,
    approvals: options.approvals ?? [],
    concurrency,
    random: options.random ?? Math.random,
    killGraceMs: options.killGraceMs ?? 5000,
  };
}

/** The caller's store, or the local one on its state directory. */
export function resolveStore(options: Pick<ExecuteOptions, 'store' | 'stateDir'>): RunStore {
  return options.store ?? openDefaultStore(options.stateDir);
}

/** Builds a client for a kubeconfig file; @kubernetes/client-node loads only when a step asks (not on validate's path). */
export function openKubeconfigLazily(clock: Clock): (kubeconfigPath: string) => Promise<KubeClient> {
  return async (kubeconfigPath) => (await import('../k8s/client.js')).createKubeClient({ kubeconfigPath, clock });
}

// execa is loaded only when a step actually starts a process.
const execLazily: Exec = async (file, args, execOptions) => (await import('../proc/exec.js')).execProcess(file, args, execOptions);

async function rejectKube(): Promise<KubeClient> {
  throw new StepError('no cluster configured (pass --kubeconfig or set $KUBECONFIG)', { errorClass: 'permanent' });
}

async function refuseConfirm(request: ConfirmRequest): Promise<{ approved: boolean; by: string }> {
  if (request.signal.aborted) throw request.signal.reason ?? new CancelledError('cancelled');
  throw new StepError(
    `manual gate ${request.stepId} needs approval but there is no terminal to ask; pass --approve ${request.stepId}`,
    { errorClass: 'permanent' },
  );
}
