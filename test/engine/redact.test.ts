import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { createRedactor, executeRunbook, planRunbook } from '../../src/engine/index.js';
import { redactEvent } from '../../src/engine/redact.js';
import { systemClock } from '../../src/time/clock.js';
import { makeRegistry, makeRunbook, makeStateDir, makeStep, makeTestSteps } from './fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

const SECRET = 'tok-9f8e7d6c';
const inputs = {
  token: { name: 'token', type: 'secret' as const, required: true, fromEnv: 'TOKEN' },
  user: { name: 'user', type: 'string' as const, required: true },
};

describe('redaction', () => {
  it('masks only the free text of events, never their keys, type, time or ids', () => {
    const redactor = createRedactor(['run-start', 'step-end', '2026-01']);
    const start = { type: 'run-start', time: '2026-01-01T00:00:00.000Z', runId: 'r1', runbook: { path: '/p', name: 'n', sha256: 'x' },
      inputs: { user: 'step-end' }, steps: [{ id: 'a', name: 'a', type: 'shell', needs: [] }] } as const;
    expect(redactEvent(start as unknown as EngineEvent, redactor)).toEqual({ ...start, inputs: { user: '***' } });
    // The host is free text too: a machine named after a secret does not leak it.
    expect(redactEvent({ ...start, host: 'ci-2026-01-runner' } as unknown as EngineEvent, redactor)).toMatchObject({ host: 'ci-***-runner' });
    const end = { type: 'step-end', time: '2026-01-01T00:00:00.000Z', runId: 'r1', stepId: 'a', status: 'failed', reason: 'got run-start',
      outputs: { status: 'step-end', n: 1 } } as const;
    expect(redactEvent(end as EngineEvent, redactor)).toEqual({ ...end, reason: 'got ***', outputs: { status: '***', n: 1 }, outputsRedacted: true });
    const log = { type: 'step-log', time: '2026-01-01T00:00:00.000Z', runId: 'r1', stepId: 'a', stream: 'stdout', line: 'nothing here' } as const;
    expect(redactEvent(log as EngineEvent, redactor)).toBe(log);
  });

  it('keeps secrets out of events, journal, shell output, outputs, errors and the result', async () => {
    const events: EngineEvent[] = [];
    const runbook = makeRunbook(
      [
        makeStep('use', {
          type: 'shell',
          env: { TOKEN: '${{ inputs.token }}' },
          with: { run: 'echo "token is $TOKEN"; echo "again $TOKEN" >&2; echo "tok=$TOKEN" >> "$OPSBOOK_OUTPUT"' },
        }),
        makeStep('echo', { needs: ['use'], type: 'echo', with: { header: 'Bearer ${{ inputs.token }}', from: '${{ steps.use.outputs.tok }}' } }),
        makeStep('boom', { needs: ['echo'], type: 'shell', env: { TOKEN: '${{ inputs.token }}' }, with: { run: 'echo "bad token $TOKEN" >&2; exit 4' } }),
        makeStep('assert', { needs: ['boom'], always: true, type: 'fail', with: { message: 'token ${{ inputs.token }} refused' } }),
      ],
      { inputs },
    );
    const result = await executeRunbook({
      runbook,
      inputs: { token: SECRET, user: 'ops' },
      registry: makeRegistry(makeTestSteps()),
      stateDir: state.dir,
      clock: systemClock,
      onEvent: (event) => events.push(event),
    });
    // The secret reached the process (it printed it) and was masked on the way out.
    const logs = events.filter((e) => e.type === 'step-log').map((e) => (e as { line: string }).line);
    expect(logs).toContain('token is ***');
    expect(logs).toContain('again ***');
    expect(result.steps.use!.outputs).toEqual({ tok: '***' });
    expect(result.steps.echo!.outputs).toEqual({ header: 'Bearer ***', from: '***' });
    expect(result.steps.boom!.error).toBe('command exited with code 4:\nbad token ***');
    expect(result.steps.assert!.error).toBe('token *** refused');
    const runStart = events[0] as Extract<EngineEvent, { type: 'run-start' }>;
    expect(runStart.inputs).toEqual({ user: 'ops' });

    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(readFileSync(result.journalPath, 'utf8')).not.toContain(SECRET);
    expect(readFileSync(result.journalPath, 'utf8')).toContain('token is ***');
  });

  it('masks extra secret values given by the caller', async () => {
    const events: EngineEvent[] = [];
    const result = await executeRunbook({
      runbook: makeRunbook([makeStep('a', { type: 'echo', with: { password: 'hunter2-long' } })]),
      inputs: {},
      secretValues: ['hunter2-long'],
      registry: makeRegistry(makeTestSteps()),
      stateDir: state.dir,
      clock: systemClock,
      onEvent: (event) => events.push(event),
    });
    expect(result.steps.a!.outputs).toEqual({ password: '***' });
    expect(readFileSync(result.journalPath, 'utf8')).not.toContain('hunter2-long');
  });

  it('keeps secrets out of the plan', async () => {
    const plan = await planRunbook({
      runbook: makeRunbook([makeStep('a', { type: 'echo', with: { header: 'Bearer ${{ inputs.token }}' } })], { inputs }),
      inputs: { token: SECRET, user: 'ops' },
      registry: makeRegistry(makeTestSteps()),
    });
    expect(plan.steps[0]!.with).toEqual({ header: 'Bearer ***' });
    expect(JSON.stringify(plan)).not.toContain(SECRET);
  });
});
