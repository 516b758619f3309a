// A runbook as an Argo Workflow: one DAG task per step, each running `opsbook step run`; what Argo cannot express faithfully is refused.

import type { Diagnostic } from '../../errors.js';
import type { InputSpec, Runbook, StepSpec } from '../../runbook/types.js';
import type { Locate } from '../../yaml/index.js';
import { listReads } from './reads.js';

/** Where the runbook sits in the container and where `step run --out-dir` writes. */
export const RUNBOOK_PATH = '/opsbook/runbook.yaml';
export const OUT_DIR = '/tmp/opsbook-out';
/** `step run --single-attempt` exits with this when the step's retry policy would try again. */
export const RETRYABLE_EXIT_CODE = 3;
/** Seconds Argo allows past a step's own timeout (opsbook stops the attempt itself, then reports). */
export const DEADLINE_GRACE_SECONDS = 30;
/** Where the kubeconfig Secret is mounted, and its key `value` in there. */
export const KUBECONFIG_DIR = '/opsbook/kube';
export const KUBECONFIG_PATH = `${KUBECONFIG_DIR}/value`;
/** The volume claim carrying files from task to task, mounted at the image's home and working directory (Dockerfile: HOME=/work). */
export const WORKSPACE_VOLUME = 'opsbook-workspace';
export const WORKSPACE_DIR = '/work';
export const DEFAULT_WORKSPACE_SIZE = '1Gi';
/** The opsbook image's group (Dockerfile): fsGroup makes a fresh claim writable for it (and any image's user, as a supplementary group). */
const WORKSPACE_FS_GROUP = 10001;

export interface ArgoExportOptions {
  /** Container image running opsbook. */
  image: string;
  namespace?: string;
  /** A WorkflowTemplate instead of a Workflow. */
  template?: boolean;
  /**
   * Secret (key `value`) holding the kubeconfig of the cluster the steps act on; without it a single-cluster export's pods act on
   * the cluster they run in as their service account (in-cluster). A fleet's clusters each have `<cluster>-kubeconfig`.
   */
  kubeconfigSecret?: string;
  /** spec.serviceAccountName: the identity every pod runs as (and, in-cluster, acts on the cluster with); default: Argo's (the namespace's `default`). */
  serviceAccount?: string;
  /** The workspace claim: size (default 1Gi), storage class (default: the cluster's), access mode (default ReadWriteOnce). */
  workspace?: { size?: string; storageClass?: string; accessMode?: 'ReadWriteOnce' | 'ReadWriteMany' };
  /** The runbook text, embedded so each pod reads the very runbook exported. */
  text: string;
  /** Source positions, for refusals and notes. */
  locate: Locate;
}

/** One cluster of a fleet as the export needs it. */
export interface ArgoFleet {
  name: string;
  /** Clusters per wave, in order; each cluster's kubeconfig comes from Secret `<cluster>-kubeconfig`, key `value`. */
  waves: string[][];
  maxParallel: number;
  /** Between waves: nothing, a delay (ms), or a manual gate (`argo resume`). */
  pause: { kind: 'none' } | { kind: 'delay'; ms: number } | { kind: 'manual' };
}

export interface ArgoExport {
  manifest: Record<string, unknown>;
  /** Differences Argo brings that are documented rather than refused (jitter, Retry-After …), at file:line:col. */
  notes: Diagnostic[];
}

/** Thrown with every refusal: what cannot be mapped faithfully, each at its file:line:col. */
export class ExportRefused extends Error {
  override name = 'ExportRefused';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`cannot export ${diagnostics[0]?.file ?? 'runbook'} to Argo: ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`);
  }
}

type Json = Record<string, unknown>;

/** Built-in steps that write a file on the machine opsbook runs on and output its `path`. */
const LOCAL_FILE_STEPS = new Set(['write-kubeconfig']);

