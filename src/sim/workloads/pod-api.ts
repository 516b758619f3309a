// pods/log (GET, `follow`), pods/eviction (POST) and a pod's graceful DELETE for the simulated API server, answered from the pod runner and the store.

import type { ServerResponse } from 'node:http';
import type { UserInfo } from '../api/auth.js';
import type { ApiCore } from '../api/core.js';
import type { ResourceDef } from '../resources.js';
import { readBool, readInt } from '../api/query.js';
import { badRequest, invalid } from '../api/status.js';
import type { KObject, StoredObject } from '../store/types.js';
import { CONTROLLER } from '../actors/access.js';
import { podLogsFor } from './pod-logs.js';

/** The pod's output as text/plain; with follow=true the response stays open until the pod's process ends or the client goes. */
export function servePodLog(core: ApiCore, def: ResourceDef, res: ServerResponse, namespace: string, name: string, query: URLSearchParams, user: UserInfo): void {
  core.authorize(user, 'get', def, { namespace, name, subresource: 'log' });
  const pod = core.get(user, def, namespace, name).object; // 404 for a pod that does not exist
  checkLogOptions(pod, name, query);
  const source = podLogsFor(core);
  const text = source?.log(namespace, name);
  if (text === undefined && source === undefined) throw badRequest(`container of pod "${name}" is not available: no simulated kubelet runs pods on this cluster`);
  const tail = query.get('tailLines');
  const shown = tail !== null && text !== undefined ? lastLines(text, Number(tail)) : (text ?? '');
  if (!readBool(query, 'follow') || source === undefined) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(shown) });
    res.end(shown);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  if (shown) res.write(shown);
  const stop = source.follow(namespace, name, (t) => res.write(t), () => res.end());
  res.on('close', stop);
}

type Containers = { spec?: { containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] } };

/** The API server's checks of a log request before the kubelet is asked: tailLines not negative (422), a container of the pod (400). */
function checkLogOptions(pod: KObject, name: string, query: URLSearchParams): void {
  const tail = readInt(query, 'tailLines');
  if (tail !== undefined && tail < 0) {
    throw invalid('PodLogOptions', '', name, [{ field: 'tailLines', message: `Invalid value: ${tail}: must be greater than or equal to 0` }]);
  }
  const spec = (pod as Containers).spec ?? {};
  const names = (list: { name: string }[] | undefined): string[] => (list ?? []).map((c) => c.name);
  const container = query.get('container') ?? '';
  if (container === '') {
    if (names(spec.containers).length <= 1) return;
    const init = names(spec.initContainers);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names(spec.containers).join(' ')}]${init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : ''}`);
  }
  if (![...names(spec.containers), ...names(spec.initContainers), ...names(spec.ephemeralContainers)].includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
}

function lastLines(text: string, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw badRequest(`tailLines: must be a non-negative integer`);
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  return lines.slice(Math.max(0, lines.length - n)).join('\n') + (trailing === '' && n > 0 ? '\n' : '');
}

/** policy/v1 Eviction: the pod gets the DisruptionTarget condition (as the eviction API sets it), then is deleted. */
export async function evictPod(core: ApiCore, def: ResourceDef, namespace: string, name: string, user: UserInfo, now: number, body: unknown): Promise<Record<string, unknown>> {
  core.authorize(user, 'create', def, { namespace, name, subresource: 'eviction' });
  if ((body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  const pod = core.get(user, def, namespace, name).object;
  const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
  const at = new Date(now).toISOString();
  const conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: at }];
  // Authorised as an eviction above; the status write and the delete are the API server's own, not the caller's rights.
  await core.update(CONTROLLER, def, namespace, name, 'status', { ...pod, status: { ...status, conditions } }, { fieldManager: 'kube-apiserver' });
  if (!markPodDeleted(core, def, namespace, name, CONTROLLER, now)) core.delete(CONTROLLER, def, namespace, name);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}

/**
 * DELETE of a pod whose containers a kubelet runs, as the API server does it: the pod stays, with deletionTimestamp (now + grace) and
 * deletionGracePeriodSeconds, until the kubelet has stopped its containers, reported their end and removed it; until then other
 * clients see a pod being deleted, not a missing one. undefined when it goes at once: nothing runs it, a grace period of 0 (--force).
 */
export function markPodDeleted(core: ApiCore, def: ResourceDef, namespace: string, name: string, user: UserInfo, now: number, graceSeconds?: number): StoredObject | undefined {
  core.authorize(user, 'delete', def, { namespace, name });
  const stored = core.get(user, def, namespace, name);
  const runningGraceMs = podLogsFor(core)?.terminationGraceMs(namespace, name);
  if (runningGraceMs === undefined) return undefined;
  const graceMs = graceSeconds !== undefined ? graceSeconds * 1000 : runningGraceMs;
  if (graceMs <= 0) return undefined;
  // Already being deleted: a second DELETE does not lengthen the grace period.
  if (stored.object.metadata.deletionTimestamp) return stored;
  const pod = structuredClone(stored.object);
  pod.metadata.deletionTimestamp = new Date(now + graceMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  pod.metadata.deletionGracePeriodSeconds = Math.ceil(graceMs / 1000);
  return core.store.update(def, pod);
}
