import { describe, expect, it } from 'vitest';
import { suggestEnvForScript } from '../../src/runbook/check/script-hint.js';

describe('the env: hint for a ${{ }} in a shell script', () => {
  it('names the variable after the field the first expression reads', () => {
    expect(suggestEnvForScript('echo hello ${{ inputs.name }} and ${{ inputs.other }}')).toBe(
      'pass the value through env: (e.g. env: { NAME: "${{ inputs.name }}" }) and use "$NAME"',
    );
    expect(suggestEnvForScript('oc get csr ${{ steps.pending.outputs.csr-names }}')).toBe(
      'pass the value through env: (e.g. env: { CSR_NAMES: "${{ steps.pending.outputs.csr-names }}" }) and use "$CSR_NAMES"',
    );
    expect(suggestEnvForScript('echo ${{run.id}}')).toBe('pass the value through env: (e.g. env: { ID: "${{ run.id }}" }) and use "$ID"');
    expect(suggestEnvForScript('echo ${{ size(inputs.nodes) > 0 }}')).toBe(
      'pass the value through env: (e.g. env: { NODES: "${{ size(inputs.nodes) > 0 }}" }) and use "$NODES"',
    );
  });

  it('keeps the suggested YAML valid when the expression has double quotes, and falls back when nothing names it', () => {
    expect(suggestEnvForScript(`echo \${{ inputs.nodes.join(",") }}`)).toBe(
      `pass the value through env: (e.g. env: { NODES: '\${{ inputs.nodes.join(",") }}' }) and use "$NODES"`,
    );
    expect(suggestEnvForScript('echo ${{ 1 + 2 }}')).toBe('pass the value through env: (e.g. env: { VALUE: "${{ 1 + 2 }}" }) and use "$VALUE"');
    expect(suggestEnvForScript('echo ${{ inputs.x')).toBe('pass each value through env: and use it as "$NAME" in the script');
  });
});
