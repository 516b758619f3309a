import { describe, expect, it } from 'vitest';
import { createTestRenderer } from '../../src/ui/test-renderer.js';
import { resumedEvents, sampleEvents } from './events.js';

describe('test renderer', () => {
  it('renders every event deterministically, without timestamps or durations', () => {
    const r = createTestRenderer();
    for (const e of sampleEvents) r.handle(e);
    expect(r.events).toHaveLength(sampleEvents.length);
    expect(r.lines).toEqual([
      'run 20260101-000000-000-abcdef started: demo (runbooks/demo.yaml), 3 steps, deadline 2026-01-01T01:00:00.000Z',
      'a: started',
      'a: attempt 1/2',
      'a: 1/2 nodes Ready',
      'a: attempt 1 failed (transient): connection reset; retrying',
      'a: attempt 2/2',
      'a | node worker-0 Ready',
      'a: attempt 2 succeeded',
      'a: succeeded',
      'b: started',
      'b: attempt 1/1',
      'b ! boom',
      'b: Refused CSRs',
      'b:   CSR    REASON',
      'b:   csr-x  wrong requestor',
      'b: attempt 1 failed (permanent): exit code 1',
      'b: failed (permanent): exit code 1',
      'c: skipped: needs b, which failed',
      'run 20260101-000000-000-abcdef failed: step b failed',
    ]);
  });

  it('on resume: says which steps succeeded or were skipped earlier (with why), and which run again and why', () => {
    const r = createTestRenderer();
    for (const e of resumedEvents) r.handle(e);
    expect(r.lines).toEqual([
      'run 20260101-000000-000-abcdef resumes 20260101-000000-000-abcdef: demo (runbooks/demo.yaml), 3 steps',
      'b: runs again: its outputs held a secret, which the journal never stores',
      'a: succeeded earlier (outputs reused)',
      's: skipped earlier: when: false is false',
      'b: started',
      'b: succeeded',
      'run 20260101-000000-000-abcdef succeeded',
    ]);
  });
});
