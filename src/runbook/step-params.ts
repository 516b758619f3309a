// The `with` a step type receives: `run:` steps become shell steps whose script is `with.run`.

import { isRecord } from './check/context.js';

/** Parameters as the step type sees them (templates unresolved). */
export function buildStepParams(raw: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = isRecord(raw.with) ? { ...raw.with } : {};
  const isShell = typeof raw.run === 'string' || raw.uses === 'shell';
  if (typeof raw.run === 'string') params.run = raw.run;
  if (isShell && raw.workingDirectory !== undefined) params.workingDirectory = raw.workingDirectory;
  return params;
}
