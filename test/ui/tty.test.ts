import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createTtyRenderer } from '../../src/ui/tty.js';
import { capture, renderTty } from './capture.js';
import { VirtualClock } from '../../src/time/clock.js';
import { resumedEvents, sampleEvents } from './events.js';

// listr2's own deterministic 'test' renderer shows what the live tree receives: titles, outputs, states.
describe('tty renderer (listr2 adapter)', () => {
  it('maps steps to listr2 tasks: titles with attempt n/m, detail lines, failures, skips, then report tables', async () => {
    const { text, own } = await renderTty(sampleEvents, new VirtualClock({ start: Date.parse('2026-01-01T00:00:00Z') }));
    expect(text).toContain('demo · run 20260101-000000-000-abcdef');
    expect(text).toContain('deadline in 1h');
    expect(text).toContain('Wait for nodes [attempt 1/2');
    expect(text).toContain('1/2 nodes Ready');
    expect(text).toContain('c (waiting for b)');
    expect(text).toMatch(/c: skipped \(needs b, which failed\)/);
    expect(text).toMatch(/"data":"FAILED","task":\{[^\n]*"title":"b \(1s\)"/);
    expect(text).toMatch(/"data":"COMPLETED","task":\{[^\n]*"title":"Wait for nodes \(9s\)"/);
    // After the tree: the step report tables and the run's outcome, as plain lines.
    expect(own).toContain('b:   csr-x  wrong requestor');
    expect(own.trimEnd().split('\n').at(-1)).toBe('run 20260101-000000-000-abcdef failed in 10s: step b failed');
  });

  it('counts the deadline down as the clock moves, on the next refresh', async () => {
    const out = capture();
    const clock = new VirtualClock({ start: Date.parse('2026-01-01T00:00:00Z') });
    const refreshMs = 5;
    const r = createTtyRenderer({ stdout: out.stream, stderr: out.stream, clock, color: false, renderer: 'test', refreshMs });
    const original = process.stdout.write.bind(process.stdout);
    let listrText = '';
    process.stdout.write = ((chunk: string) => ((listrText += chunk), true)) as typeof process.stdout.write;
    const text = () => out.text() + listrText;
    // Waits for refreshes (real timers, refreshMs apart) until `pattern` shows; the test timeout bounds it.
    const waitFor = async (pattern: string) => {
      while (!text().includes(pattern)) await new Promise((resolve) => setTimeout(resolve, refreshMs));
    };
    try {
      r.handle(sampleEvents[0]!);
      r.handle(sampleEvents[1]!);
      await waitFor('deadline in 1h');
      expect(text()).not.toContain('deadline in 45m');
      // No event arrives: only the refresh timer can bring the new time left on screen.
      await clock.advance(15 * 60_000);
      await waitFor('deadline in 45m');
      await clock.advance(44 * 60_000 + 59_000);
      await waitFor('deadline in 1s');
      await clock.advance(2_000);
      await waitFor('deadline passed');
      const order = ['deadline in 1h', 'deadline in 45m', 'deadline in 1s', 'deadline passed'].map((t) => text().indexOf(t));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      r.handle({ type: 'run-end', time: sampleEvents[0]!.time, runId: sampleEvents[0]!.runId, status: 'succeeded', durationMs: 0 });
      await r.close();
    } finally {
      process.stdout.write = original;
    }
  }, 20_000);

  it('shows a line a step logged before listr2 started its task (it was dropped, and a busy machine hid it for the whole step)', async () => {
    const out = capture();
    const r = createTtyRenderer({ stdout: out.stream, stderr: out.stream, clock: new VirtualClock({ start: Date.parse('2026-01-01T00:00:00Z') }), color: false, renderer: 'test', refreshMs: 5 });
    // All in one turn of the event loop: listr2 has not run the step's task yet when its first line arrives.
    const [start, stepStart, attemptStart] = sampleEvents;
    for (const e of [start!, stepStart!, attemptStart!]) r.handle(e);
    r.handle({ type: 'step-log', time: stepStart!.time, runId: stepStart!.runId, stepId: 'a', stream: 'stdout', line: 'waiting pid=42' });
    // Refreshes until the line shows (the test timeout bounds it): before the fix it never did.
    while (!out.text().includes('"data":"waiting pid=42"')) await new Promise((resolve) => setTimeout(resolve, 5));
    r.handle({ type: 'step-end', time: stepStart!.time, runId: stepStart!.runId, stepId: 'a', status: 'cancelled', durationMs: 0 });
    r.handle({ type: 'run-end', time: stepStart!.time, runId: stepStart!.runId, status: 'interrupted', durationMs: 0 });
    await r.close();
    expect(out.text()).toContain('run 20260101-000000-000-abcdef interrupted');
  }, 10_000);

  it('finishes even when the run ends before some steps started (interrupted)', async () => {
    const out = capture();
    const r = createTtyRenderer({ stdout: out.stream, stderr: out.stream, clock: new VirtualClock(), color: false, renderer: 'simple' });
    r.handle(sampleEvents[0]!);
    r.handle({ type: 'run-end', time: sampleEvents[0]!.time, runId: sampleEvents[0]!.runId, status: 'interrupted', durationMs: 0 });
    await r.close();
    expect(out.text()).toContain('run 20260101-000000-000-abcdef interrupted');
  });

  it('asks a manual-gate question inside the tree and returns the typed line', async () => {
    const out = capture();
    const r = createTtyRenderer({ stdout: out.stream, stderr: out.stream, clock: new VirtualClock(), color: false, renderer: 'simple' });
    r.handle(sampleEvents[0]!);
    r.handle({ type: 'step-start', time: sampleEvents[0]!.time, runId: sampleEvents[0]!.runId, stepId: 'a' });
    await new Promise((resolve) => setImmediate(resolve));
    const input = new PassThrough();
    const answer = r.ask('a', 'a: Drain the node?', input);
    input.write('y\n');
    await expect(answer).resolves.toBe('y');
    r.handle({ type: 'run-end', time: sampleEvents[0]!.time, runId: sampleEvents[0]!.runId, status: 'succeeded', durationMs: 0 });
    await r.close();
    expect(out.text()).toContain('a: Drain the node? [y/N]');
  });

  // listr2's simple renderer: one line per state change, with the same markers as the live tree.
  async function renderSimple(events: typeof sampleEvents): Promise<string> {
    const out = capture();
    const r = createTtyRenderer({ stdout: out.stream, stderr: out.stream, clock: new VirtualClock(), color: false, renderer: 'simple' });
    for (const e of events) {
      r.handle(e);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await r.close();
    return out.text();
  }

  it('marks a failed run ✖ (never ✔ or ⚠) and a skipped step ↓', async () => {
    const text = await renderSimple(sampleEvents);
    expect(text).toMatch(/^✖ demo · run 20260101-000000-000-abcdef · 10s elapsed/m);
    expect(text).not.toMatch(/^[✔⚠] demo/m);
    expect(text).toMatch(/^✖ b \(1s\)/m);
    expect(text).toMatch(/^↓ c \[SKIPPED: c: skipped \(needs b, which failed\)\]/m);
  });

  it('on resume: a step skipped earlier says so with its reason; the run title shows the run-end duration', async () => {
    const text = await renderSimple(resumedEvents);
    expect(text).toContain('Optional step (skipped earlier) [SKIPPED: Optional step: skipped earlier (when: false is false)]');
    expect(text).not.toContain('Optional step (reused from earlier run)');
    expect(text).toContain('a (reused from earlier run)');
    expect(text).toContain('runs again: its outputs held a secret, which the journal never stores');
    expect(text).toMatch(/^✔ b \(999ms\)/m);
    // The title, the step and the summary all print 999ms (the timestamps alone would say 1s).
    expect(text).toMatch(/^✔ demo · run 20260101-000000-000-abcdef · 999ms elapsed/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('run 20260101-000000-000-abcdef succeeded in 999ms');
  });
});
