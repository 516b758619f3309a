import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { createConfirm } from '../../src/cli/confirm.js';

function fakeTerminal(isTTY: boolean) {
  const stdin = Object.assign(new PassThrough(), { isTTY });
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  return { stdin, stderr, text: () => text };
}

describe('manual gate confirmation', () => {
  it('without a terminal fails at once, naming --approve', async () => {
    const t = fakeTerminal(false);
    const confirm = createConfirm({ stdin: t.stdin, stderr: t.stderr });
    const error = await confirm({ stepId: 'gate', message: 'Proceed?', signal: new AbortController().signal }).catch((e) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('permanent');
    expect((error as Error).message).toContain('--approve gate');
  });

  it('on a terminal asks y/N and records the OS user', async () => {
    const t = fakeTerminal(true);
    const confirm = createConfirm({ stdin: t.stdin, stderr: t.stderr, user: 'alice' });
    const answer = confirm({ stepId: 'gate', message: 'Drain the node?', signal: new AbortController().signal });
    t.stdin.write('y\n');
    await expect(answer).resolves.toEqual({ approved: true, by: 'alice' });
    expect(t.text()).toContain('gate: Drain the node? [y/N]');
  });

  it('anything but y/yes declines', async () => {
    const t = fakeTerminal(true);
    const confirm = createConfirm({ stdin: t.stdin, stderr: t.stderr, user: 'bob' });
    const answer = confirm({ stepId: 'gate', message: 'Go?', signal: new AbortController().signal });
    t.stdin.write('\n');
    await expect(answer).resolves.toEqual({ approved: false, by: 'bob' });
  });

  it('a cancelled run stops waiting for the answer', async () => {
    const t = fakeTerminal(true);
    const controller = new AbortController();
    const confirm = createConfirm({ stdin: t.stdin, stderr: t.stderr });
    const answer = confirm({ stepId: 'gate', message: 'Go?', signal: controller.signal });
    controller.abort(new Error('interrupted'));
    await expect(answer).rejects.toThrow('interrupted');
  });

  it('asks through the live tree when the tty renderer provides a prompt', async () => {
    const t = fakeTerminal(true);
    const asked: string[] = [];
    const confirm = createConfirm({
      stdin: t.stdin,
      stderr: t.stderr,
      user: 'carol',
      ask: async (stepId, question) => (asked.push(`${stepId}|${question}`), 'yes'),
    });
    await expect(confirm({ stepId: 'g', message: 'Go?', signal: new AbortController().signal })).resolves.toEqual({ approved: true, by: 'carol' });
    expect(asked).toEqual(['g|g: Go?']);
  });
});
