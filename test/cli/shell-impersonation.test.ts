// --as/--as-group reach kubectl in shell steps: on the simulated cluster over HTTPS, `kubectl auth whoami` in a step run with
// --as alice --as-group sre prints alice (and alice's rights apply), through a 0600 generated kubeconfig that is removed after the
// run and whose credentials never reach a command line; without --as kubectl stays the kubeconfig's user. The kubeconfig the
// children get is built from the context kubectl would use (first file wins, relative paths kept working, --context honoured).

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prepareChildEnv } from '../../src/cli/child-env.js';
import { buildImpersonatingKubeconfig } from '../../src/cli/child-kubeconfig.js';
import { runCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { useTempDir } from './fixtures.js';

// Who kubectl is, what it may do as that identity, and how its kubeconfig is kept.
const runbook = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: whoami }
spec:
  steps:
    - id: who
      run: |
        echo "user=$(kubectl auth whoami -o jsonpath='{.status.userInfo.username}')"
        echo "groups=$(kubectl auth whoami -o jsonpath='{.status.userInfo.groups}')"
        echo "secrets=$(kubectl auth can-i list secrets -n kube-system || true)"
        echo "mode=$(stat -c %a "$KUBECONFIG") files=$(echo "$KUBECONFIG" | tr ':' '\\n' | wc -l)"
`;

let cluster: TestCluster;
let token: string;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });
let tempRoot: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  token = /token: (\S+)/.exec(cluster.sim.kubeconfig)![1]!;
});
afterAll(async () => {
  await cluster?.stop();
});
beforeEach(() => {
  tempRoot = path.join(tmp.dir, 'tmp');
  mkdirSync(tempRoot);
  writeFileSync(path.join(tmp.dir, 'whoami.yaml'), runbook);
});

const runWhoami = (extra: string[]) =>
  runCli(['run', 'whoami.yaml', '--state-dir', tmp.stateDir, '--kubeconfig', tmp.kubeconfig, '--output', 'plain', ...extra], { cwd: tmp.dir, env: { TMPDIR: tempRoot, KUBECONFIG: undefined } });

describe('--as/--as-group and shell steps', { timeout: 120_000 }, () => {
  it('kubectl in a shell step acts as --as alice --as-group sre, through a 0600 kubeconfig removed after the run', async () => {
    const r = await runWhoami(['--as', 'alice', '--as-group', 'sre']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('who | user=alice');
    expect(r.stdout).toMatch(/who \| groups=\["sre","system:authenticated"\]/);
    // alice has no Role: the API server answers for her, not for the kubeconfig's admin.
    expect(r.stdout).toContain('who | secrets=no');
    expect(r.stdout).toContain('who | mode=600 files=1');
    expect(r.stdout).not.toContain(token);
    expect(readdirSync(tempRoot).filter((n) => n.startsWith('opsbook-context-'))).toEqual([]);
  });

  it('without --as, kubectl is the kubeconfig user', async () => {
    const r = await runWhoami([]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('who | user=alice');
    expect(r.stdout).toMatch(/who \| user=\S+/);
    expect(r.stdout).toContain('who | secrets=yes');
  });

  it('--as with a kubeconfig whose current context is missing is refused before the run, exit 2', async () => {
    const broken = path.join(tmp.dir, 'broken.kubeconfig');
    writeFileSync(broken, cluster.sim.kubeconfig.replace(/current-context: .*/, 'current-context: gone'), { mode: 0o600 });
    const r = await runCli(['run', 'whoami.yaml', '--state-dir', tmp.stateDir, '--kubeconfig', broken, '--as', 'alice'], { cwd: tmp.dir, env: { TMPDIR: tempRoot, KUBECONFIG: undefined } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--as: context "gone" is not in');
    expect(readdirSync(tempRoot).filter((n) => n.startsWith('opsbook-context-'))).toEqual([]);
  });
});

describe('the impersonating kubeconfig', () => {
  const first = `apiVersion: v1
kind: Config
current-context: a
clusters:
  - { name: one, cluster: { server: "https://one:6443", certificate-authority: certs/ca.crt } }
users:
  - { name: u, user: { client-certificate: certs/u.crt, client-key: /abs/u.key, as: someone-else } }
