// The state directory is checked before a run starts: a file or an unwritable directory there would otherwise end the
// run at its first journal write with a raw errno (exit 1), though nothing ran.

import { mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PRIVATE_DIR_MODE } from '../store/local/modes.js';
import { runsDir } from '../store/local/paths.js';
import { UsageError } from '../errors.js';
import type { RunStore } from '../store/index.js';
import type { Clock } from '../time/clock.js';
import type { CliIo } from './io.js';
import { createKubeFactory } from './kube.js';
import { impersonationOf, resolveStateDir, type CommonFlags } from './options.js';

/**
 * Creates `STATE/runs` (0700, like every directory opsbook makes; existing ones are left as they are) and proves it
 * writable by creating and removing a directory in it. Throws a UsageError (exit 2) naming the directory.
 */
export function prepareStateDir(stateDir: string): void {
  const runs = runsDir(stateDir);
  try {
    if (statSync(stateDir, { throwIfNoEntry: false })?.isDirectory() === false) {
      throw new UsageError(`state directory ${stateDir} is not a directory`);
    }
    mkdirSync(runs, { recursive: true, mode: PRIVATE_DIR_MODE });
    rmdirSync(mkdtempSync(join(runs, '.writable-')));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`state directory ${stateDir} ${describeStateDirError(error, stateDir)}`, { cause: error });
  }
}

function describeStateDirError(error: unknown, stateDir: string): string {
  const { code } = error as NodeJS.ErrnoException;
  if (code === 'EACCES' || code === 'EPERM') return 'is not writable: permission denied';
  if (code === 'EROFS') return 'is not writable: read-only file system';
  if (code === 'ENOTDIR' || code === 'EEXIST') return `cannot be used: ${findFileInPath(runsDir(stateDir)) ?? 'a part of its path'} is not a directory`;
  return `cannot be used: ${(error as Error).message}`;
}

/** The file standing where a directory of `path` should be (`a/file` of `a/file/state`). */
function findFileInPath(path: string): string | undefined {
  for (let p = path; dirname(p) !== p; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      // not there, or not reachable through a file: look further up
    }
  }
  return undefined;
}

/** Where runs are kept: the local state directory, or a namespace of the cluster (`--state kubernetes://NS`). */
export type StateLocation = { kind: 'local'; stateDir: string } | { kind: 'kubernetes'; namespace: string };

// A namespace is a DNS-1123 label; anything else would only fail later, at the API server.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** --state, else $OPSBOOK_STATE, else the state directory (--state-dir, $OPSBOOK_STATE_DIR, .opsbook/). UsageError for anything else. */
export function resolveStateLocation(flags: { state?: string; stateDir?: string }, env: NodeJS.ProcessEnv, cwd: string): StateLocation {
  const text = flags.state ?? (env.OPSBOOK_STATE || undefined);
  if (text === undefined) return { kind: 'local', stateDir: resolveStateDir(flags.stateDir, env, cwd) };
  const source = flags.state !== undefined ? '--state' : '$OPSBOOK_STATE';
  const match = /^kubernetes:\/\/([^/]*)\/?$/.exec(text);
  if (!match) throw new UsageError(`${source} ${text}: expected kubernetes://NAMESPACE (for a local directory, use --state-dir)`);
  const namespace = match[1]!;
  if (!NAMESPACE.test(namespace)) throw new UsageError(`${source} ${text}: "${namespace}" is not a namespace name (lower-case letters, digits and '-', at most 63)`);
  return { kind: 'kubernetes', namespace };
}

export interface OpenedStore {
  store: RunStore;
  location: StateLocation;
  /** For messages: the state directory, or kubernetes://NS. */
  where: string;
  /** Aborted when the cluster store loses a run's claim (its lease taken over or expired). */
  lost?: AbortSignal;
}

/**
 * Opens the store the flags name. The cluster store uses the command's kubeconfig and context (the cluster the run
 * acts on keeps its runs) and is checked first: a missing namespace or RBAC is a UsageError (exit 2) before anything runs.
 */
export async function openRunStore(
  flags: Pick<CommonFlags, 'state' | 'stateDir' | 'kubeconfig' | 'context'> & Partial<Pick<CommonFlags, 'as' | 'asGroup'>>,
  io: Pick<CliIo, 'env' | 'cwd'>,
  clock: Clock,
  access: 'read' | 'write',
): Promise<OpenedStore> {
  const location = resolveStateLocation(flags, io.env, io.cwd);
  const { openDefaultStore, openClusterStore } = await import('../store/default.js');
  if (location.kind === 'local') return { store: openDefaultStore(location.stateDir), location, where: location.stateDir };
  const kube = await createKubeFactory({ kubeconfigPath: flags.kubeconfig ? resolve(io.cwd, flags.kubeconfig) : undefined, context: flags.context, env: io.env, clock, impersonate: impersonationOf(flags) })();
  // In a submitted Job's pod, its claims name the pod (downward API env), so the Job's next pod can take over once this one ended.
  const { POD_ENV } = await import('../submit/index.js');
  const pod = io.env[POD_ENV.name] && io.env[POD_ENV.namespace] ? { name: io.env[POD_ENV.name]!, namespace: io.env[POD_ENV.namespace]!, ...(io.env[POD_ENV.uid] ? { uid: io.env[POD_ENV.uid]! } : {}) } : undefined;
  const store = await openClusterStore({ kube, namespace: location.namespace, clock, ...(pod ? { pod } : {}) });
  await store.preflight(access);
  return { store, location, where: `kubernetes://${location.namespace}`, lost: store.lost };
}
