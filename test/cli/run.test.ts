import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, journalEvents, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

describe('opsbook run (end to end)', { timeout: 120_000 }, () => {
  it('runs a runbook: exit 0, plain lines by default without a TTY, outputs flow between steps, journal written', async () => {
    const r = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z run \S+ started: cli-ok/m);
    expect(r.stdout).toContain('first | count+1=2 enabled=false names=a');
    expect(r.stdout).toContain('second | second saw 2');
    expect(r.stdout).toMatch(/run \S+ succeeded in /);
    const [id] = runIds(tmp.stateDir);
    const events = journalEvents(tmp.stateDir, id!);
    expect(events[0]!.type).toBe('run-start');
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
  });

  it('types --set values by the declared input type', async () => {
    const r = await runCli(
      ['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--output', 'json', '--set', 'count=41', '--set', 'enabled=true', '--set', 'names=x,y', '--set', 'window=90s'],
    );
    expect(r.exitCode).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].inputs).toEqual({ count: 41, enabled: true, names: ['x', 'y'], window: '90s' });
    expect(events.some((e) => e.type === 'step-log' && e.line === 'count+1=42 enabled=true names=x,y')).toBe(true);
  });

  it('reads inputs from --values (YAML), with --set taking precedence', async () => {
    const values = path.join(tmp.dir, 'values.yaml');
    writeFileSync(values, 'count: 5\nnames: [p, q]\nenabled: true\n');
    const r = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--output', 'json', '--values', values, '--set', 'count=7']);
    expect(r.exitCode).toBe(0);
    const start = JSON.parse(r.stdout.split('\n')[0]!);
    expect(start.inputs).toMatchObject({ count: 7, names: ['p', 'q'], enabled: true });
  });

  it('rejects a --set value of the wrong type with exit 2 before anything runs', async () => {
    const r = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--set', 'count=many']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/ok\.yaml:\d+:\d+: spec\.inputs\.count: --set count: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('--output json prints the journal records as NDJSON on stdout', async () => {
    const r = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--output', 'json']);
    expect(r.exitCode).toBe(0);
    const printed = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const [id] = runIds(tmp.stateDir);
    expect(printed).toEqual(journalEvents(tmp.stateDir, id!));
  });

  it('a failing run exits 1, names the failure and skips dependents', async () => {
    const r = await runCli(['run', fixture('fail.yaml'), '--state-dir', tmp.stateDir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('boom ! about to fail');
    expect(r.stdout).toMatch(/after: skipped: needs boom, which failed/);
    expect(r.stdout).toMatch(/run \S+ failed in [^:]+: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an invalid runbook exits 2 with every problem at file:line:col, and nothing runs', async () => {
    const r = await runCli(['run', fixture('invalid.yaml'), '--state-dir', tmp.stateDir]);
    expect(r.exitCode).toBe(2);
    const file = fixture('invalid.yaml');
    expect(r.stderr).toContain(`${file}:9:7: spec.steps[1]: unknown key 'need'`);
    expect(r.stderr).toContain(`${file}:12:15: spec.steps[2].needs[0]: `);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('usage errors exit 2 (unknown command, bad flag value, missing argument)', async () => {
    for (const args of [['frobnicate'], ['run', fixture('ok.yaml'), '--output', 'fancy'], ['run'], ['run', fixture('ok.yaml'), '--concurrency', '0']]) {
      const r = await runCli(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error|invalid|must/i);
    }
  });

  it('a missing runbook file is a usage problem (exit 2), not a crash', async () => {
    const r = await runCli(['run', '/nonexistent/runbook.yaml', '--state-dir', tmp.stateDir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('/nonexistent/runbook.yaml');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a manual gate without a terminal fails at once, naming --approve; with --approve it passes and the journal says who', async () => {
    const refused = await runCli(['run', fixture('gate.yaml'), '--state-dir', tmp.stateDir]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain('--approve confirm');
    const approved = await runCli(['run', fixture('gate.yaml'), '--state-dir', tmp.stateDir, '--approve', 'confirm']);
    expect(approved.exitCode).toBe(0);
    expect(approved.stdout).toContain('after | approved');
    const id = runIds(tmp.stateDir).at(-1)!;
    expect(journalEvents(tmp.stateDir, id).find((e) => e.type === 'step-approval')).toMatchObject({ stepId: 'confirm', approved: true, by: '--approve flag' });
  });

  it('help exits 0 and lists the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.exitCode).toBe(0);
    for (const c of ['validate', 'plan', 'run', 'resume', 'runs', 'steps', 'graph', 'schema']) expect(r.stdout).toContain(c);
  });
});