contexts:
  - { name: a, context: { cluster: one, user: u, namespace: ops } }
`;
  const second = `apiVersion: v1
kind: Config
current-context: b
clusters:
  - { name: one, cluster: { server: "https://shadowed:6443" } }
  - { name: two, cluster: { server: "https://two:6443" } }
users:
  - { name: u, user: { token: shadowed } }
  - { name: v, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: ./bin/login, args: [x] } } }
contexts:
  - { name: b, context: { cluster: two, user: v } }
`;
  const files = [
    { path: '/etc/kube/first.yaml', text: first },
    { path: '/home/me/second.yaml', text: second },
  ];

  it("keeps the current context's cluster and user (first file wins), paths made absolute, --as replacing the user's own as", () => {
    const config = JSON.parse(buildImpersonatingKubeconfig({ files }, { user: 'alice', groups: ['sre', 'ops'] }));
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'one', cluster: { server: 'https://one:6443', 'certificate-authority': '/etc/kube/certs/ca.crt' } }],
      users: [{ name: 'opsbook-impersonating', user: { 'client-certificate': '/etc/kube/certs/u.crt', 'client-key': '/abs/u.key', as: 'alice', 'as-groups': ['sre', 'ops'] } }],
      contexts: [{ name: 'a', context: { cluster: 'one', user: 'opsbook-impersonating', namespace: 'ops' } }],
      'current-context': 'a',
    });
  });

  it('follows --context, and an exec plugin named by a relative path stays where its file said', () => {
    const config = JSON.parse(buildImpersonatingKubeconfig({ files }, { user: 'alice', groups: [] }, 'b'));
    expect(config.clusters).toEqual([{ name: 'two', cluster: { server: 'https://two:6443' } }]);
    expect(config.users[0].user).toEqual({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/home/me/bin/login', args: ['x'] }, as: 'alice' });
    expect(config['current-context']).toBe('b');
  });

  it("in a pod without a kubeconfig, uses the service account's token file and CA", () => {
    const config = JSON.parse(buildImpersonatingKubeconfig({ inCluster: { server: 'https://10.0.0.1:443', dir: '/sa', namespace: 'ops' } }, { user: 'alice', groups: ['sre'] }));
    expect(config.users[0].user).toEqual({ tokenFile: '/sa/token', as: 'alice', 'as-groups': ['sre'] });
    expect(config.clusters[0].cluster).toEqual({ server: 'https://10.0.0.1:443', 'certificate-authority': '/sa/ca.crt' });
    expect(config.contexts[0].context.namespace).toBe('ops');
  });

  it('names what is missing', () => {
    expect(() => buildImpersonatingKubeconfig({ files }, { user: 'alice', groups: [] }, 'nope')).toThrow('--as: context "nope" is not in /etc/kube/first.yaml, /home/me/second.yaml');
    expect(() => buildImpersonatingKubeconfig({ files: [{ path: '/k', text: 'apiVersion: v1\nkind: Config\n' }] }, { user: 'alice', groups: [] })).toThrow('--as: /k sets no current-context; pass --context');
    expect(() => buildImpersonatingKubeconfig({ files: [] }, { user: 'alice', groups: [] })).toThrow('--as: no kubeconfig found for the identity to act from; set KUBECONFIG or pass --kubeconfig');
  });

  it('prepareChildEnv points KUBECONFIG at the one generated file, and dispose() removes it', () => {
    const dir = path.join(tmp.dir, 'kc');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'first.yaml'), first);
    const child = prepareChildEnv({ env: { PATH: '/bin' }, kubeconfigPath: path.join(dir, 'first.yaml'), impersonate: { user: 'alice', groups: [] } });
    expect(child.env.KUBECONFIG).toMatch(/impersonating\.kubeconfig$/);
    expect(JSON.parse(readFileSync(child.env.KUBECONFIG!, 'utf8')).users[0].user.as).toBe('alice');
    child.dispose();
    expect(() => readFileSync(child.env.KUBECONFIG!)).toThrow(/ENOENT/);
    expect(prepareChildEnv({ env: {}, kubeconfigPath: '/k', impersonate: { groups: [] } }).env).toEqual({ KUBECONFIG: '/k' });
  });
});
