// A scenario's `secrets:` stand in for a runbook's secret inputs during rehearse: by fromEnv variable or input name,
// over the real value from the environment or a --values file (--set never carries secrets); still secrets (masked).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prepareRun } from '../../src/cli/prepare.js';
import type { CliIo } from '../../src/cli/io.js';
import { repoRoot } from '../helpers/cli.js';

function io(env: Record<string, string>): CliIo {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env, cwd: repoRoot };
}

const RUNBOOK = 'runbooks/add-sno-worker.yaml';
const set = ['clusterName=sno', 'baseDomain=example.com', 'workerName=worker-1'];

describe('secret stand-ins', () => {
  it('replaces the real value from the environment, by fromEnv variable or by input name, and masks the stand-in', async () => {
    const prepared = await prepareRun(
      RUNBOOK,
      { set, promptForSecrets: false, secretStandIns: { OFFLINE_TOKEN: 'dummy-offline-token', pullSecret: '{"auths":{}}' } },
      io({ OFFLINE_TOKEN: 'real-offline-token-0000', PULL_SECRET: '{"auths":{"real":{}}}' }),
    );
    expect(prepared.inputs.offlineToken).toBe('dummy-offline-token');
    expect(prepared.inputs.pullSecret).toBe('{"auths":{}}');
    expect(prepared.secretValues).toEqual(expect.arrayContaining(['dummy-offline-token', '{"auths":{}}']));
    expect(prepared.secretValues).not.toContain('real-offline-token-0000');
    expect(prepared.publicInputs).not.toHaveProperty('offlineToken');
  });

  it('wins over a --values file too, and leaves the inputs it does not name alone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'opsbook-standins-'));
    try {
      const values = path.join(dir, 'values.yaml');
      await writeFile(values, 'offlineToken: real-offline-token-from-a-file\n');
      const prepared = await prepareRun(
        RUNBOOK,
        { set, valuesFile: values, promptForSecrets: false, secretStandIns: { OFFLINE_TOKEN: 'dummy-offline-token' } },
        io({ PULL_SECRET: '{"auths":{"env":{}}}' }),
      );
      expect(prepared.inputs.offlineToken).toBe('dummy-offline-token');
      expect(prepared.inputs.pullSecret).toBe('{"auths":{"env":{}}}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
