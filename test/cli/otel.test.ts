// OpenTelemetry traces through the real CLI (issue 15): an OTLP/HTTP receiver on the loopback decodes what opsbook
// exports — spans per run, step and attempt in one trace, gate and refusal events, headers and service name honoured,
// no secret in the payload — and a collector that is down or never answers leaves the run's exit code and time alone.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { closedPort, startReceiver, type Receiver, type ReceivedSpan } from '../telemetry/receiver.js';
import { APPROVE_CSRS, startClusters, writeDeadKubeconfig, writeFleet } from './fleet-helpers.js';

const SECRET = 'otel-held-out-s3cret-value';

const RUNBOOK = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: traced }
spec:
  inputs:
    token: { type: secret, fromEnv: OTEL_TEST_TOKEN }
  steps:
    - id: flaky
      env: { TOKEN: "\${{ inputs.token }}", MARK: "\${{ run.id }}" }
      retry: { attempts: 3, backoff: { initial: 100ms }, on: [any] }
      run: |
        if [ ! -e "$OPSBOOK_OUTPUT.tried" ] && [ ! -e "$TMPDIR/$MARK" ]; then
          touch "$TMPDIR/$MARK"
          echo "not yet, token $TOKEN" >&2
          exit 1
        fi
        echo "leaked=$TOKEN" >> "$OPSBOOK_OUTPUT"
    - id: gate
      uses: pause
      with: { message: "go on?" }
      needs: [flaky]
    - id: done
      run: echo done
      needs: [gate]
