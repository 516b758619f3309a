// The node transport the simulation provides: a node's absolute paths live in its rootfs, and kubeadm, crictl and
// kubectl behave there as on the real machine (kubeadm and crictl in-process, kubectl and file tools for real).

import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { StepError } from '../../errors.js';
import type { NodeSpec, NodeTransport, ReadResult, RunOptions } from '../../node/index.js';
import type { Exec, ExecResult } from '../../proc/types.js';
import { runKubeadm, type KubeadmNode, type ProgramResult } from './kubeadm.js';
import type { ContainerRuntime } from './crictl.js';
import { hostPath } from './rootfs.js';

/** Programs run for real on the host, their absolute-path arguments mapped into the rootfs. */
const FILE_TOOLS = new Set(['sh', 'cat', 'ls', 'test', 'tar', 'openssl', 'base64', 'stat', 'mkdir', 'rm', 'cp', 'mv']);

/** What those programs (and the shell scripts steps run, e.g. the backup's) may call: nothing that reaches a network but kubectl. */
export const HOST_TOOLS = [...FILE_TOOLS, 'kubectl', 'gzip', 'dirname', 'basename', 'mktemp', 'chmod', 'touch', 'sha256sum', 'grep', 'head', 'tail', 'wc'];

export interface SimulatedNode extends KubeadmNode {
  name: string;
  runtime: ContainerRuntime;
  /** A directory holding only HOST_TOOLS: the PATH real programs run with, so a script cannot reach ssh or curl. */
  toolPath: string;
}

function result(command: string, program: ProgramResult): ExecResult {
  return { command, exitCode: program.exitCode, signal: undefined, stdout: program.stdout, stderr: program.stderr, pid: undefined };
}

const program = (argv0: string) => argv0.slice(argv0.lastIndexOf('/') + 1);

/** argv with every absolute path (and `--flag=/path`) moved into the rootfs. */
export function mapPaths(rootfs: string, args: readonly string[]): string[] {
  return args.map((arg) => {
    if (arg.startsWith('/')) return hostPath(rootfs, arg);
    const flag = /^(--?[A-Za-z][\w-]*=)(\/.*)$/.exec(arg);
    return flag ? `${flag[1]}${hostPath(rootfs, flag[2]!)}` : arg;
  });
}

/** kubectl flags whose value is a file on the node; every other argument (e.g. `--raw /readyz`) is left alone. */
const KUBECTL_PATH_FLAGS = new Set(['--kubeconfig', '-f', '--filename', '--certificate-authority', '--client-certificate', '--client-key']);

/** kubectl's argv with only its file flags' values moved into the rootfs. */
export function mapKubectlPaths(rootfs: string, args: readonly string[]): string[] {
  return args.map((arg, i) => {
    const eq = arg.indexOf('=');
    if (eq > 0 && KUBECTL_PATH_FLAGS.has(arg.slice(0, eq)) && arg[eq + 1] === '/') return `${arg.slice(0, eq + 1)}${hostPath(rootfs, arg.slice(eq + 1))}`;
    return i > 0 && KUBECTL_PATH_FLAGS.has(args[i - 1]!) && arg.startsWith('/') ? hostPath(rootfs, arg) : arg;
  });
}

