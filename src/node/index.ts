// Opens the transport a node parameter asks for.

import type { Exec } from '../proc/types.js';
import { createLocalTransport } from './local.js';
import { createSshTransport } from './ssh.js';
import type { NodeOpener, NodeSpec, NodeTransport } from './types.js';

export type { NodeOpener, NodeSpec, NodeTransport, ReadResult, RunOptions } from './types.js';
export { nodeSchema, nodesSchema, normalizeNode, normalizeNodes, checkNodes } from './spec.js';
export { quoteShellCommand, quoteShellWord } from './quote.js';

/** A transport for `spec`; the caller closes it (ends the ssh master). */
export function openNode(spec: NodeSpec, exec: Exec): NodeTransport {
  return spec.transport === 'ssh' ? createSshTransport(spec, exec) : createLocalTransport(spec, exec);
}

/** Opens (through `open`, the node's own transport by default), runs `fn`, and always closes. */
export async function withNode<T>(spec: NodeSpec, exec: Exec, fn: (node: NodeTransport) => Promise<T>, open: NodeOpener = openNode): Promise<T> {
  const node = open(spec, exec);
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}