/** Whether a literal path lands on the workspace (under ~, /work, or relative to the working directory /work). */
function onWorkspace(file: unknown): boolean {
  if (typeof file !== 'string' || file.includes('${{')) return false;
  return file === '~' || file.startsWith('~/') || file === WORKSPACE_DIR || file.startsWith(`${WORKSPACE_DIR}/`) || !file.startsWith('/');
}

/** The workflow's workspace claim (one per workflow; a fleet's clusters each use a subdirectory of it). */
function buildWorkspaceClaim(options: ArgoExportOptions): Json {
  const { size = DEFAULT_WORKSPACE_SIZE, storageClass, accessMode = 'ReadWriteOnce' } = options.workspace ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: WORKSPACE_VOLUME },
    spec: { accessModes: [accessMode], resources: { requests: { storage: size } }, ...(storageClass !== undefined ? { storageClassName: storageClass } : {}) },
  };
}

/** Builds the manifest; throws ExportRefused listing every field that cannot be mapped. */
export function exportArgoWorkflow(runbook: Runbook, options: ArgoExportOptions, fleet?: ArgoFleet): ArgoExport {
  const ctx = new Context(runbook, options);
  const reads = collectOutputReads(runbook, ctx);
  const stepTemplates = runbook.steps.map((step) => buildStepTemplate(step, reads.get(step.id) ?? new Set(), ctx, fleet !== undefined));
  const dag = buildDag(runbook, reads, ctx, fleet !== undefined);
  const deadlineSeconds = resolveDeadline(runbook, ctx);
  const lock = runbook.lock;
  if (ctx.refusals.length > 0) throw new ExportRefused(ctx.refusals);

  const name = runbook.metadata.name;
  const runbookTemplate: Json = { name: 'runbook', dag };
  if (fleet) {
    runbookTemplate.inputs = { parameters: [{ name: 'cluster' }] };
    runbookTemplate.parallelism = runbook.concurrency;
    if (lock) runbookTemplate.synchronization = { mutexes: [{ name: `opsbook-${lock.name}-{{inputs.parameters.cluster}}` }] };
  }
  const templates: Json[] = [...(fleet ? buildFleetTemplates(fleet) : []), runbookTemplate, ...stepTemplates.filter((t): t is Json => t !== undefined)];
  const spec: Json = {
    entrypoint: fleet ? 'fleet' : 'runbook',
    ...(options.serviceAccount !== undefined ? { serviceAccountName: options.serviceAccount } : {}),
    parallelism: runbook.concurrency * (fleet ? fleet.maxParallel : 1),
    ...(deadlineSeconds !== undefined && !fleet ? { activeDeadlineSeconds: deadlineSeconds } : {}),
    arguments: { parameters: buildParameters(runbook, ctx) },
    ...(lock && !fleet ? { synchronization: { mutexes: [{ name: `opsbook-${lock.name}` }] } } : {}),
    // Each task is a pod of its own: what one step leaves in ~, the working directory or a temp directory reaches the next through this claim.
    volumeClaimTemplates: [buildWorkspaceClaim(options)],
    securityContext: { fsGroup: WORKSPACE_FS_GROUP },
    templates,
  };
  if (fleet && fleet.maxParallel > 1 && (options.workspace?.accessMode ?? 'ReadWriteOnce') === 'ReadWriteOnce') {
    ctx.note(['spec'], `the fleet runs up to ${fleet.maxParallel} clusters at once, each in its own directory of one ReadWriteOnce workspace: pods scheduled on another node than the one holding the volume wait for it; give --workspace-access-mode ReadWriteMany (and a --workspace-storage-class that offers it) to run them side by side`);
  }
  if (fleet && deadlineSeconds !== undefined) {
    // Argo bounds a whole workflow or one pod, not one cluster's DAG (a DAG template's `timeout` is not applied).
    ctx.note(['spec', 'deadline'], `with a fleet, spec.deadline (${deadlineSeconds}s per cluster) is not enforced by Argo: each step still stops at its own timeout, and the workflow has no overall deadline`);
  }
  if (lock) {
    // step run drops the Lease (parallel tasks would fight over it), so Argo's mutex is the only exclusion left.
    ctx.note(['spec', 'lock'], `spec.lock becomes an Argo mutex in the workflow's namespace, held for the whole workflow (no ttl: Argo frees it when the workflow ends); the Lease ${lock.namespace}/${lock.name} is not taken, so an \`opsbook run\` of this runbook on the same cluster is not kept out`);
  }
  const metadata: Json = {
    ...(options.template ? { name } : { generateName: `${name}-` }),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: { 'opsbook.dev/runbook': name },
    annotations: {
      'opsbook.dev/runbook-sha256': runbook.sha256,
      ...(fleet ? { 'opsbook.dev/fleet': fleet.name } : {}),
      // Argo's UI shows this annotation as the workflow's description.
      ...(runbook.metadata.description !== undefined ? { 'workflows.argoproj.io/description': runbook.metadata.description } : {}),
    },
  };
  return {
    manifest: { apiVersion: 'argoproj.io/v1alpha1', kind: options.template ? 'WorkflowTemplate' : 'Workflow', metadata, spec },
    notes: ctx.notes,
  };
}

