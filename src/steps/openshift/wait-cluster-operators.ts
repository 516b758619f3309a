// `wait-cluster-operators`: watches ClusterOperators until the chosen ones are Available, not Progressing, not Degraded.

import { StepError } from '../../errors.js';
import type { KubeObject } from '../../k8s/types.js';
import { formatDurationHuman } from '../../time/duration.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepContext, StepType } from '../types.js';
import { computeGiveUpAt, createChangeFeed } from './change-feed.js';
import {
  describeUnsettled,
  formatOperatorTable,
  isSettled,
  missingOperatorState,
  readOperatorState,
  toOutputState,
  type OperatorState,
} from './operator-state.js';
import { CLUSTER_OPERATOR } from './resources.js';

const names = { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true } as const satisfies JsonSchema;

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'wait-cluster-operators',
  description:
    'Waits (watching, not polling) until ClusterOperators are Available=True, Progressing=False, Degraded=False — ' +
    'what `oc get clusteroperators` shows when an install has settled. An operator passing through Degraded is waited ' +
    'out; on timeout the step fails with a table of the operators that never settled.',
  type: 'object',
  additionalProperties: false,
  properties: {
    names: { ...names, description: 'Operators to wait for (default: all ClusterOperators; at least one must exist).' },
    ignore: { ...names, description: 'Operators left out, e.g. image-registry before its storage is configured.' },
    allowProgressing: {
      description: 'Accept Progressing=True: `true` for every operator, or a list of operator names.',
      oneOf: [{ type: 'boolean' }, names],
      default: false,
    },
  },
} as const satisfies JsonSchema;

/** `names` (empty = every ClusterOperator) and `ignore` have no schema default (absent reads better); normalize fills []. */
export type WaitOperatorsParams = ParamsFilled<typeof schema> & { names: string[]; ignore: string[] };

function progressAllowed(p: WaitOperatorsParams, name: string): boolean {
  return p.allowProgressing === true || (Array.isArray(p.allowProgressing) && p.allowProgressing.includes(name));
}

/** The operators the step is about, in name order; named ones that do not exist show as missing. */
function selectStates(p: WaitOperatorsParams, items: KubeObject[]): OperatorState[] {
  const byName = new Map(items.map((co) => [co.metadata.name ?? '', co]));
  const wanted = p.names.length > 0 ? p.names : [...byName.keys()];
  return wanted
    .filter((name) => !p.ignore.includes(name))
    .sort()
    .map((name) => {
      const co = byName.get(name);
      return co ? readOperatorState(co) : missingOperatorState(name);
    });
}

/** "2/31 not settled: authentication Degraded=True (…); image-registry Available=False (…)". */
function describeWaiting(p: WaitOperatorsParams, states: OperatorState[], unsettled: OperatorState[]): string {
  if (states.length === 0) return 'no ClusterOperators yet';
  const shown = unsettled.slice(0, 3).map((s) => describeUnsettled(s, progressAllowed(p, s.name)));
  const more = unsettled.length > 3 ? `; and ${unsettled.length - 3} more` : '';
  return `${unsettled.length}/${states.length} not settled: ${shown.join('; ')}${more}`;
}

async function runWait(p: WaitOperatorsParams, ctx: StepContext): Promise<Record<string, unknown>> {
  const kube = await ctx.kube();
  const started = ctx.clock.now();
  const giveUpAt = computeGiveUpAt(ctx.deadline, started);
  const informer = kube.informer(CLUSTER_OPERATOR.apiVersion, CLUSTER_OPERATOR.kind, { signal: ctx.signal });
  const feed = createChangeFeed([informer]);
  try {
    await informer.ready();
    for (;;) {
      const states = selectStates(p, informer.items());
      const unsettled = states.filter((s) => !isSettled(s, progressAllowed(p, s.name)));
      if (states.length > 0 && unsettled.length === 0) {
        ctx.log(`${states.length} cluster operator(s) settled after ${formatDurationHuman(ctx.clock.now() - started)}`);
        return { operators: states.map(toOutputState), settled: states.map((s) => s.name) };
      }
      const detail = describeWaiting(p, states, unsettled);
      ctx.progress(detail);
      if ((await feed.next(ctx.clock, giveUpAt, ctx.signal)) === 'time' && ctx.clock.now() >= giveUpAt) {
        const table = formatOperatorTable('Cluster operators not settled', unsettled, ctx.clock.now(), (n) => progressAllowed(p, n));
        ctx.report(table);
        throw new StepError(`cluster operators did not settle within ${formatDurationHuman(ctx.clock.now() - started)}: ${detail}`, {
          errorClass: 'timeout',
          details: { table, operators: states.map(toOutputState) },
        });
      }
    }
  } finally {
    feed.close();
    informer.stop();
  }
}

export const waitClusterOperatorsStep: StepType<WaitOperatorsParams, Record<string, unknown>, ParamsInput<typeof schema>> = {
  type: 'wait-cluster-operators',
  description: 'Wait until ClusterOperators are Available, not Progressing and not Degraded (watch-based)',
  schema,
  outputs: {
    operators: { type: 'array', description: 'Each operator: name, available, progressing, degraded, conditions' },
    settled: { type: 'array', description: 'Names of the operators that settled' },
  },
  mutating: false,
  check(params) {
    const ignore = (params.ignore ?? []) as string[];
    const named = (params.names ?? []) as string[];
    return named
      .map((name, i) => ({ name, i }))
      .filter(({ name }) => ignore.includes(name))
      .map(({ name, i }) => ({ path: `names[${i}]`, message: `${name} is both waited for and ignored` }));
  },
  normalize(params) {
    return {
      names: params.names ?? [],
      ignore: params.ignore ?? [],
      allowProgressing: params.allowProgressing ?? false,
    };
  },
  run: runWait,
  async plan(p, ctx) {
    const kube = await ctx.kube();
    const { items } = await kube.list(CLUSTER_OPERATOR.apiVersion, CLUSTER_OPERATOR.kind, { signal: ctx.signal });
    const states = selectStates(p, items);
    const unsettled = states.filter((s) => !isSettled(s, progressAllowed(p, s.name)));
    return {
      summary:
        unsettled.length === 0 && states.length > 0
          ? `all ${states.length} cluster operators already settled`
          : `would wait for ${unsettled.length}/${states.length} cluster operators to settle`,
      tables: unsettled.length > 0 ? [formatOperatorTable('Not settled now', unsettled, ctx.clock.now(), (n) => progressAllowed(p, n))] : [],
    };
  },
};
