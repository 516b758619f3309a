// Restarts the static-pod control plane so it loads the renewed certificates: crictl stop, the kubelet recreates.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';
import type { Clock } from '../../time/clock.js';

/** In the order the procedure gives. `etcd-defrag` is deliberately not here (and never matched: names are anchored). */
export const CONTROL_PLANE_CONTAINERS = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'etcd'];

export interface RestartOptions {
  crictl: string;
  containers: string[];
  /** Tries per container stop when the runtime answers DeadlineExceeded. */
  attempts: number;
  retryDelayMs: number;
  clock: Clock;
  signal?: AbortSignal;
  log(line: string): void;
}

export interface Restarted {
  container: string;
  ids: string[];
}

const DEADLINE = /DeadlineExceeded|context deadline exceeded/i;

export async function restartControlPlane(node: NodeTransport, options: RestartOptions): Promise<Restarted[]> {
  const restarted: Restarted[] = [];
  for (const name of options.containers) {
    // crictl --name is a regular expression: anchor it so `etcd` never matches `etcd-defrag`.
    const ps = await node.runChecked([options.crictl, 'ps', '--name', `^${escapeRegex(name)}$`, '-q'], { signal: options.signal });
    const ids = ps.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    if (ids.length === 0) options.log(`${node.spec.name}: no running container named ${name}; nothing to restart`);
    for (const id of ids) await stopContainer(node, name, id, options);
    restarted.push({ container: name, ids });
  }
  return restarted;
}

async function stopContainer(node: NodeTransport, name: string, id: string, options: RestartOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const result = await node.run([options.crictl, 'stop', id], { signal: options.signal });
    if (result.exitCode === 0) {
      options.log(`${node.spec.name}: stopped ${name} (${id}); the kubelet recreates it`);
      return;
    }
    const output = `${result.stderr}\n${result.stdout}`.trim();
    if (!DEADLINE.test(output) || attempt >= options.attempts) {
      throw new StepError(`${node.spec.name}: crictl stop ${id} (${name}) failed after ${attempt} attempt(s): ${output.split('\n').slice(-1)[0]}`, {
        errorClass: DEADLINE.test(output) ? 'transient' : 'permanent',
      });
    }
    options.log(`${node.spec.name}: crictl stop ${id} (${name}): DeadlineExceeded, trying again (${attempt}/${options.attempts})`);
    await options.clock.sleep(options.retryDelayMs, options.signal);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
