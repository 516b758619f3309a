// Starts a real OpenSSH server on 127.0.0.1 for transport tests: generated host and user keys, its own config.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = process.env.OPSBOOK_SSHD ?? '/usr/sbin/sshd';

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  dir: string;
  identityFile: string;
  /** known_hosts with the server's real key. */
  knownHostsFile: string;
  /** known_hosts claiming another key for this host:port (a man-in-the-middle to refuse). */
  wrongKnownHostsFile: string;
  /** Successful logins so far (from sshd's own log): one per real connection. */
  logins(): number;
  stop(): Promise<void>;
}

/** Fails loudly (never skips) when sshd is not installed: CI installs openssh-server. */
export async function startSshd(): Promise<TestSshd> {
  if (!existsSync(SSHD_PATH)) {
    throw new Error(`sshd not found at ${SSHD_PATH}: install openssh-server (apt-get install openssh-server) or set OPSBOOK_SSHD`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'opsbook-sshd-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, file)]);
  keygen('host_key');
  keygen('other_host_key');
  keygen('user_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  const port = await findFreePort();
  const user = userInfo().username;
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'MaxSessions 50',
      'MaxStartups 50',
      '',
    ].join('\n'),
  );
  const hostLine = (keyFile: string) => `[127.0.0.1]:${port} ${readFileSync(join(dir, `${keyFile}.pub`), 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
  writeFileSync(join(dir, 'known_hosts'), hostLine('host_key'));
  writeFileSync(join(dir, 'wrong_known_hosts'), hostLine('other_host_key'));
  // sshd refuses to start without its privilege-separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true });

  const child: ChildProcess = spawn(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, () => child.exitCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sshd did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    identityFile: join(dir, 'user_key'),
    knownHostsFile: join(dir, 'known_hosts'),
    wrongKnownHostsFile: join(dir, 'wrong_known_hosts'),
    logins: () => (stderr.match(/Accepted publickey/g) ?? []).length,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// Start-up polling is test set-up, not a timing assertion: try to connect until sshd listens (or dies).
async function waitForPort(port: number, died: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (died()) throw new Error('sshd exited');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} never accepted connections`);
}
