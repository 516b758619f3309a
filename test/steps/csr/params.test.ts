import { describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import { validateStepParams } from '../../../src/runbook/index.js';

const step = (type: string) => steps.find((s) => s.type === type)!;

describe('CSR step parameters', () => {
  it('registers the four step types with schemas and outputs', () => {
    expect(steps.map((s) => s.type)).toEqual(['wait-for-pending', 'approve-client-csrs', 'approve-server-csrs', 'wait-node-ready']);
    for (const s of steps) {
      expect(s.schema).toMatchObject({ type: 'object', additionalProperties: false });
      expect(Object.keys(s.outputs).length).toBeGreaterThan(0);
      expect(typeof s.plan).toBe('function');
    }
    expect(step('approve-client-csrs').mutating).toBe(true);
    expect(step('wait-node-ready').mutating).toBe(false);
  });

  it('reports what the schema cannot say, at the field', () => {
    const check = step('approve-client-csrs').check!;
    expect(check({ nodes: ['a'], match: 'a' })).toEqual([{ path: 'match', message: 'give either nodes (an inventory) or match, not both' }]);
    expect(check({ match: 'worker-(' })).toEqual([
      { path: 'count', message: 'match needs count: how many matching nodes are expected' },
      { path: 'match', message: expect.stringMatching(/^not a valid regular expression/) },
    ]);
    expect(check({ nodes: ['a', { name: 'a' }] })).toEqual([{ path: 'nodes[1]', message: 'node a is listed twice' }]);
    expect(check({ nodes: [{ name: 'a', addresses: ['10.0.0.300'] }] })).toEqual([
      { path: 'nodes[0].addresses[0]', message: 'expected an IP address, got "10.0.0.300"' },
    ]);
  });

  it('validates against the JSON schema the way the runbook loader does', () => {
    expect(validateStepParams(step('approve-client-csrs'), { nodes: ['worker-0'], maxAge: '1h', supersede: 'deny' })).toEqual([]);
    expect(validateStepParams(step('approve-client-csrs'), { nodes: ['Worker_0'] }).length).toBeGreaterThan(0);
    expect(validateStepParams(step('approve-server-csrs'), { nodes: ['w'], identity: 'dns' }).length).toBeGreaterThan(0);
    expect(validateStepParams(step('wait-for-pending'), { nodes: ['w'], kind: 'serving' }).length).toBeGreaterThan(0);
    expect(validateStepParams(step('approve-client-csrs'), { nodes: ['w'], maxAge: 'an hour' }).length).toBeGreaterThan(0);
  });

  it('normalises once: defaults filled, durations in ms, requestor strings as rules', () => {
    expect(step('approve-client-csrs').normalize!({ nodes: ['w', { name: 'x', addresses: ['10.0.0.1'] }], requestors: ['system:bootstrap:*'] })).toEqual({
      nodes: [
        { name: 'w', addresses: [], hostnames: [] },
        { name: 'x', addresses: ['10.0.0.1'], hostnames: [] },
      ],
      count: 2,
      identity: 'inventory',
      deny: false,
      supersede: 'approve',
      concurrency: 16,
      requestors: [{ user: 'system:bootstrap:*' }],
      maxAgeMs: 3_600_000,
      allowExistingNode: false,
    });
    expect(() => step('wait-node-ready').normalize!({})).toThrow(/with.nodes \(an inventory\) or with.match is required/);
  });
});

describe('progress line', () => {
  it('drops repeats, holds back bursts, and flushes the last state', async () => {
    const { createProgressLine } = await import('../../../src/steps/csr/progress.js');
    const shown: string[] = [];
    const line = createProgressLine((t) => shown.push(t), 60_000);
    line.update('1/3');
    line.update('1/3');
    line.update('2/3');
    expect(shown).toEqual(['1/3']);
    line.flush();
    expect(shown).toEqual(['1/3', '2/3']);
    line.update('3/3', true);
    expect(shown).toEqual(['1/3', '2/3', '3/3']);
  });
});
