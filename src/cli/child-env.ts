// The environment of a run's child processes (shell steps' kubectl/oc), pointed at the same cluster as built-in steps.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { selectKubeconfigSource } from '../k8s/kubeconfig.js';
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
}

/**
 * Without --context: KUBECONFIG from --kubeconfig, else inherited. With --context: KUBECONFIG lists first a file that
 * sets only current-context, then the files built-in steps read; kubectl/oc merge the list with the first file
 * winning, so `kubectl` in a script uses that context. The file holds no credentials (they stay in the user's
 * files, whose relative certificate paths keep working), and OPSBOOK_KUBE_CONTEXT names the context for scripts.
 */
export function prepareChildEnv(options: ChildEnvOptions): ChildEnv {
  const env = createChildEnv(options.env, options.kubeconfigPath);
  if (options.context === undefined) return { env, dispose: () => {} };
  const source = selectKubeconfigSource({ kubeconfigPath: options.kubeconfigPath, env: options.env, homeDir: homedir() });
  const files = source.kind === 'files' ? source.paths : [];
  const dir = mkdtempSync(path.join(tmpdir(), 'opsbook-context-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  // A second Ctrl-C ends the process with process.exit: the finally that calls dispose() never runs then.
  onExit(remove);
  const pointer = path.join(dir, 'current-context.yaml');
  writeFileSync(pointer, `apiVersion: v1\nkind: Config\ncurrent-context: ${JSON.stringify(options.context)}\n`, { mode: 0o600 });
  return {
    env: { ...env, KUBECONFIG: [pointer, ...files].join(path.delimiter), OPSBOOK_KUBE_CONTEXT: options.context },
    dispose: () => {
      atExit.delete(remove);
      remove();
    },
  };
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