`;

let dir: string;
let receiver: Receiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setUp(): { runbook: string; stateDir: string; env: Record<string, string> } {
  dir = mkdtempSync(path.join(tmpdir(), 'opsbook-otel-'));
  const runbook = path.join(dir, 'traced.yaml');
  writeFileSync(runbook, RUNBOOK);
  // Empty OTEL_* from the parent count as unset; TMPDIR gives the flaky step a place to remember its first try.
  return { runbook, stateDir: path.join(dir, 'state'), env: { OTEL_TEST_TOKEN: SECRET, TMPDIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '' } };
}

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('opsbook run with OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: 120_000 }, () => {
  it('exports one trace: a root span, a span per step, a child span per attempt, the gate as an event, headers and service name as configured, no secret', async () => {
    const { runbook, stateDir, env } = setUp();
    receiver = await startReceiver();
    const r = await runCli(['run', runbook, '--state-dir', stateDir, '--output', 'plain', '--approve', 'gate'], {
      env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-team-token=abc123,x-other=1', OTEL_SERVICE_NAME: 'ops-automation', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
    const spans = receiver.spans();
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);

    const [root, ...others] = byName(spans, 'run traced');
    expect(others).toEqual([]);
    expect(root!.parentSpanId).toBeUndefined();
    expect(root!.attributes).toMatchObject({ 'opsbook.runbook.name': 'traced', 'opsbook.run.status': 'succeeded', 'opsbook.runbook.path': runbook });
    expect(root!.attributes['opsbook.runbook.sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(root!.resource).toMatchObject({ 'service.name': 'ops-automation', 'deployment.environment': 'test' });

    const steps = spans.filter((s) => s.name.startsWith('step '));
    expect(steps.map((s) => s.name).sort()).toEqual(['step done', 'step flaky', 'step gate']);
    for (const step of steps) {
      expect(step.parentSpanId).toBe(root!.spanId);
      expect(step.startMs).toBeGreaterThanOrEqual(root!.startMs);
      expect(step.endMs).toBeLessThanOrEqual(root!.endMs);
    }
    const flaky = steps.find((s) => s.name === 'step flaky')!;
    expect(flaky.attributes).toMatchObject({ 'opsbook.step.type': 'shell', 'opsbook.step.status': 'succeeded' });
    const attempts = spans.filter((s) => s.parentSpanId === flaky.spanId).sort((a, b) => a.startMs - b.startMs);
    expect(attempts.map((a) => [a.name, a.attributes['opsbook.attempt.outcome']])).toEqual([['attempt 1', 'failed'], ['attempt 2', 'succeeded']]);
    expect(attempts[0]!.attributes).toMatchObject({ 'opsbook.attempt.max_attempts': 3, 'opsbook.attempt.retry_class': 'permanent' });
    expect(attempts[0]!.attributes['opsbook.attempt.timeout_ms']).toBeGreaterThan(0);
    expect(attempts[0]!.status.code).toBe(2); // ERROR
    expect(attempts[0]!.endMs).toBeLessThanOrEqual(attempts[1]!.startMs);

    const gate = steps.find((s) => s.name === 'step gate')!;
    const gateEvents = spans.filter((s) => s.parentSpanId === gate.spanId).flatMap((s) => s.events);
    expect(gateEvents.map((e) => [e.name, e.attributes['opsbook.gate.approved'], e.attributes['opsbook.gate.by']])).toEqual([['opsbook.gate', true, '--approve flag']]);

    const headers = receiver.requests.map((q) => q.headers);
    expect(headers.every((h) => h['x-team-token'] === 'abc123' && h['x-other'] === '1')).toBe(true);
    const payload = receiver.requests.map((q) => q.body).join('\n');
    expect(payload).toContain('***'); // the attempt's error, masked as in the journal
    expect(payload).not.toContain(SECRET);
  });

  it('rehearses approve-csrs on rogue-csrs: the refusals are span events with their reasons, on the rehearsal scenario\'s trace', async () => {
    setUp();
    receiver = await startReceiver();
    const r = await runCli(['rehearse', 'runbooks/approve-csrs.yaml', '--scenario', 'runbooks/scenarios/rogue-csrs.yaml', '--output', 'plain'], {
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SDK_DISABLED: '' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const spans = receiver.spans();
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const root = spans.find((s) => s.parentSpanId === undefined)!;
    expect(root.attributes).toMatchObject({ 'opsbook.runbook.name': 'approve-csrs', 'opsbook.rehearsal.scenario': 'rogue-csrs' });
    expect(String(root.attributes['opsbook.cluster.server'])).toMatch(/^https:\/\/127\.0\.0\.1:\d+/);
    const refusals = spans.flatMap((s) => s.events).filter((e) => e.name === 'opsbook.refusal');
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    for (const e of refusals) {
      expect(e.attributes['opsbook.refusal.csr']).toBeTruthy();
      expect(String(e.attributes['opsbook.refusal.reason'])).not.toBe('');
    }
    expect(refusals.map((e) => e.attributes['opsbook.refusal.node'])).toContain('evil-0');
    // Span times come from the simulation's clock: the steps fit inside the run however the clock was scaled.
    for (const s of spans) {
      expect(s.startMs).toBeGreaterThanOrEqual(root.startMs);
      expect(s.endMs).toBeLessThanOrEqual(root.endMs);
    }
  });
});

describe('opsbook run, then resume, with OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: 120_000 }, () => {
  it('exports a failed run\'s trace with the failure on its spans, then the resume\'s own trace: resumed_from set, the step done before a reused zero-length span', async () => {
    const { stateDir, env } = setUp();
    receiver = await startReceiver();
    const otel = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const runbook = path.join(repoRoot, 'test/cli/fixtures/resume.yaml');
    const first = await runCli(['run', runbook, '--state-dir', stateDir, '--output', 'plain', '--set', `dir=${dir}`], { env: otel });
    expect(first.exitCode, first.stderr).toBe(1);
    const failed = receiver.spans();
    const failedRoot = failed.find((s) => s.parentSpanId === undefined)!;
    expect(failedRoot.attributes['opsbook.run.status']).toBe('failed');
    expect(failedRoot.status.code).toBe(2);
    expect(failed.find((s) => s.name === 'step gate')!.attributes['opsbook.step.status']).toBe('failed');

    writeFileSync(path.join(dir, 'ready'), '');
    const runId = String(failedRoot.attributes['opsbook.run.id']);
    const resumed = await runCli(['resume', runId, '--state-dir', stateDir, '--output', 'plain'], { env: otel });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const second = receiver.spans().filter((s) => s.traceId !== failedRoot.traceId);
    expect(new Set(second.map((s) => s.traceId)).size).toBe(1);
    const root = second.find((s) => s.parentSpanId === undefined)!;
    expect(root.attributes).toMatchObject({ 'opsbook.run.resumed_from': runId, 'opsbook.run.status': 'succeeded' });
    const once = second.find((s) => s.name === 'step once')!;
    expect(once.attributes).toMatchObject({ 'opsbook.step.reused': true, 'opsbook.step.status': 'succeeded' });
    expect(once.endMs).toBe(once.startMs);
    expect(second.filter((s) => s.parentSpanId === once.spanId)).toEqual([]);
  });
});

describe('opsbook rehearse --clusters with OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: 180_000 }, () => {
  it('exports one trace for the fleet: a root span for the fleet, a span per wave and per cluster, each cluster\'s run with its steps below it', async () => {
    setUp();
    receiver = await startReceiver();
    const r = await runCli(['rehearse', 'runbooks/approve-csrs.yaml', '--scenario', 'runbooks/scenarios/two-workers.yaml', '--clusters', '3', '--max-parallel', '2', '--output', 'plain'], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '' },
      timeout: 170_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const spans = receiver.spans();
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const roots = spans.filter((s) => s.parentSpanId === undefined);
    expect(roots.map((s) => s.name)).toEqual(['fleet rehearsal of 3 clusters']);
    const root = roots[0]!;
    expect(root.attributes).toMatchObject({
      'opsbook.fleet.name': 'rehearsal of 3 clusters', 'opsbook.runbook.name': 'approve-csrs', 'opsbook.fleet.max_parallel': 2, 'opsbook.fleet.clusters': 3,
      'opsbook.fleet.status': 'succeeded', 'opsbook.fleet.succeeded': 3, 'opsbook.rehearsal.scenario': 'two-workers',
    });
    expect(String(root.attributes['opsbook.fleet.id'])).toMatch(/^fleet-/);
    expect(String(root.attributes['opsbook.runbook.sha256'])).toMatch(/^[0-9a-f]{64}$/);
    expect(root.attributes['opsbook.fleet.waves']).toBeGreaterThanOrEqual(1);
    const childrenOf = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

    const waves = childrenOf(root);
    expect(waves.length).toBe(root.attributes['opsbook.fleet.waves']);
    expect(waves.every((w) => /^wave \d+$/.test(w.name))).toBe(true);
    const clusters = waves.flatMap(childrenOf);
    expect(clusters.map((c) => c.name).sort()).toEqual(['cluster sim-1', 'cluster sim-2', 'cluster sim-3']);
    for (const cluster of clusters) {
      const name = cluster.name.slice('cluster '.length);
      expect(cluster.attributes).toMatchObject({ 'opsbook.fleet.cluster': name, 'opsbook.cluster.name': name, 'opsbook.cluster.status': 'succeeded', 'opsbook.fleet.id': root.attributes['opsbook.fleet.id'] });
      const [run, ...more] = childrenOf(cluster);
      expect(more).toEqual([]);
      expect(run!.name).toBe('run approve-csrs');
      expect(run!.attributes).toMatchObject({ 'opsbook.fleet.cluster': name, 'opsbook.run.id': cluster.attributes['opsbook.run.id'], 'opsbook.run.status': 'succeeded', 'opsbook.rehearsal.scenario': 'two-workers' });
      const steps = childrenOf(run!);
      expect(steps.length).toBeGreaterThan(1);
      expect(steps.every((s) => s.name.startsWith('step ') && s.attributes['opsbook.fleet.cluster'] === name)).toBe(true);
      expect(steps.flatMap(childrenOf).some((a) => a.name.startsWith('attempt '))).toBe(true);
    }
    // Every span is the fleet's: nothing else was exported.
    const counted = new Set([root, ...waves, ...clusters].map((s) => s.spanId));
    const below = (s: ReceivedSpan): boolean => s.parentSpanId !== undefined && (counted.has(s.parentSpanId) || below(spans.find((p) => p.spanId === s.parentSpanId)!));
    expect(spans.filter((s) => s !== root).every(below)).toBe(true);
  });
});

describe('opsbook run --fleet with OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: 180_000 }, () => {
  it('marks the failed cluster and the fleet failed on their spans, the spent budget as an event; a cluster that never started its run has no run span', async () => {
    const { stateDir } = setUp();
    receiver = await startReceiver();
    const sims = await startClusters(1);
    try {
      const fleet = writeFleet(path.join(dir, 'fleet.yaml'), [{ name: 'good', kubeconfig: sims[0]!.kubeconfigPath }, { name: 'dead', kubeconfig: writeDeadKubeconfig(path.join(dir, 'dead.kubeconfig'), sims[0]!) }], { strategy: '{waves: [1, 1], maxParallel: 1, maxFailures: 0}' });
      const r = await runCli(['run', APPROVE_CSRS, '--fleet', fleet, '--state-dir', stateDir, '--output', 'plain'], {
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '' },
        timeout: 120_000,
      });
      expect(r.exitCode, r.stderr).toBe(1);
      const spans = receiver.spans();
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
      const root = spans.find((s) => s.parentSpanId === undefined)!;
      expect(root.name).toBe('fleet test-fleet');
      expect(root.attributes).toMatchObject({ 'opsbook.fleet.status': 'failed', 'opsbook.fleet.failed': 1, 'opsbook.fleet.succeeded': 1, 'opsbook.fleet.waves': 2 });
      expect(root.status.code).toBe(2);
      expect(root.events.map((e) => e.name)).toContain('opsbook.fleet.budget_exceeded');
      const byName = (name: string) => spans.find((s) => s.name === name)!;
      const [wave1, wave2] = [byName('wave 1'), byName('wave 2')];
      expect([wave1.parentSpanId, wave2.parentSpanId]).toEqual([root.spanId, root.spanId]);
      const [good, dead] = [byName('cluster good'), byName('cluster dead')];
      expect([good.parentSpanId, dead.parentSpanId]).toEqual([wave1.spanId, wave2.spanId]);
      expect(good.attributes['opsbook.cluster.status']).toBe('succeeded');
      expect(dead.attributes['opsbook.cluster.status']).toBe('failed');
      expect(String(dead.attributes['opsbook.cluster.error'])).toContain('cannot reach cluster dead');
      expect(dead.status.code).toBe(2);
      expect(spans.filter((s) => s.parentSpanId === good.spanId).map((s) => s.name)).toEqual(['run approve-csrs']);
      expect(spans.filter((s) => s.parentSpanId === dead.spanId)).toEqual([]);
    } finally {
      await Promise.all(sims.map((s) => s.stop()));
    }
  });
});

describe('opsbook run with OTEL_TRACES_SAMPLER', { timeout: 120_000 }, () => {
  it('exports nothing with always_off, and the run is as usual', async () => {
    const { runbook, stateDir, env } = setUp();
    receiver = await startReceiver();
    const r = await runCli(['run', runbook, '--state-dir', stateDir, '--output', 'plain', '--approve', 'gate'], { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
    expect(receiver.spans()).toEqual([]);
  });
});

describe('opsbook run with a collector that is down', { timeout: 120_000 }, () => {
  /** The run's wall time and result. */
  const timed = async (args: string[], env: Record<string, string>) => {
    const started = Date.now();
    const r = await runCli(args, { env });
    return { ...r, ms: Date.now() - started };
  };

  it('exits 0 with one warning, within its normal time plus the 2 s bound, when nothing listens or the collector never answers', async () => {
    const { runbook, stateDir, env } = setUp();
    const args = ['run', runbook, '--state-dir', stateDir, '--output', 'plain', '--approve', 'gate'];
    const baseline = await timed(args, env);
    expect(baseline.exitCode, baseline.stderr).toBe(0);
    const silent = await startReceiver({ answer: false });
    receiver = silent;
    for (const endpoint of [`http://127.0.0.1:${await closedPort()}`, silent.url]) {
      const r = await timed(args, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      expect(r.exitCode, r.stderr).toBe(0);
      const warnings = r.stderr.split('\n').filter((line) => line.includes('warning'));
      expect(warnings, r.stderr).toHaveLength(1);
      expect(warnings[0]).toContain(`traces not exported to ${endpoint}/v1/traces`);
      // Generous: the bound is 2 s; the rest is slack for a shared machine, far below the exporter's own 10 s default.
      expect(r.ms).toBeLessThan(baseline.ms + 2_000 + 6_000);
    }
    expect(silent.requests.length).toBeGreaterThan(0);
  });
});

