import { describe, expect, it } from 'vitest';
import { loadRunbook, renderGraph } from '../../src/runbook/index.js';
import { createTestRegistry } from './registry.js';

describe('renderGraph', async () => {
  const runbook = await loadRunbook('test/fixtures/runbooks/valid/shell-dag.yaml', { registry: createTestRegistry() });

  it('renders Mermaid with one node per step and needs as edges', () => {
    const text = renderGraph(runbook, 'mermaid');
    expect(text.split('\n')[0]).toBe('flowchart TD');
    expect(text).toContain('  s_start["start<br/>shell"]');
    expect(text).toContain('  s_right["right<br/>shell<br/>when inputs.enabled, continueOnError"]');
    expect(text.split('\n').filter((l) => l.includes('-->'))).toEqual([
      '  s_start --> s_left', '  s_start --> s_right', '  s_left --> s_join', '  s_right --> s_join', '  s_join --> s_cleanup',
    ]);
  });

  it('renders Graphviz DOT', () => {
    const text = renderGraph(runbook, 'dot');
    expect(text.startsWith('digraph "shell-dag" {\n')).toBe(true);
    expect(text).toContain('  "cleanup" [label="cleanup\\nshell\\nalways"];');
    expect(text).toContain('  "join" -> "cleanup";');
    expect(text.trimEnd().endsWith('}')).toBe(true);
  });
});
