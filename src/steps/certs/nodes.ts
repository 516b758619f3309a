// Runs work on each node in turn through its transport, always closing the connection.

import type { Exec } from '../../proc/types.js';
import { withNode, type NodeOpener, type NodeSpec, type NodeTransport } from '../../node/index.js';

/** Sequential on purpose: control-plane nodes are changed one at a time; each is opened through the context's opener. */
export async function forEachNode<T>(
  nodes: readonly NodeSpec[],
  ctx: { exec: Exec; openNode?: NodeOpener },
  fn: (node: NodeTransport, spec: NodeSpec, index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (const [index, spec] of nodes.entries()) results.push(await withNode(spec, ctx.exec, (node) => fn(node, spec, index), ctx.openNode));
  return results;
}