describe('opsbook without an OTLP endpoint', { timeout: 120_000 }, () => {
  it('never loads an OpenTelemetry package (and does when the endpoint is set)', async () => {
    const { runbook, stateDir, env } = setUp();
    // Lists, at exit, every CommonJS module loaded: the OpenTelemetry packages are CommonJS, imported or required.
    const hook = path.join(dir, 'modules-hook.mjs');
    writeFileSync(
      hook,
      "import { createRequire } from 'node:module'; import { writeFileSync } from 'node:fs';\n" +
        "const require = createRequire(import.meta.url);\n" +
        "process.on('exit', () => writeFileSync(process.env.OPSBOOK_TEST_MODULES, Object.keys(require.cache).join('\\n')));\n",
    );
    const loaded = async (extra: Record<string, string>) => {
      const out = path.join(dir, `modules-${Object.keys(extra).length}.txt`);
      const r = await runCli(['run', runbook, '--state-dir', stateDir, '--output', 'plain', '--approve', 'gate'], {
        env: { ...env, ...extra, OPSBOOK_TEST_MODULES: out, NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` },
      });
      expect(r.exitCode, r.stderr).toBe(0);
      return readFileSync(out, 'utf8').split('\n').filter((m) => m.includes(`${path.sep}@opentelemetry${path.sep}`));
    };
    expect(await loaded({})).toEqual([]);
    receiver = await startReceiver();
    expect((await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })).length).toBeGreaterThan(0);
    expect(await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' })).toEqual([]);
  });
});
