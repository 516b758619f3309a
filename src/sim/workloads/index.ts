// Workloads on the simulated cluster: the Job controller and a kubelet that runs pods of known images as local processes.

import type { ClusterAccess } from '../actors/access.js';
import type { Scheduler } from '../actors/schedule.js';
import { startJobController, type JobControllerOptions } from './jobs.js';
import { startPodRunner, type PodRunner, type PodRunnerOptions } from './kubelet-runner.js';

export { JOB_NAME_LABEL, CONTROLLER_UID_LABEL, type JobControllerOptions } from './jobs.js';
export type { PodImage, PodRunner, PodRunnerOptions } from './kubelet-runner.js';

export interface Workloads {
  pods: PodRunner;
  stop(): void;
}

/** Starts both on a running simulation (`sim.access`, its clock); stop() ends every pod process. */
export function startWorkloads(access: ClusterAccess, scheduler: Scheduler, options: PodRunnerOptions & JobControllerOptions): Workloads {
  const stopJobs = startJobController(access, scheduler, options);
  const pods = startPodRunner(access, scheduler, options);
  return {
    pods,
    stop() {
      stopJobs();
      pods.stop();
    },
  };
}
