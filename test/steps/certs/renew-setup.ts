// Shared set-up for renewal tests: fake kubeadm/crictl on disk, crictl state, openssl helpers.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubeClient } from '../../../src/k8s/types.js';
import type { PkiFixture } from '../../helpers/pki-fixture.js';

export const FAKE_BIN = resolve(import.meta.dirname, '../../helpers/fake-bin');

export interface FakeRuntime {
  dir: string;
  statePath: string;
  logPath: string;
  /** Wrapper scripts with the stand-ins' environment baked in (ssh sessions do not pass our environment). */
  crictl: string;
  kubeadm: string;
  state(): { containers: { id: string; name: string; state: string }[]; deadlineOnce: string[] };
  calls(program?: string): string[][];
  cleanup(): void;
}

/** Running control-plane containers (plus etcd-defrag, which must never be touched); env vars for the stand-ins. */
export function createFakeRuntime(deadlineOnce: string[] = []): FakeRuntime {
  const dir = mkdtempSync(join(tmpdir(), 'opsbook-fake-runtime-'));
  const statePath = join(dir, 'crictl.json');
  const logPath = join(dir, 'calls.ndjson');
  const names = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'etcd', 'etcd-defrag', 'kube-proxy'];
  writeFileSync(statePath, JSON.stringify({
    containers: names.map((name, i) => ({ id: `${String(i + 1).repeat(8)}${name.length.toString(16).padStart(56, 'a')}`, name, state: 'running' })),
    deadlineOnce,
  }));
  writeFileSync(logPath, '');
  process.env.FAKE_CRICTL_STATE = statePath;
  process.env.FAKE_BIN_LOG = logPath;
  const wrapper = (program: string) => {
    const path = join(dir, program);
    writeFileSync(path, `#!/bin/sh\nexport FAKE_CRICTL_STATE='${statePath}' FAKE_BIN_LOG='${logPath}'\nexec '${join(FAKE_BIN, program)}' "$@"\n`, { mode: 0o755 });
    return path;
  };
  return {
    dir,
    statePath,
    logPath,
    crictl: wrapper('crictl'),
    kubeadm: wrapper('kubeadm'),
    state: () => JSON.parse(readFileSync(statePath, 'utf8')),
    calls: (program) =>
      readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { program: string; args: string[] })
        .filter((c) => !program || c.program === program).map((c) => c.args),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Writes a PEM to a temp file for openssl and returns the path. */
export function pemFile(dir: string, name: string, pem: string): string {
  const path = join(dir, name);
  writeFileSync(path, pem);
  return path;
}

/** A cluster whose /readyz answers from a script of statuses (then 200 for ever). */
export function readyzCluster(statuses: number[] = []): { kube: () => Promise<KubeClient>; probes: () => number } {
  let probes = 0;
  const client = {
    server: 'https://sim',
    request: async (path: string) => {
      probes++;
      if (path !== '/readyz') throw new Error(`unexpected path ${path}`);
      const status = statuses.shift() ?? 200;
      return { status, body: status === 200 ? 'ok' : '[-]etcd failed: reason withheld\nreadyz check failed' };
    },
  } as unknown as KubeClient;
  return { kube: async () => client, probes: () => probes };
}

/**
 * kubeadm works on /etc/kubernetes only: moves the fixture's kubernetes directory to ROOT/etc/kubernetes, so the
 * kubeadm strategy runs with --rootfs=ROOT. Returns the new kubernetesDir.
 */
export function moveUnderRootfs(fixture: PkiFixture): string {
  const dir = join(fixture.root, 'etc/kubernetes');
  mkdirSync(join(fixture.root, 'etc'), { recursive: true });
  renameSync(fixture.kubernetesDir, dir);
  return dir;
}
