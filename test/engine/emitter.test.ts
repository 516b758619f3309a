import { describe, expect, it } from 'vitest';
import { createEmitter } from '../../src/engine/emitter.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { JournalWriter } from '../../src/store/index.js';
import { createRedactor } from '../../src/engine/redact.js';
import { VirtualClock } from '../../src/time/clock.js';
import { T0 } from './fixtures.js';

describe('emitter', () => {
  it('stamps and redacts events, and reports a broken journal once while the sink keeps getting events', () => {
    const written: EngineEvent[] = [];
    const journal: JournalWriter = {
      path: 'j',
      append(event) {
        if (written.length === 1) throw new Error('ENOSPC: no space left on device');
        written.push(event);
      },
      close() {},
    };
    const seen: EngineEvent[] = [];
    const errors: string[] = [];
    const emit = createEmitter('r1', new VirtualClock({ start: T0 }), createRedactor(['pw-123']), journal, (e) => seen.push(e), (e) =>
      errors.push(e.message),
    );
    emit({ type: 'step-log', stepId: 'a', stream: 'stdout', line: 'password pw-123' });
    emit({ type: 'step-start', stepId: 'b' });
    emit({ type: 'step-start', stepId: 'c' });
    expect(written).toEqual([{ type: 'step-log', stepId: 'a', stream: 'stdout', line: 'password ***', runId: 'r1', time: '2026-01-01T00:00:00.000Z' }]);
    expect(seen.map((e) => e.type)).toEqual(['step-log', 'step-start', 'step-start']);
    expect(errors).toEqual(['ENOSPC: no space left on device']);
  });

  it('survives a sink that throws', () => {
    const journal: JournalWriter = { path: 'j', append() {}, close() {} };
    const emit = createEmitter('r1', new VirtualClock(), createRedactor([]), journal, () => {
      throw new Error('renderer bug');
    }, () => {});
    expect(() => emit({ type: 'step-start', stepId: 'a' })).not.toThrow();
  });
});
