// A stand-in for the Argo controller: follows an exported Workflow's DAG (depends, continueOn, failFast, retryStrategy,
// suspend, parameters) and runs each container's `opsbook step run` for real, so a round trip can be compared with `opsbook run`.
// Each task runs as in a pod of its own: a mount namespace with a private /tmp and home, sharing only the workflow's workspace volume.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pathToFileURL } from 'node:url';
import { cliEntry, repoRoot, type CliResult } from '../helpers/cli.js';

type Json = Record<string, any>;

/** Argo's node phases as `depends` sees them. */
export type Phase = 'Succeeded' | 'Failed' | 'Errored' | 'Skipped' | 'Omitted';

export interface TaskRecord {
  phase: Phase;
  /** What opsbook wrote (`status` file), when the task ran a container. */
  status?: string;
  outputs: Record<string, unknown>;
  /** Output parameters as Argo would hold them (text). */
  parameters: Record<string, string>;
  attempts: number;
}

export interface HarnessOptions {
  /** Workflow parameters given at submit (over the manifest's values). */
  parameters?: Record<string, string>;
  /** Secret values by `secretName/key`. */
  secrets?: Record<string, string>;
  /** Kubeconfig files standing in for the kubeconfig Secrets, by Secret name (its key `value` is the file). */
  kubeconfigs?: Record<string, string>;
  /** Suspend nodes answered by `argo resume` (by task name); any other ends Failed, as `argo stop` would leave it. */
  resume?: string[];
  /**
   * A pod with no kubeconfig Secret acts on its own cluster as its service account: the kubelet's service environment and the
   * service-account directory (token, ca.crt, namespace) mounted where a pod has it — in a mount namespace of the step's own (unshare).
   */
  inCluster?: { host: string; port: number; serviceAccountDir: string };
  /** Arguments added to every `opsbook step run` (e.g. --rehearsal FILE: the pods' network is the simulation's). */
  extraArgs?: string[];
  /** Host paths standing for storage outside the pods that every task reaches (a parameter naming a shared directory). */
  sharedPaths?: string[];
  stateDir: string;
  env?: Record<string, string>;
}

export interface HarnessResult {
  tasks: Map<string, TaskRecord>;
  /** Task names in the order they were started. */
  order: string[];
  /** Every `opsbook step run` argv, after substitution. */
  invocations: string[][];
  /** With a fleet: each cluster's (item's) tasks. */
  items: Map<string, Map<string, TaskRecord>>;
}

/** Runs the Workflow's entrypoint DAG to the end, one task at a time in a topological order. */
export async function runWorkflow(manifest: Json, options: HarnessOptions): Promise<HarnessResult> {
  const spec = manifest.spec;
  const templates = new Map<string, Json>(spec.templates.map((t: Json) => [t.name, t]));
  const globals: Record<string, string> = {};
  for (const p of spec.arguments?.parameters ?? []) if (p.value !== undefined) globals[p.name] = p.value;
  Object.assign(globals, options.parameters);
  const result: HarnessResult = { tasks: new Map(), order: [], invocations: [], items: new Map() };
  const work = mkdtempSync(path.join(tmpdir(), 'argo-harness-'));
  // Made now so each task's namespace can bind it back over its private /tmp (the journal is the harness's, not the pod's).
  mkdirSync(options.stateDir, { recursive: true });
  // The workspace volume (one per workflow): under a rehearsal, the simulation's workstation home (`~` of its steps, seeded
  // as the workstation would be); otherwise a fresh directory, as a new claim starts empty.
  const connection = rehearsalConnection(options.extraArgs ?? []);
  const home = connection?.workstationHome;
  const workspace = home ?? path.join(work, 'workspace');
  mkdirSync(workspace, { recursive: true });
  // The simulated cluster's kubeconfig stands for the pods' way to their cluster (a kubeconfig Secret, or in-cluster).
  const exposed = connection ? [connection.kubeconfig] : [];
  const run = { templates, globals, options, work, result, workspace, podHome: home ?? POD_HOME, exposed };
  result.tasks = (await runDag(run, spec.entrypoint, {})).tasks;
  return result;
}

interface WorkflowRun {
  templates: Map<string, Json>;
  globals: Record<string, string>;
  options: HarnessOptions;
  work: string;
  result: HarnessResult;
  /** Host directory holding the workspace volume's contents. */
  workspace: string;
  /** Where a task's home (the image's /work) is inside its mount namespace. */
  podHome: string;
  /** Further host paths every task sees. */
  exposed: string[];
}

