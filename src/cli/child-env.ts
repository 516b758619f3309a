// The environment of a run's child processes (shell steps' kubectl/oc), pointed at the same cluster as built-in steps.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { selectInClusterServer, selectKubeconfigSource, SERVICE_ACCOUNT_DIR } from '../k8s/kubeconfig.js';
import { superviseDir } from '../proc/index.js';
import { buildImpersonatingKubeconfig, type Impersonation, type KubeconfigFile } from './child-kubeconfig.js';
import { createChildEnv } from './kube.js';

export interface ChildEnv {
  env: Record<string, string | undefined>;
  /** Removes the files made for the children; call once the run is over (also done at process exit). */
  dispose(): void;
}

export interface ChildEnvOptions {
  env: NodeJS.ProcessEnv;
  /** --kubeconfig, resolved. */
  kubeconfigPath?: string;
  /** --context. */
  context?: string;
  /** --as/--as-group: kubectl and oc in shell steps act as this identity too. */
  impersonate?: Impersonation;
}

/**
 * Without --context: KUBECONFIG from --kubeconfig, else inherited. With --context: KUBECONFIG lists first a file that
 * sets only current-context, then the files built-in steps read; kubectl/oc merge the list with the first file
 * winning, so `kubectl` in a script uses that context. The file holds no credentials (they stay in the user's
 * files, whose relative certificate paths keep working), and OPSBOOK_KUBE_CONTEXT names the context for scripts.
 * With --as: KUBECONFIG is one generated file whose user carries `as`/`as-groups` (see child-kubeconfig.ts).
 */
export function prepareChildEnv(options: ChildEnvOptions): ChildEnv {
  const env = createChildEnv(options.env, options.kubeconfigPath);
  const impersonate = options.impersonate?.user ? { ...options.impersonate, user: options.impersonate.user } : undefined;
  if (options.context === undefined && !impersonate) return { env, dispose: () => {} };
  const source = selectKubeconfigSource({ kubeconfigPath: options.kubeconfigPath, env: options.env, homeDir: homedir() });
  const files = source.kind === 'files' ? source.paths : [];
  // Built before the folder exists, so a kubeconfig --as cannot use is refused with nothing left behind.
  const impersonating = impersonate ? impersonatingKubeconfig(options, files, source.kind === 'files' && source.required, impersonate) : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'opsbook-context-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  // A second Ctrl-C ends the process with process.exit: the finally that calls dispose() never runs then.
  onExit(remove);
  // kill -9 runs neither: the parent-death supervisor removes the folder (and the credentials in it) once opsbook is gone.
  const unlist = superviseDir(dir);
  const context = options.context === undefined ? {} : { OPSBOOK_KUBE_CONTEXT: options.context };
  const dispose = () => {
    atExit.delete(remove);
    remove();
    unlist();
  };
  if (impersonating !== undefined) {
    // The only file kubectl reads: a copy of the user's credentials, so 0600 in this 0700 folder, removed after the run.
    const file = path.join(dir, 'impersonating.kubeconfig');
    writeFileSync(file, impersonating, { mode: 0o600 });
    return { env: { ...env, KUBECONFIG: file, ...context }, dispose };
  }
  const pointer = path.join(dir, 'current-context.yaml');
  writeFileSync(pointer, `apiVersion: v1\nkind: Config\ncurrent-context: ${JSON.stringify(options.context)}\n`, { mode: 0o600 });
  return { env: { ...env, KUBECONFIG: [pointer, ...files].join(path.delimiter), ...context }, dispose };
}

/** The kubeconfig text for --as: from the files kubectl would read, or in a pod with none, from its service account. */
function impersonatingKubeconfig(options: ChildEnvOptions, paths: string[], required: boolean, impersonate: Impersonation & { user: string }): string {
  const inCluster = selectInClusterServer({ kubeconfigPath: options.kubeconfigPath, env: options.env, serviceAccountTokenPresent: existsSync(path.join(SERVICE_ACCOUNT_DIR, 'token')) });
  if (inCluster !== undefined) {
    const namespace = existsSync(path.join(SERVICE_ACCOUNT_DIR, 'namespace')) ? readFileSync(path.join(SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8').trim() : undefined;
    return buildImpersonatingKubeconfig({ inCluster: { server: inCluster, dir: SERVICE_ACCOUNT_DIR, ...(namespace ? { namespace } : {}) } }, impersonate, options.context);
  }
  const files: KubeconfigFile[] = [];
  for (const file of paths) {
    try {
      files.push({ path: file, text: readFileSync(file, 'utf8') });
    } catch (error) {
      if (!required && (error as { code?: string }).code === 'ENOENT') continue;
      throw new UsageError(`cannot read kubeconfig ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  return buildImpersonatingKubeconfig({ files }, impersonate, options.context);
}

// One process 'exit' listener for every pending removal: a fleet runs dozens of clusters at once, and a listener each
// made Node warn of a leak (MaxListenersExceededWarning) on the fleet's stderr.
const atExit = new Set<() => void>();
let listening = false;
function onExit(remove: () => void): void {
  if (!listening) process.once('exit', runAtExit);
  listening = true;
  atExit.add(remove);
}
function runAtExit(): void {
  for (const remove of atExit) remove();
  atExit.clear();
}
