import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeExecStep } from '../../../src/steps/certs/node-exec.js';
import { StepError } from '../../../src/errors.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { createPlanContext, createTestContext } from './context.js';

let sshd: TestSshd;
let dir: string;
beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'opsbook-node-exec-'));
});
afterAll(async () => {
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type NodeExecInput = Parameters<NonNullable<typeof nodeExecStep.normalize>>[0];

const params = (nodes: NonNullable<NodeExecInput['nodes']>, command: string[]) => {
  expect(nodeExecStep.check!({ nodes, command })).toEqual([]);
  return nodeExecStep.normalize!({ nodes, command });
};

describe('node-exec', () => {
  it('runs the command on each node through its transport: ssh sessions see SSH_CONNECTION, local ones do not', async () => {
    const ssh = { name: 'cp-ssh', transport: 'ssh' as const, host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile };
    const ctx = createTestContext({ env: {} });
    const out = await nodeExecStep.run(params([{ name: 'cp-local', transport: 'local' }, ssh], ['sh', '-c', 'echo "via:${SSH_CONNECTION:-none}"']), ctx);
    expect(out.nodes.map((n) => [n.node, n.exitCode])).toEqual([['cp-local', 0], ['cp-ssh', 0]]);
    expect(out.nodes[0]!.stdout.trim()).toBe('via:none');
    expect(out.nodes[1]!.stdout.trim()).toMatch(/^via:127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/);
    expect(ctx.logs).toContain('cp-local: via:none');
  }, 60_000);

  it('stops at the first node whose command fails (transient, with its stderr); later nodes are not touched', async () => {
    const runs = join(dir, 'runs');
    const command = ['sh', '-c', `echo ran >> '${runs}'; echo "Unable to connect to the server: x509: certificate has expired" >&2; exit 1`];
    const error = (await nodeExecStep.run(params([{ name: 'first' }, { name: 'second' }], command), createTestContext()).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.errorClass).toBe('transient');
    expect(error.message).toMatch(/^first: `sh -c .*` exited 1: Unable to connect to the server: x509: certificate has expired$/);
    expect(readFileSync(runs, 'utf8')).toBe('ran\n');
  });

  it('plan says what would run where, running nothing', async () => {
    const marker = join(dir, 'planned');
    const preview = await nodeExecStep.plan!(params([{ name: 'cp-1' }], ['touch', marker]), createPlanContext(createTestContext()));
    expect(preview.summary).toBe(`would run \`touch ${marker}\` on cp-1, one node at a time`);
    expect(existsSync(marker)).toBe(false);
  });
});
