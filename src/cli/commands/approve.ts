// `opsbook approve|reject RUN_ID STEP_ID`: answers a run's waiting pause gate, wherever the run runs. The answerer is
// the caller's Kubernetes identity as the API server reports it (SelfSubjectReview) for the cluster store, the local
// OS user for the local store; RBAC on creating the answer decides who may answer, checked first (SelfSubjectAccessReview).

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, impersonationOf, type CommonFlags } from '../options.js';

type AnswerFlags = Pick<CommonFlags, 'kubeconfig' | 'context' | 'stateDir' | 'state' | 'as' | 'asGroup'> & { comment?: string };

interface Identity {
  username: string;
  groups: string[];
}

export function registerApproveCommands(program: Command): void {
  for (const [name, approved] of [['approve', true], ['reject', false]] as const) {
    const command = program
      .command(name)
      .description(`${name} a run's waiting pause gate as your Kubernetes identity (cluster store) or local user (local store)`)
      .argument('<run-id>', 'id shown by `opsbook runs`')
      .argument('<step-id>', 'the waiting pause step')
      .option('--comment <text>', 'why, recorded with the answer');
    addCommonOptions(command, ['kubeconfig', 'context', 'stateDir', 'state', 'as', 'asGroup']).action(async (runId: string, stepId: string, flags: AnswerFlags) => {
      process.exitCode = await answerCommand(runId, stepId, approved, flags, getProcessIo());
    });
  }
}

/** 0 once the answer is recorded; UsageError (exit 2) when the gate is not waiting or refuses the caller. */
export async function answerCommand(runId: string, stepId: string, approved: boolean, flags: AnswerFlags, io: CliIo): Promise<number> {
  const [{ isRunId, findWaitingGates, refuseAnswer, describeApprovers }, { openRunStore, resolveStateLocation }, { systemClock }, { createKubeFactory }, { currentUser }] =
    await Promise.all([import('../../engine/index.js'), import('../state-dir.js'), import('../../time/clock.js'), import('../kube.js'), import('../confirm.js')]);
  if (!isRunId(runId)) throw new UsageError(`${runId} is not a run id (see \`opsbook runs\`)`);
  const clock = systemClock;
  const location = resolveStateLocation(flags, io.env, io.cwd);
  let identity: Identity = { username: currentUser(), groups: [] };
  if (location.kind === 'kubernetes') {
    const kubeconfigPath = flags.kubeconfig ? (await import('node:path')).resolve(io.cwd, flags.kubeconfig) : undefined;
    const kube = await createKubeFactory({ kubeconfigPath, context: flags.context, env: io.env, clock, impersonate: impersonationOf(flags) })();
    identity = await whoAmI(kube);
    await checkMayAnswer(kube, identity, location.namespace);
  }
  const { store, where } = await openRunStore(flags, io, clock, 'read');
  if (!(await store.has(runId))) throw new UsageError(`no run ${runId} in ${where} (see \`opsbook runs\`)`);
  const gate = findWaitingGates((await store.read(runId)).events).find((g) => g.stepId === stepId);
  if (!gate) throw new UsageError(`run ${runId} is not waiting at a gate ${stepId} (\`opsbook runs\` shows the waiting ones)`);
  const answer = { stepId, approved, by: identity.username, groups: identity.groups, at: new Date(clock.now()).toISOString(), ...(flags.comment ? { comment: flags.comment } : {}) };
  const refused = gate.policy ? refuseAnswer(gate.policy, answer) : undefined;
  if (refused) throw new UsageError(`gate ${stepId} of run ${runId} refuses this answer: ${refused}`);
  await store.addAnswer(runId, answer);
  const need = gate.policy && gate.policy.approvals > 1 ? ` (the gate needs ${gate.policy.approvals} distinct approvers: ${describeApprovers(gate.policy)})` : '';
  io.stdout.write(`${approved ? 'approved' : 'rejected'} ${stepId} of run ${runId} as ${identity.username}${location.kind === 'local' ? ' (local user)' : ''}${approved ? need : ''}\n`);
  return 0;
}

/** The identity the API server sees for this client (impersonation included): never a name typed on the command line. */
async function whoAmI(kube: KubeClient): Promise<Identity> {
  const review = await kube.create<KubeObject & { status?: { userInfo?: { username?: string; groups?: string[] } } }>({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: {},
  });
  const user = review.status?.userInfo;
  if (!user?.username) throw new UsageError(`${kube.server} did not say who you are (SelfSubjectReview has no username)`);
  return { username: user.username, groups: user.groups ?? [] };
}

/** Asks the server (SelfSubjectAccessReview) whether this identity may create the answer object: refuse up front with the rule. */
async function checkMayAnswer(kube: KubeClient, identity: Identity, namespace: string): Promise<void> {
  const review = await kube.create<KubeObject & { status?: { allowed?: boolean } }>({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: { resourceAttributes: { namespace, verb: 'create', group: '', resource: 'configmaps' } },
  } as KubeObject);
  if (review.status?.allowed) return;
  throw new UsageError(
    `403 Forbidden: User "${identity.username}" cannot create resource "configmaps" in API group "" in the namespace "${namespace}": ` +
      `answering a gate creates a ConfigMap there; an RBAC Role granting create on configmaps in ${namespace}, bound to you or your group, lets you approve`,
  );
}
