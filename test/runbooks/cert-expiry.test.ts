// The bundled weekly cert-expiry check through the real CLI on its scenarios: all certificates far from expiry → passes
// and notifies no one; the apiserver certificate expiring in 12 days → one JSON POST to the webhook (names and dates, no
// certificate material), then the run fails naming it; a webhook answering 500 does not hide the finding; failWithin is
// the threshold.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

const RUNBOOK = join(repoRoot, 'runbooks/cert-expiry.yaml');
const scenario = (name: string) => join(repoRoot, `runbooks/scenarios/${name}.yaml`);

let work: string;
let server: Server;
let hook: string;
let received: { method?: string; type?: string; body: string }[];
let answer: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'opsbook-cert-expiry-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, type: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cert-expiry`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  received = [];
  answer = 204;
});

const rehearse = (name: string, ...extra: string[]) =>
  runCli(['rehearse', RUNBOOK, '--scenario', scenario(name), '--output', 'json', ...extra], { timeout: 120_000, env: { OPSBOOK_STATE_DIR: join(work, 'state') } });
const outcomeOf = (stdout: string) => (JSON.parse(stdout) as { outcome: { status: string; error?: string } }).outcome;

describe('runbooks/cert-expiry.yaml', { timeout: 150_000 }, () => {
  it('passes when every certificate is far from expiry, and notifies no one', async () => {
    const r = await rehearse('certs-valid', '--set', `notifyUrl=${hook}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(outcomeOf(r.stdout).status).toBe('succeeded');
    expect(received).toEqual([]);
  });

  it('a certificate expiring within 30 days: the webhook gets one JSON summary, then the run fails naming it', async () => {
    const r = await rehearse('cert-expiring', '--set', `notifyUrl=${hook}`);
    expect(r.exitCode).toBe(1);
    expect(outcomeOf(r.stdout).error).toMatch(/^step expiring failed: 2 certificate\(s\) expired or expiring within 30d \(cp-1: apiserver; cp-2: apiserver; soonest \S+\): renew them with renew-control-plane-certs\.yaml$/);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', type: expect.stringContaining('application/json') });
    const body = JSON.parse(received[0]!.body) as Record<string, unknown>;
    expect(body).toEqual({
      runbook: 'cert-expiry',
      runId: expect.stringMatching(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/),
      failWithin: '30d',
      expiring: 2,
      expired: 0,
      soonestExpiry: expect.any(String),
      nodes: [
        { node: 'cp-1', certificates: [{ name: 'apiserver', expires: expect.any(String) }] },
        { node: 'cp-2', certificates: [{ name: 'apiserver', expires: expect.any(String) }] },
      ],
    });
    const daysLeft = (Date.parse(body.soonestExpiry as string) - Date.now()) / 86_400_000;
    expect(daysLeft).toBeGreaterThan(11);
    expect(daysLeft).toBeLessThanOrEqual(12);
    expect(received[0]!.body).not.toMatch(/BEGIN|PRIVATE/);
  });

  it('a webhook answering 500 is logged and the run still fails for the certificate', async () => {
    answer = 500;
    // 30× faster: the retries' 5 s and 10 s backoffs pass in half a second.
    const r = await rehearse('cert-expiring', '--set', `notifyUrl=${hook}`, '--time-scale', '30');
    expect(r.exitCode).toBe(1);
    expect(outcomeOf(r.stdout).error).toContain('step expiring failed: 2 certificate(s) expired or expiring within 30d');
    // Retried as the step's policy says for a 5xx (transient), then given up on.
    expect(received.length).toBe(3);
  });

  it('failWithin is the threshold: 10 days lets a certificate with 12 left pass', async () => {
    const r = await rehearse('cert-expiring', '--set', 'failWithin=10d');
    expect(r.exitCode, outcomeOf(r.stdout).error).toBe(0);
  });
});
