// `opsbook submit RUNBOOK --namespace NS`: hand a run to the cluster as a Job (or a CronJob) whose pod runs it with the cluster run store.

import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { renderJournal } from '../follow-journal.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, impersonationOf, type CommonFlags } from '../options.js';
import { defaultImage } from './export.js';
import type { InputSpec } from '../../runbook/types.js';
import type { describePodTrouble, SecretInputRef } from '../../submit/index.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';

export interface SubmitFlags extends Pick<CommonFlags, 'kubeconfig' | 'context' | 'set' | 'values' | 'output' | 'color'>, Partial<Pick<CommonFlags, 'as' | 'asGroup'>> {
  namespace?: string;
  secretFrom: string[];
  targetKubeconfigSecret?: string;
  image?: string;
  serviceAccount?: string;
  wait?: boolean;
  print?: boolean;
  schedule?: string;
}

/** Seconds the Job is given past spec.deadline: opsbook stops the run at its deadline and journals why; the Job's limit is the backstop. */
export const DEADLINE_GRACE_SECONDS = 60;
/** How often --wait looks for the run's journal and the pod's trouble before the run has started. */
export const WAIT_POLL_MS = 1000;

const collect = (value: string, previous: string[] = []) => [...previous, value];
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

export function registerSubmitCommand(program: Command): void {
  const command = program
    .command('submit')
    .description('run a runbook in the cluster: a Job (or with --schedule a CronJob) whose pod runs it, its state in the namespace')
    .argument('<file>', 'runbook YAML file')
    .addOption(new Option('--namespace <ns>', 'namespace of the Job, the runbook\'s ConfigMap and the run state').makeOptionMandatory())
    .addOption(new Option('--secret-from <input=secret/key>', 'a secret input read in the pod from a Secret\'s key (repeatable; never inlined)').argParser(collect).default([]))
    .addOption(new Option('--target-kubeconfig-secret <name>', 'Secret (key `value`) with the kubeconfig of the cluster the steps act on (default: the pod\'s service account, in-cluster)'))
    .addOption(new Option('--image <image>', 'container image with opsbook (default ghcr.io/opsbook/opsbook:<version>)'))
    .addOption(new Option('--service-account <name>', 'service account of the pod (it needs the run-state Role of deploy/rbac.yaml)'))
    .addOption(new Option('--wait', 'follow the run live until it ends (as `opsbook logs -f`)'))
    .addOption(new Option('--print', 'write the manifests (YAML) to stdout and create nothing'))
    .addOption(new Option('--schedule <cron>', 'create a CronJob on this schedule instead of one Job (each scheduled Job is a new run)'));
  addCommonOptions(command, ['kubeconfig', 'context', 'set', 'values', 'output', 'color']).action(async (file: string, flags: SubmitFlags) => {
    process.exitCode = await submitCommand(file, flags, getProcessIo());
  });
}

