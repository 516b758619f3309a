// What keeps a submitted run's pod from running (an image that cannot be pulled, a missing Secret), read from pod and Job status.

import type { KubeObject } from '../k8s/types.js';

export interface PodTrouble {
  /** Final: waiting longer will not help (the pod will not start, or the Job gave up). */
  fatal: boolean;
  message: string;
}

interface ContainerStatus {
  name?: string;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

type Pod = KubeObject & { status?: { phase?: string; containerStatuses?: ContainerStatus[] } };
type Job = KubeObject & { status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] } };

// Waiting reasons after which a pod never starts without someone changing the image, the Secret or the spec.
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/** The first reason the Job's pods cannot run, or undefined while they start or run normally. */
export function describePodTrouble(job: Job | undefined, pods: Pod[]): PodTrouble | undefined {
  const failed = job?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { fatal: true, message: `Job ${job!.metadata.name} failed: ${failed.reason ?? 'Failed'}${failed.message ? ` (${failed.message})` : ''}` };
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      if (!waiting?.reason || !STUCK.has(waiting.reason)) continue;
      const hint = waiting.reason.includes('Image') ? `; push the image, or pass --image with one the cluster can pull` : '';
      return { fatal: true, message: `pod ${pod.metadata.name} cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (image ${status.image ?? '?'})${hint}` };
    }
  }
  return undefined;
}
