// The simulated kubelet for workload pods: a pod of a known image runs as a local process (args, env, mounted ConfigMaps/Secrets mapped to a
// temporary directory); its output is the pod log, its exit code the pod phase (restartPolicy Never), or a restart in the same pod after a
// back-off (OnFailure, Always); deleting the pod sends SIGTERM, then SIGKILL after the grace period, and only then is the pod removed.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTROLLER, type ClusterAccess } from '../actors/access.js';
import type { Scheduler } from '../actors/schedule.js';
import type { Json } from '../json.js';
import type { KObject, StoreEvent } from '../store/types.js';
import { buildNode } from '../actors/objects.js';
import { registerPodLogs } from './pod-logs.js';
import { unfitReason, unschedulableMessage } from './scheduling.js';

export interface PodImage {
  /** The image's entrypoint as a local command (e.g. node and the current build's CLI). */
  command: string[];
  /** Extra environment the local process needs (PATH, a loader); the pod's own env comes on top. */
  env?: Record<string, string>;
}

export interface PodRunnerOptions {
  /** Images the simulated node can "pull", by exact reference; any other image stays Pending in ErrImagePull/ImagePullBackOff. */
  images: Record<string, PodImage>;
  /** The node this kubelet runs, registered as a Node object unless one exists. @default 'sim-worker' */
  nodeName?: string;
  /** Nodes this kubelet runs, each registered unless it exists (a new pod is bound to the first Ready, schedulable one whose taints it tolerates); replaces nodeName. */
  nodeNames?: string[];
  /** Kubernetes version the kubelet's Node objects report. @default 'v1.31.0' */
  kubeletVersion?: string;
  /** Grace period (ms) of a pod that sets no terminationGracePeriodSeconds. @default 30000, as the API's default */
  gracePeriodMs?: number;
  /** Wait before the n-th restart of a container (restartPolicy OnFailure/Always). @default 10 s doubling, capped at 5 min, as the kubelet's */
  restartDelayMs?: (restarts: number) => number;
}

/** Why a container is killed from outside, as its terminated state reports it (exit 137 either way). */
export type KillReason = 'OOMKilled' | 'Error';

interface Running {
  child: ChildProcess;
  dir: string;
  namespace: string;
  name: string;
  /** The runner stops: the process ends and nothing is reported. */
  stopping: boolean;
  /** The pod is being deleted: once the process ended its status is reported and the pod removed. */
  deleting: boolean;
  /** The node the pod runs on. */
  node: string;
  /** Set by kill(): the terminated state's reason. */
  killed?: KillReason;
}

export interface PodRunner {
  /** The pod's log so far (stdout and stderr interleaved as they came), or undefined for a pod never run. */
  log(namespace: string, name: string): string | undefined;
  /** Subscribes to a pod's new log text until its process ends; returns unsubscribe. */
  follow(namespace: string, name: string, onText: (text: string) => void, onEnd: () => void): () => void;
  /** The pid of the pod's running container process (its main process), or undefined. */
  pid(namespace: string, name: string): number | undefined;
  /**
   * SIGKILL to every process of the pod's container at once, as the runtime does on an OOM kill or `crictl stop -t 0`; the container
   * ends with exit 137 and `reason`, and the pod follows its restartPolicy. false when nothing runs for that pod.
   */
  kill(namespace: string, name: string, reason?: KillReason): boolean;
  /** The grace period (ms) a deleted pod's running container gets; undefined when none runs (a pod on a dead node still gets it: the API server cannot tell). */
  terminationGraceMs(namespace: string, name: string): number | undefined;
  /**
   * Power loss of `node`: SIGKILL to every container on it at once, and its kubelet reports nothing more (no status, no removal)
   * until revived; node-lifecycle.ts stops its heartbeat. false for a node this kubelet does not run or one already dead.
   */
  killNode(node: string): boolean;
  /** The node boots again: its kubelet reports the containers it lost (ContainerStatusUnknown) and starts pods bound to it meanwhile. */
  reviveNode(node: string): boolean;
  /** Whether `node` is one of this kubelet's and up. */
  isNodeAlive(node: string): boolean;
  /** The nodes this kubelet runs. */
  readonly nodes: readonly string[];
  /** Settles once the kubelet has registered its nodes as Node objects (those that did not exist yet). */
  readonly registered: Promise<void>;
  stop(): void;
}

