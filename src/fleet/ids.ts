// Fleet run ids: `fleet-` and a run id (sortable by start time), so `resume` and `runs` tell them from run ids.

import { createRunId } from '../engine/index.js';

const FLEET_ID = /^fleet-\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/;

export function createFleetId(nowMs: number): string {
  return `fleet-${createRunId(nowMs)}`;
}

export function isFleetId(text: string): boolean {
  return FLEET_ID.test(text);
}
