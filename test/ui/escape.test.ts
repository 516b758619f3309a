// Control characters from user input are shown, never obeyed: by the escaping helpers and by each renderer.

import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { escapeControl, escapeJsonControl, escapeStrings } from '../../src/ui/escape.js';
import { createJsonRenderer } from '../../src/ui/json.js';
import { createPlainRenderer } from '../../src/ui/plain.js';
import { capture, renderTty } from './capture.js';
import { VirtualClock } from '../../src/time/clock.js';

// Terminal controls: clear screen, set window title (OSC … BEL), 8-bit CSI, carriage return, backspace, DEL.
const HOSTILE = 'a\u001b[2J\u001b]0;pwned\u0007b\u009b31m\rc\bd\u007f';
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('escapeControl', () => {
  it('shows C0, DEL and C1 controls as visible escapes', () => {
    expect(escapeControl(HOSTILE)).toBe('a\\x1b[2J\\x1b]0;pwned\\x07b\\u009b31m\\rc\\x08d\\x7f');
  });

  it('keeps tabs always and newlines only when asked', () => {
    expect(escapeControl('a\tb\nc')).toBe('a\tb\\nc');
    expect(escapeControl('a\tb\nc', { newlines: true })).toBe('a\tb\nc');
    expect(escapeControl('plain text, ünïcödé ✓')).toBe('plain text, ünïcödé ✓');
  });

  it('escapes DEL and C1 in JSON text, keeping the same value', () => {
    const json = JSON.stringify({ line: HOSTILE });
    const escaped = escapeJsonControl(json);
    expect(escaped).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(escaped)).toEqual({ line: HOSTILE });
  });

  it('escapes every string of an object, keys included', () => {
    expect(escapeStrings({ [`k\u001b`]: ['x\u009b', 1, { y: 'z\u0007' }] })).toEqual({ 'k\\x1b': ['x\\u009b', 1, { y: 'z\\x07' }] });
  });
});

const runId = '20260101-000000-000-abcdef';
const time = '2026-01-01T00:00:00.000Z';
const hostileEvents: EngineEvent[] = [
  { type: 'run-start', time, runId, runbook: { path: `evil${HOSTILE}.yaml`, name: 'demo', sha256: 'f00' }, inputs: {}, steps: [{ id: 'a', name: `title ${HOSTILE}`, type: 'shell', needs: [] }] },
  { type: 'step-start', time, runId, stepId: 'a' },
  { type: 'attempt-start', time, runId, stepId: 'a', attempt: 1, maxAttempts: 1, timeoutMs: 1000 },
  { type: 'step-log', time, runId, stepId: 'a', stream: 'stdout', line: `out ${HOSTILE}` },
  { type: 'step-progress', time, runId, stepId: 'a', detail: `detail ${HOSTILE}` },
  { type: 'step-report', time, runId, stepId: 'a', table: { title: `table ${HOSTILE}`, columns: ['name'], rows: [[HOSTILE]] } },
  { type: 'attempt-end', time, runId, stepId: 'a', attempt: 1, ok: false, errorClass: 'permanent', error: `failed ${HOSTILE}` },
  { type: 'step-end', time, runId, stepId: 'a', status: 'failed', reason: `reason ${HOSTILE}`, durationMs: 5 },
  { type: 'run-end', time, runId, status: 'failed', error: `run error ${HOSTILE}`, durationMs: 5 },
];

describe('renderers escape what they print', () => {
  it('plain: no raw control character, colours still painted', () => {
    const out = capture();
    const r = createPlainRenderer(out.stream, { color: true });
    for (const e of hostileEvents) r.handle(e);
    const text = out.text();
    expect(text).toContain('a | out a\\x1b[2J\\x1b]0;pwned\\x07b\\u009b31m\\rc\\x08d\\x7f');
    // Only our own SGR colour codes remain.
    expect(text.replace(/\u001b\[(3[0-9]|9[0-9])m/g, '')).not.toMatch(RAW_CONTROL);
  });

  it('json: DEL and C1 escaped too', async () => {
    const out = capture();
    const r = createJsonRenderer(out.stream);
    for (const e of hostileEvents) r.handle(e);
    await r.close();
    expect(out.text()).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(out.text().split('\n')[3]!)).toMatchObject({ line: `out ${HOSTILE}` });
  });

  it('tty (listr2): titles, outputs and closing lines escaped', async () => {
    const { text } = await renderTty(hostileEvents, new VirtualClock({ start: Date.parse(time) }));
    // listr2's test renderer prints JSON: our visible escape shows as `\\x1b`, a raw ESC would show as `\u001b`.
    expect(text).toContain('"title":"title a\\\\x1b[2J');
    expect(text).not.toMatch(/(^|[^\\])\\u00[01][0-9a-f]/);
    expect(text).not.toMatch(RAW_CONTROL);
  });
});
