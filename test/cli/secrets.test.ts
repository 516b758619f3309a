// Issue 16 "Secrets" through the real CLI: multi-line and encoded forms masked, the journal's structure untouched,
// short secrets and --set refused, a secret in argv warned about.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, journalEvents, journalText, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

/** Everything the run left in its state directory (journal, metadata …), as one text. */
function stateText(stateDir: string): string {
  return runIds(stateDir)
    .flatMap((id) => readdirSync(path.join(stateDir, 'runs', id)).map((f) => readFileSync(path.join(stateDir, 'runs', id, f), 'utf8')))
    .join('\n');
}

describe('secrets (end to end)', { timeout: 120_000 }, () => {
  it('masks every line of a multi-line secret read from a file (a PEM key) on the terminal and in the journal', async () => {
    const pem = [
      '-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
      'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
      '-----END PRIVATE KEY-----',
    ];
    writeFileSync(path.join(tmp.dir, 'key.pem'), `${pem.join('\n')}\n`);
    for (const output of ['plain', 'json']) {
      const r = await runCli(['run', fixture('secret-multiline.yaml'), '--state-dir', tmp.stateDir, '--output', output], { cwd: tmp.dir });
      expect(r.exitCode).toBe(1);
      for (const line of pem) expect(r.stdout + r.stderr).not.toContain(line);
    }
    const journal = stateText(tmp.stateDir);
    expect(journal).toContain('***');
    for (const line of pem) expect(journal).not.toContain(line);
  });

  it('keeps the journal intact when a secret equals one of its own words: runs lists the run and resume works', async () => {
    const env = { CLI_TEST_TOKEN: 'status' };
    const r = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir], { env });
    expect(r.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    const events = journalEvents(tmp.stateDir, runId!);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'failed' });
    expect(events.find((e) => e.type === 'step-log')).toMatchObject({ stepId: 'use', line: 'token is ***' });
    const listed = await runCli(['runs', '--state-dir', tmp.stateDir, '--output', 'json']);
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({ runId, status: 'failed' });
    const resumed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir], { env });
    expect(resumed.exitCode).toBe(1); // the `fail` step fails again, as it should
    expect(resumed.stdout).toContain('use: runs again');
    expect(resumed.stderr).not.toMatch(/empty|no events|not a journal/i);
  });

  it('refuses a secret too short to be masked (1 and 3 characters) before anything runs, naming the input and the minimum', async () => {
    for (const secret of ['x', 'abc']) {
      const r = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir], { env: { CLI_TEST_TOKEN: secret } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`spec.inputs.token: $CLI_TEST_TOKEN: a secret must be at least 6 characters long (got ${secret.length})`);
    }
    expect(existsSync(path.join(tmp.stateDir, 'runs')) ? runIds(tmp.stateDir) : []).toEqual([]);
  });

  it('refuses --set for a secret input (shell history, process list) and names its fromEnv instead', async () => {
    const secret = 's3cr3t-V4lue-xyz';
    const r = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir, '--set', `token=${secret}`], { env: { CLI_TEST_TOKEN: undefined } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('spec.inputs.token: --set cannot carry a secret');
    expect(r.stderr).toContain('set $CLI_TEST_TOKEN');
    expect(r.stderr).not.toContain(secret);
    expect(existsSync(path.join(tmp.stateDir, 'runs')) ? runIds(tmp.stateDir) : []).toEqual([]);
  });

  describe('http', () => {
    let server: Server;
    let base: string;
    beforeEach(async () => {
      // Echoes the request line back in a failure, as many APIs do.
      server = createServer((req, res) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `cannot serve ${req.url}` }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const token = 'Tok3n/With Space&Sym=+';
    const tenant = 'AcmeSecretTenant';
    const env = { CLI_TEST_TOKEN: token, CLI_TEST_TENANT: tenant };
    const forms = [token, encodeURIComponent(token), encodeURI(token), new URLSearchParams({ k: token }).toString().slice(2), tenant, tenant.toLowerCase()];

    it('masks a secret percent-encoded into the URL path and query in the step error and the journal', async () => {
      for (const output of ['plain', 'json']) {
        const r = await runCli(['run', fixture('secret-http.yaml'), '--state-dir', tmp.stateDir, '--set', `base=${base}`, '--output', output], { env });
        expect(r.exitCode).toBe(1);
        expect(r.stdout + r.stderr).toContain('/v1/***?key=***');
        for (const form of forms) expect(r.stdout + r.stderr).not.toContain(form);
      }
      const journal = stateText(tmp.stateDir);
      expect(journalText(tmp.stateDir, runIds(tmp.stateDir)[0]!)).toContain('/v1/***?key=***');
      for (const form of forms) expect(journal).not.toContain(form);
    });

    it('masks a secret lower-cased in a host name, and percent-encoded, in the plan preview', async () => {
      for (const output of ['plain', 'json']) {
        const r = await runCli(['plan', fixture('secret-http.yaml'), '--set', `base=${base}`, '--output', output], { env });
        expect(r.exitCode).toBe(0);
        expect(r.stdout).toContain('https://***.example/');
        for (const form of forms) expect(r.stdout + r.stderr).not.toContain(form);
      }
    });
  });

  it('warns, with its position, when a secret becomes a program argument (visible in ps), at validate and at run', async () => {
    const warning = /secret-argv\.yaml:11:\d+: warning: spec\.steps\[0\]\.with\.command\[1\]: secret input 'token' becomes a program argument.*pass it through env:/;
    const validated = await runCli(['validate', fixture('secret-argv.yaml')]);
    expect(validated.exitCode).toBe(0);
    expect(validated.stderr).toMatch(warning);
    const json = await runCli(['validate', fixture('secret-argv.yaml'), '--output', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, warnings: [{ path: 'spec.steps[0].with.command[1]', line: 11 }] });
    const run = await runCli(['run', fixture('secret-argv.yaml'), '--state-dir', tmp.stateDir], { env: { CLI_TEST_TOKEN: 's3cr3t-V4lue-xyz' } });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(warning);
    expect(run.stdout).toContain('--token=***');
    expect(run.stdout + run.stderr).not.toContain('s3cr3t-V4lue-xyz');
  });
});