/** One DAG template with its inputs: tasks by depends, failFast, withItems (each item a DAG of its own), suspend gates. */
async function runDag(run: WorkflowRun, name: string, inputs: Record<string, string>): Promise<{ phase: Phase; tasks: Map<string, TaskRecord> }> {
  const dag = run.templates.get(name)!.dag;
  const failFast = dag.failFast !== false;
  const tasks = new Map<string, TaskRecord>();
  const pending: Json[] = [...dag.tasks];
  let failed = false;
  while (pending.length > 0) {
    const index = pending.findIndex((t) => dependenciesOf(t).every((d) => tasks.has(d)));
    if (index === -1) throw new Error(`no task can start: ${pending.map((t) => t.name).join(', ')}`);
    const task = pending.splice(index, 1)[0]!;
    // Not started: its depends is false, or failFast after a failure (without continueOn).
    if ((task.depends !== undefined && !evaluateDepends(task.depends, tasks)) || (failFast && failed)) {
      tasks.set(task.name, { phase: 'Omitted', outputs: {}, parameters: {}, attempts: 0 });
      continue;
    }
    run.result.order.push(task.name);
    const template = run.templates.get(task.template)!;
    let record: TaskRecord;
    if (template.suspend) {
      // A suspend with a duration resumes itself when it passes; one without waits for `argo resume`.
      const resumed = template.suspend.duration !== undefined || (run.options.resume ?? []).includes(task.name);
      record = { phase: resumed ? 'Succeeded' : 'Failed', outputs: {}, parameters: {}, attempts: 0 };
    } else if (template.dag) {
      // A task group: each item runs the DAG with its arguments; the group fails when one of them does.
      let phase: Phase = 'Succeeded';
      for (const item of task.withItems ?? [undefined]) {
        const args: Record<string, string> = {};
        for (const p of task.arguments?.parameters ?? []) args[p.name] = String(p.value).replaceAll('{{item}}', String(item));
        const child = await runDag(run, task.template, args);
        if (item !== undefined) run.result.items.set(String(item), child.tasks);
        if (child.phase !== 'Succeeded') phase = child.phase;
      }
      record = { phase, outputs: {}, parameters: {}, attempts: 1 };
    } else {
      record = await runContainerTask(task, template, { globals: run.globals, inputs, tasks, options: run.options, work: run.work, invocations: run.result.invocations, workspace: run.workspace, podHome: run.podHome, exposed: run.exposed });
    }
    tasks.set(task.name, record);
    if ((record.phase === 'Failed' || record.phase === 'Errored') && !task.continueOn?.failed) failed = true;
  }
  return { phase: failed ? 'Failed' : 'Succeeded', tasks };
}

function dependenciesOf(task: Json): string[] {
  if (task.depends === undefined) return [];
  return [...new Set([...String(task.depends).matchAll(/([a-z0-9][a-z0-9-]*)\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)/g)].map((m) => m[1]!))];
}

/** Argo's depends grammar as the exporter writes it: `X.Result` terms joined by ||, && and parentheses. */
export function evaluateDepends(expression: string, tasks: ReadonlyMap<string, TaskRecord>): boolean {
  const js = expression.replace(/([a-z0-9][a-z0-9-]*)\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)/g, (_, name: string, result: string) =>
    String(tasks.get(name)?.phase === result),
  );
  if (!/^[\s()&|!truefals]*$/.test(js)) throw new Error(`unexpected depends: ${expression}`);
  return Function(`return (${js});`)() as boolean;
}

interface TaskContext {
  globals: Record<string, string>;
  /** The enclosing DAG's inputs (a fleet's `cluster`). */
  inputs: Record<string, string>;
  tasks: Map<string, TaskRecord>;
  options: HarnessOptions;
  work: string;
  invocations: string[][];
  workspace: string;
  podHome: string;
  exposed: string[];
}

