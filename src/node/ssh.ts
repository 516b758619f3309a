// The `ssh` transport: the system OpenSSH client, one multiplexed master connection per transport.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepError } from '../errors.js';
import type { Exec, ExecResult } from '../proc/types.js';
import { quoteShellCommand } from './quote.js';
import { createTransport } from './transport.js';
import { runProcess } from './run-process.js';
import type { NodeSpec, NodeTransport } from './types.js';

/** How long the master outlives its last command; close() ends it sooner. */
const CONTROL_PERSIST_SECONDS = 120;

/** ssh options shared by every invocation (commands and the final `-O exit`). */
export function buildSshOptions(spec: NodeSpec, controlPath: string): string[] {
  const options = [
    '-o', 'BatchMode=yes',
    '-o', `StrictHostKeyChecking=${spec.strictHostKeyChecking}`,
    '-o', `ConnectTimeout=${spec.connectTimeout}`,
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${controlPath}`,
    '-o', `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
    '-o', 'ServerAliveInterval=15',
    '-o', 'LogLevel=ERROR',
    '-p', String(spec.port),
  ];
  if (spec.knownHostsFile) options.push('-o', `UserKnownHostsFile=${spec.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null');
  if (spec.identityFile) options.push('-i', spec.identityFile, '-o', 'IdentitiesOnly=yes');
  if (spec.user) options.push('-l', spec.user);
  return options;
}

export function createSshTransport(spec: NodeSpec, exec: Exec): NodeTransport {
  let controlDir: Promise<string> | undefined;
  const getControlDir = () => (controlDir ??= mkdtemp(join(tmpdir(), 'opsbook-ssh-')));

  const sshArgs = async (command: string) => {
    const dir = await getControlDir();
    return [...buildSshOptions(spec, join(dir, 'cm')), '-T', spec.host, '--', command];
  };

  // A multiplexed session's stdio belongs to the master, so killing our ssh client does not end the remote
  // command (and our pipes stay open): the remote session records its process group and we kill that.
  let connected: Promise<void> | undefined;
  // The master is opened by a trivial first command, so a command's own timeout never races the handshake.
  const connect = (signal?: AbortSignal) =>
    (connected ??= (async () => {
      const result = await runProcess(exec, 'ssh', await sshArgs('true'), { signal, timeoutMs: (spec.connectTimeout + 5) * 1000 }, spec.name);
      if (result.exitCode !== 0) throw sshFailure(spec, result);
    })().catch((error: unknown) => {
      connected = undefined;
      throw error;
    }));

  const runRaw = async (argv: readonly string[], options: Parameters<typeof runProcess>[3]) => {
    await connect(options.signal);
    const pidFile = `/tmp/opsbook-${randomBytes(8).toString('hex')}.pid`;
    const wrapped = `echo $$ > ${pidFile}; ${quoteShellCommand(argv)}; rc=$?; rm -f ${pidFile}; exit $rc`;
    const stopRemote = () => void killRemote(pidFile);
    const signals = [options.signal, options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)];
    const watched = signals.filter((s): s is AbortSignal => s !== undefined);
    watched.forEach((s) => s.addEventListener('abort', stopRemote, { once: true }));
    try {
      const result = await runProcess(exec, 'ssh', await sshArgs(wrapped), options, spec.name);
      if (result.exitCode === 255) throw sshFailure(spec, result);
      return result;
    } finally {
      watched.forEach((s) => s.removeEventListener('abort', stopRemote));
    }
  };

  const killRemote = async (pidFile: string) => {
    // The command may still be starting when the abort comes: give its pid file a moment to appear.
    const kill = `for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do if [ -f ${pidFile} ]; then kill -TERM -- -$(cat ${pidFile}); rm -f ${pidFile}; exit 0; fi; sleep 0.1; done`;
    const command = spec.sudo ? quoteShellCommand(['sudo', '-n', 'sh', '-c', kill]) : kill;
    try {
      await exec('ssh', await sshArgs(command), { signal: AbortSignal.timeout(10_000) });
    } catch {
      // Best effort: the connection itself may be what failed.
    }
  };

  const close = async () => {
    if (!controlDir) return;
    const dir = await controlDir;
    controlDir = undefined;
    connected = undefined;
    try {
      await exec('ssh', [...buildSshOptions(spec, join(dir, 'cm')), '-O', 'exit', spec.host], {
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      // The master may never have started (first connection failed): nothing to stop.
    }
    await rm(dir, { recursive: true, force: true });
  };

  return createTransport(spec, runRaw, close);
}

/** ssh exits 255 for its own failures: host keys and authentication are permanent, the network is transient. */
export function sshFailure(spec: NodeSpec, result: ExecResult): StepError {
  const stderr = result.stderr.trim();
  const where = `${spec.user ? `${spec.user}@` : ''}${spec.host}:${spec.port}`;
  const details = { node: spec.name, host: spec.host, port: spec.port, stderr };
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key for .* has changed|No .*host key is known/i.test(stderr)) {
    return new StepError(
      `${spec.name}: host key verification failed for ${where} — the server's key does not match ` +
        `${spec.knownHostsFile ?? 'known_hosts'} (or is unknown). Verify the key out of band and update known_hosts; opsbook never bypasses this check.`,
      { errorClass: 'permanent', details },
    );
  }
  if (/Permission denied|Too many authentication failures/i.test(stderr)) {
    return new StepError(`${spec.name}: ssh authentication failed for ${where}: ${lastLine(stderr)}`, { errorClass: 'permanent', details });
  }
  return new StepError(`${spec.name}: ssh connection to ${where} failed: ${lastLine(stderr) || 'exit code 255'}`, {
    errorClass: 'transient',
    details,
  });
}

function lastLine(text: string): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(-1)[0] ?? '';
}
