// `write-kubeconfig`: replace a workstation kubeconfig with one from a Secret (or given text), keeping the old file;
// with `check`, the new file is written beside the old one and checked (e.g. `kubectl get nodes`) before it replaces it.

import { createHash } from 'node:crypto';
import { StepError } from '../../errors.js';
import { normalizeNode, openNode, type NodeTransport } from '../../node/index.js';
import { parseYamlDocuments } from '../../yaml/index.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepContext, StepType } from '../types.js';

export interface WriteKubeconfigOutputs extends Record<string, unknown> {
  path: string;
  /** Where the previous file was kept (absent when there was none or backup is off). */
  backup?: string;
  /** API servers the new kubeconfig points at (never credentials). */
  servers: string[];
  currentContext?: string;
  changed: boolean;
  /** true when `check` passed against the new file before it was moved into place. */
  checked: boolean;
  sha256: string;
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'write-kubeconfig',
  description: 'Writes a kubeconfig (from a Secret key, e.g. the admin cluster\'s CLUSTER_NAME-kubeconfig, or given text) to a local path, atomically, keeping the old file as a backup.',
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'Destination on this machine; `~/` is the home directory.' },
    fromSecret: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'namespace'],
      description: 'Read the kubeconfig from this Secret of the run\'s cluster (its value never reaches outputs or logs).',
      properties: {
        name: { type: 'string', minLength: 1 },
        namespace: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1, default: 'value' },
      },
    },
    content: { type: 'string', minLength: 1, description: 'The kubeconfig text itself (use a secret input).' },
    backup: { type: 'boolean', default: true, description: 'Keep the previous file as PATH.bak-<time>.' },
    mode: { type: 'integer', minimum: 0, maximum: 511, default: 384, description: 'File mode (decimal; 384 = 0600).' },
    check: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description:
        'Command (argv, no shell) that must succeed against the new kubeconfig before it replaces the old file, run with ' +
        'KUBECONFIG set to the new file written beside it, e.g. [kubectl, get, nodes]. On failure the old file stays untouched.',
    },
  },
  oneOf: [{ required: ['fromSecret'] }, { required: ['content'] }],
} as const satisfies JsonSchema;

/**
 * `fromSecret` or `content`; `check` is the argv run on this machine with KUBECONFIG set to the new file, before it
 * replaces the old one ([] = no check).
 */
export type WriteKubeconfigParams = ParamsFilled<typeof schema>;

