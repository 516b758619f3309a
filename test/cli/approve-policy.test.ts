// The gate policy's arithmetic (who counts, distinct approvers, one rejection) as a pure function, and --as-group
// refused without --as as kubectl refuses it.

import { describe, expect, it } from 'vitest';
import { judgeAnswers, refuseAnswer } from '../../src/engine/gate.js';
import type { GateAnswer } from '../../src/store/index.js';
import type { GatePolicy } from '../../src/steps/types.js';
import { runCli } from '../helpers/cli.js';

const policy = (over: Partial<GatePolicy> = {}): GatePolicy => ({ approvals: 1, approvers: { users: [], groups: [] }, onTimeout: 'reject', ...over });
let second = 0;
const answer = (by: string, approved = true, groups: string[] = [], comment?: string): GateAnswer => ({
  stepId: 'gate',
  approved,
  by,
  groups,
  at: `2026-01-01T00:00:${String(second++ % 60).padStart(2, '0')}Z`,
  ...(comment ? { comment } : {}),
});

describe('gate policy', () => {
  it('waits until N distinct usernames approve; the same one twice counts once', () => {
    const two = policy({ approvals: 2 });
    expect(judgeAnswers(two, [answer('alice'), answer('alice')])).toBeUndefined();
    expect(judgeAnswers(two, [answer('alice'), answer('alice'), answer('carol')])).toEqual({ approved: true, by: 'alice, carol' });
  });

  it('one counted rejection fails the gate with its comment, even after approvals', () => {
    expect(judgeAnswers(policy({ approvals: 2 }), [answer('alice'), answer('bob', false, [], 'not today')])).toEqual({ approved: false, by: 'bob', comment: 'not today' });
  });

  it('approvers restrict by user or group; answers from others neither approve nor reject', () => {
    const sre = policy({ approvers: { users: ['lead'], groups: ['sre'] } });
    expect(refuseAnswer(sre, answer('bob', true, ['devs']))).toBe("bob is not among the gate's approvers (user lead, group sre)");
    expect(refuseAnswer(sre, answer('alice', true, ['sre']))).toBeUndefined();
    expect(refuseAnswer(sre, answer('lead'))).toBeUndefined();
    expect(judgeAnswers(sre, [answer('bob', false, ['devs'])])).toBeUndefined();
    expect(judgeAnswers(sre, [answer('bob', true, ['devs']), answer('alice', true, ['sre'])])).toEqual({ approved: true, by: 'alice' });
  });

  it('--as-group without --as is refused (exit 2) before anything is sent', async () => {
    const result = await runCli(['runs', '--state', 'kubernetes://runs', '--as-group', 'sre'], { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--as-group needs --as');
  }, 30_000);
});
