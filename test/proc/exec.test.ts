import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { execProcess } from '../../src/proc/exec.js';
import { isProcessAlive } from '../../src/proc/kill.js';
import { createLineCollector } from '../../src/proc/lines.js';

describe('execProcess', () => {
  it('streams complete lines per stream and returns exit code and output', async () => {
    const lines: string[] = [];
    const result = await execProcess('bash', ['-c', 'echo one; echo two >&2; printf "three"; exit 3'], {
      onLine: (stream, line) => lines.push(`${stream}:${line}`),
    });
    expect(result.exitCode).toBe(3);
    expect(result.signal).toBeUndefined();
    expect(result.stdout).toBe('one\nthree');
    expect(result.stderr).toBe('two\n');
    expect(lines).toContain('stdout:one');
    expect(lines).toContain('stderr:two');
    expect(lines).toContain('stdout:three');
  });

  it('passes env, cwd and stdin', async () => {
    const result = await execProcess('bash', ['-c', 'echo "$GREETING $(pwd)"; cat'], {
      env: { GREETING: 'hello' },
      cwd: '/tmp',
      input: 'from stdin',
    });
    expect(result.stdout).toBe('hello /tmp\nfrom stdin');
  });

  it('keeps only the tail of a large output', async () => {
    const result = await execProcess('bash', ['-c', 'for i in $(seq 1 5000); do echo "line $i"; done'], { maxBuffer: 100 });
    expect(result.stdout.startsWith('[…truncated]\n')).toBe(true);
    expect(result.stdout.endsWith('line 5000\n')).toBe(true);
    expect(result.stdout.length).toBeLessThan(130);
  });

  it('throws a permanent StepError when the program cannot start', async () => {
    const error = await execProcess('opsbook-no-such-program', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('permanent');
    expect((error as StepError).message).toBe('cannot start opsbook-no-such-program: command not found');
  });

  it('names a missing working directory instead of blaming the program', async () => {
    await expect(execProcess('bash', ['-c', 'true'], { cwd: '/nonexistent/opsbook' })).rejects.toThrow(
      'cannot start bash: working directory /nonexistent/opsbook does not exist',
    );
  });

  it('on abort sends SIGTERM to the whole group: the child of the shell dies too', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const result = await execProcess('bash', ['-c', 'sleep 300 & echo $!; echo $$; wait'], {
      signal: controller.signal,
      killGraceMs: 5000,
      onLine: (_stream, line) => {
        pids.push(Number(line));
        if (pids.length === 2) controller.abort(new Error('stop'));
      },
    });
    expect(result.signal).toBe('SIGTERM');
    expect(pids).toHaveLength(2);
    const alive = pids.filter(isProcessAlive);
    killLeftovers(alive);
    expect(alive).toEqual([]);
  });

  it('SIGKILLs the group after the grace period when SIGTERM is ignored', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const result = await execProcess('bash', ['-c', 'trap "" TERM; sleep 300 & echo $!; echo $$; wait; wait'], {
      signal: controller.signal,
      killGraceMs: 200,
      onLine: (_stream, line) => {
        pids.push(Number(line));
        if (pids.length === 2) controller.abort(new Error('stop'));
      },
    });
    expect(result.signal).toBe('SIGKILL');
    const alive = pids.filter(isProcessAlive);
    killLeftovers(alive);
    expect(alive).toEqual([]);
  });
});

describe('line collector', () => {
  it('joins lines split across chunks and multi-byte characters split across chunks', () => {
    const lines: string[] = [];
    const collector = createLineCollector((line) => lines.push(line), 1000);
    const bytes = Buffer.from('héllo\r\nwor');
    collector.push(bytes.subarray(0, 2));
    collector.push(bytes.subarray(2));
    collector.push(Buffer.from('ld\nlast'));
    expect(collector.end()).toBe('héllo\r\nworld\nlast');
    expect(lines).toEqual(['héllo', 'world', 'last']);
  });
});

describe('abrupt exit', () => {
  it('kills running process groups when our process exits without cancelling (second Ctrl-C)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/exit-runner.ts')], { encoding: 'utf8', timeout: 20_000 });
    expect(child.status).toBe(130);
    const pids = child.stdout.trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    try {
      for (let i = 0; i < 50 && pids.some(isProcessAlive); i++) await new Promise((r) => setTimeout(r, 20));
      for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    } finally {
      killLeftovers(pids);
    }
  });
});

/** Cleans up after a failed assertion so a broken build does not leave sleeping processes behind. */
function killLeftovers(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (pid > 0 && isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
