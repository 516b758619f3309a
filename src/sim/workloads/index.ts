// Workloads on the simulated cluster: the CronJob and Job controllers and a kubelet that runs pods of known images as local processes.

import type { ClusterAccess } from '../actors/access.js';
import type { Scheduler } from '../actors/schedule.js';
import { startCronJobController } from './cronjobs.js';
import { startJobController, type JobControllerOptions } from './jobs.js';
import { startPodRunner, type PodRunner, type PodRunnerOptions } from './kubelet-runner.js';
import { startNodeLifecycle, type NodeLifecycleOptions } from './node-lifecycle.js';

export { JOB_NAME_LABEL, CONTROLLER_UID_LABEL, type JobControllerOptions } from './jobs.js';
export { CRONJOB_SCHEDULED_TIMESTAMP } from './cronjobs.js';
export type { PodImage, PodRunner, PodRunnerOptions } from './kubelet-runner.js';
export { OUT_OF_SERVICE_TAINT, UNREACHABLE_TAINT, type NodeLifecycleOptions } from './node-lifecycle.js';

export interface WorkloadOptions extends PodRunnerOptions, JobControllerOptions {
  /** Gives the kubelet's (registered) nodes Lease heartbeats and runs the node controller, taint manager and pod GC (what pods.killNode needs to play out). */
  nodeLifecycle?: NodeLifecycleOptions;
}

export interface Workloads {
  pods: PodRunner;
  stop(): void;
}

/** Starts them on a running simulation (`sim.access`, its clock); stop() ends every pod process. */
export function startWorkloads(access: ClusterAccess, scheduler: Scheduler, options: WorkloadOptions): Workloads {
  const stopJobs = startJobController(access, scheduler, options);
  const stopCronJobs = startCronJobController(access, scheduler);
  const pods = startPodRunner(access, scheduler, options);
  const stopNodes = options.nodeLifecycle ? startNodeLifecycle(access, scheduler, pods, options.nodeLifecycle) : () => undefined;
  return {
    pods,
    stop() {
      stopNodes();
      stopCronJobs();
      stopJobs();
      pods.stop();
    },
  };
}
