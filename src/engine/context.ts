// Builds the StepContext a step attempt runs with: the only door from a step to time, processes, cluster and UI.

import { StepError } from '../errors.js';
import type { Exec } from '../proc/types.js';
import type { GatePolicy, StepContext } from '../steps/types.js';
import { awaitStoreAnswers, type GateVerdict } from './gate.js';
import type { RunState } from './state.js';

/** Lines of output one attempt may send to the UI and journal; the rest is counted, not shown. */
const MAX_LOG_LINES = 5000;
const MAX_LINE_CHARS = 4096;

export interface AttemptScope {
  stepId: string;
  attempt: number;
  signal: AbortSignal;
  /** Absolute clock time the attempt must end by. */
  deadline: number;
  env: Record<string, string | undefined>;
}

export function createStepContext(run: RunState, scope: AttemptScope): StepContext {
  const { stepId } = scope;
  const { options, emit, redactor } = run;
  let logLines = 0;
  // Processes die with the attempt even when a step forgets to pass its signal.
  // Every process is journaled with its identity, so resume can stop one that outlived a crashed opsbook.
  // A rehearsal's proxy variables win over a step's own, so no process a step starts can opt out of them.
  const forced = Object.keys(options.spawnEnv).length > 0 ? options.spawnEnv : undefined;
  const exec: Exec = (file, args, execOptions) =>
    options.exec(file, args, {
      killGraceMs: options.killGraceMs,
      signal: scope.signal,
      ...execOptions,
      ...(forced ? { env: { ...execOptions?.env, ...forced } } : {}),
      onSpawn: (spawned) => {
        emit({ type: 'step-process', stepId, attempt: scope.attempt, ...spawned });
        execOptions?.onSpawn?.(spawned);
      },
    });
  return {
    runId: run.runId,
    stepId,
    attempt: scope.attempt,
    signal: scope.signal,
    clock: options.clock,
    deadline: scope.deadline,
    progress: (detail) => emit({ type: 'step-progress', stepId, detail }),
    log: (line, stream = 'stdout') => {
      logLines++;
      if (logLines > MAX_LOG_LINES) {
        if (logLines === MAX_LOG_LINES + 1) {
          emit({ type: 'step-log', stepId, stream: 'stderr', line: `[opsbook: more than ${MAX_LOG_LINES} lines; the rest is not shown]` });
        }
        return;
      }
      const text = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
      emit({ type: 'step-log', stepId, stream, line: text });
    },
    report: (table) => emit({ type: 'step-report', stepId, table }),
    env: scope.env,
    cwd: options.cwd,
    kube: options.kube,
    // The client is built without connecting, so its server is checked against the policy before any request.
    openKube: async (kubeconfigPath) => {
      const client = await options.openKube(kubeconfigPath);
      options.network.checkDirect(new URL(client.server));
      return client;
    },
    network: options.network,
    openNode: options.openNode,
    exec,
    redact: redactor.text,
    secrets: redactor.secrets,
    confirm: (message, gate, onWaiting) => confirmGate(run, stepId, message, scope.signal, gate, onWaiting),
    stateDir: options.stateDir,
  };
}

/** A manual gate: pre-approved ids pass without asking; every answer is journaled with who gave it. */
async function confirmGate(run: RunState, stepId: string, message: string, signal: AbortSignal, gate?: GatePolicy, onWaiting?: () => Promise<void>) {
  const answer: GateVerdict | undefined = run.options.approvals.includes(stepId)
    ? { approved: true, by: '--approve flag' }
    : gate
      ? await raceGate(run, stepId, message, gate, signal, onWaiting)
      : await askInTurn(run, () => run.options.confirm({ stepId, message: run.redactor.text(message), signal }), signal);
  if (typeof answer?.approved !== 'boolean') throw new StepError(`manual gate ${stepId}: no answer`, { errorClass: 'permanent' });
  run.emit({ type: 'step-approval', stepId, approved: answer.approved, by: answer.by });
  return answer;
}

/**
 * A gate with a policy: the store's answers (`opsbook approve|reject`) and, with one approval needed, the terminal race;
 * whichever settles first wins and the other stops. Without a terminal only the store's answers count.
 */
async function raceGate(run: RunState, stepId: string, message: string, gate: GatePolicy, signal: AbortSignal, onWaiting?: () => Promise<void>): Promise<GateVerdict> {
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  const remote = awaitStoreAnswers(run, stepId, message, gate, both, onWaiting);
  const local =
    gate.approvals === 1 && gate.approvers.users.length === 0 && gate.approvers.groups.length === 0
      ? run.options.confirm({ stepId, message: run.redactor.text(message), signal: both }).catch(() => new Promise<never>(() => {}))
      : new Promise<never>(() => {});
  try {
    return await Promise.race([remote, local]);
  } finally {
    stop.abort();
    remote.catch(() => {});
  }
}

/** Parallel gates ask one at a time (one operator, one terminal); a gate cancelled while queued leaves the queue. */
function askInTurn<T>(run: RunState, ask: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const previous = run.gateQueue;
  const turn = new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(signal.reason);
      ask().then(resolve, reject);
    });
  });
  // The next gate waits for this one's answer and for everyone before it (this one may leave the queue early).
  run.gateQueue = Promise.all([previous, turn.catch(() => {})]).then(() => {});
  return turn;
}