/** A NodeTransport over a simulated node; `exec` runs the real programs (kubectl, sh, tar…). */
export function createSimulatedTransport(spec: NodeSpec, node: SimulatedNode, exec: Exec): NodeTransport {
  const path = (p: string) => hostPath(node.rootfs, p);
  const runReal = async (argv: readonly string[], options: RunOptions): Promise<ExecResult> => {
    const signals = [options.signal, options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
    const [file, ...args] = argv;
    // sh -c SCRIPT NAME ARGS…: the script stays as written, its arguments are paths on the node.
    const mapped =
      file === 'kubectl' ? mapKubectlPaths(node.rootfs, args)
        : file === 'sh' && args[0] === '-c' ? [args[0], args[1]!, ...mapPaths(node.rootfs, args.slice(2))]
          : mapPaths(node.rootfs, args);
    return exec(file!, mapped, {
      cwd: node.rootfs,
      // Anything a program caches under $HOME stays on the simulated node; only the node's tools are on PATH.
      env: { HOME: path('/root'), PATH: node.toolPath },
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    });
  };
  const run = async (argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> => {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    const words = argv[0] === 'sudo' ? argv.slice(argv.indexOf('--') + 1 || 2) : argv;
    const name = program(words[0] ?? '');
    const command = words.join(' ');
    if (name === 'kubeadm') return result(command, await runKubeadm(node, words.slice(1)));
    if (name === 'crictl') return result(command, await node.runtime.run(words.slice(1)));
    if (name === 'kubectl' || FILE_TOOLS.has(name)) {
      await mkdir(path('/root'), { recursive: true });
      return runReal([name, ...words.slice(1)], options);
    }
    return result(command, { exitCode: 127, stdout: '', stderr: `sh: 1: ${words[0] ?? ''}: not found\n` });
  };
  // In-process file work finishes at once, but a cancelled step must still stop before its next one, as over ssh.
  const checkSignal = (signal?: AbortSignal) => {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  };
  const failed = (what: string, error: unknown) =>
    new StepError(`${spec.name}: ${what} failed: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
  const readOne = async (p: string): Promise<ReadResult> => {
    try {
      const st = await stat(path(p));
      if (!st.isFile()) return { path: p, data: undefined, problem: 'unreadable' };
      return { path: p, data: await readFile(path(p)) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { path: p, data: undefined, problem: code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable' };
    }
  };
  const readFiles = async (paths: readonly string[], signal?: AbortSignal): Promise<ReadResult[]> => {
    checkSignal(signal);
    return Promise.all(paths.map(readOne));
  };
  return {
    spec,
    run,
    async runChecked(argv, options) {
      const answer = await run(argv, options);
      if (answer.exitCode !== 0) {
        const stderr = answer.stderr.trim().split('\n').slice(-5).join(' | ');
        throw new StepError(`${spec.name}: \`${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' …' : ''}\` failed (exit code ${answer.exitCode})${stderr ? `: ${stderr}` : ''}`, {
          errorClass: 'permanent',
          details: { node: spec.name, argv: [...argv], exitCode: answer.exitCode, stderr: answer.stderr },
        });
      }
      return answer;
    },
    readFiles,
    async readFile(p, signal) {
      const [file] = await readFiles([p], signal);
      if (!file?.data) throw new StepError(`${spec.name}: cannot read ${p}: ${file?.problem ?? 'missing'}`, { errorClass: 'permanent' });
      return file.data;
    },
    async writeFile(p, data, options = {}) {
      checkSignal(options.signal);
      const target = path(p);
      try {
        const mode = options.mode ?? (await stat(target).then((s) => s.mode & 0o777, () => 0o644));
        const temp = `${target}.opsbook-${process.pid}`;
        await writeFile(temp, data, { mode });
        await rename(temp, target);
      } catch (error) {
        throw failed(`writing ${p}`, error);
      }
    },
    async exists(p, signal) {
      checkSignal(signal);
      return lstat(path(p)).then(() => true, () => false);
    },
    async mkdir(p, signal) {
      checkSignal(signal);
      await mkdir(path(p), { recursive: true }).catch((error: unknown) => {
        throw failed(`mkdir ${p}`, error);
      });
    },
    async list(dir, signal) {
      checkSignal(signal);
      try {
        return (await readdir(path(dir))).sort();
      } catch (error) {
        throw failed(`listing ${dir}`, error);
      }
    },
    async remove(p, signal) {
      checkSignal(signal);
      await rm(path(p), { recursive: true, force: true });
    },
    async close() {},
  };
}