async function runContainerTask(task: Json, template: Json, ctx: TaskContext): Promise<TaskRecord> {
  const inputs: Record<string, string> = {};
  for (const p of task.arguments?.parameters ?? []) {
    const value = substitute(String(p.value), (ref) => {
      if (ref.startsWith('inputs.parameters.')) return ctx.inputs[ref.slice('inputs.parameters.'.length)];
      const m = /^tasks\.([a-z0-9-]+)\.outputs\.parameters\.(.+)$/.exec(ref);
      return m ? ctx.tasks.get(m[1]!)?.parameters[m[2]!] : undefined;
    });
    // An unresolved reference makes Argo error the task before any pod starts.
    if (value === undefined) return { phase: 'Errored', outputs: {}, parameters: {}, attempts: 0 };
    inputs[p.name] = value;
  }
  const runbookArtifact = template.inputs.artifacts.find((a: Json) => a.name === 'runbook');
  const runbookFile = path.join(ctx.work, `${task.name}.runbook.yaml`);
  writeFileSync(runbookFile, runbookArtifact.raw.data);
  const env: Record<string, string> = { ...ctx.options.env };
  for (const e of template.container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = ref ? ctx.options.secrets?.[`${ref.name}/${ref.key}`] : e.value;
    // The image's /work (HOME, working directory) is the pod home inside the task's mount namespace.
    if (value !== undefined) env[e.name] = ref ? value : value.replace(/^\/work(?=\/|$)/, ctx.podHome);
  }
  // The workspace claim mounted at the image's /work (a fleet's cluster on its own subPath); any other mount the harness cannot model.
  const workspaceMount = (template.container.volumeMounts ?? []).find((m: Json) => m.name === WORKSPACE_VOLUME);
  if (workspaceMount && workspaceMount.mountPath !== '/work') throw new Error(`${task.name}: the harness models the workspace at /work only, not ${workspaceMount.mountPath}`);
  const subPath = workspaceMount?.subPath !== undefined ? substitute(String(workspaceMount.subPath), (ref) => inputs[ref.slice('inputs.parameters.'.length)]) : '';
  const shared = workspaceMount ? path.join(ctx.workspace, subPath ?? '') : undefined;
  if (shared) mkdirSync(shared, { recursive: true });
  // The kubeconfig volume: the Secret's `value` is the file given for it (an optional Secret may be absent).
  const volume = (template.volumes ?? []).find((v: Json) => v.name === 'kubeconfig');
  const secretName = volume ? substitute(volume.secret.secretName, (ref) => inputs[ref.slice('inputs.parameters.'.length)]) : undefined;
  const kubeconfig = secretName ? ctx.options.kubeconfigs?.[secretName] : undefined;
  if (volume && !volume.secret.optional && kubeconfig === undefined) return { phase: 'Errored', outputs: {}, parameters: {}, attempts: 0 };
  const retry = template.retryStrategy;
  const limit = retry ? Number(retry.limit) : 0;
  const retryExit = retry ? Number(/==\s*(\d+)/.exec(retry.expression)![1]) : undefined;
  for (let attempt = 1; ; attempt++) {
    const outDir = path.join(ctx.work, `${task.name}-${attempt}`);
    mkdirSync(outDir, { recursive: true });
    const args = (template.container.args as string[]).map((arg) => {
      const replaced = substitute(arg, (ref) => {
        if (ref.startsWith('workflow.parameters.')) return ctx.globals[ref.slice('workflow.parameters.'.length)];
        if (ref.startsWith('inputs.parameters.')) return inputs[ref.slice('inputs.parameters.'.length)];
        return undefined;
      });
      if (replaced === undefined) throw new Error(`${task.name}: unresolved ${arg}`);
      return replaced.replace(runbookArtifact.path, runbookFile).replace('/tmp/opsbook-out', outDir).replace('/opsbook/kube/value', kubeconfig ?? path.join(ctx.work, 'no-kubeconfig'));
    });
    ctx.invocations.push(args);
    const argv = [...args, ...(ctx.options.extraArgs ?? []), '--state-dir', ctx.options.stateDir];
    const inCluster = volume === undefined ? ctx.options.inCluster : undefined;
    const expose = [ctx.work, ctx.options.stateDir, ...ctx.exposed, ...(ctx.options.sharedPaths ?? []), ...Object.values(ctx.options.kubeconfigs ?? {}), ...argvPaths(ctx.options.extraArgs ?? [])];
    const r = await runInPod(argv, env, { expose, home: ctx.podHome, workspace: shared, inCluster });
    const parameters: Record<string, string> = {};
    for (const p of template.outputs.parameters) {
      const file = p.valueFrom.path.replace('/tmp/opsbook-out', outDir);
      parameters[p.name] = existsSync(file) ? readFileSync(file, 'utf8') : p.valueFrom.default;
    }
    const outputsFile = path.join(outDir, 'outputs.json');
    const outputs = existsSync(outputsFile) ? (JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, unknown>) : {};
    const status = existsSync(path.join(outDir, 'status')) ? readFileSync(path.join(outDir, 'status'), 'utf8') : undefined;
    if (r.exitCode === 0) return { phase: 'Succeeded', status, outputs, parameters, attempts: attempt };
    // retryStrategy: the expression (exit 3 = opsbook's policy would retry) and the limit; the backoff is not waited out here.
    if (attempt <= limit && r.exitCode === retryExit) continue;
    return { phase: 'Failed', status, outputs, parameters, attempts: attempt };
  }
}

/** Where a pod finds its service account, which the step run reads by this fixed path. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
/** The exporter's workspace volume. */
const WORKSPACE_VOLUME = 'opsbook-workspace';
/** A task's home (the image's /work) inside its namespace, on its private /tmp. */
const POD_HOME = path.join(tmpdir(), 'opsbook-pod-home');
/** The checkout (the image's bundle, here the sources and node_modules): a clone under /tmp, as CI's may be, must not vanish under the private /tmp. */
const REPO = path.resolve(repoRoot);
/** tsx's compile cache: the harness's tooling (the image holds a bundle), kept so each task does not recompile the CLI. */
const TSX_CACHE = path.join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);