export const writeKubeconfigStep: StepType<WriteKubeconfigParams, WriteKubeconfigOutputs, ParamsInput<typeof schema>> = {
  type: 'write-kubeconfig',
  description: 'Replace a local kubeconfig with one read from a Secret (or given), keeping a backup of the old one',
  schema,
  outputs: {
    path: { type: 'string', description: 'The file written.' },
    backup: { type: 'string', description: 'The previous file, kept.' },
    servers: { type: 'array', description: 'API server URLs in the new kubeconfig.' },
    currentContext: { type: 'string', description: 'current-context of the new kubeconfig.' },
    changed: { type: 'boolean', description: 'false when the file already had this content (nothing written).' },
    checked: { type: 'boolean', description: 'true when `check` passed against the new file before it replaced the old one.' },
    sha256: { type: 'string', description: 'sha256 of the new content.' },
  },
  mutating: true,
  check(params) {
    const both = params.fromSecret !== undefined && params.content !== undefined;
    return both ? [{ path: '', message: 'give either fromSecret or content, not both' }] : [];
  },
  normalize({ fromSecret, content, path, backup = true, mode = 0o600, check = [] }) {
    const filled = { path, backup, mode, check };
    if (fromSecret) return { ...filled, fromSecret: { ...fromSecret, key: fromSecret.key ?? 'value' } };
    // the schema's oneOf lets through exactly one of fromSecret and content
    return { ...filled, content: content! };
  },
  async run(params, ctx) {
    const text = await readSource(params, ctx.kube, ctx.signal);
    const summary = inspectKubeconfig(text, describeSource(params));
    const path = expandHome(params.path, ctx.env);
    const node = openNode(normalizeNode({ transport: 'local', name: 'workstation' }), ctx.exec);
    try {
      const [current] = await node.readFiles([path], ctx.signal);
      const sha256 = createHash('sha256').update(text).digest('hex');
      if (current?.data?.toString('utf8') === text) {
        ctx.log(`${path} already holds this kubeconfig; nothing to do`);
        return { path, ...summary, changed: false, checked: false, sha256 };
      }
      const stamp = new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      await ensureParent(node, path, ctx.signal);
      const checked = params.check.length > 0;
      if (checked) await checkStaged(node, `${path}.new-${stamp}`, text, params, ctx);
      let backup: string | undefined;
      if (params.backup && current?.data) {
        backup = `${path}.bak-${stamp}`;
        await node.writeFile(backup, current.data, { mode: params.mode, signal: ctx.signal });
        ctx.log(`kept the previous kubeconfig as ${backup}`);
      }
      await node.writeFile(path, text, { mode: params.mode, signal: ctx.signal });
      ctx.log(`wrote ${path} (servers: ${summary.servers.join(', ')})`);
      return { path, ...(backup ? { backup } : {}), ...summary, changed: true, checked, sha256 };
    } finally {
      await node.close();
    }
  },
  async plan(params, ctx) {
    const text = await readSource(params, ctx.kube, ctx.signal);
    const summary = inspectKubeconfig(text, describeSource(params));
    return { summary: `would replace ${params.path} with the kubeconfig from ${describeSource(params)} (servers: ${summary.servers.join(', ')})${params.check.length > 0 ? ` after \`${params.check.join(' ')}\` succeeds with it` : ''}${params.backup ? ', keeping a backup' : ''}` };
  },
};

/** Writes the new kubeconfig beside the old one and runs `check` against it; the old file is never touched here. */
async function checkStaged(node: NodeTransport, staged: string, text: string, params: WriteKubeconfigParams, ctx: StepContext): Promise<void> {
  const command = params.check.join(' ');
  await node.writeFile(staged, text, { mode: params.mode, signal: ctx.signal });
  try {
    const [file, ...args] = params.check as [string, ...string[]];
    let result;
    try {
      result = await ctx.exec(file, args, { cwd: ctx.cwd, env: { ...ctx.env, KUBECONFIG: staged }, signal: ctx.signal });
    } catch (error) {
      throw new StepError(`checking the new kubeconfig with \`${command}\` failed: ${(error as Error).message}; ${params.path} left unchanged`, { cause: error });
    }
    if (result.exitCode !== 0) {
      const said = ctx.redact(`${result.stderr}\n${result.stdout}`.trim()).split('\n').slice(-3).join(' | ');
      // Transient: the API server may still be coming up after the renewal; nothing was changed, so a retry is safe.
      throw new StepError(`checking the new kubeconfig with \`${command}\` failed (exit ${result.exitCode}): ${said}; ${params.path} left unchanged`, {
        errorClass: 'transient',
      });
    }
    ctx.log(`checked the new kubeconfig: \`${command}\` succeeded`);
  } finally {
    await node.remove(staged, AbortSignal.timeout(10_000)).catch(() => {});
  }
}

function describeSource(params: WriteKubeconfigParams): string {
  return params.fromSecret ? `secret ${params.fromSecret.namespace}/${params.fromSecret.name} key ${params.fromSecret.key}` : 'the given content';
}

async function readSource(params: WriteKubeconfigParams, kube: () => Promise<KubeClient>, signal: AbortSignal): Promise<string> {
  if (params.content !== undefined) return params.content;
  const { name, namespace, key } = params.fromSecret!;
  const secret = await (await kube()).get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', name, namespace }, signal);
  if (!secret) throw new StepError(`secret ${namespace}/${name} not found`, { errorClass: 'permanent' });
  const value = secret.data?.[key];
  if (typeof value !== 'string') {
    throw new StepError(`secret ${namespace}/${name} has no key "${key}" (keys: ${Object.keys(secret.data ?? {}).join(', ') || 'none'})`, { errorClass: 'permanent' });
  }
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Refuses anything that is not a usable kubeconfig, so a bad secret never replaces a working file. */
export function inspectKubeconfig(text: string, source: string): { servers: string[]; currentContext?: string } {
  let doc: unknown;
  try {
    doc = parseYamlDocuments(text, source)[0];
  } catch {
    throw new StepError(`${source}: not valid YAML, refusing to write it`, { errorClass: 'permanent' });
  }
  const config = (doc ?? {}) as { kind?: string; clusters?: { cluster?: { server?: string } }[]; users?: unknown[]; 'current-context'?: string };
  const servers = (config.clusters ?? []).map((c) => c.cluster?.server).filter((s): s is string => typeof s === 'string');
  if (servers.length === 0 || !Array.isArray(config.users) || config.users.length === 0) {
    throw new StepError(`${source}: not a kubeconfig (needs clusters with a server and users), refusing to write it`, { errorClass: 'permanent' });
  }
  return { servers, ...(config['current-context'] ? { currentContext: config['current-context'] } : {}) };
}

function expandHome(path: string, env: Record<string, string | undefined>): string {
  return path.startsWith('~/') && env.HOME ? `${env.HOME}${path.slice(1)}` : path;
}

async function ensureParent(node: NodeTransport, path: string, signal: AbortSignal): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/'));
  if (parent) await node.mkdir(parent, signal);
}