/** Prints the run id (0), or with --wait ends as the run does (0 succeeded, 1 otherwise). */
export async function submitCommand(file: string, flags: SubmitFlags, io: CliIo): Promise<number> {
  const namespace = flags.namespace ?? '';
  if (!NAME.test(namespace)) throw new UsageError(`--namespace ${namespace}: not a namespace name (lower-case letters, digits and '-', at most 63)`);
  if (flags.schedule !== undefined) checkSchedule(flags.schedule);
  if (flags.schedule !== undefined && flags.wait) throw new UsageError('--wait follows one run: a --schedule CronJob starts a new run each time (follow those with `opsbook logs -f`)');
  if (flags.targetKubeconfigSecret !== undefined && !SECRET_NAME.test(flags.targetKubeconfigSecret)) throw new UsageError(`--target-kubeconfig-secret ${flags.targetKubeconfigSecret}: not a Secret name`);
  if (flags.serviceAccount !== undefined && !SECRET_NAME.test(flags.serviceAccount)) throw new UsageError(`--service-account ${flags.serviceAccount}: not a service account name`);
  const secretFrom = parseSecretFrom(flags.secretFrom);

  const [{ prepareRun }, { readUserText }, { createRunId }, { systemClock }, submit, { parseDuration }, { loadRunbook }, { createStepRegistry }] = await Promise.all([
    import('../prepare.js'),
    import('../../files/read-user-file.js'),
    import('../../engine/index.js'),
    import('../../time/clock.js'),
    import('../../submit/index.js'),
    import('../../time/duration.js'),
    import('../../runbook/index.js'),
    import('../../steps/registry.js'),
  ]);
  // Which inputs are secrets decides what may be stored, so it is checked on the runbook before any value is resolved.
  const declared = await loadRunbook(path.resolve(io.cwd, file), { registry: createStepRegistry(), onWarning: () => {} });
  const secrets = planSecretInputs(Object.values(declared.inputs), secretFrom, flags.set, namespace);
  // No environment and no prompts: a secret is never read here, only named; stand-ins keep resolution whole and are dropped.
  const standIns = Object.fromEntries(secrets.map((s) => [s.input, 'submit-stand-in']));
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values, promptForSecrets: false, secretStandIns: standIns }, { ...io, env: {} });
  const { runbook } = prepared;

  const deadlineMs = resolveDeadlineMs(runbook.deadline, prepared.publicInputs, parseDuration);
  const runId = flags.schedule === undefined ? createRunId(systemClock.now()) : undefined;
  const manifests = submit.buildSubmitManifests({
    namespace,
    runbookName: runbook.metadata.name,
    runbookText: await readUserText(path.resolve(io.cwd, file)),
    inputs: prepared.publicInputs,
    secrets,
    image: flags.image ?? defaultImage(),
    ...(runId !== undefined ? { runId } : {}),
    ...(flags.schedule !== undefined ? { schedule: flags.schedule } : {}),
    ...(flags.serviceAccount !== undefined ? { serviceAccount: flags.serviceAccount } : {}),
    ...(flags.targetKubeconfigSecret !== undefined ? { targetKubeconfigSecret: flags.targetKubeconfigSecret } : {}),
    ...(deadlineMs !== undefined ? { activeDeadlineSeconds: Math.ceil(deadlineMs / 1000) + DEADLINE_GRACE_SECONDS } : {}),
  });
  if (flags.print) {
    const { stringifyYaml } = await import('../../yaml/index.js');
    io.stdout.write([manifests.configMap, manifests.workload].map((m) => stringifyYaml(m)).join('---\n'));
    return 0;
  }

  const { createKubeFactory } = await import('../kube.js');
  const kube = await createKubeFactory({ kubeconfigPath: flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined, context: flags.context, env: io.env, clock: systemClock, impersonate: impersonationOf(flags) })();
  const needs = [
    ...(flags.targetKubeconfigSecret !== undefined ? [{ name: flags.targetKubeconfigSecret, key: 'value', purpose: 'the kubeconfig of the cluster the steps act on' }] : []),
    ...secrets.map((s) => ({ name: s.secret, key: s.key, purpose: `secret input ${s.input}` })),
  ];
  await submit.checkSubmission(kube, manifests, needs);
  await submit.createSubmission(kube, manifests);
  const created = `${manifests.workload.kind.toLowerCase()}.batch/${manifests.workload.metadata.name}`;
  if (runId === undefined) {
    io.stdout.write(`${created} created in ${namespace} (schedule ${flags.schedule}); each scheduled Job is a new run: \`opsbook runs --state kubernetes://${namespace}\`\n`);
    return 0;
  }
  io.stdout.write(`${runId}\n`);
  io.stderr.write(`${created} created in ${namespace}; follow with: opsbook logs ${runId} -f --state kubernetes://${namespace}\n`);
  if (!flags.wait) return 0;
  return waitForRun(runId, manifests.workload.metadata.name, namespace, flags, io, kube, submit.describePodTrouble, systemClock);
}

/**
 * Until the pod has started the run: a pod that cannot start (or a Job that gave up) ends the wait with why. Then the run's live view,
 * as `logs -f` renders it, across pods: a run-end of an interrupted pod is not the end while the Job still runs a replacement that resumes it.
 */