interface PodView {
  /** Host paths under /tmp the task still sees (the harness's own files, storage outside the pods). */
  expose: string[];
  /** The task's home inside its namespace: the workspace bound there, or an empty directory of its own. */
  home: string;
  workspace?: string;
  /** No kubeconfig Secret: the kubelet's service environment and the service-account directory mounted where a pod has it. */
  inCluster?: HarnessOptions['inCluster'];
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * `opsbook ARGS` as in a pod, in a mount namespace of its own (unshare): a fresh tmpfs on /tmp and /run, so nothing one task
 * writes there (a mktemp directory, a file under its home) is seen by another; only `expose`, the workspace and the service account come back in.
 */
async function runInPod(argv: string[], env: Record<string, string>, pod: PodView): Promise<CliResult> {
  const tmp = tmpdir();
  const host = (p: string) => (p.startsWith(`${tmp}/`) ? `/run/host-tmp/${p.slice(tmp.length + 1)}` : p);
  const bind = (from: string, to: string) => `if [ -d ${quote(from)} ]; then mkdir -p ${quote(to)}; else mkdir -p "$(dirname ${quote(to)})" && touch ${quote(to)}; fi && mount --bind ${quote(from)} ${quote(to)}`;
  const lines = [
    'set -e',
    'mount -t tmpfs tmpfs /run',
    'mkdir /run/host-tmp',
    `mount --bind ${quote(tmp)} /run/host-tmp`,
    `mount -t tmpfs tmpfs ${quote(tmp)}`,
    ...[...new Set([...pod.expose, TSX_CACHE, REPO])].filter((p) => p.startsWith(`${tmp}/`) && existsSync(p)).map((p) => bind(host(p), p)),
    pod.workspace ? bind(host(pod.workspace), pod.home) : `mkdir -p ${quote(pod.home)}`,
    ...(pod.inCluster ? [bind(host(pod.inCluster.serviceAccountDir), SERVICE_ACCOUNT_DIR)] : []),
    `cd ${quote(pod.home)}`,
    'exec "$@"',
  ];
  const service = pod.inCluster ? { KUBERNETES_SERVICE_HOST: pod.inCluster.host, KUBERNETES_SERVICE_PORT: String(pod.inCluster.port) } : {};
  const r = await execa('unshare', ['--mount', 'sh', '-c', lines.join('\n'), 'pod', process.execPath, '--import', tsxLoader, cliEntry, ...argv], {
    // The pod's environment: its home and temp directory are its own (the template's env may point them at the workspace).
    env: { NO_COLOR: '1', FORCE_COLOR: '0', HOME: pod.home, TMPDIR: undefined, ...env, ...(pod.inCluster ? { KUBECONFIG: undefined } : {}), ...service },
    input: '',
    timeout: 60_000,
    reject: false,
  });
  return { exitCode: r.exitCode, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), timedOut: r.timedOut };
}

/** The absolute paths among `args` that exist on this machine (a --rehearsal connection file). */
function argvPaths(args: string[]): string[] {
  return args.filter((a) => path.isAbsolute(a) && existsSync(a));
}

/** A rehearsal's connection file (its cluster's kubeconfig; its `~`, the workstation home step run makes each step's HOME). */
function rehearsalConnection(args: string[]): { kubeconfig: string; workstationHome?: string } | undefined {
  const i = args.indexOf('--rehearsal');
  if (i === -1) return undefined;
  return JSON.parse(readFileSync(args[i + 1]!, 'utf8')) as { kubeconfig: string; workstationHome?: string };
}

/** Whether this machine lets the harness give a step a mount namespace of its own (root, or unprivileged user namespaces). */
export async function canRunInPod(): Promise<boolean> {
  const r = await execa('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /run'], { reject: false }).catch(() => undefined);
  return r?.exitCode === 0;
}

/** Replaces every `{{ref}}`; undefined when one cannot be resolved. */
function substitute(text: string, resolve: (ref: string) => string | undefined): string | undefined {
  let missing = false;
  const out = text.replace(/\{\{([^}]+)\}\}/g, (_, ref: string) => {
    const value = resolve(ref.trim());
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

/** A task's outcome in opsbook's words: Omitted (or never started) is skipped; a container's own status file says skipped/succeeded. */
export function toOpsbookStatus(record: TaskRecord | undefined): string {
  if (!record || record.phase === 'Omitted' || record.phase === 'Skipped') return 'skipped';
  if (record.phase === 'Succeeded') return record.status ?? 'succeeded';
  return 'failed';
}