class Context {
  readonly refusals: Diagnostic[] = [];
  readonly notes: Diagnostic[] = [];
  constructor(
    readonly runbook: Runbook,
    readonly options: ArgoExportOptions,
  ) {}
  private at(path: readonly (string | number)[], message: string): Diagnostic {
    const pos = this.options.locate(path);
    return { file: this.runbook.file, line: pos.line, col: pos.col, path: formatPath(path), message };
  }
  refuse(path: readonly (string | number)[], message: string): void {
    this.refusals.push(this.at(path, message));
  }
  note(path: readonly (string | number)[], message: string): void {
    this.notes.push(this.at(path, message));
  }
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const stepPath = (step: StepSpec, ...rest: (string | number)[]) => ['spec', 'steps', step.index, ...rest];

/** For each step, the output keys its dependants read (they become Argo output parameters). */
function collectOutputReads(runbook: Runbook, ctx: Context): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  const byId = new Map(runbook.steps.map((s) => [s.id, s]));
  for (const step of runbook.steps) {
    for (const read of listReads(step)) {
      if (read.what !== 'outputs') continue;
      const source = byId.get(read.stepId);
      if (source?.type === 'pause') {
        ctx.refuse(stepPath(step, ...read.field.split('.')), `reads steps.${read.stepId}.outputs, but ${read.stepId} is a manual gate: in Argo it is a suspend node, which has no outputs`);
        continue;
      }
      if (source && LOCAL_FILE_STEPS.has(source.type) && read.key === 'path' && !onWorkspace(source.with.path)) {
        ctx.note(
          stepPath(step, ...read.field.split('.')),
          `reads steps.${read.stepId}.outputs.path, a file ${read.stepId} (${source.type}) writes in its own pod: it reaches ${step.id} through the workspace volume only if the path lies under ~ or ${WORKSPACE_DIR} (every pod's HOME, working directory and TMPDIR); anywhere else it is gone when ${step.id} starts`,
        );
      }
      if (read.key === undefined) {
        ctx.refuse(stepPath(step, ...read.field.split('.')), `reads the whole steps.${read.stepId}.outputs map: Argo passes named output parameters only; read steps.${read.stepId}.outputs.<key>`);
        continue;
      }
      if (!/^[A-Za-z0-9_-]+$/.test(read.key)) {
        ctx.refuse(stepPath(step, ...read.field.split('.')), `output key ${JSON.stringify(read.key)} cannot be an Argo parameter name (letters, digits, - and _)`);
        continue;
      }
      const set = reads.get(read.stepId) ?? new Set<string>();
      set.add(read.key);
      reads.set(read.stepId, set);
    }
  }
  return reads;
}

