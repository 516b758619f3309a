import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../src/ui/renderer.js';
import { VirtualClock } from '../../src/time/clock.js';
import { resumedEvents, sampleEvents } from './events.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('plain renderer', () => {
  it('writes one timestamped line per event line, with durations', async () => {
    const out = capture();
    const err = capture();
    const r = await createRenderer({ mode: 'plain', stdout: out.stream, stderr: err.stream, clock: new VirtualClock() });
    for (const e of sampleEvents) r.handle(e);
    await r.close();
    const lines = out.text().trimEnd().split('\n');
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);
    expect(lines).toContain('2026-01-01T00:00:02.000Z a: attempt 1 failed (transient): connection reset; retrying in 5s');
    expect(lines).toContain('2026-01-01T00:00:09.000Z a: succeeded in 9s');
    expect(lines.at(-1)).toBe('2026-01-01T00:00:10.000Z run 20260101-000000-000-abcdef failed in 10s: step b failed');
    expect(out.text()).not.toContain('\u001b['); // no colour unless asked
    expect(err.text()).toBe('');
  });

  it('prints a step duration and the run duration with the one formatter (999ms both, not 1s and 999ms)', async () => {
    const out = capture();
    const r = await createRenderer({ mode: 'plain', stdout: out.stream, stderr: out.stream, clock: new VirtualClock() });
    for (const e of resumedEvents) r.handle(e);
    await r.close();
    expect(out.text()).toContain(' b: succeeded in 999ms\n');
    expect(out.text()).toContain(' run 20260101-000000-000-abcdef succeeded in 999ms\n');
  });

  it('colours statuses when asked', async () => {
    const out = capture();
    const r = await createRenderer({ mode: 'plain', stdout: out.stream, stderr: out.stream, clock: new VirtualClock(), color: true });
    r.handle(sampleEvents.at(-1)!);
    expect(out.text()).toMatch(/\u001b\[31m/);
  });
});

describe('json renderer', () => {
  it('writes the events as NDJSON, one record per line, unchanged', async () => {
    const out = capture();
    const r = await createRenderer({ mode: 'json', stdout: out.stream, stderr: out.stream, clock: new VirtualClock() });
    for (const e of sampleEvents) r.handle(e);
    await r.close();
    const records = out.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records).toEqual(sampleEvents);
  });
});
