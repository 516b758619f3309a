// `sim serve --connection-out FILE` writes the node channel's bearer token: FILE is 0600 even when a world-readable
// file of that name was there before, and the token is never printed nor in a process's arguments.

import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { useTempDir } from './fixtures.js';

const tmp = useTempDir();

describe('the rehearsal connection file', { timeout: 120_000 }, () => {
  it('replaces a 0644 leftover with a 0600 file; the token stays out of the output and the process list', async () => {
    const connection = path.join(tmp.dir, 'connection.json');
    writeFileSync(connection, '{}\n', { mode: 0o644 });
    expect(statSync(connection).mode & 0o777).toBe(0o644);
    const serve = startCli(['sim', 'serve', '--scenario', 'runbooks/scenarios/certs-valid.yaml', '--connection-out', connection], { timeout: 110_000 });
    try {
      await serve.waitForOutput('listening on');
      const { nodes } = JSON.parse(readFileSync(connection, 'utf8')) as { nodes?: { token: string } };
      expect(nodes?.token.length).toBeGreaterThan(16);
      expect(statSync(connection).mode & 0o777).toBe(0o600);
      expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(nodes!.token);
      serve.kill('SIGINT');
      const ended = await serve.result;
      expect(ended.stdout + ended.stderr).not.toContain(nodes!.token);
    } finally {
      serve.kill('SIGKILL');
    }
  });
});
