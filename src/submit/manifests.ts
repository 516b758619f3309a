// The objects `opsbook submit` creates: a ConfigMap with the runbook and its non-secret inputs, and a Job (or CronJob) whose pod runs it.

/** Where the ConfigMap is mounted in the pod, its keys, and what the pod is told to read. */
export const SUBMIT_DIR = '/opsbook/runbook';
export const RUNBOOK_KEY = 'runbook.yaml';
export const VALUES_KEY = 'values.json';
/** Where a target kubeconfig Secret (key `value`) is mounted; without one the pod uses its service account. */
export const TARGET_KUBECONFIG_DIR = '/opsbook/kube';
/** A writable emptyDir: the root file system is read-only, the local state directory and HOME live here. */
export const WORK_DIR = '/work';
/** Pod retries before the Job fails: each replaced pod resumes the same run, so this bounds crashes, not steps. */
export const DEFAULT_BACKOFF_LIMIT = 6;
/** The label linking every object of a submitted run to its run id (the cluster store's objects carry it too). */
export const RUN_ID_LABEL = 'opsbook.dev/run-id';
export const RUNBOOK_LABEL = 'opsbook.dev/runbook';
/** `opsbook run`'s exit code for a run that failed (src/cli/exit.ts EXIT.failed). */
export const RUN_FAILED_EXIT_CODE = 1;
/** The environment variable a scheduled Job's pod gets its Job's name in (downward API). */
export const JOB_NAME_ENV = 'OPSBOOK_JOB_NAME';
/** Where the pod's opsbook learns its own pod (downward API): recorded on the run's Lease, so the next pod takes over once this one ended. */
export const POD_ENV = { name: 'OPSBOOK_POD_NAME', namespace: 'OPSBOOK_POD_NAMESPACE', uid: 'OPSBOOK_POD_UID' } as const;
/** The image's user (Dockerfile USER), named numerically so runAsNonRoot can check it. */
export const POD_UID = 10001;

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> } };

/** A secret input read in the pod from a Secret's key, as the environment variable the runbook reads it from. */
export interface SecretInputRef {
  input: string;
  env: string;
  secret: string;
  key: string;
}

export interface SubmitManifestOptions {
  namespace: string;
  /** Runbook metadata.name (labels, CronJob name). */
  runbookName: string;
  /** The runbook file's text, run unchanged by the pod. */
  runbookText: string;
  /** Non-secret input values (as the journal records them). */
  inputs: Record<string, unknown>;
  secrets: SecretInputRef[];
  image: string;
  /** Pre-allocated run id of a Job; absent with `schedule` (each scheduled Job's pod makes its own). */
  runId?: string;
  /** A CronJob schedule instead of a single Job. */
  schedule?: string;
  serviceAccount?: string;
  /** Secret (key `value`) with the kubeconfig of the cluster the steps act on; else the pod's service account. */
  targetKubeconfigSecret?: string;
  /** From spec.deadline; bounds every pod of the Job together, as the deadline bounds the run. */
  activeDeadlineSeconds?: number;
  /** @default DEFAULT_BACKOFF_LIMIT */
  backoffLimit?: number;
}

export interface SubmitManifests {
  configMap: Manifest;
  /** A batch/v1 Job, or a CronJob with `schedule`. */
  workload: Manifest;
}

/** Names of a submitted run's objects: the store already uses opsbook-run-<id>, so these get their own prefix. */
export function submitObjectName(options: Pick<SubmitManifestOptions, 'runId' | 'runbookName' | 'schedule'>): string {
  if (options.schedule !== undefined || options.runId === undefined) return `opsbook-${options.runbookName}`.slice(0, 52).replace(/-+$/, '');
  return `opsbook-job-${options.runId}`;
}

