// The node's container runtime as `crictl ps|stop` shows it; the kubelet recreates a stopped static-pod container.

import { createHash } from 'node:crypto';
import type { ProgramResult } from './kubeadm.js';
import { tabwrite } from './kubeadm.js';

export interface Container {
  id: string;
  name: string;
  podId: string;
  pod: string;
  image: string;
  attempt: number;
  state: 'Running' | 'Exited';
  createdAt: number;
}

export interface RuntimeHooks {
  now(): number;
  /** Called when a container stops (kube-apiserver stops serving). */
  stopped(name: string): void;
  /** The kubelet recreating a stopped container after its back-off; resolves when the new one runs. */
  recreate(name: string): Promise<void>;
}

/** docker/go-units HumanDuration, which crictl prints as CREATED ("About a minute ago"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** One node's containers; ids are derived from node, name and attempt, so a scenario replays the same ids. */
export class ContainerRuntime {
  readonly containers: Container[] = [];
  /** One entry per `crictl stop` that answers DeadlineExceeded, by container name. */
  private readonly deadlines: string[];

  constructor(private readonly node: string, names: string[], private readonly hooks: RuntimeHooks, options: { deadlineOnce?: string[] } = {}) {
    this.deadlines = [...(options.deadlineOnce ?? [])];
    for (const name of names) this.start(name, 0);
  }

  private start(name: string, attempt: number): Container {
    const hash = (text: string) => createHash('sha256').update(text).digest('hex');
    const pod = name === 'etcd-defrag' ? `etcd-defrag-${hash(this.node).slice(0, 5)}` : `${name}-${this.node}`;
    const container: Container = {
      id: hash(`${this.node}/${name}/${attempt}`),
      name,
      podId: hash(`pod/${pod}`),
      pod,
      image: `sha256:${hash(`image/${name}`)}`,
      attempt,
      state: 'Running',
      createdAt: this.hooks.now(),
    };
    this.containers.push(container);
    return container;
  }

  running(name: string): Container | undefined {
    return this.containers.find((c) => c.name === name && c.state === 'Running');
  }

  /** `crictl ARGS`. */
  async run(args: readonly string[]): Promise<ProgramResult> {
    const [command, ...rest] = args.filter((a) => !a.startsWith('--runtime-endpoint') && !a.startsWith('--timeout'));
    if (command === 'ps') return this.ps(rest);
    if (command === 'stop') return this.stop(rest);
    return { exitCode: 1, stdout: '', stderr: `FATA[0000] unknown command "${command ?? ''}" for "crictl"\n` };
  }

  private ps(args: string[]): ProgramResult {
    let name: RegExp | undefined;
    let quiet = false;
    let all = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      try {
        if (arg === '--name') name = new RegExp(args[++i] ?? '');
        else if (arg.startsWith('--name=')) name = new RegExp(arg.slice(7));
        else if (arg === '-q' || arg === '--quiet') quiet = true;
        else if (arg === '-a' || arg === '--all') all = true;
        else return { exitCode: 1, stdout: '', stderr: `FATA[0000] flag provided but not defined: ${arg}\n` };
      } catch (error) {
        return { exitCode: 1, stdout: '', stderr: `FATA[0000] listing containers: ${(error as Error).message}\n` };
      }
    }
    const shown = this.containers.filter((c) => (all || c.state === 'Running') && (!name || name.test(c.name))).sort((a, b) => b.createdAt - a.createdAt);
    if (quiet) return { exitCode: 0, stdout: shown.map((c) => `${c.id}\n`).join(''), stderr: '' };
    const now = this.hooks.now();
    const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD']];
    for (const c of shown) {
      rows.push([c.id.slice(0, 13), c.image.slice('sha256:'.length, 'sha256:'.length + 13), `${humanDuration(now - c.createdAt)} ago`, c.state, c.name, String(c.attempt), c.podId.slice(0, 13), c.pod]);
    }
    return { exitCode: 0, stdout: tabwrite(rows, 20), stderr: '' };
  }

  private stop(ids: string[]): ProgramResult {
    let stdout = '';
    for (const id of ids) {
      const matches = this.containers.filter((c) => c.id.startsWith(id));
      const container = matches.length === 1 ? matches[0] : undefined;
      if (!container) {
        return { exitCode: 1, stdout, stderr: `FATA[0000] stopping the container "${id}": rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found\n` };
      }
      const slow = this.deadlines.indexOf(container.name);
      if (slow >= 0) {
        this.deadlines.splice(slow, 1);
        return { exitCode: 1, stdout, stderr: `FATA[0002] stopping the container "${id}": rpc error: code = DeadlineExceeded desc = context deadline exceeded\n` };
      }
      if (container.state === 'Running') {
        container.state = 'Exited';
        this.hooks.stopped(container.name);
        // Static pods (and the DaemonSet's pod) are recreated by the kubelet with the next attempt number.
        void this.hooks.recreate(container.name).then(() => this.start(container.name, container.attempt + 1), () => {});
      }
      stdout += `${id}\n`;
    }
    return { exitCode: 0, stdout, stderr: '' };
  }
}
