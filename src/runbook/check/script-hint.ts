// The fix a `${{ }}` in a shell script is reported with, built from the script's own first expression.

import { parseTemplate } from '../../expr/template.js';

/** `echo ${{ inputs.name }}` → `pass the value through env: (e.g. env: { NAME: "${{ inputs.name }}" }) and use "$NAME"`. */
export function suggestEnvForScript(script: string): string {
  const source = readFirstExpression(script);
  if (source === undefined) return 'pass each value through env: and use it as "$NAME" in the script';
  const name = nameEnvVariable(source);
  return `pass the value through env: (e.g. env: { ${name}: ${quoteYaml(`\${{ ${source} }}`)} }) and use "$${name}"`;
}

function readFirstExpression(script: string): string | undefined {
  try {
    for (const part of parseTemplate(script)) if (part.kind === 'expr') return part.source;
  } catch {
    // an unclosed `${{` is reported by the expression checks; the hint then stays generic
  }
  return undefined;
}

// The field the expression reads (`inputs.name`, `steps.x.outputs.csr-names`, `run.id`) names the variable.
function nameEnvVariable(source: string): string {
  const field = /\b(?:inputs|outputs)\.([A-Za-z_][\w-]*)/.exec(source)?.[1]
    ?? /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+/.exec(source)?.[0].split('.').pop();
  if (!field) return 'VALUE';
  const name = field.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

// Double quotes unless the expression has some (e.g. join(",")): then YAML single quotes, with ' doubled.
function quoteYaml(text: string): string {
  return text.includes('"') ? `'${text.replaceAll("'", "''")}'` : `"${text}"`;
}
