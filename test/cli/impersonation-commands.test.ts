// --as/--as-group on the commands that had none: rehearse (the steps act as that identity against the simulated cluster, whose RBAC
// decides: kubectl auth whoami in a shell step prints it, a k8s-apply is refused for a user without rights and allowed for a group that
// has them) and plan --fleet (every cluster's previews are read as that identity). Real CLI, simulated clusters over HTTPS.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { useTempDir } from './fixtures.js';

const SCENARIO = path.join(repoRoot, 'test/cli/fixtures/scenario-tiny.yaml');

const runbook = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: as-identity }
spec:
  steps:
    - id: who
      run: |
        echo "user=$(kubectl auth whoami -o jsonpath='{.status.userInfo.username}')"
        echo "secrets=$(kubectl auth can-i list secrets -n kube-system || true)"
    - id: apply
      needs: [who]
      uses: k8s-apply
      with:
        manifests:
          - { apiVersion: v1, kind: ConfigMap, metadata: { name: as-check, namespace: default }, data: { a: "1" } }
`;

let cluster: TestCluster;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const rehearse = (extra: string[]) => {
  writeFileSync(path.join(tmp.dir, 'as.yaml'), runbook);
  return runCli(['rehearse', 'as.yaml', '--scenario', SCENARIO, '--output', 'plain', ...extra], { cwd: tmp.dir, timeout: 90_000 });
};

describe('--as/--as-group on rehearse and plan --fleet', { timeout: 120_000 }, () => {
  it('rehearse --as alice: the steps are alice against the simulated cluster, whose RBAC refuses her the apply', async () => {
    const r = await rehearse(['--as', 'alice']);
    expect(r.stdout).toContain('who | user=alice');
    expect(r.stdout).toContain('who | secrets=no');
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/apply[\s\S]*forbidden[\s\S]*alice|alice[\s\S]*forbidden/);
  });

  it('rehearse --as alice --as-group system:masters: the same steps succeed with the group\'s rights', async () => {
    const r = await rehearse(['--as', 'alice', '--as-group', 'system:masters']);
    expect(r.stdout).toContain('who | user=alice');
    expect(r.stdout).toContain('who | secrets=yes');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it('rehearse --as-group without --as is refused (exit 2) before any simulation starts', async () => {
    const r = await rehearse(['--as-group', 'sre']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--as-group needs --as');
    expect(r.stdout).toBe('');
  });

  it('rehearse --all --as is refused (exit 2): each rehearsal of --all takes its own pairing', async () => {
    const r = await runCli(['rehearse', '--all', '--as', 'alice'], { cwd: tmp.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--as');
    expect(r.stdout).toBe('');
  });

  it('plan --fleet --as: every cluster\'s preview is read as that identity', async () => {
    writeFileSync(path.join(tmp.dir, 'as.yaml'), runbook);
    const fleet = path.join(tmp.dir, 'fleet.yaml');
    writeFileSync(fleet, ['apiVersion: opsbook.dev/v1', 'kind: Fleet', 'metadata: { name: two }', 'spec:', '  clusters:', ...['one', 'two'].map((n) => `    - { name: ${n}, kubeconfig: ${tmp.kubeconfig} }`), ''].join('\n'));
    type Plan = { groups: { clusters: string[]; previews: { step: string; summary?: string; unavailable?: string }[] }[] };
    const applyPreview = (plan: Plan) => plan.groups.map((g) => ({ clusters: g.clusters, apply: g.previews.find((p) => p.step === 'apply') }));
    const admin = await runCli(['plan', 'as.yaml', '--fleet', fleet, '--output', 'json'], { cwd: tmp.dir, timeout: 60_000 });
    expect(admin.exitCode, admin.stderr).toBe(0);
    expect(applyPreview(JSON.parse(admin.stdout) as Plan)).toEqual([{ clusters: ['one', 'two'], apply: expect.objectContaining({ summary: 'would create 1, change 0, leave 0 unchanged' }) }]);
    const alice = await runCli(['plan', 'as.yaml', '--fleet', fleet, '--as', 'alice', '--output', 'json'], { cwd: tmp.dir, timeout: 60_000 });
    expect(alice.exitCode, alice.stderr).toBe(0);
    expect(applyPreview(JSON.parse(alice.stdout) as Plan)).toEqual([{ clusters: ['one', 'two'], apply: expect.objectContaining({ unavailable: expect.stringMatching(/alice/) }) }]);
    const refused = await runCli(['plan', 'as.yaml', '--fleet', fleet, '--as-group', 'sre'], { cwd: tmp.dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--as-group needs --as');
  });
});
