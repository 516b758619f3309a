import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadRunbook, loadRunbookText } from '../../src/runbook/index.js';
import { createTestRegistry } from './registry.js';

const registry = createTestRegistry();

describe('normalizeRunbook', () => {
  it('fills every default so the engine never checks for undefined', () => {
    const runbook = loadRunbookText(readFileSync('test/fixtures/runbooks/valid/minimal.yaml', 'utf8'), 'minimal.yaml', { registry });
    expect(runbook).toMatchObject({ concurrency: 4, inputs: {}, metadata: { name: 'minimal' } });
    expect(runbook.deadline).toBeUndefined();
    expect(runbook.lock).toBeUndefined();
    expect(runbook.steps).toEqual([{
      id: 'hello', name: 'hello', index: 0, type: 'shell', with: { run: 'echo hello' }, env: {}, needs: [],
      always: false, continueOnError: false, timeoutMs: 600_000,
      retry: { attempts: 1, backoff: { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: true }, on: ['transient'] },
      position: { line: 7, col: 7 },
    }]);
    expect(runbook.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('merges step retry over spec.defaults field by field, fills the lock and keeps when/always/continueOnError', async () => {
    const runbook = await loadRunbook('test/fixtures/runbooks/valid/shell-dag.yaml', { registry });
    const byId = Object.fromEntries(runbook.steps.map((s) => [s.id, s]));
    expect(runbook.lock).toBeUndefined();
    expect(runbook.deadline).toBe('10m');
    expect(runbook.concurrency).toBe(2);
    expect(byId.start!.retry).toEqual({ attempts: 2, backoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: false }, on: ['transient'] });
    expect(byId.cleanup!.retry.attempts).toBe(1);
    expect(byId.cleanup!.retry.backoff.maxMs).toBe(1000);
    expect(byId.cleanup!).toMatchObject({ timeoutMs: 5000, always: true });
    expect(byId.right!).toMatchObject({ when: 'inputs.enabled', continueOnError: true });
    expect(byId.join!.needs).toEqual(['left', 'right']);
    expect(runbook.inputs.count).toMatchObject({ type: 'integer', default: 2, required: false, position: { line: 10, col: 5 } });
  });

  it('fills the lock from metadata.name and defaults', async () => {
    const runbook = await loadRunbook('test/fixtures/runbooks/valid/with-lock.yaml', { registry });
    expect(runbook.lock).toEqual({ name: 'with-lock', namespace: 'kube-system', ttlMs: 120_000 });
  });

  it('never lets a defaulted backoff max sit below the initial delay; step-level workingDirectory moves into with', () => {
    const runbook = loadRunbookText(`apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: t }
spec:
  steps:
    - { id: a, run: make, workingDirectory: /src, retry: { attempts: 3, backoff: { initial: 2m }, maxDuration: 1h } }
    - { id: b, uses: shell, with: { command: [ls, -l] }, when: false }
`, 't.yaml', { registry });
    expect(runbook.steps[0]!.with).toEqual({ run: 'make', workingDirectory: '/src' });
    expect(runbook.steps[0]!.retry).toEqual({ attempts: 3, backoff: { initialMs: 120_000, factor: 2, maxMs: 120_000, jitter: true }, on: ['transient'], maxDurationMs: 3_600_000 });
    expect(runbook.steps[1]).toMatchObject({ type: 'shell', with: { command: ['ls', '-l'] }, when: 'false' });
  });

  it('hashes meaning, not layout: comments and positions do not change sha256, a value does', () => {
    const text = readFileSync('test/fixtures/runbooks/valid/shell-dag.yaml', 'utf8');
    const a = loadRunbookText(text, 'a.yaml', { registry }).sha256;
    const b = loadRunbookText(`# a comment\n\n${text}`, 'b.yaml', { registry }).sha256;
    const c = loadRunbookText(text.replace('timeout: 5s', 'timeout: 6s'), 'a.yaml', { registry }).sha256;
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});
