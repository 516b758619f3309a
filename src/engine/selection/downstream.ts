// `--from STEP`: the step and every step downstream of it, through `needs` and through output references.

import type { Runbook } from '../../runbook/types.js';
import { describeRead, listStepReads } from './reads.js';

/**
 * The steps `roots` reach (transitive dependants, roots included), each with why it re-runs:
 * `--from a` for a root, `downstream of a (needs b)` for the others. In runbook order.
 */
export function findDownstream(runbook: Runbook, roots: readonly string[]): Map<string, string> {
  const dependants = new Map<string, { stepId: string; why: string }[]>();
  for (const step of runbook.steps) {
    for (const read of listStepReads(step)) {
      const list = dependants.get(read.stepId) ?? [];
      list.push({ stepId: step.id, why: describeRead(read) });
      dependants.set(read.stepId, list);
    }
  }
  const reasons = new Map<string, string>();
  const rootOf = new Map<string, string>();
  const queue: string[] = [];
  for (const root of roots) {
    if (reasons.has(root)) continue;
    reasons.set(root, `--from ${root}`);
    rootOf.set(root, root);
    queue.push(root);
  }
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const next of dependants.get(id) ?? []) {
      if (reasons.has(next.stepId)) continue;
      const root = rootOf.get(id)!;
      reasons.set(next.stepId, `downstream of --from ${root} (${next.why})`);
      rootOf.set(next.stepId, root);
      queue.push(next.stepId);
    }
  }
  const order = new Map(runbook.steps.map((s, i) => [s.id, i]));
  return new Map([...reasons].sort((a, b) => order.get(a[0])! - order.get(b[0])!));
}
