import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { checkRunbookFiles, loadRunbook, loadRunbookText, resolveInputs } from '../../src/runbook/index.js';
import { formatDiagnostic, RunbookError } from '../../src/errors.js';
import { executeRunbook } from '../../src/engine/index.js';
import { createStepRegistry } from '../../src/steps/registry.js';
import { systemClock } from '../../src/time/clock.js';
import { makeStateDir } from '../engine/fixtures.js';

// The built-in step types, not the stand-in of registry.ts: these tests are about the real shell schema.
const registry = createStepRegistry();
const fixtures = 'test/fixtures/runbooks';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

const header = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: t }
spec:
  inputs:
    argv: { type: array, items: { type: string }, default: [echo] }
    script: { type: string, default: echo }
  steps:
`;

function diagnose(steps: string): string[] {
  try {
    loadRunbookText(header + steps, 'x.yaml', { registry });
    return [];
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    return error.diagnostics.map(formatDiagnostic);
  }
}

describe('shell parameters with the real step registry', () => {
  it('accepts command: as one whole template, and the list reaches the process as argv', async () => {
    const file = path.join(fixtures, 'valid', 'shell-command-template.yaml');
    expect(await checkRunbookFiles([file], { registry })).toEqual([]);
    const runbook = await loadRunbook(file, { registry });
    const inputs = await resolveInputs(runbook);
    const result = await executeRunbook({ runbook, inputs: inputs.values, registry, stateDir: state.dir, clock: systemClock, cwd: state.dir });
    expect(result.steps.argv).toMatchObject({ status: 'succeeded', outputs: { args: 'two words|$HOME' } });
  });

  it('reports run: as one whole template only as script injection, not as a missing run', () => {
    expect(diagnose('    - { id: a, uses: shell, with: { run: "${{ inputs.script }}" } }\n').map((line) => line.slice(0, 70))).toEqual([
      'x.yaml:9:43: spec.steps[0].with.run: ${{ }} is not allowed in a shell ',
    ]);
  });

  it('reports the scripts of template-in-run.yaml and nothing else', async () => {
    const file = path.join(fixtures, 'invalid', 'template-in-run.yaml');
    expect((await checkRunbookFiles([file], { registry })).map((d) => `${d.line}:${d.col}: ${d.path}`)).toEqual([
      '13:36: spec.steps[0].run',
      '16:26: spec.steps[1].with.run',
    ]);
  });

  it('still says when neither or both of run and command are given, templates or not', () => {
    expect(diagnose('    - { id: a, uses: shell, with: { workingDirectory: "${{ inputs.script }}" } }\n')).toEqual([
      "x.yaml:9:35: spec.steps[0].with: needs one of 'run', 'command'",
    ]);
    expect(diagnose('    - { id: a, uses: shell, with: { run: echo, command: "${{ inputs.argv }}" } }\n')).toEqual([
      "x.yaml:9:35: spec.steps[0].with: must have exactly one of 'run', 'command'",
    ]);
  });
});
