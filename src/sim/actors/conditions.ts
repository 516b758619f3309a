// Operator-style status conditions: set one, keeping lastTransitionTime unless the status flips.

import { formatTime } from '../store/store.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Conditions with `wanted` applied; returns undefined when nothing would change (skip the write). */
export function mergeConditions(current: Condition[] | undefined, wanted: Condition[], now: number): Condition[] | undefined {
  const list = (current ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const want of wanted) {
    const index = list.findIndex((c) => c.type === want.type);
    const existing = index >= 0 ? list[index] : undefined;
    if (existing && existing.status === want.status && existing.reason === want.reason && existing.message === want.message) continue;
    changed = true;
    const next: Condition = {
      ...want,
      lastTransitionTime: existing && existing.status === want.status ? existing.lastTransitionTime : formatTime(now),
    };
    if (index >= 0) list[index] = next;
    else list.push(next);
  }
  return changed ? list : undefined;
}

export const bool = (value: boolean): 'True' | 'False' => (value ? 'True' : 'False');
