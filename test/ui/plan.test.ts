import { describe, expect, it } from 'vitest';
import { formatPlan, formatRetry, type PlanView } from '../../src/ui/plan.js';
import { formatDurationHuman } from '../../src/time/duration.js';

const retry = { attempts: 3, backoff: { initialMs: 5000, factor: 2, maxMs: 60_000, jitter: true }, on: ['transient', 'timeout'] as ('transient' | 'timeout')[] };

const plan: PlanView = {
  runbook: { name: 'approve-csrs', file: 'runbooks/approve-csrs.yaml', sha256: 'x' },
  concurrency: 4,
  deadline: { source: '${{ inputs.window }}', ms: 3_600_000 },
  waves: [['pending'], ['note']],
  steps: [
    {
      id: 'pending', name: 'Wait for the client CSRs', type: 'wait-for-pending', needs: [], wave: 0, mutating: false,
      always: false, continueOnError: false, timeoutMs: 1_800_000, retry, worstCaseMs: 5_415_000,
      with: { nodes: ['worker-0'] },
      preview: { summary: 'would wait for 1 node', tables: [{ title: 'Pending CSRs', columns: ['csr', 'node'], rows: [['csr-1', 'worker-0']] }] },
    },
    {
      id: 'note', name: 'note', type: 'shell', needs: ['pending'], wave: 1, mutating: true, always: false, continueOnError: true,
      timeoutMs: 600_000, retry: { ...retry, attempts: 1 }, worstCaseMs: 600_000,
      when: { source: 'steps.pending.outputs.count > 0', result: 'undetermined', reason: 'known after run' },
      with: { run: 'echo $N' },
      knownAfterRun: ['env.N'],
      previewUnavailable: 'shell steps are not run by plan',
    },
  ],
  criticalPath: { steps: ['pending', 'note'], worstCaseMs: 6_015_000 },
  warnings: [],
};

describe('plan text', () => {
  it('shows waves, effective policy, when, previews, the critical path and a deadline warning', () => {
    const text = formatPlan(plan).join('\n');
    expect(text).toContain('Plan for approve-csrs (runbooks/approve-csrs.yaml): 2 steps in 2 waves, concurrency 4, deadline 1h (${{ inputs.window }})');
    expect(text).toContain('Wave 1\n  pending "Wait for the client CSRs" (wait-for-pending, read-only)');
    expect(text).toContain('timeout 30m per attempt; 3 attempts, backoff 5s ×2 up to 1m with jitter, on transient/timeout; worst case 1h30m');
    expect(text).toContain('note (shell, mutating, continue on error) needs pending');
    expect(text).toContain('when steps.pending.outputs.count > 0: undetermined (known after run)');
    expect(text).toContain('preview: would wait for 1 node');
    expect(text).toContain('csr-1  worker-0');
    expect(text).toContain('preview unavailable: shell steps are not run by plan');
    expect(text).toContain('known after run: env.N');
    expect(text).toContain('Critical path: pending → note, worst case 1h40m against a deadline of 1h');
    expect(text).toContain('WARNING: the worst case (1h40m) exceeds the deadline (1h)');
  });

  it('does not repeat a deadline warning the engine already gave', () => {
    const text = formatPlan({ ...plan, warnings: ['worst case 1h40m exceeds spec.deadline 1h'] }).join('\n');
    expect(text.match(/WARNING/g)).toHaveLength(1);
  });

  it('says "no retry" for a single attempt', () => {
    expect(formatRetry({ ...retry, attempts: 1 })).toBe('no retry');
  });
});

describe('formatDurationHuman', () => {
  it.each([
    [0, '0ms'], [320, '320ms'], [1500, '1.5s'], [45_000, '45s'], [90_000, '1m30s'], [3_600_000, '1h'], [5_415_000, '1h30m'], [90_061_000, '1d1h'],
  ])('%d ms → %s', (ms, text) => expect(formatDurationHuman(ms)).toBe(text));
});
