// The runbook's DAG as Mermaid or Graphviz DOT text, for `opsbook graph`.

import type { Runbook, StepSpec } from './types.js';

export type GraphFormat = 'mermaid' | 'dot';

/** Renders steps as nodes and `needs` as edges (dependency → dependent). */
export function renderGraph(runbook: Runbook, format: GraphFormat): string {
  return format === 'dot' ? renderDot(runbook) : renderMermaid(runbook);
}

function describeStep(step: StepSpec): string {
  const label = step.name === step.id ? step.id : `${step.name} (${step.id})`;
  const flags = [step.when ? `when ${step.when}` : '', step.always ? 'always' : '', step.continueOnError ? 'continueOnError' : '']
    .filter(Boolean)
    .join(', ');
  return `${label}\n${step.type}${flags ? `\n${flags}` : ''}`;
}

function renderMermaid(runbook: Runbook): string {
  const lines = ['flowchart TD'];
  const nodeId = (id: string): string => `s_${id.replace(/-/g, '_')}`;
  for (const step of runbook.steps) {
    const text = describeStep(step).replace(/"/g, '#quot;').replace(/\n/g, '<br/>');
    lines.push(`  ${nodeId(step.id)}["${text}"]`);
  }
  for (const step of runbook.steps) for (const need of step.needs) lines.push(`  ${nodeId(need)} --> ${nodeId(step.id)}`);
  return `${lines.join('\n')}\n`;
}

function renderDot(runbook: Runbook): string {
  const quote = (text: string): string => JSON.stringify(text);
  const lines = [`digraph ${quote(runbook.metadata.name)} {`, '  rankdir=TB;', '  node [shape=box];'];
  for (const step of runbook.steps) lines.push(`  ${quote(step.id)} [label=${quote(describeStep(step))}];`);
  for (const step of runbook.steps) for (const need of step.needs) lines.push(`  ${quote(need)} -> ${quote(step.id)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
