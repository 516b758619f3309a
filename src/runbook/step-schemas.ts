// The published form of a step type's parameter schema: schemas/steps/<type>.schema.json.

import type { AnyStepType } from '../steps/types.js';

/** A standalone JSON Schema document for a step's `with`, with id, title and the step's outputs as metadata. */
export function buildStepSchemaDocument(step: AnyStepType): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...schema } = step.schema as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://opsbook.dev/schemas/steps/${step.type}.schema.json`,
    title: `opsbook step '${step.type}' parameters (with:)`,
    description: step.description,
    ...schema,
    'x-opsbook-outputs': step.outputs,
    'x-opsbook-mutating': step.mutating,
  };
}

/** Stable JSON text for a schema file (what `npm run schemas` writes and the sync test compares). */
export function formatSchemaFile(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Every published schema file (path relative to the repo root → content): the runbook's and one per step type. */
export function buildSchemaFiles(steps: readonly AnyStepType[], runbookSchema: unknown): Map<string, string> {
  const files = new Map<string, string>([['schemas/runbook.schema.json', formatSchemaFile(runbookSchema)]]);
  for (const step of steps) files.set(`schemas/steps/${step.type}.schema.json`, formatSchemaFile(buildStepSchemaDocument(step)));
  return files;
}
