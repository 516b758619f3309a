// Issue 16 through the real CLI: under heavy API faults each CSR approval is retried inside the attempt, so the
// approve steps succeed on their first attempt instead of burning the step's retries in seconds.

import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture } from './fixtures.js';

const NODES = 'nodes=["worker-0","worker-1","worker-2","worker-3"]';

describe('opsbook rehearse approve-csrs under heavy API faults', { timeout: 180_000 }, () => {
  it('approves every CSR in one attempt per approve step, with approval requests per CSR bounded', async () => {
    const args = ['rehearse', 'runbooks/approve-csrs.yaml', '--scenario', fixture('heavy-faults.yaml'), '--set', NODES];
    const plain = await runCli([...args, '--output', 'plain'], { timeout: 150_000 });
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/approve-client: attempt 1 succeeded/);
    expect(plain.stdout).toMatch(/approve-server: attempt 1 succeeded/);
    expect(plain.stdout).not.toMatch(/approve-(client|server): attempt \d+ failed/);
    expect(plain.stdout).toMatch(/csr-\w+: write failed \(.*\); retry 1 in /); // the faults really hit approvals

    const json = await runCli([...args, '--output', 'json'], { timeout: 150_000 });
    const report = JSON.parse(json.stdout);
    expect(report.outcome.status).toBe('succeeded');
    const approvals = report.cluster.requests.byVerbResource['update certificatesigningrequests/approval'] as number;
    expect(report.cluster.requests.faults['503']).toBeGreaterThan(0);
    // 8 CSRs (client + serving per worker), each written at most its per-CSR tries (8).
    expect(approvals).toBeLessThanOrEqual(8 * 8);
    expect(report.cluster.csrs.approved).toBe(8);
  });
});
