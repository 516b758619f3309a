import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CancelledError, RunbookError, StepError, UsageError } from '../../src/errors.js';
import { EXIT, exitCodeFor, reportError } from '../../src/cli/exit.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('exit codes', () => {
  it.each([
    [new RunbookError('bad', []), EXIT.usage],
    [new UsageError('bad flag'), EXIT.usage],
    [new CancelledError('ctrl-c', 'interrupted'), EXIT.interrupted],
    [new CancelledError('deadline', 'deadline'), EXIT.failed],
    [new StepError('lock held by run X'), EXIT.failed],
    [new Error('boom'), EXIT.failed],
    [Object.assign(new Error('unknown option'), { code: 'commander.unknownOption', exitCode: 1 }), EXIT.usage],
    [Object.assign(new Error('(outputHelp)'), { code: 'commander.helpDisplayed', exitCode: 0 }), EXIT.ok],
    [Object.assign(new Error('(outputHelp)'), { code: 'commander.help', exitCode: 1 }), EXIT.usage],
  ])('%s → %d', (error, code) => expect(exitCodeFor(error)).toBe(code));
});

describe('reportError', () => {
  it('prints each diagnostic as file:line:col: path: message, no stack', () => {
    const err = capture();
    reportError(
      new RunbookError('invalid', [
        { file: 'a.yaml', line: 3, col: 5, path: 'spec.steps[0].needs', message: 'unknown step "x"' },
        { file: 'a.yaml', line: 9, col: 7, path: 'spec.steps[1].need', message: 'unknown key' },
      ]),
      err.stream,
    );
    expect(err.text()).toBe(
      'a.yaml:3:5: spec.steps[0].needs: unknown step "x"\na.yaml:9:7: spec.steps[1].need: unknown key\n2 problems found; nothing was run\n',
    );
  });

  it('prints expected errors as one line, and a stack only for unexpected ones in debug mode', () => {
    const err = capture();
    reportError(new UsageError('no run 42'), err.stream, { debug: true });
    expect(err.text()).toBe('opsbook: no run 42\n');
    const err2 = capture();
    reportError(new TypeError('oops'), err2.stream, { debug: false });
    expect(err2.text()).toBe('opsbook: oops\n');
    const err3 = capture();
    reportError(new TypeError('oops'), err3.stream, { debug: true });
    expect(err3.text()).toMatch(/^opsbook: oops\nTypeError: oops\n\s+at /);
  });
});
