// A pause gate with a policy: answers from `opsbook approve|reject` (read from the run's store) and the terminal race;
// N distinct allowed approvers pass it, one allowed rejection fails it, and a timeout takes the gate's default action.

import { StepError } from '../errors.js';
import type { GateAnswer } from '../store/index.js';
import { GATE_COLUMNS, GATE_TABLE, WAITING_PREFIX, gateRow } from '../steps/gate-table.js';
import type { GatePolicy } from '../steps/types.js';
import type { RunState } from './state.js';

/** How often a waiting gate looks for answers in the store (real ms on the run's clock). */
export const GATE_POLL_MS = 500;

export interface GateVerdict {
  approved: boolean;
  by: string;
  comment?: string;
}

/** Why an answer does not count, or undefined when it does. */
export function refuseAnswer(policy: GatePolicy, answer: GateAnswer): string | undefined {
  const { users, groups } = policy.approvers;
  if (users.length === 0 && groups.length === 0) return undefined;
  if (users.includes(answer.by) || answer.groups.some((g) => groups.includes(g))) return undefined;
  return `${answer.by} is not among the gate's approvers (${describeApprovers(policy)})`;
}

export function describeApprovers(policy: GatePolicy): string {
  const { users, groups } = policy.approvers;
  return [...users.map((u) => `user ${u}`), ...groups.map((g) => `group ${g}`)].join(', ') || 'anyone';
}

/** The gate's verdict from the answers so far (oldest first), or undefined while it still waits. */
export function judgeAnswers(policy: GatePolicy, answers: readonly GateAnswer[]): GateVerdict | undefined {
  const approvers: string[] = [];
  const comments: string[] = [];
  for (const answer of answers) {
    if (refuseAnswer(policy, answer)) continue;
    if (!answer.approved) return { approved: false, by: answer.by, ...(answer.comment ? { comment: answer.comment } : {}) };
    // The same identity twice counts once.
    if (!approvers.includes(answer.by)) approvers.push(answer.by);
    if (answer.comment) comments.push(policy.approvals > 1 ? `${answer.by}: ${answer.comment}` : answer.comment);
    if (approvers.length >= policy.approvals) return { approved: true, by: approvers.join(', '), ...(comments.length ? { comment: comments.join('; ') } : {}) };
  }
  return undefined;
}

const keyOf = (a: GateAnswer) => JSON.stringify([a.by, a.approved, a.at, a.comment ?? '']);

/**
 * Waits for the store's answers to settle the gate, its timeout, or the signal. Answers already there when the gate
 * starts (an earlier attempt's, or a resumed run's) do not count: they are read before the gate shows it is waiting.
 */
export async function awaitStoreAnswers(
  run: RunState,
  stepId: string,
  message: string,
  policy: GatePolicy,
  signal: AbortSignal,
  onWaiting?: () => Promise<void>,
): Promise<GateVerdict> {
  const { clock, store } = run.options;
  const stale = new Set((await store.readAnswers(run.runId, stepId)).map(keyOf));
  run.emit({ type: 'step-progress', stepId, detail: `${WAITING_PREFIX}${message}` });
  // Journaled so `opsbook approve` can tell an approver the gate refuses them before they answer.
  run.emit({ type: 'step-report', stepId, table: { title: GATE_TABLE, columns: GATE_COLUMNS, rows: [gateRow(policy)] } });
  await onWaiting?.();
  const started = clock.now();
  const seen = new Set<string>();
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const answers = (await store.readAnswers(run.runId, stepId)).filter((a) => !stale.has(keyOf(a)));
    for (const answer of answers) {
      const key = keyOf(answer);
      if (seen.has(key) || refuseAnswer(policy, answer)) continue;
      seen.add(key);
      if (answer.approved && judgeAnswers(policy, answers) === undefined) {
        run.emit({ type: 'step-progress', stepId, detail: `approved by ${answer.by}; waiting for ${policy.approvals} distinct approvers` });
      }
    }
    const verdict = judgeAnswers(policy, answers);
    if (verdict) return verdict;
    if (policy.timeoutMs !== undefined && clock.now() - started >= policy.timeoutMs) {
      if (policy.onTimeout === 'approve') return { approved: true, by: 'timeout (onTimeout: approve)' };
      throw new StepError(`not approved within the gate's timeout (onTimeout: reject)`, { errorClass: 'timeout' });
    }
    const left = policy.timeoutMs === undefined ? GATE_POLL_MS : Math.max(1, Math.min(GATE_POLL_MS, started + policy.timeoutMs - clock.now()));
    await clock.sleep(left, signal);
  }
}
