// `opsbook submit`: a runbook handed to the cluster as a Job (or CronJob) whose pod runs it with the cluster run store.

export {
  buildSubmitManifests,
  submitObjectName,
  SUBMIT_DIR,
  RUNBOOK_KEY,
  VALUES_KEY,
  TARGET_KUBECONFIG_DIR,
  WORK_DIR,
  DEFAULT_BACKOFF_LIMIT,
  RUN_ID_LABEL,
  RUNBOOK_LABEL,
  POD_UID,
  RUN_FAILED_EXIT_CODE,
  POD_ENV,
  type Manifest,
  type SecretInputRef,
  type SubmitManifestOptions,
  type SubmitManifests,
} from './manifests.js';
export { checkSubmission, createSubmission, SUBMIT_ACCESS, type SecretNeed } from './create.js';
export { describePodTrouble, type PodTrouble } from './pods.js';
export { runIdForJob } from './job-run-id.js';
