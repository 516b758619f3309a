// Runs work on each node in turn through its transport, always closing the connection.

import type { Exec } from '../../proc/types.js';
import { withNode, type NodeSpec, type NodeTransport } from '../../node/index.js';

/** Sequential on purpose: control-plane nodes are changed one at a time. */
export async function forEachNode<T>(
  nodes: readonly NodeSpec[],
  exec: Exec,
  fn: (node: NodeTransport, spec: NodeSpec, index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (const [index, spec] of nodes.entries()) results.push(await withNode(spec, exec, (node) => fn(node, spec, index)));
  return results;
}