function buildDag(runbook: Runbook, reads: Map<string, Set<string>>, ctx: Context, fleet: boolean): Json {
  const byId = new Map(runbook.steps.map((s) => [s.id, s]));
  const tasks = runbook.steps.map((step) => {
    // Argo evaluates depends as an expression (task names with - read as _): a name must not start with a digit.
    if (/^[0-9]/.test(step.id)) ctx.refuse(stepPath(step, 'id'), `step id ${step.id} starts with a digit: Argo's depends expressions cannot name such a task; rename the step`);
    const depends = step.needs.map((need) => dependTerm(need, byId.get(need)!, step.always));
    const parameters: Json[] = [];
    if (fleet) parameters.push({ name: 'cluster', value: '{{inputs.parameters.cluster}}' });
    const upstream = ancestors(step, byId);
    const ran = guaranteedToHaveRun(step, byId, new Map());
    for (const read of dedupeReads(listReads(step))) {
      if (!upstream.has(read.stepId)) {
        ctx.refuse(stepPath(step), `reads steps.${read.stepId}, which is not upstream of it: Argo only passes the results of a task's ancestors; add ${read.stepId} to needs`);
        continue;
      }
      if (read.what !== 'needs' && byId.get(read.stepId)?.type !== 'pause' && !ran.has(read.stepId)) {
        const what = read.what === 'status' ? `steps.${read.stepId}.status` : `steps.${read.stepId}.outputs.${read.key ?? ''}`;
        const param = read.what === 'status' ? 'status' : (read.key ?? '');
        ctx.refuse(
          stepPath(step, ...read.field.split('.')),
          `reads ${what}, but ${read.stepId} may not have run when ${step.id} starts (${step.always ? `${step.id} is \`always\`` : `an \`always\` step lies between them`}): ` +
            `Argo leaves a task that did not run Omitted, with no output parameters, so {{tasks.${read.stepId}.outputs.parameters.${param}}} cannot be resolved and Argo errors ${step.id} instead of running it; ` +
            `read only steps that ran for sure (one with no needs, or one reached through needs without \`always\`), or drop \`always\``,
        );
        continue;
      }
      if (read.what === 'outputs' && read.key !== undefined && reads.get(read.stepId)?.has(read.key)) {
        parameters.push({ name: outputParam(read.stepId, read.key), value: `{{tasks.${read.stepId}.outputs.parameters.${read.key}}}` });
      }
      if (read.what === 'status' && byId.get(read.stepId)?.type !== 'pause') {
        parameters.push({ name: statusParam(read.stepId), value: `{{tasks.${read.stepId}.outputs.parameters.status}}` });
      }
    }
    const task: Json = {
      name: step.id,
      template: templateName(step),
      ...(depends.length > 0 ? { depends: depends.join(' && ') } : {}),
      ...(parameters.length > 0 ? { arguments: { parameters: uniqueByName(parameters) } } : {}),
      ...(step.continueOnError ? { continueOn: { failed: true } } : {}),
    };
    return task;
  });
  // opsbook starts no new step after a failure (failFast) but still runs `always` steps; Argo's failFast would not start them.
  const always = runbook.steps.find((s) => s.always);
  if (always) {
    ctx.note(stepPath(always, 'always'), 'failFast: false so that `always` steps run after a failure; unlike opsbook run, Argo then also starts steps that do not depend on the failed one');
    return { failFast: false, tasks };
  }
  return { tasks };
}

/** Every step `step` transitively needs (Argo resolves `tasks.X` for any ancestor). */
function ancestors(step: StepSpec, byId: ReadonlyMap<string, StepSpec>): Set<string> {
  const seen = new Set<string>();
  const queue = [...step.needs];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(byId.get(id)?.needs ?? []));
  }
  return seen;
}

