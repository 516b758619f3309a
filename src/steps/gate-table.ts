// How a waiting pause gate shows itself in the journal: its progress line and its policy as a one-row table.

import type { GatePolicy } from './types.js';

export const WAITING_PREFIX = 'waiting for approval: ';
export const GATE_TABLE = 'approval gate';
export const GATE_COLUMNS = ['approvals', 'users', 'groups', 'timeout ms', 'on timeout'];

/** The gate's policy as the table's row. */
export function gateRow(gate: GatePolicy): string[] {
  return [String(gate.approvals), gate.approvers.users.join(','), gate.approvers.groups.join(','), gate.timeoutMs === undefined ? '' : String(gate.timeoutMs), gate.onTimeout];
}

/** The row read back (from a journal). */
export function parseGateRow(row: readonly string[]): GatePolicy {
  const list = (text: string | undefined) => (text ? text.split(',') : []);
  return {
    approvals: Number(row[0]) || 1,
    approvers: { users: list(row[1]), groups: list(row[2]) },
    ...(row[3] ? { timeoutMs: Number(row[3]) } : {}),
    onTimeout: row[4] === 'approve' ? 'approve' : 'reject',
  };
}
