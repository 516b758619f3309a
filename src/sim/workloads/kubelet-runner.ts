// The simulated kubelet for workload pods: a pod of a known image runs as a local process (args, env, mounted ConfigMaps/Secrets mapped to a
// temporary directory); its output is the pod log, its exit code the pod phase; deleting the pod sends SIGTERM, then SIGKILL after the grace period.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClusterAccess } from '../actors/access.js';
import type { Scheduler } from '../actors/schedule.js';
import type { Json } from '../json.js';
import type { KObject, StoreEvent } from '../store/types.js';
import { registerPodLogs } from './pod-logs.js';

export interface PodImage {
  /** The image's entrypoint as a local command (e.g. node and the current build's CLI). */
  command: string[];
  /** Extra environment the local process needs (PATH, a loader); the pod's own env comes on top. */
  env?: Record<string, string>;
}

export interface PodRunnerOptions {
  /** Images the simulated node can "pull", by exact reference; any other image stays Pending in ErrImagePull/ImagePullBackOff. */
  images: Record<string, PodImage>;
  /** Node the pods are bound to. @default 'sim-worker' */
  nodeName?: string;
  /** Grace period (ms) of a pod that sets no terminationGracePeriodSeconds. @default 30000, as the API's default */
  gracePeriodMs?: number;
}

interface Running {
  child: ChildProcess;
  dir: string;
  namespace: string;
  name: string;
  stopping: boolean;
}

export interface PodRunner {
  /** The pod's log so far (stdout and stderr interleaved as they came), or undefined for a pod never run. */
  log(namespace: string, name: string): string | undefined;
  /** Subscribes to a pod's new log text until its process ends; returns unsubscribe. */
  follow(namespace: string, name: string, onText: (text: string) => void, onEnd: () => void): () => void;
  stop(): void;
}

type Pod = KObject & { spec: Json; status?: Json };

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
  const nodeName = options.nodeName ?? 'sim-worker';
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

  async function start(pod: Pod): Promise<void> {
    const k = key(pod.metadata.namespace!, pod.metadata.name);
    started.add(k);
    const container = (pod.spec.containers as Json[])[0]!;
    const image = options.images[container.image as string];
    const now = () => new Date(scheduler.clock.now()).toISOString();
    if (!image) {
      // What a node shows for an image no registry has: ErrImagePull, then ImagePullBackOff; the pod never leaves Pending.
      const waiting = (reason: string) => ({ phase: 'Pending', containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason, message: `failed to pull image "${container.image}": not found in the simulated registry` } } }] });
      await access.mergePatch('pods', pod.metadata.namespace, pod.metadata.name, { spec: { nodeName } });
      await setStatus(pod, waiting('ErrImagePull'));
      await setStatus(pod, waiting('ImagePullBackOff'));
      return;
    }
    const missing = findMissingEnvRef(container, pod.metadata.namespace!);
    if (missing) {
      // As the kubelet: the container is never created while a referenced Secret or ConfigMap key is missing.
      await access.mergePatch('pods', pod.metadata.namespace, pod.metadata.name, { spec: { nodeName } });
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
    await access.mergePatch('pods', pod.metadata.namespace, pod.metadata.name, { spec: { nodeName } });
    const child = spawn(image.command[0]!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const entry: Running = { child, dir, namespace: pod.metadata.namespace!, name: pod.metadata.name, stopping: false };
    running.set(k, entry);
    child.stdout!.on('data', (chunk: Buffer) => append(k, chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => append(k, chunk.toString('utf8')));
    const startedAt = now();
    await setStatus(pod, { phase: 'Running', hostIP: '10.0.0.10', podIP: '10.128.0.10', startTime: startedAt, containerStatuses: [{ name: container.name, image: container.image, imageID: `sim://${container.image}`, ready: true, restartCount: 0, started: true, state: { running: { startedAt } } }] });
    child.on('error', (error) => append(k, `${error.message}\n`));
    child.on('close', (code, signal) => {
      running.delete(k);
      rmSync(dir, { recursive: true, force: true });
      ended(k);
      const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
      if (entry.stopping || !access.peek('pods', entry.namespace, entry.name)) return;
      const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now() };
      setStatus(pod, { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: container.name, image: container.image, imageID: `sim://${container.image}`, ready: false, restartCount: 0, started: false, state: { terminated } }] }).catch((error: unknown) =>
        scheduler.report(error, `pod ${k}`),
      );
    });
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
  function terminate(k: string, graceMs: number): void {
    const entry = running.get(k);
    if (!entry || entry.stopping) return;
    entry.stopping = true;
    entry.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-entry.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    entry.child.once('close', () => clearTimeout(timer));
  }

  const onPod = (event: StoreEvent) => {
    const pod = event.stored.object as Pod;
    const k = key(pod.metadata.namespace!, pod.metadata.name);
    if (event.type === 'DELETED') {
      const grace = typeof pod.spec.terminationGracePeriodSeconds === 'number' ? pod.spec.terminationGracePeriodSeconds * 1000 : (options.gracePeriodMs ?? 30_000);
      terminate(k, grace);
      return;
    }
    if (event.type === 'ADDED' && !started.has(k) && !pod.status?.containerStatuses) {
      start(pod).catch((error: unknown) => scheduler.report(error, `pod ${k}`));
    }
  };
  const unsubscribe = access.subscribe('pods', onPod);
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
    stop() {
      unregister();
      unsubscribe();
      for (const k of [...running.keys()]) terminate(k, 0);
      rmSync(root, { recursive: true, force: true });
    },
  };
  const unregister = registerPodLogs(access.core, runner);
  return runner;
}