/**
 * The steps certain to have run (started, not Omitted) whenever `step` starts: a non-`always` step starts only once each
 * need succeeded (or failed, with continueOnError); an `always` one may start after its needs were Omitted, so only the
 * ancestors with no needs (always started: the DAG has failFast: false then) are certain.
 */
function guaranteedToHaveRun(step: StepSpec, byId: ReadonlyMap<string, StepSpec>, memo: Map<string, Set<string>>): Set<string> {
  const known = memo.get(step.id);
  if (known) return known;
  const ran = new Set<string>();
  if (step.always) {
    for (const id of ancestors(step, byId)) if ((byId.get(id)?.needs.length ?? 1) === 0) ran.add(id);
  } else {
    for (const need of step.needs) {
      ran.add(need);
      const source = byId.get(need);
      if (source) for (const id of guaranteedToHaveRun(source, byId, memo)) ran.add(id);
    }
  }
  memo.set(step.id, ran);
  return ran;
}

/** `needs: [a]` as an Argo depends term: a continueOnError step may fail, an `always` dependant runs whatever happened. */
function dependTerm(need: string, source: StepSpec, always: boolean): string {
  if (always) return `(${need}.Succeeded || ${need}.Failed || ${need}.Errored || ${need}.Skipped || ${need}.Omitted)`;
  if (source.continueOnError) return `(${need}.Succeeded || ${need}.Failed)`;
  return `${need}.Succeeded`;
}

