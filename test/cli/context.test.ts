// --context reaches shell steps: `kubectl` in a script talks to the same context as built-in steps.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { prepareChildEnv } from '../../src/cli/child-env.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from './fixtures.js';

const kubeconfig = `apiVersion: v1
kind: Config
current-context: first
clusters:
  - name: one
    cluster: { server: https://127.0.0.1:1 }
  - name: two
    cluster: { server: https://127.0.0.1:2 }
users:
  - name: admin
    user: { token: not-a-real-token }
contexts:
  - name: first
    context: { cluster: one, user: admin }
  - name: second
    context: { cluster: two, user: admin }
`;

// Prints what kubectl sees, the exported name, and the mode and secrets of the first KUBECONFIG file.
const runbook = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: which-context }
spec:
  steps:
    - id: which
      run: |
        echo "current=$(kubectl config current-context)"
        echo "exported=\${OPSBOOK_KUBE_CONTEXT:-none}"
        first="\${KUBECONFIG%%:*}"
        echo "mode=$(stat -c %a "$first")"
        echo "tokens=$(grep -c token "$first")"
`;

const tmp = useTempDir({ kubeconfig: () => kubeconfig });
let tempRoot: string;
beforeEach(() => {
  tempRoot = path.join(tmp.dir, 'tmp');
  writeFileSync(path.join(tmp.dir, 'which.yaml'), runbook);
  // The CLI's own temp files land here, so the test sees whether they were removed.
  mkdirSync(tempRoot);
});

async function runWhich(extra: string[]) {
  return runCli(['run', 'which.yaml', '--state-dir', tmp.stateDir, '--kubeconfig', tmp.kubeconfig, ...extra], {
    cwd: tmp.dir,
    env: { TMPDIR: tempRoot, KUBECONFIG: undefined },
  });
}

describe('--context and shell steps', { timeout: 120_000 }, () => {
  it('kubectl in a shell step uses the --context context, through a credential-free 0600 file removed afterwards', async () => {
    const r = await runWhich(['--context', 'second']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('which | current=second');
    expect(r.stdout).toContain('which | exported=second');
    expect(r.stdout).toContain('which | mode=600');
    expect(r.stdout).toContain('which | tokens=0');
    expect(readdirSync(tempRoot).filter((n) => n.startsWith('opsbook-context-'))).toEqual([]);
  });

  it("without --context, kubectl keeps the kubeconfig's current-context", async () => {
    const r = await runWhich([]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('which | current=first');
    expect(r.stdout).toContain('which | exported=none');
  });

  it('lists the context file first, then the files built-in steps read ($KUBECONFIG list or --kubeconfig)', () => {
    const fromEnv = prepareChildEnv({ env: { KUBECONFIG: `/a${path.delimiter}/b`, PATH: '/bin' }, context: 'c' });
    const [pointer, ...rest] = fromEnv.env.KUBECONFIG!.split(path.delimiter);
    expect(rest).toEqual(['/a', '/b']);
    expect(fromEnv.env).toMatchObject({ PATH: '/bin', OPSBOOK_KUBE_CONTEXT: 'c' });
    expect(existsSync(pointer!)).toBe(true);
    fromEnv.dispose();
    expect(existsSync(pointer!)).toBe(false);
    const fromFlag = prepareChildEnv({ env: { KUBECONFIG: '/a' }, kubeconfigPath: '/k', context: 'c' });
    expect(fromFlag.env.KUBECONFIG!.split(path.delimiter).slice(1)).toEqual(['/k']);
    fromFlag.dispose();
    expect(prepareChildEnv({ env: { KUBECONFIG: '/a' }, kubeconfigPath: '/k' }).env).toEqual({ KUBECONFIG: '/k' });
  });
});
