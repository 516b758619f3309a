import { describe, expect, it } from 'vitest';
import { validateRunbookText } from '../../src/runbook/index.js';
import { createTestRegistry } from './registry.js';

const runbook = (steps: string) => `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: argv }
spec:
  inputs:
    token: { type: secret, fromEnv: TOKEN }
    user: { type: string }
  steps:
${steps}`;

const check = (steps: string) => validateRunbookText(runbook(steps), 'a.yaml', { registry: createTestRegistry() });

describe('secrets in argv', () => {
  it('warns at each argument of command: that reads a secret input, and the runbook stays valid', () => {
    const result = check(`    - id: a
      uses: shell
      with: { command: [curl, -u, "ops:\${{ inputs.token }}", "\${{ inputs.user }}"] }
    - id: b
      uses: shell
      with: { command: "\${{ ['x', inputs.token] }}" }
`);
    expect(result.diagnostics).toEqual([]);
    expect(result.runbook).toBeDefined();
    expect(result.warnings.map((w) => `${w.path}: ${w.message.split(',')[0]}`)).toEqual([
      "spec.steps[0].with.command[2]: secret input 'token' becomes a program argument",
      "spec.steps[1].with.command: secret input 'token' becomes a program argument",
    ]);
    expect(result.warnings[0]).toMatchObject({ file: 'a.yaml', line: 11 });
    expect(result.warnings[0]!.message).toContain('env: { TOKEN: "${{ inputs.token }}" }');
  });

  it('says nothing when the secret goes through env:', () => {
    expect(check(`    - id: a
      env: { TOKEN: "\${{ inputs.token }}" }
      uses: shell
      with: { command: [my-tool, --token-from-env, TOKEN] }
`).warnings).toEqual([]);
  });
});