function dedupeReads<T extends { stepId: string; what: string; key?: string }>(reads: T[]): T[] {
  const seen = new Set<string>();
  return reads.filter((r) => {
    const key = `${r.stepId}\u0000${r.what}\u0000${r.key ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function uniqueByName(parameters: Json[]): Json[] {
  const seen = new Set<unknown>();
  return parameters.filter((p) => (seen.has(p.name) ? false : (seen.add(p.name), true)));
}

export const outputParam = (stepId: string, key: string) => `out-${stepId}-${key}`;
export const statusParam = (stepId: string) => `status-${stepId}`;
export const templateName = (step: StepSpec) => (step.type === 'pause' ? `gate-${step.id}` : `step-${step.id}`);

function buildStepTemplate(step: StepSpec, outputKeys: Set<string>, ctx: Context, fleet: boolean): Json | undefined {
  const runbook = ctx.runbook;
  if (step.type === 'pause') {
    if (step.when !== undefined) ctx.refuse(stepPath(step, 'when'), 'a manual gate with `when` cannot be a suspend node (Argo cannot evaluate the CEL condition there)');
    if (step.retry.attempts > 1) ctx.refuse(stepPath(step, 'retry'), 'a manual gate is not retried in Argo (suspend nodes have no retryStrategy)');
    const gate = step.with;
    const computed = (['approvals', 'approvers', 'timeout', 'onTimeout'] as const).filter((key) => typeof gate[key] === 'string' && String(gate[key]).includes('${{'));
    for (const key of computed) ctx.refuse(stepPath(step, 'with', key), `a gate's ${key} computed at run time cannot be written into a suspend node`);
    // Argo resumes a suspend node on the first `argo resume` by anyone allowed to update the workflow.
    if (typeof gate.approvals === 'number' && gate.approvals > 1) {
      ctx.refuse(stepPath(step, 'with', 'approvals'), `${gate.approvals} distinct approvals: an Argo suspend node is resumed by one \`argo resume\`, so it cannot wait for more than one approver; use approvals: 1, or keep this gate in \`opsbook run\`/\`submit\``);
    }
    if (gate.approvers !== undefined) {
      ctx.refuse(stepPath(step, 'with', 'approvers'), 'Argo does not check who resumes a suspend node (anyone RBAC lets update the workflow can), so approvers cannot be enforced; drop approvers and restrict `argo resume` with RBAC, or keep this gate in `opsbook run`/`submit`');
    }
    const waitMs = typeof gate.timeout === 'string' && !computed.includes('timeout') ? parseDurationMs(gate.timeout) : undefined;
    if (waitMs !== undefined && gate.onTimeout !== 'approve' && !computed.includes('onTimeout')) {
      ctx.refuse(stepPath(step, 'with', 'timeout'), 'a gate that rejects when its timeout passes: an Argo suspend node either waits for `argo resume` or resumes (approves) by itself after a duration; use onTimeout: approve, or drop timeout (the workflow deadline bounds the wait)');
    }
    if (gate.notify !== undefined) {
      ctx.note(stepPath(step, 'with', 'notify'), `the webhook is not called: Argo's suspend node notifies no one (its UI and \`argo list\` show the workflow as waiting)`);
    }
    // With onTimeout: approve, Argo's own duration resumes the node as opsbook would approve it.
    const suspend = waitMs !== undefined && gate.onTimeout === 'approve' ? { duration: `${Math.ceil(waitMs / 1000)}s` } : {};
    // The step timeout is how long opsbook waits at most; Argo's suspend waits for `argo resume` (or its duration, or the deadline).
    ctx.note(stepPath(step), `manual gate ${step.id}: a suspend node; approve with \`argo resume WORKFLOW --node-field-selector displayName=${step.id}\`; its timeout (${step.timeoutMs}ms) is not applied, the workflow deadline is`);
    return { name: templateName(step), suspend };
  }
  const byId = new Map(runbook.steps.map((s) => [s.id, s]));
  const workingDirectory = step.with.workingDirectory;
  if (typeof workingDirectory === 'string' && !workingDirectory.startsWith('/') && !workingDirectory.startsWith('${{')) {
    // opsbook run resolves it against the caller's directory; the pod has only the image and the runbook.
    ctx.refuse(stepPath(step, 'workingDirectory'), `workingDirectory ${workingDirectory} is relative to the directory opsbook runs in, which the pod does not have (it holds the image and ${RUNBOOK_PATH} only): use an absolute path inside the image`);
  }
  const inputParams: Json[] = fleet ? [{ name: 'cluster' }] : [];
  // Without a kubeconfig Secret the pod connects in-cluster: the API server from its environment, its service account's token and CA.
  const kubeconfigSecret = fleet ? '{{inputs.parameters.cluster}}-kubeconfig' : ctx.options.kubeconfigSecret;
  const args: string[] = ['step', 'run', RUNBOOK_PATH, step.id, '--out-dir', OUT_DIR, '--single-attempt', '--output', 'plain', ...(kubeconfigSecret !== undefined ? ['--kubeconfig', KUBECONFIG_PATH] : [])];
  for (const input of Object.values(runbook.inputs)) {
    if (input.type !== 'secret') args.push('--set', `${input.name}={{workflow.parameters.${input.name}}}`);
  }
  for (const read of dedupeReads(listReads(step))) {
    if (read.what === 'outputs' && read.key !== undefined) {
      inputParams.push({ name: outputParam(read.stepId, read.key) });
      args.push(`--step-output=${read.stepId}.${read.key}={{inputs.parameters.${outputParam(read.stepId, read.key)}}}`);
    } else if (read.what === 'status' && byId.get(read.stepId)?.type !== 'pause') {
      inputParams.push({ name: statusParam(read.stepId) });
      args.push(`--step-status=${read.stepId}={{inputs.parameters.${statusParam(read.stepId)}}}`);
    }
  }
  // ~, the working directory and temp directories on the workspace: where steps leave files for the steps after them.
  const env = [{ name: 'HOME', value: WORKSPACE_DIR }, { name: 'TMPDIR', value: WORKSPACE_DIR }, ...buildSecretEnv(runbook, ctx)];
  // A fleet's clusters run side by side: each keeps its files in a directory of its own.
  const workspaceMount: Json = { name: WORKSPACE_VOLUME, mountPath: WORKSPACE_DIR, ...(fleet ? { subPath: '{{inputs.parameters.cluster}}' } : {}) };
  const outputs = [...outputKeys].sort().map((key) => ({ name: key, valueFrom: { path: `${OUT_DIR}/outputs/${key}`, default: '' } }));
  const template: Json = {
    name: templateName(step),
    inputs: {
      ...(inputParams.length > 0 ? { parameters: uniqueByName(inputParams) } : {}),
      artifacts: [{ name: 'runbook', path: RUNBOOK_PATH, raw: { data: ctx.options.text } }],
    },
    outputs: { parameters: [{ name: 'status', valueFrom: { path: `${OUT_DIR}/status`, default: 'failed' } }, ...outputs] },
    // opsbook times the attempt out itself (and reports it as a timeout); Argo's deadline is the backstop for a stuck pod.
    activeDeadlineSeconds: Math.ceil(step.timeoutMs / 1000) + DEADLINE_GRACE_SECONDS,
    ...(step.retry.attempts > 1 ? { retryStrategy: buildRetryStrategy(step, ctx) } : {}),
    container: {
      name: 'main',
      image: ctx.options.image,
      command: ['opsbook'],
      args,
      workingDir: WORKSPACE_DIR,
      env,
      volumeMounts: [workspaceMount, ...(kubeconfigSecret !== undefined ? [{ name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true }] : [])],
    },
    ...(kubeconfigSecret !== undefined ? { volumes: [{ name: 'kubeconfig', secret: { secretName: kubeconfigSecret } }] } : {}),
  };
  return template;
}

/** opsbook's retry as Argo's: the attempt count and backoff; which failures retry is decided by opsbook (exit 3). */
function buildRetryStrategy(step: StepSpec, ctx: Context): Json {
  const { retry } = step;
  const backoff: Json = { duration: formatGoDuration(retry.backoff.initialMs), cap: formatGoDuration(retry.backoff.maxMs) };
  if (Number.isInteger(retry.backoff.factor)) backoff.factor = retry.backoff.factor;
  else ctx.refuse(stepPath(step, 'retry', 'backoff', 'factor'), `backoff factor ${retry.backoff.factor}: Argo's backoff factor is a whole number`);
  if (retry.maxDurationMs !== undefined) backoff.maxDuration = formatGoDuration(retry.maxDurationMs);
  // Built-in steps talk to servers that may send Retry-After (the API server's 429s, HTTP services); Argo's backoff cannot honour it.
  const differences = [
    ...(retry.backoff.jitter ? ['backoff jitter is not applied by Argo: it waits the full backoff (the longest opsbook would)'] : []),
    ...(step.type !== 'shell' ? ["a server's Retry-After is not honoured by Argo: it waits its backoff instead"] : []),
  ];
  if (differences.length > 0) ctx.note(stepPath(step, 'retry'), differences.join('; '));
  return {
    limit: retry.attempts - 1,
    retryPolicy: 'Always',
    // `step run --single-attempt` asks the engine whether the policy (its `on` classes, maxDuration, the deadline) would retry.
    expression: `asInt(lastRetry.exitCode) == ${RETRYABLE_EXIT_CODE}`,
    backoff,
  };
}

/** Secret inputs reach the container as the environment variable they are read from, out of a Secret; never as parameters. */
function buildSecretEnv(runbook: Runbook, ctx: Context): Json[] {
  const env: Json[] = [];
  for (const input of Object.values(runbook.inputs)) {
    if (input.type !== 'secret') continue;
    if (input.fromEnv === undefined) {
      refuseInput(ctx, input, `secret input ${input.name} has no fromEnv: the pod gets secrets as environment variables from a Secret`);
      continue;
    }
    env.push({ name: input.fromEnv, valueFrom: { secretKeyRef: { name: `${runbook.metadata.name}-secrets`, key: input.name } } });
  }
  return env;
}

function refuseInput(ctx: Context, input: InputSpec, message: string): void {
  if (!ctx.refusals.some((r) => r.message === message)) ctx.refuse(['spec', 'inputs', input.name], message);
}

/** Non-secret inputs as workflow parameters: strings as they are, other types as JSON (what `--set` reads). */
function buildParameters(runbook: Runbook, ctx: Context): Json[] {
  const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  return Object.values(runbook.inputs)
    .filter((input) => input.type !== 'secret')
    .map((input) => {
      const parameter: Json = { name: input.name };
      if (input.default !== undefined) parameter.value = asText(input.default);
      if (input.description !== undefined) parameter.description = input.description;
      // Argo's UI offers the values; each pod's `step run` still checks them (an array's enum is per item, which Argo cannot say).
      if (input.enum !== undefined && input.type !== 'array') parameter.enum = input.enum.map(asText);
      const sources = [input.fromEnv !== undefined ? `fromEnv ${input.fromEnv}` : '', input.fromFile !== undefined ? `fromFile ${input.fromFile}` : ''].filter(Boolean);
      if (sources.length > 0) {
        ctx.note(['spec', 'inputs', input.name], `${input.name}'s ${sources.join(' and ')} is not read in the pods: every pod gets the workflow parameter ${input.name} (${input.default !== undefined ? 'its default unless given at submit' : 'to be given at submit'})`);
      }
      return parameter;
    });
}

/** spec.deadline in whole seconds; a `${{ inputs.X }}` deadline uses X's default (noted), anything else computed is refused. */
function resolveDeadline(runbook: Runbook, ctx: Context): number | undefined {
  const source = runbook.deadline;
  if (source === undefined) return undefined;
  const direct = parseDurationMs(source);
  if (direct !== undefined) return Math.ceil(direct / 1000);
  const match = /^\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(source);
  const input = match ? runbook.inputs[match[1]!] : undefined;
  const fallback = typeof input?.default === 'string' ? parseDurationMs(input.default) : undefined;
  if (input && fallback !== undefined) {
    ctx.note(['spec', 'deadline'], `activeDeadlineSeconds is fixed at export from ${input.name}'s default (${String(input.default)}); a different ${input.name} at submit does not move it`);
    return Math.ceil(fallback / 1000);
  }
  ctx.refuse(['spec', 'deadline'], `deadline ${source} is computed at run time; Argo's activeDeadlineSeconds is a number: write a duration, or \${{ inputs.X }} with a default`);
  return undefined;
}

/** `1h30m`, `90s`, `500ms` → ms (the runbook's duration syntax). */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** ms → a Go duration string (`1m30s`, `200ms`), what Argo's backoff fields parse. */
export function formatGoDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

/** The fleet's entry DAG: one task per wave over its clusters (withItems), waves one after another, gates between them. */
function buildFleetTemplates(fleet: ArgoFleet): Json[] {
  const tasks: Json[] = [];
  const templates: Json[] = [];
  let previous: string | undefined;
  fleet.waves.forEach((clusters, i) => {
    const wave = `wave-${i + 1}`;
    if (previous && fleet.pause.kind !== 'none') {
      const gate = `gate-${wave}`;
      tasks.push({ name: gate, template: gate, depends: `${previous}.Succeeded` });
      templates.push({ name: gate, suspend: fleet.pause.kind === 'delay' ? { duration: `${Math.ceil(fleet.pause.ms / 1000)}s` } : {} });
      previous = gate;
    }
    tasks.push({
      name: wave,
      template: 'runbook',
      ...(previous ? { depends: `${previous}.Succeeded` } : {}),
      arguments: { parameters: [{ name: 'cluster', value: '{{item}}' }] },
      withItems: clusters,
    });
    previous = wave;
  });
  return [{ name: 'fleet', parallelism: fleet.maxParallel, dag: { tasks } }, ...templates];
}
