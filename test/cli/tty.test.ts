import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { fixture, journalEvents, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

// A real pseudo-terminal: the default output is the live tree and a manual gate asks y/N.
describe('on a terminal (end to end, via a pseudo-terminal)', { timeout: 120_000 }, () => {
  it.each([
    ['y', 0, true],
    ['n', 1, false],
  ])('a manual gate asks y/N in the live tree; answering %s → exit %d', async (key, exitCode, approved) => {
    const cli = startCli(['run', fixture('gate.yaml'), '--state-dir', tmp.stateDir], { tty: true });
    await cli.waitForOutput('Drain the node now? [y/N]');
    cli.write(`${key}\r`);
    const r = await cli.result;
    expect(r.exitCode).toBe(exitCode);
    expect(r.stdout).toContain('cli-gate · run '); // the listr2 tree's run title
    const approval = journalEvents(tmp.stateDir, runIds(tmp.stateDir)[0]!).find((e) => e.type === 'step-approval');
    expect(approval).toMatchObject({ stepId: 'confirm', approved });
    expect(approval!.by).not.toBe('--approve flag');
  });
});

describe('secret inputs on a terminal (end to end, via a pseudo-terminal)', { timeout: 120_000 }, () => {
  it('asks for a missing secret without echoing it, uses it, and keeps it out of the output and journal', async () => {
    const secret = 'typed-S3cret-42';
    const cli = startCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain'], {
      tty: true,
      env: { CLI_TEST_TOKEN: undefined },
    });
    await cli.waitForOutput('secret input token:');
    cli.write(`${secret}\r`);
    const r = await cli.result;
    expect(r.exitCode).toBe(1); // the fixture's last step fails on purpose
    expect(r.stdout).toContain('use | token is ***');
    expect(r.stdout).not.toContain(secret);
    const journal = JSON.stringify(journalEvents(tmp.stateDir, runIds(tmp.stateDir)[0]!));
    expect(journal).not.toContain(secret);
  });
});

describe('Ctrl-C on a terminal (end to end, via a pseudo-terminal)', { timeout: 120_000 }, () => {
  it('a typed Ctrl-C cancels gracefully, says so inside the live tree, exits 130, journals interrupted', async () => {
    const cli = startCli(['run', fixture('slow.yaml'), '--state-dir', tmp.stateDir], { tty: true });
    await cli.waitForOutput('waiting pid=');
    cli.write('\u0003'); // the terminal turns it into SIGINT for the CLI
    const r = await cli.result;
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toContain('interrupted: cancelling running steps'); // in the run title (may be cut at 120 columns)
    expect(r.stdout).toMatch(/run \S+ interrupted in /);
    expect(journalEvents(tmp.stateDir, runIds(tmp.stateDir)[0]!).at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });
  });
});

describe('run markers on a terminal (end to end, via a pseudo-terminal)', { timeout: 120_000 }, () => {
  // Final frame of the live tree: the run title is the last line starting at column 0 with a marker.
  const runTitle = (stdout: string, name: string) =>
    stdout
      .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
      .split(/\r?\n/)
      .filter((l) => l.includes(`${name} · run `))
      .at(-1);

  it('a failed run is ✖ like its failed step, its skipped step ↓, and the title and summary print one duration', async () => {
    const r = await startCli(['run', fixture('fail.yaml'), '--state-dir', tmp.stateDir], { tty: true }).result;
    expect(r.exitCode).toBe(1);
    const title = runTitle(r.stdout, 'cli-fail');
    expect(title).toMatch(/^✖ cli-fail · run \S+ · (\S+) elapsed/);
    expect(r.stdout).toMatch(/✖\S* boom \(/);
    expect(r.stdout).toMatch(/↓\S* after/);
    const elapsed = /· (\S+) elapsed/.exec(title!)![1]!;
    expect(r.stdout).toMatch(new RegExp(`run \\S+ failed in ${elapsed.replace('.', '\\.')}:`));
  });

  it('⚠ is kept for a run that succeeded although a continueOnError step failed', async () => {
    const r = await startCli(['run', fixture('warn.yaml'), '--state-dir', tmp.stateDir], { tty: true }).result;
    expect(r.exitCode).toBe(0);
    expect(runTitle(r.stdout, 'cli-warn')).toMatch(/^⚠ cli-warn · run /);
    expect(r.stdout).toMatch(/✖\S* flaky \(/);
  });
});
