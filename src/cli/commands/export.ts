// `opsbook export argo RUNBOOK`: print the runbook (and a fleet) as an Argo Workflow or WorkflowTemplate; refusals exit 2 at file:line:col.

import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { RunbookError, UsageError, formatDiagnostic } from '../../errors.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions } from '../options.js';
import { packagePath } from '../../paths.js';
import { readFileSync } from 'node:fs';

export interface ExportArgoFlags {
  fleet?: string;
  template?: boolean;
  image?: string;
  namespace?: string;
  kubeconfigSecret?: string;
  serviceAccount?: string;
  workspaceSize?: string;
  workspaceStorageClass?: string;
  workspaceAccessMode?: 'ReadWriteOnce' | 'ReadWriteMany';
}

/** A Kubernetes quantity as a storage request takes it (1Gi, 500Mi, 2G). */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** A Secret or ServiceAccount name (a DNS subdomain), checked before it lands in the manifest. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The image each task runs when --image is not given: opsbook's own, tagged with this package's version. */
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/opsbook/opsbook';

/** This version's image (export argo and submit both default to it). */
export function defaultImage(): string {
  return `${DEFAULT_IMAGE_REPOSITORY}:${readVersion()}`;
}

export function registerExportCommand(program: Command): void {
  const exporter = program.command('export').description('print a runbook as another workflow engine\'s manifest (each step still runs opsbook)');
  // Like every command it accepts the common flags (hidden: the export reads no cluster, state or inputs).
  addCommonOptions(exporter.command('argo'), [])
    .description('print an Argo Workflow (or WorkflowTemplate) whose tasks run `opsbook step run`')
    .argument('<file>', 'runbook YAML file')
    .addOption(new Option('--fleet <file>', 'fan the runbook out over a fleet file\'s clusters, wave by wave'))
    .addOption(new Option('--template', 'a WorkflowTemplate instead of a Workflow'))
    .addOption(new Option('--image <image>', `container image with opsbook (default ${DEFAULT_IMAGE_REPOSITORY}:<version>)`))
    .addOption(new Option('--namespace <ns>', 'metadata.namespace of the manifest'))
    .addOption(new Option('--kubeconfig-secret <name>', 'Secret (key `value`) with the kubeconfig of the cluster the steps act on (default: none, each pod acts on the cluster it runs in as its service account; with --fleet: <cluster>-kubeconfig)'))
    .addOption(new Option('--workspace-size <quantity>', 'size of the workspace volume claim that carries files from task to task (default 1Gi)'))
    .addOption(new Option('--workspace-storage-class <name>', 'storage class of the workspace claim (default: the cluster\'s default)'))
    .addOption(new Option('--workspace-access-mode <mode>', 'ReadWriteOnce (default: tasks on one node at a time) or ReadWriteMany (parallel tasks on several nodes)').choices(['ReadWriteOnce', 'ReadWriteMany']))
    .addOption(new Option('--service-account <name>', 'service account every pod runs as, and acts on its own cluster with (default: the workflow controller\'s default, usually the namespace\'s `default`)'))
    .action(async (file: string, flags: ExportArgoFlags) => {
      process.exitCode = await exportArgoCommand(file, flags, getProcessIo());
    });
}

