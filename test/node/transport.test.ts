import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execProcess } from '../../src/proc/exec.js';
import { StepError } from '../../src/errors.js';
import { normalizeNode, openNode, quoteShellCommand, type NodeTransport } from '../../src/node/index.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let dir: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'opsbook-node-'));
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sshSpec = (extra: Record<string, unknown> = {}) =>
  normalizeNode({
    transport: 'ssh',
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.identityFile,
    knownHostsFile: sshd.knownHostsFile,
    connectTimeout: 5,
    ...extra,
  });

const transports: [string, () => NodeTransport][] = [
  ['local', () => openNode(normalizeNode({ transport: 'local' }), execProcess)],
  ['ssh', () => openNode(sshSpec(), execProcess)],
];

describe.each(transports)('%s transport', (label, open) => {
  it('runs argv verbatim, quoting spaces, quotes and shell metacharacters', async () => {
    const node = open();
    try {
      const weird = ["it's", 'a b', '$HOME', '`id`', '*', 'semi;colon', '"dq"', ''];
      const result = await node.run(['printf', '%s\\n', ...weird]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(weird.map((w) => `${w}\n`).join(''));
    } finally {
      await node.close();
    }
  });

  it('passes stdin and reports non-zero exits without throwing; runChecked throws a StepError', async () => {
    const node = open();
    try {
      const echoed = await node.run(['cat'], { input: 'from stdin\n' });
      expect(echoed.stdout).toBe('from stdin\n');
      const failed = await node.run(['sh', '-c', 'echo oops >&2; exit 7']);
      expect(failed.exitCode).toBe(7);
      await expect(node.runChecked(['sh', '-c', 'echo oops >&2; exit 7'])).rejects.toThrow(/exit code 7.*oops/);
    } finally {
      await node.close();
    }
  });

  it('reads, writes (atomically, keeping the mode), lists, checks and removes files', async () => {
    const node = open();
    const base = join(dir, label, 'sub dir');
    try {
      await node.mkdir(base);
      const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13, 61, 61]);
      const path = join(base, "file 'one'.bin");
      await node.writeFile(path, binary, { mode: 0o640 });
      expect(readFileSync(path)).toEqual(binary);
      expect(statSync(path).mode & 0o777).toBe(0o640);
      await node.writeFile(path, 'second');
      expect(readFileSync(path, 'utf8')).toBe('second');
      expect(statSync(path).mode & 0o777).toBe(0o640);
      expect(readdirSync(base)).toEqual(["file 'one'.bin"]);
      writeFileSync(join(base, 'empty'), '');

      const results = await node.readFiles([path, join(base, 'missing'), base, join(base, 'empty')]);
      expect(results.map((r) => r.problem)).toEqual([undefined, 'missing', 'unreadable', undefined]);
      expect(results[0]!.data!.toString()).toBe('second');
      expect(results[3]!.data!.length).toBe(0);
      await expect(node.readFile(join(base, 'missing'))).rejects.toThrow(/cannot read .*missing/);

      expect(await node.list(base)).toEqual(['empty', "file 'one'.bin"]);
      expect(await node.exists(path)).toBe(true);
      await node.remove(path);
      expect(await node.exists(path)).toBe(false);
      expect(existsSync(path)).toBe(false);
    } finally {
      await node.close();
    }
  });

  it('kills a command that outlives its timeout with a timeout-class error', async () => {
    const node = open();
    try {
      const error = await node.run(['sleep', '30'], { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepError);
      expect((error as StepError).errorClass).toBe('timeout');
    } finally {
      await node.close();
    }
  });

  it('stops when the caller aborts', async () => {
    const node = open();
    try {
      const controller = new AbortController();
      const running = node.run(['sleep', '30'], { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('cancelled by test')), 200);
      await expect(running).rejects.toThrow('cancelled by test');
    } finally {
      await node.close();
    }
  });
});

