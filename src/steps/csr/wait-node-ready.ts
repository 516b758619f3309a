// wait-node-ready: waits until every inventory node exists with Ready=True, showing "3/5 Ready (…)" meanwhile.

import { StepError } from '../../errors.js';
import type { KubeObject } from '../../k8s/types.js';
import { findMissingNodes, isSelectedNode, listExpectedNodes, type NodeSelector } from '../../csr/index.js';
import type { ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { readNodeReadiness, startClusterView, stopWaitingAt, waitForChangeOrTimeout, type NodeReadiness } from './cluster-view.js';
import {
  buildSelector,
  checkSelectorParams,
  normalizeSelectorParams,
  selectorProperties,
  type SelectorParams,
} from './params.js';
import { abbreviate } from './report.js';
import { createProgressLine } from './progress.js';

export interface WaitNodeReadyOutputs {
  /** Node → Ready | NotReady | Unknown | Missing. */
  nodes: Record<string, NodeReadiness>;
  ready: string[];
  [key: string]: unknown;
}

interface Readiness {
  states: Map<string, NodeReadiness>;
  ready: string[];
  done: boolean;
}

function readReadiness(objects: KubeObject[], selector: NodeSelector): Readiness {
  const byName = new Map(objects.map((n) => [n.metadata.name ?? '', n]));
  const names = listExpectedNodes(selector, [...byName.keys()].filter((n) => isSelectedNode(selector, n)));
  const states = new Map(names.map((name) => [name, readNodeReadiness(byName.get(name))]));
  const ready = names.filter((name) => states.get(name) === 'Ready');
  return { states, ready, done: findMissingNodes(selector, ready).done };
}

/** "3/5 Ready (worker-3, worker-4 NotReady; worker-5 Missing)". */
export function describeReadiness(readiness: Readiness, selector: NodeSelector): string {
  const total = selector.mode === 'inventory' ? selector.nodes.size : selector.count;
  const groups = new Map<NodeReadiness, string[]>();
  for (const [name, state] of readiness.states) {
    if (state === 'Ready') continue;
    const group = groups.get(state);
    if (group) group.push(name); // push, not a spread copy: thousands of NotReady nodes would make each pass quadratic
    else groups.set(state, [name]);
  }
  if (selector.mode === 'match' && readiness.states.size < total) groups.set('Missing', [`${total - readiness.states.size} more`]);
  const detail = [...groups].map(([state, names]) => `${abbreviate(names)} ${state}`).join('; ');
  return `${Math.min(total, readiness.ready.length)}/${total} Ready${detail ? ` (${detail})` : ''}`;
}

function toOutputs(readiness: Readiness): WaitNodeReadyOutputs {
  return { nodes: Object.fromEntries(readiness.states), ready: readiness.ready };
}

async function runWaitNodeReady(params: SelectorParams, ctx: StepContext): Promise<WaitNodeReadyOutputs> {
  const kube = await ctx.kube();
  const selector = buildSelector(params);
  const giveUpAt = stopWaitingAt(ctx);
  const view = await startClusterView(kube, { nodes: true, clock: ctx.clock, signal: ctx.signal });
  const progress = createProgressLine(ctx.progress);
  try {
    for (;;) {
      const since = view.version;
      const readiness = readReadiness(view.nodes(), selector);
      const line = describeReadiness(readiness, selector);
      progress.update(line, readiness.done);
      if (readiness.done) return toOutputs(readiness);
      const timedOut = () =>
        new StepError(`nodes not Ready: ${line}`, { errorClass: 'timeout', details: { nodes: Object.fromEntries(readiness.states) } });
      await waitForChangeOrTimeout(view, since, giveUpAt, ctx.signal, timedOut);
    }
  } finally {
    progress.flush();
    view.stop();
  }
}

async function planWaitNodeReady(params: SelectorParams, ctx: PlanContext): Promise<PlanPreview> {
  const kube = await ctx.kube();
  const selector = buildSelector(params);
  const { items } = await kube.list('v1', 'Node', { signal: ctx.signal });
  const readiness = readReadiness(items, selector);
  return {
    summary: `${readiness.done ? 'already' : 'would wait:'} ${describeReadiness(readiness, selector)}`,
    tables: [{ title: 'Nodes', columns: ['node', 'state'], rows: [...readiness.states].map(([name, state]) => [name, state]) }],
  };
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'wait-node-ready',
  type: 'object',
  additionalProperties: false,
  properties: { ...selectorProperties },
} as const satisfies JsonSchema;

export const waitNodeReady: StepType<SelectorParams, WaitNodeReadyOutputs, ParamsInput<typeof schema>> = {
  type: 'wait-node-ready',
  description: 'Wait until every inventory node is registered and Ready',
  mutating: false,
  schema,
  outputs: {
    nodes: { type: 'object', description: 'node → Ready | NotReady | Unknown | Missing' },
    ready: { type: 'string[]', description: 'nodes that are Ready' },
  },
  check: checkSelectorParams,
  normalize: normalizeSelectorParams,
  run: runWaitNodeReady,
  plan: planWaitNodeReady,
};
