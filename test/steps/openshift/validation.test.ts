// The storage rules reach the runbook author as validation errors pointing at the YAML line, before anything runs.

import { describe, expect, it } from 'vitest';
import { RunbookError, formatDiagnostic } from '../../../src/errors.js';
import { loadRunbookText } from '../../../src/runbook/index.js';
import { createStepRegistry } from '../../../src/steps/registry.js';

async function diagnose(withBlock: string): Promise<string[]> {
  const text = [
    'apiVersion: opsbook.dev/v1',
    'kind: Runbook',
    'metadata: { name: registry }',
    'spec:',
    '  steps:',
    '    - id: registry',
    '      uses: configure-image-registry',
    '      with:',
    ...withBlock.split('\n').map((l) => `        ${l}`),
  ].join('\n');
  try {
    await loadRunbookText(text, 'registry.yaml', { registry: createStepRegistry() });
    return [];
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    return error.diagnostics.map(formatDiagnostic);
  }
}

describe('configure-image-registry at validation', () => {
  it('points at emptyDir when nonProduction is not set', async () => {
    expect(await diagnose('storage:\n  emptyDir: {}')).toEqual([
      expect.stringMatching(/^registry\.yaml:10:\d+: spec\.steps\[0\]\.with\.storage\.emptyDir: emptyDir storage loses every pushed image/),
    ]);
  });

  it('points at rolloutStrategy and replicas set against ReadWriteOnce storage', async () => {
    const diagnostics = await diagnose('storage:\n  pvc:\n    create: { accessMode: ReadWriteOnce }\nrolloutStrategy: RollingUpdate\nreplicas: 2');
    expect(diagnostics).toEqual([
      expect.stringMatching(/^registry\.yaml:12:\d+: spec\.steps\[0\]\.with\.rolloutStrategy: ReadWriteOnce \(block\) storage requires rolloutStrategy: Recreate/),
      expect.stringMatching(/^registry\.yaml:13:\d+: spec\.steps\[0\]\.with\.replicas: ReadWriteOnce \(block\) storage requires replicas: 1 \(got 2\)/),
    ]);
  });

  it('accepts the lab and production forms of the bundled runbook', async () => {
    expect(await diagnose('storage: { emptyDir: {} }\nnonProduction: true')).toEqual([]);
    expect(await diagnose('storage: { pvc: { create: { size: 200Gi } } }')).toEqual([]);
  });
});