export async function exportArgoCommand(file: string, flags: ExportArgoFlags, io: CliIo): Promise<number> {
  const [{ loadRunbookText }, { createStepRegistry }, { readUserText }, { parseYamlWithPositions, stringifyYaml }, { exportArgoWorkflow, ExportRefused }] = await Promise.all([
    import('../../runbook/index.js'),
    import('../../steps/registry.js'),
    import('../../files/read-user-file.js'),
    import('../../yaml/index.js'),
    import('../../export/index.js'),
  ]);
  if (flags.workspaceSize !== undefined && !QUANTITY.test(flags.workspaceSize)) throw new UsageError(`--workspace-size ${flags.workspaceSize}: not a Kubernetes quantity (e.g. 1Gi, 500Mi)`);
  for (const [flag, value] of [['--kubeconfig-secret', flags.kubeconfigSecret], ['--service-account', flags.serviceAccount], ['--workspace-storage-class', flags.workspaceStorageClass]] as const) {
    if (value !== undefined && (!OBJECT_NAME.test(value) || value.length > 253)) throw new UsageError(`${flag} ${value}: not a Kubernetes object name (lower-case letters, digits, - and .)`);
  }
  if (flags.fleet && flags.kubeconfigSecret !== undefined) throw new UsageError('--kubeconfig-secret names one cluster\'s Secret; with --fleet each cluster\'s kubeconfig comes from Secret <cluster>-kubeconfig');
  const text = await readUserText(path.resolve(io.cwd, file));
  const runbook = loadRunbookText(text, file, { registry: createStepRegistry(), onWarning: () => {} });
  const { locate } = parseYamlWithPositions(text, file);
  const fleet = flags.fleet ? await loadExportFleet(flags.fleet, io) : undefined;
  try {
    const { manifest, notes } = exportArgoWorkflow(
      runbook,
      { image: flags.image ?? defaultImage(), namespace: flags.namespace, template: flags.template, kubeconfigSecret: flags.kubeconfigSecret, serviceAccount: flags.serviceAccount, text, locate,
        workspace: { size: flags.workspaceSize, storageClass: flags.workspaceStorageClass, accessMode: flags.workspaceAccessMode } },
      fleet,
    );
    for (const note of notes) io.stderr.write(`${formatDiagnostic({ ...note, message: `note: ${note.message}` })}\n`);
    io.stdout.write(stringifyYaml(manifest));
    return 0;
  } catch (error) {
    if (error instanceof ExportRefused) throw new RunbookError(error.message, error.diagnostics, { cause: error });
    throw error;
  }
}

/** A fleet file's clusters and strategy as Argo can run them: listed clusters only, no budget, no per-cluster values. */
async function loadExportFleet(file: string, io: CliIo) {
  const [{ loadFleetText, matchesSelector, orderClusters, planWaves }, { readUserText }, { parseYamlWithPositions }] = await Promise.all([
    import('../../fleet/index.js'),
    import('../../files/read-user-file.js'),
    import('../../yaml/index.js'),
  ]);
  const text = await readUserText(path.resolve(io.cwd, file));
  const spec = await loadFleetText(text, path.resolve(io.cwd, file), { env: io.env, homeDir: os.homedir() });
  const { locate } = parseYamlWithPositions(text, file);
  const at = (...fields: string[]) => {
    const pos = locate(['spec', ...fields], 'key');
    return `${file}:${pos.line}:${pos.col}: spec.${fields.join('.')}`;
  };
  const problems: string[] = [];
  if (spec.discover.contexts || spec.discover.clusterApi) problems.push(`${at('discover')}: clusters found at run time cannot be listed in a manifest; list them under spec.clusters`);
  const budget = spec.strategy.maxFailures;
  if (('count' in budget ? budget.count : budget.percent) !== 0) {
    problems.push(`${at('strategy', 'maxFailures')}: Argo stops a wave's successors on any failed cluster; a failure budget cannot be expressed (use 0)`);
  }
  const clusters = orderClusters(spec.clusters.filter((c) => matchesSelector(spec.selector, c.labels)), spec.strategy.orderByLabel);
  for (const cluster of clusters) {
    if (Object.keys(cluster.inputs).length > 0) problems.push(`${cluster.origin}: cluster ${cluster.name}: per-cluster inputs are not exported (every cluster gets the workflow's parameters)`);
    if (cluster.deadlineMs !== undefined) problems.push(`${cluster.origin}: cluster ${cluster.name}: a per-cluster deadline is not exported`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(cluster.name)) problems.push(`${cluster.origin}: cluster ${cluster.name}: not a DNS label, so no Secret <name>-kubeconfig can hold its kubeconfig`);
  }
  if (clusters.length === 0) problems.push(`${at('clusters')}: no cluster left after the selector`);
  if (problems.length > 0) throw new UsageError(`cannot export the fleet to Argo:\n${problems.join('\n')}`);
  const waves = planWaves(clusters, spec.strategy.waves).map((w) => w.clusters.map((c) => c.name));
  const pause = spec.strategy.pause;
  return { name: spec.name, waves, maxParallel: spec.strategy.maxParallel, pause };
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'latest';
  }
}