/** Pure: the manifests for one submission (nothing is read or created here). */
export function buildSubmitManifests(options: SubmitManifestOptions): SubmitManifests {
  const name = submitObjectName(options);
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'opsbook',
    'app.kubernetes.io/component': 'run',
    [RUNBOOK_LABEL]: options.runbookName,
    ...(options.runId !== undefined ? { [RUN_ID_LABEL]: options.runId } : {}),
  };
  const metadata = { name, namespace: options.namespace, labels };
  const configMap: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata,
    data: { [RUNBOOK_KEY]: options.runbookText, [VALUES_KEY]: `${JSON.stringify(options.inputs, null, 2)}\n` },
  };
  const jobSpec = buildJobSpec(options, name, labels);
  const workload: Manifest =
    options.schedule === undefined
      ? { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: jobSpec }
      : {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata,
          spec: {
            schedule: options.schedule,
            // A scheduled run still going when the next is due is left alone: two runs of one runbook must not overlap.
            concurrencyPolicy: 'Forbid',
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: { metadata: { labels }, spec: jobSpec },
          },
        };
  return { configMap, workload };
}

function buildJobSpec(options: SubmitManifestOptions, configMapName: string, labels: Record<string, string>): Record<string, unknown> {
  const args = [
    'run',
    `${SUBMIT_DIR}/${RUNBOOK_KEY}`,
    '--values',
    `${SUBMIT_DIR}/${VALUES_KEY}`,
    '--state',
    `kubernetes://${options.namespace}`,
    '--state-dir',
    `${WORK_DIR}/state`,
    '--output',
    'plain',
    // A replaced pod finds the run its predecessor started and resumes it: succeeded steps are not re-run. A scheduled Job's pods
    // derive the id from the Job's name (the kubelet expands $(OPSBOOK_JOB_NAME) from the env below).
    ...(options.runId !== undefined ? ['--run-id', options.runId] : ['--run-id-from-job', `$(${JOB_NAME_ENV})`]),
    '--resume-if-exists',
    ...(options.targetKubeconfigSecret !== undefined ? ['--kubeconfig', `${TARGET_KUBECONFIG_DIR}/value`] : []),
  ];
  const env = [
    { name: 'HOME', value: WORK_DIR },
    ...(options.runId === undefined ? [{ name: JOB_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } }] : []),
    ...Object.entries(POD_ENV).map(([field, name]) => ({ name, valueFrom: { fieldRef: { fieldPath: `metadata.${field}` } } })),
    ...options.secrets.map((s) => ({ name: s.env, valueFrom: { secretKeyRef: { name: s.secret, key: s.key } } })),
  ];
  const volumeMounts = [
    { name: 'runbook', mountPath: SUBMIT_DIR, readOnly: true },
    { name: 'work', mountPath: WORK_DIR },
    { name: 'tmp', mountPath: '/tmp' },
    ...(options.targetKubeconfigSecret !== undefined ? [{ name: 'target-kubeconfig', mountPath: TARGET_KUBECONFIG_DIR, readOnly: true }] : []),
  ];
  const volumes = [
    { name: 'runbook', configMap: { name: configMapName } },
    { name: 'work', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    ...(options.targetKubeconfigSecret !== undefined ? [{ name: 'target-kubeconfig', secret: { secretName: options.targetKubeconfigSecret } }] : []),
  ];
  return {
    backoffLimit: options.backoffLimit ?? DEFAULT_BACKOFF_LIMIT,
    // Exit 1 is a run that failed on its own terms: another pod would resume it into the same failure. Crashes, kills (137, 143) and
    // invalid input or a still-held lease (2) are retried; an eviction does not count against backoffLimit.
    podFailurePolicy: {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'opsbook', operator: 'In', values: [RUN_FAILED_EXIT_CODE] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ],
    },
    ...(options.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: options.activeDeadlineSeconds } : {}),
    template: {
      metadata: { labels },
      spec: {
        restartPolicy: 'Never',
        ...(options.serviceAccount !== undefined ? { serviceAccountName: options.serviceAccount } : {}),
        securityContext: { runAsNonRoot: true, runAsUser: POD_UID, runAsGroup: POD_UID, fsGroup: POD_UID, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'opsbook',
            image: options.image,
            args,
            workingDir: WORK_DIR,
            env,
            volumeMounts,
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          },
        ],
        volumes,
      },
    },
  };
}
