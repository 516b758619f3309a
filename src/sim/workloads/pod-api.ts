// pods/log (GET, `follow`), pods/eviction (POST) and a pod's graceful DELETE for the simulated API server, answered from the pod runner and the store.

import type { ServerResponse } from 'node:http';
import type { UserInfo } from '../api/auth.js';
import type { ApiCore } from '../api/core.js';
import type { ResourceDef } from '../resources.js';
import { readBool } from '../api/query.js';
import { badRequest } from '../api/status.js';
import type { StoredObject } from '../store/types.js';
import { CONTROLLER } from '../actors/access.js';
import { podLogsFor } from './pod-logs.js';

/** The pod's output as text/plain; with follow=true the response stays open until the pod's process ends or the client goes. */
export function servePodLog(core: ApiCore, def: ResourceDef, res: ServerResponse, namespace: string, name: string, query: URLSearchParams, user: UserInfo): void {
  core.authorize(user, 'get', def, { namespace, name, subresource: 'log' });
  core.get(user, def, namespace, name); // 404 for a pod that does not exist
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

function lastLines(text: string, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw badRequest(`tailLines: must be a non-negative integer`);
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  return lines.slice(Math.max(0, lines.length - n)).join('\n') + (trailing === '' && n > 0 ? '\n' : '');
}

/** policy/v1 Eviction: the pod gets the DisruptionTarget condition (as the eviction API sets it), then is deleted. */
export async function evictPod(core: ApiCore, def: ResourceDef, namespace: string, name: string, user: UserInfo, now: number): Promise<Record<string, unknown>> {
  core.authorize(user, 'create', def, { namespace, name, subresource: 'eviction' });
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
