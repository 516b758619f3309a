// How run ids are made and recognised (where a store keeps a run is the store's business: src/store/local/paths.ts).

import { randomBytes } from 'node:crypto';

const RUN_ID = /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/;

/** true for ids made by createRunId (also keeps `..` and slashes out of paths). */
export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** A sortable id: UTC time to the millisecond, then random hex so parallel runs never collide. */
export function createRunId(nowMs: number): string {
  const iso = new Date(nowMs).toISOString(); // 2026-11-23T18:45:01.123Z
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