async function waitForRun(
  runId: string,
  jobName: string,
  namespace: string,
  flags: SubmitFlags,
  io: CliIo,
  kube: KubeClient,
  describe: typeof describePodTrouble,
  clock: Clock,
): Promise<number> {
  const { openClusterStore } = await import('../../store/default.js');
  const store = await openClusterStore({ kube, namespace, clock });
  const trouble = async () => {
    const job = await kube.get<KubeObject & { status?: { conditions?: { type?: string; status?: string }[] } }>({ apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace });
    const { items: pods } = await kube.list('v1', 'Pod', { namespace, labelSelector: `opsbook.dev/run-id=${runId}` });
    const done = job?.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ?? false;
    return { problem: describe(job, pods), done };
  };
  while (!(await store.has(runId))) {
    const { problem } = await trouble();
    if (problem?.fatal) {
      io.stderr.write(`opsbook: run ${runId} did not start: ${problem.message}\n`);
      return 1;
    }
    await clock.sleep(WAIT_POLL_MS);
  }
  const status = await renderJournal({
    io,
    output: flags.output,
    color: flags.color,
    store,
    runId,
    clock,
    pollMs: WAIT_POLL_MS,
    // An interrupted run-end is a killed pod's: the Job's next pod resumes the run, so keep following.
    done: (ended) => ended === 'succeeded' || ended === 'failed',
    // The Job ended (or cannot go on) with nothing new in the journal: its last word is the run's.
    quiet: async () => {
      const { problem, done } = await trouble();
      if (!done && !problem?.fatal) return 'wait';
      if (problem) io.stderr.write(`opsbook: run ${runId}: ${problem.message}\n`);
      return 'stop';
    },
  });
  return status === 'succeeded' ? 0 : 1;
}

/** Each secret input read in the pod from the Secret key --secret-from names; a secret given any other way is refused. */
function planSecretInputs(inputs: InputSpec[], secretFrom: Map<string, { secret: string; key: string }>, set: string[], namespace: string): SecretInputRef[] {
  const refs: SecretInputRef[] = [];
  const byName = new Map(inputs.map((i) => [i.name, i]));
  for (const name of secretFrom.keys()) {
    const input = byName.get(name);
    if (!input) throw new UsageError(`--secret-from ${name}=…: the runbook declares no input ${name}`);
    if (input.type !== 'secret') throw new UsageError(`--secret-from ${name}=…: input ${name} is not a secret (${input.type}); give it with --set or --values`);
  }
  for (const input of inputs) {
    if (input.type !== 'secret') continue;
    if (set.some((s) => s.split('=')[0]!.trim() === input.name)) throw new UsageError(`--set ${input.name}=…: ${input.name} is a secret and would be stored in plain text; use --secret-from ${input.name}=SECRET/KEY`);
    const ref = secretFrom.get(input.name);
    if (!ref) throw new UsageError(`secret input ${input.name} is not given: pass --secret-from ${input.name}=SECRET/KEY (a Secret in namespace ${namespace})`);
    if (input.fromEnv === undefined) throw new UsageError(`secret input ${input.name} has no fromEnv: the pod gets secrets as environment variables from a Secret; declare fromEnv in the runbook`);
    refs.push({ input: input.name, env: input.fromEnv, secret: ref.secret, key: ref.key });
  }
  return refs;
}

/** `INPUT=SECRET/KEY`, each input once. */
function parseSecretFrom(values: string[]): Map<string, { secret: string; key: string }> {
  const refs = new Map<string, { secret: string; key: string }>();
  for (const value of values) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([^/]+)\/(.+)$/.exec(value);
    if (!match || !SECRET_NAME.test(match[2]!) || !SECRET_KEY.test(match[3]!)) throw new UsageError(`--secret-from ${value}: expected INPUT=SECRET/KEY (a Secret name and one of its keys)`);
    if (refs.has(match[1]!)) throw new UsageError(`--secret-from ${match[1]}: given twice`);
    refs.set(match[1]!, { secret: match[2]!, key: match[3]! });
  }
  return refs;
}

/** Five cron fields (or an @-macro), as the CronJob controller accepts them; the API server checks the rest. */
function checkSchedule(schedule: string): void {
  const macro = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
  const field = /^[0-9*/,\-A-Za-z?]+$/;
  const fields = schedule.trim().split(/\s+/);
  if (macro.test(schedule.trim())) return;
  if (fields.length !== 5 || !fields.every((f) => field.test(f))) throw new UsageError(`--schedule ${schedule}: expected five cron fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * 1"`);
}

/** spec.deadline as a duration, or `${{ inputs.X }}` with X's submitted value; other expressions are left to the run. */
function resolveDeadlineMs(deadline: string | undefined, inputs: Record<string, unknown>, parse: (text: string) => number | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  const direct = parse(deadline);
  if (direct !== undefined) return direct;
  const match = /^\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(deadline);
  const value = match ? inputs[match[1]!] : undefined;
  return typeof value === 'string' ? parse(value) : undefined;
}