type Pod = KObject & { spec: Json; status?: Json };

const defaultRestartDelay = (restarts: number) => Math.min(10_000 * 2 ** Math.max(0, restarts - 1), 300_000);

/**
 * SIGKILL to the container's process group and every process descended from its main process (steps in groups of their own
 * included), all at once: what ending a container's cgroup or pid namespace does, which a process group alone does not reach.
 */
function killContainer(entry: { child: ChildProcess }): void {
  const pid = entry.child.pid;
  if (pid === undefined) return;
  for (const target of [-pid, ...descendantsOf(pid)]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Every live process below `pid`, from the parent pids in /proc (empty where /proc cannot be read). */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which may hold spaces and parentheses: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // ended while we looked
    }
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/** The downward API's metadata fields (name, namespace, uid, a label or an annotation). */
function resolveFieldRef(pod: Pod, fieldPath: string): string | undefined {
  const keyed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(fieldPath);
  if (keyed) return (pod.metadata[keyed[1]!] as Record<string, string> | undefined)?.[keyed[2]!];
  if (fieldPath === 'metadata.name' || fieldPath === 'metadata.namespace' || fieldPath === 'metadata.uid') return pod.metadata[fieldPath.slice('metadata.'.length)] as string | undefined;
  if (fieldPath === 'spec.nodeName' || fieldPath === 'spec.serviceAccountName') return pod.spec[fieldPath.slice('spec.'.length)] as string | undefined;
  return undefined;
}

/** Starts running the pods that are created; returns the runner (logs, stop). */
export function startPodRunner(access: ClusterAccess, scheduler: Scheduler, options: PodRunnerOptions): PodRunner {
  const running = new Map<string, Running>();
  const root = mkdtempSync(path.join(tmpdir(), 'opsbook-node-'));
  const logs = new Map<string, string>();
  const followers = new Map<string, Set<{ onText: (t: string) => void; onEnd: () => void }>>();
  const started = new Set<string>();
  const unscheduled = new Map<string, Pod>();
  let stopped = false;
  const nodeNames = options.nodeNames ?? [options.nodeName ?? 'sim-worker'];
  const dead = new Set<string>();
  // Pods whose container was lost with their node, and pods bound to a dead node before it was seen NotReady, by key.
  const lost = new Map<string, { pod: Pod; node: string; restartCount: number }>();
  const awaiting = new Map<string, { pod: Pod; node: string }>();
  /**
   * The scheduler's choice among this kubelet's nodes: the first whose Node object exists, is Ready, schedulable and has no taint the pod
   * does not tolerate; otherwise kube-scheduler's message saying why (nodes no kubelet of ours runs are not candidates).
   */
  const pickNode = (pod: Pod): { node: string } | { message: string } => {
    const reasons: string[] = [];
    for (const name of nodeNames) {
      const node = access.peek('nodes', undefined, name);
      if (!node) continue;
      const reason = unfitReason(node, pod);
      if (reason === undefined) return { node: name };
      reasons.push(reason);
    }
    return { message: unschedulableMessage(reasons) };
  };
  const asNode = (name: string) => access.as({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
  // As a kubelet registers itself: a pod is only ever bound to a node `kubectl get nodes` shows (and `kubectl drain` can find).
  const registered = (async () => {
    for (const name of nodeNames) {
      if (access.peek('nodes', undefined, name)) continue;
      await asNode(name).create('nodes', buildNode({ name, roles: ['worker'], addresses: [{ type: 'Hostname', address: name }], labels: {}, ready: true, kubeletVersion: options.kubeletVersion ?? 'v1.31.0' }, scheduler.clock.now()));
    }
  })().catch((error: unknown) => scheduler.report(error, 'kubelet node registration'));
  const key = (namespace: string, name: string) => `${namespace}/${name}`;

  const append = (k: string, text: string) => {
    logs.set(k, (logs.get(k) ?? '') + text);
    for (const f of followers.get(k) ?? []) f.onText(text);
  };
  const ended = (k: string) => {
    for (const f of followers.get(k) ?? []) f.onEnd();
    followers.delete(k);
  };

  async function setStatus(pod: Pod, status: Json): Promise<void> {
    await access.updateStatus('pods', pod.metadata.namespace, pod.metadata.name, (current) => {
      current.status = { ...(current.status as Json | undefined), ...status };
    });
  }

  /** The scheduler's binding: spec.nodeName and the PodScheduled condition. */
  async function bind(pod: Pod, nodeName: string): Promise<void> {
    await access.mergePatch('pods', pod.metadata.namespace, pod.metadata.name, { spec: { nodeName } });
    await setCondition(pod, { type: 'PodScheduled', status: 'True' });
  }

  async function setCondition(pod: Pod, condition: Json): Promise<void> {
    const at = new Date(scheduler.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await access.updateStatus('pods', pod.metadata.namespace, pod.metadata.name, (current) => {
      if (current.metadata.uid !== pod.metadata.uid) return false;
      const status = (current.status ?? {}) as Json;
      const conditions = (status.conditions ?? []) as Json[];
      const was = conditions.find((c) => c.type === condition.type);
      if (was && was.status === condition.status && was.message === condition.message) return false;
      current.status = { phase: 'Pending', ...status, conditions: [...conditions.filter((c) => c.type !== condition.type), { ...condition, lastProbeTime: null, lastTransitionTime: at }] };
    });
  }

  async function start(pod: Pod): Promise<void> {
    const k = key(pod.metadata.namespace!, pod.metadata.name);
    await registered;
    if (started.has(k) || stopped) return;
    const bound = pod.spec.nodeName as string | undefined;
    const pick = bound === undefined ? pickNode(pod) : { node: bound };
    if ('message' in pick) {
      // No node takes it: the pod stays Pending, unbound, saying why as kube-scheduler does, until one does (onNode retries).
      if (access.peek('pods', pod.metadata.namespace, pod.metadata.name)?.metadata.uid === pod.metadata.uid) await setCondition(pod, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: pick.message });
      return;
    }
    const nodeName = pick.node;
    if (!nodeNames.includes(nodeName)) return;
    started.add(k);
    unscheduled.delete(k);
    if (dead.has(nodeName)) {
      // Bound to a node that lost power before the control plane noticed: nothing runs it until it boots again.
      await bind(pod, nodeName);
      awaiting.set(k, { pod, node: nodeName });
      return;
    }
    const container = (pod.spec.containers as Json[])[0]!;
    const image = options.images[container.image as string];
    const now = () => new Date(scheduler.clock.now()).toISOString();
    if (!image) {
      // What a node shows for an image no registry has: ErrImagePull, then ImagePullBackOff; the pod never leaves Pending.
      const waiting = (reason: string) => ({ phase: 'Pending', containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason, message: `failed to pull image "${container.image}": not found in the simulated registry` } } }] });
      await bind(pod, nodeName);
      await setStatus(pod, waiting('ErrImagePull'));
      await setStatus(pod, waiting('ImagePullBackOff'));
      return;
    }
    const missing = findMissingEnvRef(container, pod.metadata.namespace!);
    if (missing) {
      // As the kubelet: the container is never created while a referenced Secret or ConfigMap key is missing.
      await bind(pod, nodeName);
      await setStatus(pod, { phase: 'Pending', containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'CreateContainerConfigError', message: missing } } }] });
      return;
    }
    // A Job's pods see their ConfigMaps and Secrets at one local path each, as they see one mount path: a resumed run finds its runbook where it was.
    const owner = pod.metadata.labels?.['batch.kubernetes.io/controller-uid'] ?? pod.metadata.uid!;
    const shared = path.join(root, owner);
    const dir = path.join(shared, 'pods', pod.metadata.uid!);
    mkdirSync(dir, { recursive: true });
    const mounts = writeVolumes(pod, shared, dir);
    const mapPath = (value: string) => {
      for (const [mountPath, local] of mounts) if (value === mountPath || value.startsWith(`${mountPath}/`)) return local + value.slice(mountPath.length);
      return value;
    };
    const env: Record<string, string> = { ...image.env };
    for (const item of (container.env ?? []) as Json[]) {
      const value = item.value ?? resolveEnvFrom(item.valueFrom, pod);
      if (value !== undefined) env[item.name] = mapPath(String(value));
    }
    // $(VAR) in command and args is expanded from the container's env, as the kubelet does ($$ escapes, unknown names stay).
    const expand = (arg: string) => arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) => (name === undefined ? '$' : (env[name] ?? whole)));
    const args = [...image.command.slice(1), ...((container.command ?? []) as string[]).map(expand), ...((container.args ?? []) as string[]).map(expand).map(mapPath)];
    const cwd = container.workingDir ? mapPath(container.workingDir) : dir;
    mkdirSync(cwd, { recursive: true });
    await bind(pod, nodeName);
    const imageID = `sim://${container.image}`;
    const startTime = now();
    const launch = async (restartCount: number, lastState: Json | undefined) => {
      const child = spawn(image.command[0]!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const entry: Running = { child, dir, namespace: pod.metadata.namespace!, name: pod.metadata.name, stopping: false, deleting: false, node: nodeName };
      running.set(k, entry);
      child.stdout!.on('data', (chunk: Buffer) => append(k, chunk.toString('utf8')));
      child.stderr!.on('data', (chunk: Buffer) => append(k, chunk.toString('utf8')));
      const startedAt = now();
      const last = lastState ? { lastState } : {};
      await setStatus(pod, { phase: 'Running', hostIP: '10.0.0.10', podIP: '10.128.0.10', startTime, containerStatuses: [{ name: container.name, image: container.image, imageID, ready: true, restartCount, started: true, state: { running: { startedAt } }, ...last }] });
      child.on('error', (error) => append(k, `${error.message}\n`));
      child.on('close', (code, signal) => {
        running.delete(k);
        ended(k);
        // Power lost with the node: the process is gone and nobody reports it until the node boots again.
        if (dead.has(entry.node)) return void lost.set(k, { pod, node: entry.node, restartCount });
        const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
        const current = access.peek('pods', entry.namespace, entry.name);
        if (entry.stopping || !current || current.metadata.uid !== pod.metadata.uid) return void rmSync(dir, { recursive: true, force: true });
        const terminated = { exitCode, reason: entry.killed ?? (exitCode === 0 ? 'Completed' : 'Error'), startedAt, finishedAt: now() };
        const policy = (pod.spec.restartPolicy as string | undefined) ?? 'Always';
        const restart = !entry.deleting && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
        if (restart) {
          // The kubelet restarts the container in the same pod (emptyDirs kept) after a back-off; the pod stays Running, restartCount grows.
          const delay = (options.restartDelayMs ?? defaultRestartDelay)(restartCount + 1);
          const waiting = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${container.name} pod=${pod.metadata.name}` } };
          setStatus(pod, { phase: 'Running', containerStatuses: [{ name: container.name, image: container.image, imageID, ready: false, restartCount, started: false, state: waiting, lastState: { terminated } }] })
            .then(() => scheduler.clock.sleep(delay, scheduler.signal))
            .then(async () => {
              const still = access.peek('pods', entry.namespace, entry.name);
              if (still && still.metadata.uid === pod.metadata.uid && !still.metadata.deletionTimestamp && !stopped && !dead.has(nodeName)) await launch(restartCount + 1, { terminated });
              else rmSync(dir, { recursive: true, force: true });
            })
            .catch((error: unknown) => {
              if (!scheduler.signal.aborted) scheduler.report(error, `pod ${k}`);
            });
          return;
        }
        rmSync(dir, { recursive: true, force: true });
        // restartPolicy Never (or a deleted pod): the pod reaches a terminal phase; a deleted one is removed only once its container ended.
        setStatus(pod, { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: container.name, image: container.image, imageID, ready: false, restartCount, started: false, state: { terminated }, ...last }] })
          .then(() => {
            if (entry.deleting) removePod(entry.namespace, entry.name, pod.metadata.uid!);
          })
          .catch((error: unknown) => scheduler.report(error, `pod ${k}`));
      });
    };
    await launch(0, undefined);
  }

  /** The kubelet's final delete of a pod being deleted (its containers have stopped); gone already is fine. */
  function removePod(namespace: string, name: string, uid: string): void {
    try {
      access.core.delete(CONTROLLER, access.def('pods'), namespace, name, { preconditions: { uid } });
    } catch (error) {
      if ((error as { code?: number }).code !== 404 && (error as { code?: number }).code !== 409) throw error;
    }
  }

  /** ConfigMap and Secret volumes as directories under `shared`, emptyDirs (fresh per pod) under `dir`, by mount path. */
  function writeVolumes(pod: Pod, shared: string, dir: string): Map<string, string> {
    const volumes = new Map(((pod.spec.volumes ?? []) as Json[]).map((v) => [v.name as string, v]));
    const mounts = new Map<string, string>();
    for (const mount of ((pod.spec.containers as Json[])[0]!.volumeMounts ?? []) as Json[]) {
      const volume = volumes.get(mount.name);
      const local = path.join(volume?.configMap || volume?.secret ? shared : dir, 'volumes', mount.name);
      mkdirSync(local, { recursive: true });
      const files = volume?.configMap
        ? (access.get('configmaps', pod.metadata.namespace, volume.configMap.name)?.data as Record<string, string> | undefined)
        : volume?.secret
          ? Object.fromEntries(Object.entries((access.get('secrets', pod.metadata.namespace, volume.secret.secretName)?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
          : {};
      for (const [name, text] of Object.entries(files ?? {})) writeFileSync(path.join(local, name), text, { mode: 0o600 });
      mounts.set(mount.mountPath, local);
    }
    return mounts;
  }

  /** The kubelet's message for the first non-optional secretKeyRef/configMapKeyRef that cannot be resolved. */
  function findMissingEnvRef(container: Json, namespace: string): string | undefined {
    for (const item of (container.env ?? []) as Json[]) {
      const ref = item.valueFrom?.secretKeyRef ?? item.valueFrom?.configMapKeyRef;
      if (!ref || ref.optional) continue;
      const [resource, kind] = item.valueFrom.secretKeyRef ? ['secrets', 'Secret'] : ['configmaps', 'ConfigMap'];
      const object = access.peek(resource!, namespace, ref.name);
      if (!object) return `${kind!.toLowerCase()} "${ref.name}" not found`;
      if ((object.data as Record<string, string> | undefined)?.[ref.key] === undefined) return `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`;
    }
    return undefined;
  }

  function resolveEnvFrom(from: Json | undefined, pod: Pod): string | undefined {
    const namespace = pod.metadata.namespace!;
    if (from?.fieldRef) return resolveFieldRef(pod, from.fieldRef.fieldPath as string);
    if (from?.secretKeyRef) {
      const data = access.get('secrets', namespace, from.secretKeyRef.name)?.data as Record<string, string> | undefined;
      const value = data?.[from.secretKeyRef.key];
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    }
    if (from?.configMapKeyRef) return (access.get('configmaps', namespace, from.configMapKeyRef.name)?.data as Record<string, string> | undefined)?.[from.configMapKeyRef.key];
    return undefined;
  }

  /** A deleted pod's process: SIGTERM to the container's main process, SIGKILL to all of it after the grace period. */
  function terminate(k: string, graceMs: number, deleting: boolean): void {
    const entry = running.get(k);
    if (!entry || entry.stopping || entry.deleting) return;
    if (deleting) entry.deleting = true;
    else entry.stopping = true;
    entry.child.kill('SIGTERM');
    const timer = setTimeout(() => killContainer(entry), graceMs);
    entry.child.once('close', () => clearTimeout(timer));
  }

  const graceOf = (pod: Pod) => (typeof pod.spec.terminationGracePeriodSeconds === 'number' ? pod.spec.terminationGracePeriodSeconds * 1000 : (options.gracePeriodMs ?? 30_000));

  const onPod = (event: StoreEvent) => {
    const pod = event.stored.object as Pod;
    const k = key(pod.metadata.namespace!, pod.metadata.name);
    if (event.type === 'DELETED') {
      unscheduled.delete(k);
      awaiting.delete(k);
      lost.delete(k);
      // Removed without graceful deletion (grace 0, a namespace deleted): its containers get what is left of the grace period.
      terminate(k, pod.metadata.deletionTimestamp ? 0 : graceOf(pod), true);
      return;
    }
    if (event.type === 'MODIFIED' && pod.metadata.deletionTimestamp) {
      terminate(k, Math.max(0, Date.parse(pod.metadata.deletionTimestamp as string) - scheduler.clock.now()), true);
      return;
    }
    if (event.type === 'ADDED' && !started.has(k) && !pod.status?.containerStatuses) {
      unscheduled.set(k, pod);
      start(pod).catch((error: unknown) => scheduler.report(error, `pod ${k}`));
    }
  };
  const unsubscribe = access.subscribe('pods', onPod);
  // A node that becomes Ready (or loses a taint) may take the pods that found none.
  const onNode = () => {
    for (const [k, pod] of unscheduled) if (!started.has(k)) start(pod).catch((error: unknown) => scheduler.report(error, `pod ${k}`));
  };
  const unsubscribeNodes = access.subscribe('nodes', onNode);

  /** What a rebooted node's kubelet reports for a container it had and no longer finds: exit 137, ContainerStatusUnknown; a deleted pod is then removed. */
  async function reportLost(k: string, pod: Pod, restartCount: number): Promise<void> {
    const current = access.peek('pods', pod.metadata.namespace, pod.metadata.name) as Pod | undefined;
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    const container = (pod.spec.containers as Json[])[0]!;
    const at = new Date(scheduler.clock.now()).toISOString();
    const terminated = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: at, finishedAt: at };
    await setStatus(pod, { phase: 'Failed', containerStatuses: [{ name: container.name, image: container.image, imageID: `sim://${container.image}`, ready: false, restartCount, started: false, state: { terminated } }] });
    if (current.metadata.deletionTimestamp) removePod(pod.metadata.namespace!, pod.metadata.name, pod.metadata.uid!);
  }
  const runner: PodRunner = {
    log: (namespace, name) => logs.get(key(namespace, name)),
    follow(namespace, name, onText, onEnd) {
      const k = key(namespace, name);
      if (!running.has(k)) {
        queueMicrotask(onEnd);
        return () => undefined;
      }
      const set = followers.get(k) ?? new Set();
      const follower = { onText, onEnd };
      set.add(follower);
      followers.set(k, set);
      return () => set.delete(follower);
    },
    pid: (namespace, name) => running.get(key(namespace, name))?.child.pid,
    kill(namespace, name, reason = 'Error') {
      const entry = running.get(key(namespace, name));
      if (!entry) return false;
      entry.killed = reason;
      killContainer(entry);
      return true;
    },
    terminationGraceMs(namespace, name) {
      const pod = access.peek('pods', namespace, name) as Pod | undefined;
      const k = key(namespace, name);
      const terminal = pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed';
      return pod && (running.has(k) || ((lost.has(k) || awaiting.has(k)) && !terminal)) ? graceOf(pod) : undefined;
    },
    nodes: nodeNames,
    registered,
    isNodeAlive: (node) => nodeNames.includes(node) && !dead.has(node),
    killNode(node) {
      if (!nodeNames.includes(node) || dead.has(node)) return false;
      dead.add(node);
      for (const entry of running.values()) if (entry.node === node) killContainer(entry);
      return true;
    },
    reviveNode(node) {
      if (!dead.delete(node)) return false;
      for (const [k, { pod, node: on, restartCount }] of lost) {
        if (on !== node) continue;
        lost.delete(k);
        reportLost(k, pod, restartCount).catch((error: unknown) => scheduler.report(error, `pod ${k}`));
      }
      for (const [k, { pod, node: on }] of awaiting) {
        if (on !== node) continue;
        awaiting.delete(k);
        const current = access.peek('pods', pod.metadata.namespace, pod.metadata.name) as Pod | undefined;
        if (current && current.metadata.uid === pod.metadata.uid && !current.metadata.deletionTimestamp) {
          started.delete(k);
          start(current).catch((error: unknown) => scheduler.report(error, `pod ${k}`));
        } else if (current) removePod(current.metadata.namespace!, current.metadata.name, current.metadata.uid!);
      }
      return true;
    },
    stop() {
      stopped = true;
      unregister();
      unsubscribe();
      unsubscribeNodes();
      for (const entry of running.values()) {
        entry.stopping = true;
        entry.child.kill('SIGTERM');
        setTimeout(() => killContainer(entry), 0);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  const unregister = registerPodLogs(access.core, runner);
  return runner;
}