describe('ssh transport', () => {
  it('shares one connection across commands (multiplexing) and ends the master on close', async () => {
    const node = openNode(sshSpec(), execProcess);
    const before = sshd.logins();
    for (let i = 0; i < 5; i++) expect((await node.run(['echo', String(i)])).stdout).toBe(`${i}\n`);
    await node.readFiles(['/etc/hostname', '/nonexistent']);
    expect(sshd.logins() - before).toBe(1);
    const socket = controlSocket();
    expect((await execProcess('ssh', ['-o', `ControlPath=${socket}`, '-O', 'check', sshd.host])).exitCode).toBe(0);
    await node.close();
    await node.close();
    expect(existsSync(socket)).toBe(false);
    // A closed transport reconnects on demand.
    expect((await node.run(['true'])).exitCode).toBe(0);
    await node.close();
  });

  it('refuses a host whose key does not match known_hosts, as a permanent error', async () => {
    const node = openNode(sshSpec({ knownHostsFile: sshd.wrongKnownHostsFile }), execProcess);
    try {
      const error = await node.run(['true']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepError);
      expect((error as StepError).errorClass).toBe('permanent');
      expect((error as StepError).message).toMatch(/host key verification failed/);
    } finally {
      await node.close();
    }
  });

  it('refuses an unknown host by default (strict checking), and accept-new records it', async () => {
    const empty = join(dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const strict = openNode(sshSpec({ knownHostsFile: empty }), execProcess);
    await expect(strict.run(['true'])).rejects.toThrow(/host key verification failed/);
    await strict.close();
    const lenient = openNode(sshSpec({ knownHostsFile: empty, strictHostKeyChecking: 'accept-new' }), execProcess);
    expect((await lenient.run(['true'])).exitCode).toBe(0);
    await lenient.close();
    expect(readFileSync(empty, 'utf8')).toMatch(/ssh-ed25519 /);
    const again = openNode(sshSpec({ knownHostsFile: empty }), execProcess);
    expect((await again.run(['true'])).exitCode).toBe(0);
    await again.close();
  });

  it('reports a refused connection as transient', async () => {
    const node = openNode(sshSpec({ port: 1 }), execProcess);
    const error = (await node.run(['true']).catch((e: unknown) => e)) as StepError;
    await node.close();
    expect(error.errorClass).toBe('transient');
  });

  it('reports a bad identity as a permanent authentication failure', async () => {
    const node = openNode(sshSpec({ identityFile: join(sshd.dir, 'other_host_key') }), execProcess);
    const error = (await node.run(['true']).catch((e: unknown) => e)) as StepError;
    await node.close();
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toMatch(/authentication failed/);
  });
});

describe('local transport with sudo', () => {
  it('prefixes every command, file operations included, with `sudo -n --`', async () => {
    // A stand-in sudo on PATH (no real sudo here): records its argv and runs the command.
    const bin = join(dir, 'sudo-bin');
    const log = join(dir, 'sudo.log');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'sudo'), `#!/bin/sh\nprintf '%s %s %s\\n' "$1" "$2" "$3" >> '${log}'\n[ "$1" = -n ] && shift\n[ "$1" = -- ] && shift\nexec "$@"\n`, { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      const node = openNode(normalizeNode({ transport: 'local', sudo: true }), execProcess);
      expect((await node.run(['id', '-u'])).stdout.trim()).toMatch(/^\d+$/);
      await node.writeFile(join(dir, 'sudo-file'), 'x');
      expect((await node.readFile(join(dir, 'sudo-file'))).toString()).toBe('x');
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines).toEqual(['-n -- id', '-n -- sh', '-n -- sh']);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describe('quoteShellCommand', () => {
  it('round-trips through sh', async () => {
    const words = ["a'b", 'c d', '\\', '$(x)', '\n'];
    const result = await execProcess('sh', ['-c', `printf '%s|' ${quoteShellCommand(words)}`]);
    expect(result.stdout).toBe(words.map((w) => `${w}|`).join(''));
  });
});

function controlSocket(): string {
  const dirs = readdirSync(tmpdir()).filter((f) => f.startsWith('opsbook-ssh-'));
  for (const d of dirs) if (existsSync(join(tmpdir(), d, 'cm'))) return join(tmpdir(), d, 'cm');
  throw new Error('no control socket');
}
