// Held-out secrets against this session's new sinks: a fleet run kept in the cluster (the gzip-compressed fleet
// ConfigMap, every cluster's run summary and journal, the Leases), its OTel fleet spans, its output and report, and
// `export argo` / `submit --print` run with the secret in their environment. The env secret, a cluster input that
// embeds it, and the bearer tokens of both kubeconfigs are searched raw, JSON-escaped, URL-encoded and base64.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { startReceiver, type Receiver } from '../telemetry/receiver.js';
import { fixture, makeTempDir, type TempDir } from './fixtures.js';
import { fleetIdIn, startClusters, writeFleet } from './fleet-helpers.js';
import { formsOf } from '../helpers/secret-forms.js';

const unpack = promisify(gunzip);
const TOKEN = 'tok-sinks-9b4e61c0';
const NS = 'secret-sinks';

const RUNBOOK = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: secret-sinks }
spec:
  inputs:
    token: { type: secret, fromEnv: SINKS_TOKEN }
    note: { type: string, default: none }
  steps:
    - id: use
      env: { TOKEN: "\${{ inputs.token }}", NOTE: "\${{ inputs.note }}" }
      run: |
        echo "token is $TOKEN, note $NOTE"
        echo "stderr token $TOKEN" >&2
        echo "leak=$TOKEN" >> "$OPSBOOK_OUTPUT"
    - id: fail
      needs: [use]
      env: { TOKEN: "\${{ inputs.token }}" }
      run: echo "failing with $TOKEN" >&2; exit 1
`;

let management: TestCluster;
let sims: Simulation[] = [];
let tmp: TempDir;
let receiver: Receiver | undefined;

/** The env secret and the credentials of every kubeconfig in play: none may leave opsbook. */
const heldOut = () => [TOKEN, management.sim.adminToken, ...sims.map((s) => s.adminToken)];
const expectNoSecret = (text: string, where: string) => {
  for (const secret of heldOut()) for (const { form, text: encoded } of formsOf(secret)) expect(text.includes(encoded), `${where} holds ${secret.slice(0, 8)}… (${form})`).toBe(false);
};

beforeAll(async () => {
  management = await startTestCluster();
  await management.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await management?.stop();
});
beforeEach(() => (tmp = makeTempDir()));
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  tmp.cleanup();
});

/** Every object of every listable namespaced resource in NS as kubectl prints it, with each binaryData value also gunzipped. */
async function namespaceObjects(): Promise<{ text: string; unpacked: string[] }> {
  const kubectl = (...args: string[]) => execa('kubectl', ['--kubeconfig', management.sim.kubeconfigPath, ...args]);
  const resources = (await kubectl('api-resources', '--verbs=list', '--namespaced', '-o', 'name')).stdout.split('\n').filter(Boolean);
  const text = (await kubectl('get', resources.join(','), '-n', NS, '-o', 'json')).stdout;
  const items = (JSON.parse(text) as { items: { binaryData?: Record<string, string> }[] }).items;
  const unpacked: string[] = [];
  for (const item of items) {
    for (const value of Object.values(item.binaryData ?? {})) {
      const bytes = Buffer.from(value, 'base64');
      // gzip's magic number: what opsbook compresses (the fleet record) is searched decompressed too.
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) unpacked.push((await unpack(bytes)).toString('utf8'));
    }
  }
  return { text, unpacked };
}

describe('held-out secrets through a fleet run kept in the cluster (end to end)', { timeout: 180_000 }, () => {
  it('neither the fleet ConfigMap (decompressed), the run summaries, the OTel fleet spans, the report nor the output holds a secret', async () => {
    sims = await startClusters(1);
    const runbook = path.join(tmp.dir, 'sinks.yaml');
    writeFileSync(runbook, RUNBOOK);
    // The cluster's own input embeds the secret: the engine masks a public input holding a secret's value, so must the fleet record.
    const fleet = writeFleet(path.join(tmp.dir, 'fleet.yaml'), [{ name: 'c1', kubeconfig: sims[0]!.kubeconfigPath, inputs: { note: `ticket ${TOKEN}` } }]);
    receiver = await startReceiver();
    const report = path.join(tmp.dir, 'report.html');
    const r = await runCli(
      ['run', runbook, '--fleet', fleet, '--state', `kubernetes://${NS}`, '--kubeconfig', management.sim.kubeconfigPath, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', report],
      { env: { SINKS_TOKEN: TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '' }, timeout: 120_000 },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    // The run did see the secret (masked), so each sink had it to leak.
    expect(r.stdout).toContain('[c1] use | token is ***');
    expectNoSecret(r.stdout + r.stderr, 'the fleet run\'s output');

    const fleetId = fleetIdIn(r.stdout);
    const { text, unpacked } = await namespaceObjects();
    const record = unpacked.find((u) => u.includes(`"fleetId":"${fleetId}"`));
    expect(record, 'the fleet record, decompressed').toBeDefined();
    expect(record).toContain('"note":"ticket ***"');
    // The ended cluster run's summary (metadata ConfigMap, key summary.json) is among what is searched.
    expect(text).toContain('summary.json');
    expectNoSecret(text, 'the namespace');
    for (const u of unpacked) expectNoSecret(u, 'a decompressed binaryData value');

    const spans = receiver.requests.filter((q) => q.path === '/v1/traces').map((q) => q.body).join('\n');
    expect(spans).toContain(fleetId);
    expectNoSecret(spans, 'the OTLP payload');

    // `runs` reads the summaries back; `report` renders a cluster's run from the namespace.
    const runs = await runCli(['runs', '--state', `kubernetes://${NS}`, '--kubeconfig', management.sim.kubeconfigPath, '--state-dir', tmp.stateDir, '--output', 'json']);
    expect(runs.exitCode, runs.stderr).toBe(0);
    expectNoSecret(runs.stdout + runs.stderr, 'runs --output json');
    expectNoSecret(readFileSync(report, 'utf8'), 'the --report file');
  });
});

describe('held-out secrets in commands that write manifests', { timeout: 60_000 }, () => {
  it('export argo and submit --print never read a secret from the environment: the manifests name a Secret key only', async () => {
    sims = await startClusters(1);
    const env = { SUBMIT_TEST_TOKEN: TOKEN, MAPPING_TOKEN: TOKEN, KUBECONFIG: sims[0]!.kubeconfigPath };
    const exported = await runCli(['export', 'argo', path.join(repoRoot, 'test/fixtures/argo/mapping.yaml'), '--namespace', 'default', '--kubeconfig-secret', 'prod-kubeconfig'], { env });
    expect(exported.exitCode, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('secretKeyRef');
    expectNoSecret(exported.stdout + exported.stderr, 'export argo');
    for (const extra of [[], ['--schedule', '0 6 * * 1']]) {
      const submitted = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', sims[0]!.kubeconfigPath, '--set', 'dir=/work/x', '--secret-from', 'token=tokens/token', '--print', ...extra], { env });
      expect(submitted.exitCode, submitted.stderr).toBe(0);
      expect(submitted.stdout).toContain(extra.length > 0 ? 'kind: CronJob' : 'kind: Job');
      expect(submitted.stdout).toContain('secretKeyRef');
      expectNoSecret(submitted.stdout + submitted.stderr, `submit --print ${extra.join(' ')}`);
    }
  });
});
